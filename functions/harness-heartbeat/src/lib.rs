//! Renew a harness's lease and its lanes'; answer each lane's control signal and undelivered interrupts.
//!
//! Heartbeats are telemetry, not audited mutations: lease renewals and
//! interrupt acknowledgements are recorded as lane events instead.

use serde_json::json;
use switchyard_api::{Heartbeat, HeartbeatAnswer, HeartbeatLane};
use switchyard_edge::lanes::{LANE_COLUMNS, LaneRow, append_event, pending_interrupts, signal};
use switchyard_edge::prelude::*;
use switchyard_edge::{now_rfc3339, rfc3339_after, rfc3339_before};

const ENDPOINT: Endpoint = endpoints::HARNESS_HEARTBEAT;

/// How long after a cancel the harness keeps being told about it.
const CANCEL_NOTICE_SECS: u64 = 600;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: Heartbeat| ctx.db.transaction(|tx| heartbeat(ctx, tx, &input)))
}

fn heartbeat(ctx: &Ctx, tx: &Db, input: &Heartbeat) -> Result<HeartbeatAnswer, ApiError> {
    let harness = ctx.caller.harness()?;
    let now = now_rfc3339();
    let lease_expires_at = rfc3339_after(harness.lease_seconds);
    tx.exec(
        "UPDATE harnesses SET lease_expires_at = ?, last_heartbeat_at = ? WHERE id = ?",
        &[&lease_expires_at, &now, &harness.harness_id],
    )?;
    tx.exec(
        "UPDATE lanes SET lease_expires_at = ? WHERE harness_id = ? AND state IN ('running', 'paused')",
        &[&lease_expires_at, &harness.harness_id],
    )?;
    let notice_since = rfc3339_before(CANCEL_NOTICE_SECS);
    let rows = tx.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE harness_id = ? AND
             (state IN ('running', 'paused') OR (state = 'cancelled' AND finished_at > ?)) ORDER BY created_at"
        ),
        &[&harness.harness_id, &notice_since],
    )?;
    let mut lanes = Vec::with_capacity(rows.len());
    for row in &rows {
        let lane = LaneRow::from_row(row)?;
        if let Some(acked) = input.acks.get(lane.id.as_str()) {
            let delivered = tx.query(
                "UPDATE lane_interrupts SET acked_at = ? WHERE lane_id = ? AND id <= ? AND acked_at IS NULL RETURNING id",
                &[&now, &lane.id, acked],
            )?;
            for r in delivered {
                append_event(tx, &lane, "interrupt_delivered", &json!({"interrupt_id": r.int("id")?}))?;
            }
        }
        let interrupts = if lane.state.is_active() { pending_interrupts(tx, &lane.id)? } else { Vec::new() };
        lanes.push(HeartbeatLane {
            lane_id: lane.id.clone(),
            state: lane.state.as_str().to_owned(),
            signal: signal(lane.state).to_owned(),
            interrupts,
        });
    }
    Ok(HeartbeatAnswer { lease_expires_at, lanes })
}
