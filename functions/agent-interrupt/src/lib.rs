//! Send an out-of-band signal (notes, redirection) into an active agent; delivered to its harness once, in order.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_INTERRUPT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, operations::interrupt)
}
