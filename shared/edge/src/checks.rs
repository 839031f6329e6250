//! What CI says about a lane: the latest status of each named check (from a
//! forge webhook or `ci-event-ingest`), the follow-up a failure sends the
//! lane's agent, and the verification `verify-lane` records — whether every
//! required check is green.

use serde_json::json;
use switchyard_api::{
    CheckSource, CiStatus, Interrupt, InterruptKind, LaneCheck, LaneEventData, LaneId, LaneVerification, WorkspaceId,
};

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::lanes::{self, LaneRow};

/// The longest summary (log excerpt) kept per check: its end, where the error is.
pub const MAX_SUMMARY_CHARS: usize = 4_000;

/// The last `MAX_SUMMARY_CHARS` characters of a log.
pub fn tail(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_SUMMARY_CHARS {
        return text.to_owned();
    }
    let mut kept: String = "…".to_owned();
    kept.extend(text.chars().skip(count - (MAX_SUMMARY_CHARS - 1)));
    kept
}

fn check_from_row(row: &Row) -> Result<LaneCheck, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed lane check row: {what}"));
    Ok(LaneCheck {
        name: row.text("name")?,
        status: CiStatus::parse(&row.text("status")?).ok_or_else(|| bad("status"))?,
        url: row.opt_text("url")?,
        summary: row.opt_text("summary")?,
        source: CheckSource::parse(&row.text("source")?).ok_or_else(|| bad("source"))?,
        updated_at: row.text("updated_at")?,
    })
}

/// The latest status of each check reported for a lane, by name.
pub fn of_lane(db: &Db, lane: &LaneId) -> Result<Vec<LaneCheck>, ApiError> {
    let rows = db.query(
        "SELECT name, status, url, summary, source, updated_at FROM lane_checks WHERE lane_id = $1 ORDER BY name",
        &[&lane.as_str()],
    )?;
    rows.iter().map(check_from_row).collect()
}

/// Records a check's status on a lane (replacing its previous status), as a
/// lane event and an outbound `lane.check` webhook.
pub fn record(tx: &Db, lane: &LaneRow, check: &LaneCheck) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO lane_checks (lane_id, name, status, url, summary, source, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (lane_id, name) DO UPDATE SET status = excluded.status, url = excluded.url,
           summary = excluded.summary, source = excluded.source, updated_at = excluded.updated_at",
        &[
            &lane.run_id.as_str(),
            &check.name,
            &check.status.as_str(),
            &check.url,
            &check.summary,
            &check.source.as_str(),
            &check.updated_at,
        ],
    )?;
    lanes::append_event(tx, lane, &LaneEventData::Check(check.clone()))?;
    crate::webhooks::emit_lane(tx, lane, "check", json!(check))
}

/// Tells a lane's agent that a check failed (an interrupt it reads while it
/// runs); none when the lane has no agent any more.
pub fn follow_up(tx: &Db, lane: &LaneRow, check: &LaneCheck) -> Result<Option<Interrupt>, ApiError> {
    if !lane.state.is_active() {
        return Ok(None);
    }
    let mut message = format!("CI check `{}` failed", check.name);
    if let Some(url) = &check.url {
        message.push_str(&format!(" ({url})"));
    }
    if let Some(summary) = &check.summary {
        message.push_str(&format!(":\n{summary}"));
    }
    message.push_str("\nPlease fix it before you finish.");
    lanes::queue_interrupt(tx, lane, InterruptKind::Note, &message, None).map(Some)
}

/// Decides and records whether a lane is verified: every check in `required`
/// (every reported check when empty) succeeded, and there is at least one.
/// The decision is a lane event, a `lane.verified` webhook, the lane's
/// `verified` field, and the workspace's `build` badge.
pub fn verify(tx: &Db, lane: &LaneRow, required: &[String]) -> Result<LaneVerification, ApiError> {
    let checks = of_lane(tx, &lane.run_id)?;
    let required: Vec<String> =
        if required.is_empty() { checks.iter().map(|c| c.name.clone()).collect() } else { required.to_vec() };
    let (mut missing, mut failing, mut pending) = (Vec::new(), Vec::new(), Vec::new());
    for name in &required {
        match checks.iter().find(|c| &c.name == name).map(|c| c.status) {
            None => missing.push(name.clone()),
            Some(CiStatus::Success) => {}
            Some(CiStatus::Queued | CiStatus::Running) => pending.push(name.clone()),
            Some(CiStatus::Failure | CiStatus::Cancelled | CiStatus::Skipped) => failing.push(name.clone()),
        }
    }
    let verified = !required.is_empty() && missing.is_empty() && failing.is_empty() && pending.is_empty();
    let now = now_rfc3339();
    link(tx, lane, &[("verified", &i64::from(verified)), ("verified_at", &now)])?;
    let event = LaneEventData::Verification {
        verified,
        failing: failing.clone(),
        missing: missing.clone(),
        pending: pending.clone(),
    };
    lanes::append_event(tx, lane, &event)?;
    let badge = if verified {
        "passing"
    } else if failing.is_empty() {
        "pending"
    } else {
        "failing"
    };
    set_build_badge(tx, &lane.workspace_id, badge)?;
    let verification = LaneVerification {
        run_id: lane.run_id.clone(),
        verified,
        required,
        missing,
        failing,
        pending,
        checks,
        verified_at: now,
    };
    crate::webhooks::emit_lane(tx, lane, "verified", json!(verification))?;
    Ok(verification)
}

fn set_build_badge(tx: &Db, workspace: &WorkspaceId, value: &str) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO workspace_badges (workspace_id, kind, value, updated_at) VALUES ($1, 'build', $2, $3)
         ON CONFLICT (workspace_id, kind) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[&workspace.as_str(), &value, &now_rfc3339()],
    )?;
    Ok(())
}

/// Sets columns of a lane's `lane_links` row (created on first use).
pub fn link(tx: &Db, lane: &LaneRow, columns: &[(&str, &dyn crate::Sql)]) -> Result<(), ApiError> {
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO lane_links (lane_id, workspace_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (lane_id) DO UPDATE SET updated_at = excluded.updated_at",
        &[&lane.run_id.as_str(), &lane.workspace_id.as_str(), &now],
    )?;
    for (column, value) in columns {
        // Column names come from this crate's callers, never from input.
        debug_assert!(["branch", "pr_number", "pr_url", "pr_state", "verified", "verified_at"].contains(column));
        tx.exec(&format!("UPDATE lane_links SET {column} = $1 WHERE lane_id = $2"), &[*value, &lane.run_id.as_str()])?;
    }
    Ok(())
}
