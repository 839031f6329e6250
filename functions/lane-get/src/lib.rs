//! One lane: its state, budget use, result, tool log and interrupts not yet delivered.

use switchyard_api::{GetLane, LaneDetail, ToolCall, ToolCallId};
use switchyard_edge::lanes::{load_lane, pending_interrupts};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetLane| get(ctx, input))
}

fn get(ctx: &Ctx, input: GetLane) -> Result<LaneDetail, ApiError> {
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let rows = ctx.db.query(
        "SELECT id, tool, status, input_digest, output, duration_ms, at FROM tool_calls WHERE lane_id = ? ORDER BY at, id",
        &[&lane.id.as_str()],
    )?;
    let mut tool_calls = Vec::with_capacity(rows.len());
    for r in rows {
        tool_calls.push(ToolCall {
            call_id: ToolCallId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("bad tool call id"))?,
            tool: r.text("tool")?,
            status: r.text("status")?,
            input_digest: r.text("input_digest")?,
            output: r.json("output")?,
            duration_ms: u64::try_from(r.int("duration_ms")?).unwrap_or(0),
            at: r.text("at")?,
        });
    }
    let pending_interrupts = pending_interrupts(&ctx.db, &lane.id)?;
    Ok(LaneDetail { lane: lane.to_api(), tool_calls, pending_interrupts })
}
