//! List the workspace's requests for approval, newest first, filtered by state or lane.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::APPROVAL_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, operations::list_approvals)
}
