//! Send an out-of-band signal (notes, redirection) into an active agent; delivered to its harness once, in order.

use serde_json::json;
use switchyard_api::{InterruptLane, InterruptQueued};
use switchyard_edge::lanes::{self, load_lane};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_INTERRUPT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: InterruptLane| interrupt(ctx, tx, input))
}

fn interrupt(ctx: &Ctx, tx: &Db, input: InterruptLane) -> Result<Change<InterruptQueued>, ApiError> {
    let lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
    if !lane.state.is_active() {
        return Err(ApiError::conflict(format!(
            "lane {} is {}; only active lanes take interrupts",
            lane.run_id,
            lane.state.as_str()
        ))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str()})));
    }
    let interrupt = lanes::queue_interrupt(tx, &lane, input.kind.into(), &input.message, None)?;
    Ok(Change::created(lane.run_id.clone(), InterruptQueued { run_id: lane.run_id.clone(), interrupt }))
}
