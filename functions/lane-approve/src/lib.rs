//! Approve a lane's pending request; the lane goes on (a held dispatch joins the queue). Exactly one decision is taken per request.

use switchyard_api::ApprovalState;
use switchyard_edge::governance;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_APPROVE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input| governance::decide_lane(ctx, tx, input, ApprovalState::Approved))
}
