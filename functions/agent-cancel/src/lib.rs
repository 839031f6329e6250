//! Stop a lane in any active state and roll back its scope claim; its harness is told to stop.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_CANCEL;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, operations::cancel)
}
