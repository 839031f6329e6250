//! Dispatch a new agent lane: pick a harness kind, hand it a brief and a scope claim, return a run id.

use switchyard_edge::operations::{check_lane, run_lane};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_RUN;

/// Policy, budget and claim checks before the transaction (a policy denial is audited there).
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, check_lane, run_lane)
}
