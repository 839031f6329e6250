//! Resume a paused lane, optionally raising its budget (a lane paused for `budget_exhausted` needs that).

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_RESUME;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, operations::resume)
}
