//! One lane: its state, budget use, result, tool log, interrupts not yet delivered, CI checks and the context its agent was given.

use switchyard_api::{GetLane, LaneDetail};
use switchyard_edge::lanes::{self, load_lane, pending_interrupts};
use switchyard_edge::prelude::*;
use switchyard_edge::{checks, context};

const ENDPOINT: Endpoint = endpoints::LANE_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetLane| get(ctx, input))
}

fn get(ctx: &Ctx, input: GetLane) -> Result<LaneDetail, ApiError> {
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let tool_calls = lanes::tool_calls(&ctx.db, &lane.run_id)?;
    let pending_interrupts = pending_interrupts(&ctx.db, &lane.run_id)?;
    let checks = checks::of_lane(&ctx.db, &lane.run_id)?;
    let context = context::given_to_lane(&ctx.db, &lane)?;
    Ok(LaneDetail { lane: lane.to_api(), tool_calls, pending_interrupts, checks, context })
}
