//! One workspace's health over a window (`observability-snapshot`): read-only
//! counts over lanes, the queue, harnesses, tool calls, outbound webhooks and
//! what waits for a person. Every query is scoped by the workspace.

use std::collections::BTreeMap;

use switchyard_api::{
    Attention, HarnessStats, LaneState, LaneStats, ObservabilitySnapshot, Percentiles, QueueStats, ToolStats,
    WebhookStats, WorkspaceId,
};

use crate::clock::{now_rfc3339, rfc3339_before};
use crate::db::{Db, Sql};
use crate::error::ApiError;

/// At most this many finished lanes and tool calls feed the percentiles (the newest).
const SAMPLE: u64 = 10_000;

fn count(db: &Db, sql: &str, params: &[&dyn Sql]) -> Result<u64, ApiError> {
    let row = db.query_one(sql, params)?;
    let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

fn seconds_between(from: &str, to: &str) -> Option<u64> {
    let from = chrono::DateTime::parse_from_rfc3339(from).ok()?;
    let to = chrono::DateTime::parse_from_rfc3339(to).ok()?;
    u64::try_from((to - from).num_seconds()).ok()
}

pub fn snapshot(db: &Db, workspace: &WorkspaceId, window_hours: u64) -> Result<ObservabilitySnapshot, ApiError> {
    let ws = workspace.as_str();
    let now = now_rfc3339();
    let since = rfc3339_before(window_hours * 3600);
    let mut by_state = BTreeMap::new();
    for r in db.query("SELECT state, COUNT(*) AS n FROM lanes WHERE workspace_id = $1 GROUP BY state", &[&ws])? {
        by_state.insert(r.text("state")?, u64::try_from(r.int("n")?).unwrap_or(0));
    }
    let ended = |state: LaneState| {
        count(
            db,
            "SELECT COUNT(*) AS n FROM lanes WHERE workspace_id = $1 AND state = $2 AND finished_at >= $3",
            &[&ws, &state.as_str(), &since],
        )
    };
    // A merged lane completed first (its pull request merged afterwards).
    let completed = ended(LaneState::Completed)? + ended(LaneState::Merged)?;
    let (failed, cancelled) = (ended(LaneState::Failed)?, ended(LaneState::Cancelled)?);
    let durations = db
        .query(
            "SELECT created_at, finished_at FROM lanes WHERE workspace_id = $1 AND finished_at >= $2
             ORDER BY finished_at DESC LIMIT $3",
            &[&ws, &since, &SAMPLE],
        )?
        .iter()
        .map(|r| Ok(seconds_between(&r.text("created_at")?, &r.text("finished_at")?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let usage = db.query_one(
        "SELECT COUNT(*) AS n, COALESCE(SUM(tokens_used), 0) AS tokens, COALESCE(SUM(cost_used_cents), 0) AS cents
           FROM lanes WHERE workspace_id = $1 AND created_at >= $2",
        &[&ws, &since],
    )?;
    let usage_of = |column: &str| -> Result<u64, ApiError> {
        Ok(usage.as_ref().map(|r| r.int(column)).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    };
    let lanes = LaneStats {
        by_state,
        dispatched: usage_of("n")?,
        completed,
        failed,
        cancelled,
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        success_rate: (completed + failed > 0).then(|| completed as f64 / (completed + failed) as f64),
        duration_seconds: Percentiles::of(durations.into_iter().flatten().collect()),
        tokens_used: usage_of("tokens")?,
        cost_used_cents: usage_of("cents")?,
    };

    let queued = LaneState::Queued.as_str();
    let depth = count(db, "SELECT COUNT(*) AS n FROM lanes WHERE workspace_id = $1 AND state = $2", &[&ws, &queued])?;
    let oldest = db
        .query_one(
            "SELECT created_at FROM lanes WHERE workspace_id = $1 AND state = $2 ORDER BY created_at LIMIT 1",
            &[&ws, &queued],
        )?
        .map(|r| r.text("created_at"))
        .transpose()?;
    let queue = QueueStats { depth, oldest_wait_seconds: oldest.and_then(|o| seconds_between(&o, &now)) };

    let registered =
        count(db, "SELECT COUNT(*) AS n FROM harnesses WHERE workspace_id = $1 AND revoked_at IS NULL", &[&ws])?;
    let online = count(
        db,
        "SELECT COUNT(*) AS n FROM harnesses WHERE workspace_id = $1 AND revoked_at IS NULL AND lease_expires_at > $2",
        &[&ws, &now],
    )?;
    let harnesses = HarnessStats { registered, online, stale: registered.saturating_sub(online) };

    let calls = db.query(
        "SELECT status, duration_ms FROM tool_calls WHERE workspace_id = $1 AND at >= $2 ORDER BY at DESC LIMIT $3",
        &[&ws, &since, &SAMPLE],
    )?;
    let mut errors = 0;
    let mut durations = Vec::with_capacity(calls.len());
    for call in &calls {
        if call.text("status")? != "ok" {
            errors += 1;
        }
        durations.push(u64::try_from(call.int("duration_ms")?).unwrap_or(0));
    }
    let all_calls =
        count(db, "SELECT COUNT(*) AS n FROM tool_calls WHERE workspace_id = $1 AND at >= $2", &[&ws, &since])?;
    let tools = ToolStats { calls: all_calls, errors, duration_ms: Percentiles::of(durations) };

    let deliveries = |state: &str| {
        count(
            db,
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE workspace_id = $1 AND state = $2 AND created_at >= $3",
            &[&ws, &state, &since],
        )
    };
    let webhooks = WebhookStats {
        pending: deliveries("pending")? + deliveries("delivering")?,
        succeeded: deliveries("succeeded")?,
        dead: deliveries("dead")?,
    };
    let attention = Attention {
        questions_pending: count(
            db,
            "SELECT COUNT(*) AS n FROM inbox_items WHERE workspace_id = $1 AND state = 'pending'",
            &[&ws],
        )?,
        approvals_pending: count(
            db,
            "SELECT COUNT(*) AS n FROM approvals WHERE workspace_id = $1 AND state = 'pending'",
            &[&ws],
        )?,
    };
    Ok(ObservabilitySnapshot {
        workspace_id: workspace.clone(),
        generated_at: now,
        window_hours,
        since,
        lanes,
        queue,
        harnesses,
        tools,
        webhooks,
        attention,
    })
}
