//! Reject a lane's pending request; its agent is told no and goes on (a held dispatch is cancelled). Exactly one decision is taken per request.

use switchyard_api::ApprovalState;
use switchyard_edge::governance;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_REJECT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input| governance::decide_lane(ctx, tx, input, ApprovalState::Rejected))
}
