//! Pause a running lane while preserving its scope claim and tool log.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_PAUSE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, operations::pause)
}
