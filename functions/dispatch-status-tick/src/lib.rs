//! Requeue lanes whose harness lease expired (or fail them after their last attempt), and pause lanes over budget.
//!
//! - method: none
//! - auth: cron
//! - scope: none
//! - rate: none

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_domain::audit::NewEntry;
use switchyard_domain::lane::{Event, LaneState};
use switchyard_edge::lanes::{LANE_COLUMNS, LaneRow, apply};
use switchyard_edge::{ApiError, Db, append_audit, now_rfc3339, random_bytes};

const ACTOR: &str = "system:dispatch-status-tick";

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let changed = db
            .transaction(|tx| sweep(tx))
            .map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if changed > 0 {
            println!("dispatch-status-tick: {changed} lane(s) changed");
        }
        Ok(())
    }
}

/// One pass over lanes that need the system to act; returns how many changed.
fn sweep(tx: &Db) -> Result<usize, ApiError> {
    let now = now_rfc3339();
    let request_id = switchyard_api::RequestId::from_random(&random_bytes()).to_string();
    let rows = tx.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE state IN ('running', 'paused')
             AND ((lease_expires_at IS NOT NULL AND lease_expires_at < ?)
                  OR (state = 'running' AND token_budget IS NOT NULL AND tokens_used >= token_budget))"
        ),
        &[&now],
    )?;
    let mut changed = 0;
    for row in &rows {
        let mut lane = LaneRow::from_row(row)?;
        let expired = lane.lease_expires_at.as_deref().is_some_and(|l| l < now.as_str());
        let action = if expired {
            let retry = lane.attempt < lane.max_attempts;
            let reason = if retry {
                format!("harness lease expired; requeued for attempt {}", lane.attempt + 1)
            } else {
                format!("harness lease expired on the last of {} attempts", lane.max_attempts)
            };
            apply(tx, &mut lane, Event::LeaseExpired { retry }, Some(&reason))?;
            if lane.state == LaneState::Queued { "requeued" } else { "failed" }
        } else {
            apply(tx, &mut lane, Event::Pause, Some("budget_exhausted"))?;
            "budget_exhausted"
        };
        append_audit(
            tx,
            NewEntry {
                workspace_id: lane.workspace_id.to_string(),
                at: now.clone(),
                actor: ACTOR.to_owned(),
                action: format!("dispatch-status-tick:{action}"),
                target: Some(lane.id.to_string()),
                request_id: request_id.clone(),
                input_digest: switchyard_domain::sha256_hex(b""),
            },
        )?;
        changed += 1;
    }
    Ok(changed)
}

export!(Tick);
