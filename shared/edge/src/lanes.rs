//! Lane storage shared by the lane, harness and tool functions: loading a
//! lane within the caller's workspace, its scope claim (checked, held, and
//! released when it ends), moving it through the state machine, and
//! appending its events.

use serde_json::{Value, json};
use switchyard_api::{ErrorCode, HarnessId, Interrupt, InterruptKind, Lane, LaneId, WorkspaceId};
use switchyard_domain::glob;
use switchyard_domain::lane::{Event, LaneState, transition};

use crate::clock::now_rfc3339;
use crate::db::{Db, DbError, Row};
use crate::error::ApiError;

/// Refuses `claim` when one of its globs can match a path of another active
/// lane of `repository`. Only lanes holding a glob whose literal prefix is
/// compatible with ours are loaded (indexed, see `glob::literal_prefix`);
/// overlap is then decided exactly. A stored claim that cannot be read fails
/// the request: a safety check fails closed. Call it inside the transaction
/// that holds the new claim, so racing claims are decided in order.
pub fn check_claim(tx: &Db, workspace: &WorkspaceId, repository: &str, claim: &[String]) -> Result<(), ApiError> {
    for ours in claim {
        let prefix = glob::literal_prefix(ours);
        let candidates = tx.query(
            "SELECT lane_id, globs FROM lane_claims WHERE lane_id IN (
                 SELECT lane_id FROM lane_claim_prefixes WHERE workspace_id = ? AND repository = ?
                 AND (substr(?, 1, length(prefix)) = prefix OR substr(prefix, 1, length(?)) = ?))
             ORDER BY lane_id",
            &[&workspace.as_str(), &repository, &prefix, &prefix, &prefix],
        )?;
        for row in &candidates {
            let other = row.text("lane_id")?;
            let theirs: Vec<String> = row.json("globs")?;
            if let Some(overlapping) = theirs.iter().find(|t| glob::overlap(ours, t)) {
                return Err(ApiError::new(
                    ErrorCode::LaneScopeDenied,
                    format!("claim `{ours}` overlaps `{overlapping}` of active lane {other} in {repository}"),
                )
                .with_details(json!({"conflicting_run_id": other, "globs": [ours, overlapping]})));
            }
        }
    }
    Ok(())
}

/// Records a new lane's claim, with the literal prefixes [`check_claim`]
/// narrows by; [`apply`] releases both when the lane ends.
pub fn hold_claim(tx: &Db, lane: &LaneRow) -> Result<(), ApiError> {
    let globs = serde_json::to_string(&lane.claim).map_err(ApiError::internal)?;
    tx.exec(
        "INSERT INTO lane_claims (lane_id, workspace_id, repository, globs) VALUES (?, ?, ?, ?)",
        &[&lane.id.as_str(), &lane.workspace_id.as_str(), &lane.repository, &globs],
    )?;
    let prefixes: std::collections::BTreeSet<&str> = lane.claim.iter().map(|g| glob::literal_prefix(g)).collect();
    for prefix in prefixes {
        tx.exec(
            "INSERT INTO lane_claim_prefixes (lane_id, workspace_id, repository, prefix) VALUES (?, ?, ?, ?)",
            &[&lane.id.as_str(), &lane.workspace_id.as_str(), &lane.repository, &prefix],
        )?;
    }
    Ok(())
}

/// Columns [`LaneRow::from_row`] reads.
pub const LANE_COLUMNS: &str = "id, workspace_id, state, harness_kind, brief, repository, claim, labels, \
    token_budget, cost_budget_cents, tokens_used, cost_used_cents, attempt, max_attempts, harness_id, \
    lease_expires_at, pause_reason, exit_code, summary, created_at, updated_at, finished_at";

/// A lane as stored.
#[derive(Debug, Clone)]
pub struct LaneRow {
    pub id: LaneId,
    pub workspace_id: WorkspaceId,
    pub state: LaneState,
    pub harness_kind: String,
    pub brief: String,
    pub repository: String,
    pub claim: Vec<String>,
    pub labels: Vec<String>,
    pub token_budget: Option<u64>,
    pub cost_budget_cents: Option<u64>,
    pub tokens_used: u64,
    pub cost_used_cents: u64,
    pub attempt: u32,
    pub max_attempts: u32,
    pub harness_id: Option<HarnessId>,
    pub lease_expires_at: Option<String>,
    pub pause_reason: Option<String>,
    pub exit_code: Option<i64>,
    pub summary: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

fn opt_u64(row: &Row, column: &str) -> Result<Option<u64>, DbError> {
    match row.int(column) {
        Ok(v) => Ok(u64::try_from(v).ok()),
        Err(_) => Ok(None),
    }
}

impl LaneRow {
    pub fn from_row(row: &Row) -> Result<Self, ApiError> {
        let bad = |what: &str| ApiError::internal(format!("malformed lane row: {what}"));
        Ok(Self {
            id: LaneId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
            workspace_id: WorkspaceId::parse(&row.text("workspace_id")?).ok_or_else(|| bad("workspace_id"))?,
            state: LaneState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
            harness_kind: row.text("harness_kind")?,
            brief: row.text("brief")?,
            repository: row.text("repository")?,
            claim: row.json("claim")?,
            labels: row.json("labels")?,
            token_budget: opt_u64(row, "token_budget")?,
            cost_budget_cents: opt_u64(row, "cost_budget_cents")?,
            tokens_used: opt_u64(row, "tokens_used")?.unwrap_or(0),
            cost_used_cents: opt_u64(row, "cost_used_cents")?.unwrap_or(0),
            attempt: u32::try_from(row.int("attempt")?).unwrap_or(1),
            max_attempts: u32::try_from(row.int("max_attempts")?).unwrap_or(3),
            harness_id: row.opt_text("harness_id")?.and_then(|h| HarnessId::parse(&h)),
            lease_expires_at: row.opt_text("lease_expires_at")?,
            pause_reason: row.opt_text("pause_reason")?,
            exit_code: row.int("exit_code").ok(),
            summary: row.opt_text("summary")?,
            created_at: row.text("created_at")?,
            updated_at: row.text("updated_at")?,
            finished_at: row.opt_text("finished_at")?,
        })
    }

    pub fn to_api(&self) -> Lane {
        Lane {
            run_id: self.id.clone(),
            state: self.state.as_str().to_owned(),
            harness_kind: self.harness_kind.clone(),
            brief: self.brief.clone(),
            repository: self.repository.clone(),
            claim: self.claim.clone(),
            labels: self.labels.clone(),
            token_budget: self.token_budget,
            cost_budget_cents: self.cost_budget_cents,
            tokens_used: self.tokens_used,
            cost_used_cents: self.cost_used_cents,
            attempt: self.attempt,
            max_attempts: self.max_attempts,
            harness_id: self.harness_id.clone(),
            pause_reason: self.pause_reason.clone(),
            exit_code: self.exit_code,
            summary: self.summary.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            finished_at: self.finished_at.clone(),
        }
    }

    /// Whether the token or cost budget is used up.
    pub fn budget_exhausted(&self) -> bool {
        self.token_budget.is_some_and(|b| self.tokens_used >= b)
            || self.cost_budget_cents.is_some_and(|b| self.cost_used_cents >= b)
    }
}

/// Loads a lane of `workspace`; another workspace's lane is NOT_FOUND.
pub fn load_lane(db: &Db, workspace: &WorkspaceId, id: &LaneId) -> Result<LaneRow, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {LANE_COLUMNS} FROM lanes WHERE id = ? AND workspace_id = ?"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("lane {id}")))?;
    LaneRow::from_row(&row)
}

/// Appends a lane event; returns its id.
pub fn append_event(tx: &Db, lane: &LaneRow, kind: &str, data: &Value) -> Result<u64, DbError> {
    let row = tx.query_one(
        "INSERT INTO lane_events (lane_id, workspace_id, type, data, at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        &[&lane.id.as_str(), &lane.workspace_id.as_str(), &kind, &data.to_string(), &now_rfc3339()],
    )?;
    Ok(row.map(|r| r.int("id")).transpose()?.and_then(|id| u64::try_from(id).ok()).unwrap_or(0))
}

/// Moves `lane` by `event` (409 naming the current state when not allowed),
/// records a `state` event, and releases the claim when the lane ends.
pub fn apply(tx: &Db, lane: &mut LaneRow, event: Event, reason: Option<&str>) -> Result<(), ApiError> {
    let from = lane.state;
    let to = transition(from, event).map_err(|_| {
        ApiError::conflict(format!("lane {} is {}; it cannot be {}", lane.id, from.as_str(), describe(event)))
            .with_details(json!({"run_id": lane.id, "state": from.as_str()}))
    })?;
    let now = now_rfc3339();
    lane.state = to;
    lane.updated_at = now.clone();
    lane.pause_reason = (to == LaneState::Paused).then(|| reason.unwrap_or("paused").to_owned());
    if matches!(event, Event::LeaseExpired { retry: true }) {
        lane.attempt += 1;
    }
    if to == LaneState::Queued {
        lane.harness_id = None;
    }
    if !to.is_active() {
        lane.finished_at = Some(now.clone());
    }
    if to != LaneState::Running && to != LaneState::Paused {
        lane.lease_expires_at = None;
    }
    tx.exec(
        "UPDATE lanes SET state = ?, updated_at = ?, pause_reason = ?, attempt = ?, harness_id = ?,
         lease_expires_at = ?, finished_at = ? WHERE id = ?",
        &[
            &to.as_str(),
            &now,
            &lane.pause_reason,
            &i64::from(lane.attempt),
            &lane.harness_id.as_ref().map(|h| h.to_string()),
            &lane.lease_expires_at,
            &lane.finished_at,
            &lane.id.as_str(),
        ],
    )?;
    if !to.is_active() {
        tx.exec("DELETE FROM lane_claims WHERE lane_id = ?", &[&lane.id.as_str()])?;
        tx.exec("DELETE FROM lane_claim_prefixes WHERE lane_id = ?", &[&lane.id.as_str()])?;
    }
    append_event(
        tx,
        lane,
        "state",
        &json!({"from": from.as_str(), "to": to.as_str(), "reason": reason, "attempt": lane.attempt}),
    )?;
    Ok(())
}

fn describe(event: Event) -> &'static str {
    match event {
        Event::Dispatch => "dispatched",
        Event::Pause => "paused",
        Event::Resume { .. } => "resumed",
        Event::Cancel => "cancelled",
        Event::Complete => "completed",
        Event::Fail => "failed",
        Event::LeaseExpired { .. } => "requeued",
    }
}

/// The control signal a harness should apply to a lane in `state`.
pub fn signal(state: LaneState) -> &'static str {
    match state {
        LaneState::Running | LaneState::Queued => "run",
        LaneState::Paused => "pause",
        LaneState::Completed | LaneState::Failed | LaneState::Cancelled => "cancel",
    }
}

/// Interrupts of a lane not yet acknowledged by its harness, oldest first.
pub fn pending_interrupts(db: &Db, lane: &LaneId) -> Result<Vec<Interrupt>, ApiError> {
    let rows = db.query(
        "SELECT id, kind, message, created_at FROM lane_interrupts WHERE lane_id = ? AND acked_at IS NULL ORDER BY id",
        &[&lane.as_str()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Interrupt {
                id: u64::try_from(r.int("id")?).unwrap_or(0),
                kind: if r.text("kind")? == "redirect" { InterruptKind::Redirect } else { InterruptKind::Note },
                message: r.text("message")?,
                created_at: r.text("created_at")?,
            })
        })
        .collect()
}
