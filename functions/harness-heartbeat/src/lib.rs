//! Renew a harness's lease and its lanes'; answer each lane's control signal and undelivered interrupts.
//!
//! Heartbeats are telemetry, not audited mutations: lease renewals and
//! interrupt acknowledgements are recorded as lane events instead.

use switchyard_api::{Heartbeat, HeartbeatAnswer, HeartbeatLane};
use switchyard_edge::lanes::{self, pending_interrupts};
use switchyard_edge::prelude::*;
use switchyard_edge::{harnesses, rfc3339_after, rfc3339_before};

const ENDPOINT: Endpoint = endpoints::HARNESS_HEARTBEAT;

/// How long after a cancel the harness keeps being told about it.
const CANCEL_NOTICE_SECS: u64 = 600;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: Heartbeat| ctx.db.transaction(|tx| heartbeat(ctx, tx, &input)))
}

fn heartbeat(ctx: &Ctx, tx: &Db, input: &Heartbeat) -> Result<HeartbeatAnswer, ApiError> {
    let harness = ctx.caller.harness()?;
    let lease_expires_at = rfc3339_after(harness.lease_seconds);
    harnesses::renew(tx, &harness.harness_id, &lease_expires_at)?;
    lanes::renew_leases(tx, &harness.harness_id, &lease_expires_at)?;
    let notice_since = rfc3339_before(CANCEL_NOTICE_SECS);
    let held = lanes::held_by(tx, &harness.harness_id, Some(&notice_since))?;
    let mut lanes = Vec::with_capacity(held.len());
    for lane in held {
        if let Some(acked) = input.acks.get(lane.run_id.as_str()) {
            lanes::acknowledge_interrupts(tx, &lane, *acked)?;
        }
        let interrupts = if lane.state.is_active() { pending_interrupts(tx, &lane.run_id)? } else { Vec::new() };
        lanes.push(HeartbeatLane {
            run_id: lane.run_id.clone(),
            lane_id: lane.run_id.clone(),
            state: lane.state,
            signal: lane.state.signal(),
            interrupts,
        });
    }
    Ok(HeartbeatAnswer { lease_expires_at, lanes })
}
