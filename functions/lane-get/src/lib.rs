//! One lane: its state, budget use, result, tool log, interrupts not yet delivered, CI checks and the context its agent was given.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, operations::get_lane)
}
