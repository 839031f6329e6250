//! Send an out-of-band signal (notes, redirection) into an active agent; delivered to its harness once, in order.

use serde_json::json;
use switchyard_api::{Interrupt, InterruptKind, InterruptLane, InterruptQueued};
use switchyard_edge::lanes::{append_event, load_lane};
use switchyard_edge::now_rfc3339;
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
            lane.id,
            lane.state.as_str()
        ))
        .with_details(json!({"run_id": lane.id, "state": lane.state.as_str()})));
    }
    let kind = match input.kind {
        InterruptKind::Note => "note",
        InterruptKind::Redirect => "redirect",
    };
    let created_at = now_rfc3339();
    let row = tx
        .query_one(
            "INSERT INTO lane_interrupts (lane_id, workspace_id, kind, message, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            &[&lane.id.as_str(), &lane.workspace_id.as_str(), &kind, &input.message.as_str(), &created_at],
        )?
        .ok_or_else(|| ApiError::internal("insert returned no id"))?;
    let id = u64::try_from(row.int("id")?).unwrap_or(0);
    append_event(tx, &lane, "interrupt", &json!({"interrupt_id": id, "kind": kind, "message": input.message}))?;
    let interrupt = Interrupt { id, kind: input.kind, message: input.message.into_string(), created_at };
    Ok(Change::created(lane.id.clone(), InterruptQueued { run_id: lane.id.clone(), interrupt }))
}
