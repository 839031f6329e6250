//! Sign and record the current head (size, Merkle root, time) of the workspace's audit log, with a consistency proof from the previous head.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FEDERATION_PUBLISH_HEAD;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, operations::publish_head)
}
