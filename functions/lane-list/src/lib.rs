//! List the workspace's lanes, newest first, filtered by state, repository, harness kind or label.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, operations::list_lanes)
}
