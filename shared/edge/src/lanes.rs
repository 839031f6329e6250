//! Lane storage: the only place lane SQL and state names are written. The
//! lane, harness and tool functions call these named operations — load a
//! lane within the caller's workspace, insert one, page through them, find
//! the queued ones a harness may run and the ones it holds, hold and release
//! scope claims, move a lane through the state machine, append its typed
//! events, queue and acknowledge interrupts, record tool calls.
//!
//! The SQL keeps to the portable subset (`RETURNING`, `ON CONFLICT (…)`,
//! `COALESCE`, no JSON functions) so the same operations can run against
//! PostgreSQL; what is engine-specific is the caller's `BEGIN IMMEDIATE`
//! transaction that serialises claims and dispatch.

use serde_json::json;
use switchyard_api::{
    ErrorCode, HarnessId, InboxId, Interrupt, InterruptKind, Lane, LaneEvent, LaneEventData, LaneEventType, LaneId,
    PullRequestRef, PullRequestState, ToolCall, ToolCallId, WorkspaceId,
};
use switchyard_domain::glob;
use switchyard_domain::lane::{Event, LaneState, transition};

use crate::clock::now_rfc3339;
use crate::db::{Db, Row, Sql};
use crate::error::ApiError;

/// Refuses `claim` when one of its globs can match a path of another active
/// lane of `repository`. Only lanes holding a glob whose literal prefix is
/// compatible with ours are loaded (indexed, see `glob::literal_prefix`);
/// overlap is then decided exactly. A stored claim that cannot be read fails
/// the request: a safety check fails closed.
///
/// Run it twice: before the write transaction, where comparing globs holds up
/// no other writer, and again inside it, where `compared` limits the work to
/// lanes that claimed in between (a lane's claim never changes), so racing
/// claims are still decided in order.
pub fn check_claim(
    db: &Db,
    workspace: &WorkspaceId,
    repository: &str,
    claim: &[String],
    compared: &mut ClaimsCompared,
) -> Result<(), ApiError> {
    for (index, ours) in claim.iter().enumerate() {
        let prefix = glob::literal_prefix(ours);
        let candidates = db.query(
            "SELECT lane_id, globs FROM lane_claims WHERE lane_id IN (
                 SELECT lane_id FROM lane_claim_prefixes WHERE workspace_id = $1 AND repository = $2
                 AND (substr($3, 1, length(prefix)) = prefix OR substr(prefix, 1, length($4)) = $5))
             ORDER BY lane_id",
            &[&workspace.as_str(), &repository, &prefix, &prefix, &prefix],
        )?;
        for row in &candidates {
            let other = row.text("lane_id")?;
            if !compared.0.insert((index, other.clone())) {
                continue;
            }
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

/// Which (glob of ours, other lane) pairs [`check_claim`] has already compared.
#[derive(Debug, Default)]
pub struct ClaimsCompared(std::collections::BTreeSet<(usize, String)>);

/// Records a new lane's claim, with the literal prefixes [`check_claim`]
/// narrows by; [`apply`] releases both when the lane ends.
pub fn hold_claim(tx: &Db, lane: &LaneRow) -> Result<(), ApiError> {
    let globs = serde_json::to_string(&lane.claim).map_err(ApiError::internal)?;
    tx.exec(
        "INSERT INTO lane_claims (lane_id, workspace_id, repository, globs) VALUES ($1, $2, $3, $4)",
        &[&lane.run_id.as_str(), &lane.workspace_id.as_str(), &lane.repository, &globs],
    )?;
    let prefixes: std::collections::BTreeSet<&str> = lane.claim.iter().map(|g| glob::literal_prefix(g)).collect();
    for prefix in prefixes {
        tx.exec(
            "INSERT INTO lane_claim_prefixes (lane_id, workspace_id, repository, prefix) VALUES ($1, $2, $3, $4)",
            &[&lane.run_id.as_str(), &lane.workspace_id.as_str(), &lane.repository, &prefix],
        )?;
    }
    Ok(())
}

/// Columns [`LaneRow::from_row`] reads.
/// What its work became on a forge (`lane_links`) is read alongside.
pub const LANE_COLUMNS: &str = "id, workspace_id, state, harness_kind, brief, repository, claim, labels, \
    token_budget, cost_budget_cents, tokens_used, cost_used_cents, attempt, max_attempts, harness_id, \
    lease_expires_at, pause_reason, exit_code, summary, created_at, updated_at, finished_at, \
    (SELECT branch FROM lane_links WHERE lane_links.lane_id = lanes.id) AS link_branch, \
    (SELECT pr_number FROM lane_links WHERE lane_links.lane_id = lanes.id) AS link_pr_number, \
    (SELECT pr_url FROM lane_links WHERE lane_links.lane_id = lanes.id) AS link_pr_url, \
    (SELECT pr_state FROM lane_links WHERE lane_links.lane_id = lanes.id) AS link_pr_state, \
    (SELECT verified FROM lane_links WHERE lane_links.lane_id = lanes.id) AS link_verified";

/// A lane as stored: the wire [`Lane`] plus what only the server keeps
/// (its workspace, its harness lease). Reads through to the `Lane`.
#[derive(Debug, Clone)]
pub struct LaneRow {
    pub lane: Lane,
    pub workspace_id: WorkspaceId,
    pub lease_expires_at: Option<String>,
}

impl std::ops::Deref for LaneRow {
    type Target = Lane;

    fn deref(&self) -> &Lane {
        &self.lane
    }
}

impl std::ops::DerefMut for LaneRow {
    fn deref_mut(&mut self) -> &mut Lane {
        &mut self.lane
    }
}

fn opt_u64(row: &Row, column: &str) -> Result<Option<u64>, ApiError> {
    row.opt_int(column)?.map(|v| u64::try_from(v).map_err(ApiError::internal)).transpose()
}

impl LaneRow {
    /// Reads a row of [`LANE_COLUMNS`]; a value that does not fit fails the read (fail closed).
    pub fn from_row(row: &Row) -> Result<Self, ApiError> {
        let bad = |what: &str| ApiError::internal(format!("malformed lane row: {what}"));
        let count =
            |column: &str| -> Result<u32, ApiError> { u32::try_from(row.int(column)?).map_err(|_| bad(column)) };
        let harness_id = match row.opt_text("harness_id")? {
            Some(h) => Some(HarnessId::parse(&h).ok_or_else(|| bad("harness_id"))?),
            None => None,
        };
        Ok(Self {
            lane: Lane {
                run_id: LaneId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
                state: LaneState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
                harness_kind: row.text("harness_kind")?,
                brief: row.text("brief")?,
                repository: row.text("repository")?,
                claim: row.json("claim")?,
                labels: row.json("labels")?,
                token_budget: opt_u64(row, "token_budget")?,
                cost_budget_cents: opt_u64(row, "cost_budget_cents")?,
                tokens_used: opt_u64(row, "tokens_used")?.ok_or_else(|| bad("tokens_used"))?,
                cost_used_cents: opt_u64(row, "cost_used_cents")?.ok_or_else(|| bad("cost_used_cents"))?,
                attempt: count("attempt")?,
                max_attempts: count("max_attempts")?,
                harness_id,
                pause_reason: row.opt_text("pause_reason")?,
                exit_code: row.opt_int("exit_code")?,
                summary: row.opt_text("summary")?,
                created_at: row.text("created_at")?,
                updated_at: row.text("updated_at")?,
                finished_at: row.opt_text("finished_at")?,
                branch: row.opt_text("link_branch")?,
                pull_request: match (opt_u64(row, "link_pr_number")?, row.opt_text("link_pr_state")?) {
                    (Some(number), Some(state)) => Some(PullRequestRef {
                        number,
                        url: row.opt_text("link_pr_url")?,
                        state: PullRequestState::parse(&state).ok_or_else(|| bad("pr_state"))?,
                    }),
                    _ => None,
                },
                verified: row.opt_int("link_verified")?.map(|v| v == 1),
            },
            workspace_id: WorkspaceId::parse(&row.text("workspace_id")?).ok_or_else(|| bad("workspace_id"))?,
            lease_expires_at: row.opt_text("lease_expires_at")?,
        })
    }

    pub fn to_api(&self) -> Lane {
        self.lane.clone()
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
            &format!("SELECT {LANE_COLUMNS} FROM lanes WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("lane {id}")))?;
    LaneRow::from_row(&row)
}

/// A lane's current state (for a stream that watches it end).
pub fn state_of(db: &Db, lane: &LaneId) -> Result<LaneState, ApiError> {
    let row = db
        .query_one("SELECT state FROM lanes WHERE id = $1", &[&lane.as_str()])?
        .ok_or_else(|| ApiError::not_found(format!("lane {lane}")))?;
    let state = row.text("state")?;
    LaneState::parse(&state).ok_or_else(|| ApiError::internal(format!("lane {lane} has unknown state `{state}`")))
}

/// Appends a lane event; returns its id.
pub fn append_event(tx: &Db, lane: &LaneRow, event: &LaneEventData) -> Result<u64, ApiError> {
    let row = tx.query_one(
        "INSERT INTO lane_events (lane_id, workspace_id, type, data, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            &lane.run_id.as_str(),
            &lane.workspace_id.as_str(),
            &event.kind().as_str(),
            &event.data().to_string(),
            &now_rfc3339(),
        ],
    )?;
    let id = row.ok_or_else(|| ApiError::internal("event insert returned no id"))?.int("id")?;
    u64::try_from(id).map_err(ApiError::internal)
}

/// Moves `lane` by `event` (409 naming the current state when not allowed),
/// records a `state` event, and releases the claim when the lane ends.
pub fn apply(tx: &Db, lane: &mut LaneRow, event: Event, reason: Option<&str>) -> Result<(), ApiError> {
    let from = lane.state;
    let to = transition(from, event).map_err(|_| {
        ApiError::conflict(format!("lane {} is {}; it cannot be {}", lane.run_id, from.as_str(), describe(event)))
            .with_details(json!({"run_id": lane.run_id, "state": from.as_str()}))
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
    if !LaneState::HELD.contains(&to) {
        lane.lease_expires_at = None;
    }
    // A lane that stops waiting other than by a decision withdraws its request.
    if from == LaneState::AwaitingApproval && !matches!(event, Event::Approved { .. } | Event::Rejected { .. }) {
        crate::governance::withdraw_pending(tx, lane, reason.unwrap_or(describe(event)))?;
    }
    // A lane that ends leaves no question waiting.
    if !to.is_active() {
        crate::inbox::withdraw_pending(tx, lane)?;
    }
    tx.exec(
        "UPDATE lanes SET state = $1, updated_at = $2, pause_reason = $3, attempt = $4, harness_id = $5,
         lease_expires_at = $6, finished_at = $7 WHERE id = $8",
        &[
            &to.as_str(),
            &now,
            &lane.pause_reason,
            &i64::from(lane.attempt),
            &lane.harness_id.as_ref().map(|h| h.to_string()),
            &lane.lease_expires_at,
            &lane.finished_at,
            &lane.run_id.as_str(),
        ],
    )?;
    if !to.is_active() {
        tx.exec("DELETE FROM lane_claims WHERE lane_id = $1", &[&lane.run_id.as_str()])?;
        tx.exec("DELETE FROM lane_claim_prefixes WHERE lane_id = $1", &[&lane.run_id.as_str()])?;
    }
    append_event(
        tx,
        lane,
        &LaneEventData::State { from: Some(from), to, reason: reason.map(str::to_owned), attempt: lane.attempt },
    )?;
    crate::webhooks::emit_lane_state(tx, lane, Some(from), reason)?;
    crate::planning::follow_lane(tx, &lane.run_id, to)?;
    crate::sprints::follow_lane(tx, lane, from, to)?;
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
        Event::AwaitApproval => "held for approval",
        Event::Approved { .. } => "approved",
        Event::Rejected { .. } => "rejected",
        Event::AskInput => "held for an answer",
        Event::Answered => "answered",
        Event::Merge => "merged",
    }
}

/// Interrupts of a lane not yet acknowledged by its harness, oldest first.
pub fn pending_interrupts(db: &Db, lane: &LaneId) -> Result<Vec<Interrupt>, ApiError> {
    let rows = db.query(
        "SELECT id, kind, message, created_at, in_reply_to FROM lane_interrupts
         WHERE lane_id = $1 AND acked_at IS NULL ORDER BY id",
        &[&lane.as_str()],
    )?;
    let bad = |what: &str| ApiError::internal(format!("malformed interrupt row: {what}"));
    rows.iter()
        .map(|r| {
            let kind = r.text("kind")?;
            Ok(Interrupt {
                id: u64::try_from(r.int("id")?).map_err(|_| bad("id"))?,
                kind: [InterruptKind::Note, InterruptKind::Redirect, InterruptKind::Answer]
                    .into_iter()
                    .find(|k| k.as_str() == kind)
                    .ok_or_else(|| bad("kind"))?,
                message: r.text("message")?,
                created_at: r.text("created_at")?,
                in_reply_to: match r.opt_text("in_reply_to")? {
                    Some(id) => Some(InboxId::parse(&id).ok_or_else(|| bad("in_reply_to"))?),
                    None => None,
                },
            })
        })
        .collect()
}

// ---------------------------------------------------------------- rows

/// Inserts a new queued lane, holds its claim and records its creation.
pub fn insert(tx: &Db, lane: &LaneRow, created_by: &str) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO lanes (id, workspace_id, state, harness_kind, brief, repository, claim, labels, token_budget,
         cost_budget_cents, max_attempts, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &lane.run_id.as_str(),
            &lane.workspace_id.as_str(),
            &lane.state.as_str(),
            &lane.harness_kind,
            &lane.brief,
            &lane.repository,
            &serde_json::to_string(&lane.claim).map_err(ApiError::internal)?,
            &serde_json::to_string(&lane.labels).map_err(ApiError::internal)?,
            &lane.token_budget,
            &lane.cost_budget_cents,
            &i64::from(lane.max_attempts),
            &created_by,
            &lane.created_at,
            &lane.updated_at,
        ],
    )?;
    hold_claim(tx, lane)?;
    append_event(
        tx,
        lane,
        &LaneEventData::State { from: None, to: lane.state, reason: Some("created".into()), attempt: lane.attempt },
    )?;
    crate::webhooks::emit_lane_state(tx, lane, None, Some("created"))?;
    Ok(())
}

fn rows(rows: &[Row]) -> Result<Vec<LaneRow>, ApiError> {
    rows.iter().map(LaneRow::from_row).collect()
}

/// Queued lanes of `harness_kind` in `workspace`, oldest first, after the
/// `(created_at, id)` position `after`: one page of the dispatch queue.
pub fn queued_for(
    tx: &Db,
    workspace: &WorkspaceId,
    harness_kind: &str,
    after: &(String, String),
    limit: usize,
) -> Result<Vec<LaneRow>, ApiError> {
    let found = tx.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE workspace_id = $1 AND state = $2 AND harness_kind = $3
             AND (created_at, id) > ($4, $5) ORDER BY created_at, id LIMIT $6"
        ),
        &[&workspace.as_str(), &LaneState::Queued.as_str(), &harness_kind, &after.0, &after.1, &(limit as u64)],
    )?;
    rows(&found)
}

/// Gives a just-dispatched lane to its harness until `lease_expires_at`.
pub fn assign(tx: &Db, lane: &mut LaneRow, harness: &HarnessId, lease_expires_at: &str) -> Result<(), ApiError> {
    lane.harness_id = Some(harness.clone());
    lane.lease_expires_at = Some(lease_expires_at.to_owned());
    tx.exec(
        "UPDATE lanes SET harness_id = $1, lease_expires_at = $2 WHERE id = $3",
        &[&harness.as_str(), &lease_expires_at, &lane.run_id.as_str()],
    )?;
    Ok(())
}

/// Extends the lease of every lane `harness` holds (running, paused or waiting).
pub fn renew_leases(tx: &Db, harness: &HarnessId, lease_expires_at: &str) -> Result<(), ApiError> {
    let [running, paused, approval, input] = LaneState::HELD.map(LaneState::as_str);
    tx.exec(
        "UPDATE lanes SET lease_expires_at = $1 WHERE harness_id = $2 AND state IN ($3, $4, $5, $6)",
        &[&lease_expires_at, &harness.as_str(), &running, &paused, &approval, &input],
    )?;
    Ok(())
}

/// The lanes `harness` holds (running, paused or waiting), oldest first; with
/// `cancelled_since`, also those cancelled after that time (so the harness
/// hears about the cancel).
pub fn held_by(tx: &Db, harness: &HarnessId, cancelled_since: Option<&str>) -> Result<Vec<LaneRow>, ApiError> {
    let found = tx.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE harness_id = $1 AND
             (state IN ($2, $3, $4, $5) OR (state = $6 AND finished_at > COALESCE($7, finished_at)))
             ORDER BY created_at, id"
        ),
        &[
            &harness.as_str(),
            &LaneState::Running.as_str(),
            &LaneState::Paused.as_str(),
            &LaneState::AwaitingApproval.as_str(),
            &LaneState::InputRequired.as_str(),
            &LaneState::Cancelled.as_str(),
            &cancelled_since,
        ],
    )?;
    rows(&found)
}

/// Lanes the dispatch tick must act on at `now`: a held lane whose lease
/// expired, or a running lane over its token or cost budget.
pub fn due(tx: &Db, now: &str) -> Result<Vec<LaneRow>, ApiError> {
    let running = LaneState::Running.as_str();
    let found = tx.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE state IN ($1, $2, $3, $4)
             AND ((lease_expires_at IS NOT NULL AND lease_expires_at < $5)
                  OR (state = $6 AND token_budget IS NOT NULL AND tokens_used >= token_budget)
                  OR (state = $7 AND cost_budget_cents IS NOT NULL AND cost_used_cents >= cost_budget_cents))
             ORDER BY created_at, id"
        ),
        &[
            &running,
            &LaneState::Paused.as_str(),
            &LaneState::AwaitingApproval.as_str(),
            &LaneState::InputRequired.as_str(),
            &now,
            &running,
            &running,
        ],
    )?;
    rows(&found)
}

/// What `lane-list` filters by.
#[derive(Debug, Clone, Default)]
pub struct LaneFilter<'f> {
    pub state: Option<LaneState>,
    pub repository: Option<&'f str>,
    pub harness_kind: Option<&'f str>,
    pub label: Option<&'f str>,
}

/// A page of `workspace`'s lanes, newest first, strictly before the
/// `(created_at, id)` position `before`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    filter: &LaneFilter<'_>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<LaneRow>, ApiError> {
    let state = filter.state.map(LaneState::as_str);
    let label = filter.label.map(crate::db::json_word_pattern);
    let found = db.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE workspace_id = $1
               AND ($2 IS NULL OR state = $3) AND ($4 IS NULL OR repository = $5)
               AND ($6 IS NULL OR harness_kind = $7) AND ($8 IS NULL OR labels LIKE $9 ESCAPE '\\')
               AND (created_at < $10 OR (created_at = $11 AND id < $12))
             ORDER BY created_at DESC, id DESC LIMIT $13"
        ),
        &[
            &workspace.as_str(),
            &state,
            &state,
            &filter.repository,
            &filter.repository,
            &filter.harness_kind,
            &filter.harness_kind,
            &label,
            &label,
            &before.0,
            &before.0,
            &before.1,
            &limit,
        ],
    )?;
    rows(&found)
}

/// Lets go of a lane its harness has finished with (a completion held for
/// approval): no lease to expire, no heartbeat to renew it.
pub fn release_harness(tx: &Db, lane: &mut LaneRow) -> Result<(), ApiError> {
    lane.harness_id = None;
    lane.lease_expires_at = None;
    tx.exec("UPDATE lanes SET harness_id = NULL, lease_expires_at = NULL WHERE id = $1", &[&lane.run_id.as_str()])?;
    Ok(())
}

/// Resumes a paused lane: back to its harness if one still holds it (its
/// lease has not run out), otherwise to the queue.
pub fn resume(tx: &Db, lane: &mut LaneRow, reason: &str) -> Result<(), ApiError> {
    let held =
        lane.harness_id.is_some() && lane.lease_expires_at.as_deref().is_some_and(|l| l > now_rfc3339().as_str());
    apply(tx, lane, Event::Resume { held }, Some(reason))
}

/// `workspace`'s lanes in `state` (with `pause_reason`, when given), oldest first.
pub fn in_state(
    tx: &Db,
    workspace: &WorkspaceId,
    state: LaneState,
    pause_reason: Option<&str>,
) -> Result<Vec<LaneRow>, ApiError> {
    let found = tx.query(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE workspace_id = $1 AND state = $2
             AND ($3 IS NULL OR pause_reason = $4) ORDER BY created_at, id"
        ),
        &[&workspace.as_str(), &state.as_str(), &pause_reason, &pause_reason],
    )?;
    rows(&found)
}

/// Stores a lane's budgets (after `agent-resume` raised them).
pub fn save_budgets(tx: &Db, lane: &LaneRow) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE lanes SET token_budget = $1, cost_budget_cents = $2 WHERE id = $3",
        &[&lane.token_budget, &lane.cost_budget_cents, &lane.run_id.as_str()],
    )?;
    Ok(())
}

/// Stores a lane's token and cost use.
pub fn save_usage(tx: &Db, lane: &LaneRow) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE lanes SET tokens_used = $1, cost_used_cents = $2 WHERE id = $3",
        &[&lane.tokens_used, &lane.cost_used_cents, &lane.run_id.as_str()],
    )?;
    Ok(())
}

/// Stores how a lane's agent finished (exit code and summary or error).
pub fn save_result(tx: &Db, lane: &LaneRow) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE lanes SET exit_code = $1, summary = $2 WHERE id = $3",
        &[&lane.exit_code, &lane.summary, &lane.run_id.as_str()],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- interrupts

/// Queues an interrupt for `lane`'s harness and records it as an event.
/// `in_reply_to` names the inbox item an `answer` answers.
pub fn queue_interrupt(
    tx: &Db,
    lane: &LaneRow,
    kind: InterruptKind,
    message: &str,
    in_reply_to: Option<&InboxId>,
) -> Result<Interrupt, ApiError> {
    let created_at = now_rfc3339();
    let row = tx
        .query_one(
            "INSERT INTO lane_interrupts (lane_id, workspace_id, kind, message, created_at, in_reply_to)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &lane.run_id.as_str(),
                &lane.workspace_id.as_str(),
                &kind.as_str(),
                &message,
                &created_at,
                &in_reply_to.map(InboxId::as_str),
            ],
        )?
        .ok_or_else(|| ApiError::internal("interrupt insert returned no id"))?;
    let id = u64::try_from(row.int("id")?).map_err(ApiError::internal)?;
    append_event(tx, lane, &LaneEventData::Interrupt { interrupt_id: id, kind, message: message.to_owned() })?;
    Ok(Interrupt { id, kind, message: message.to_owned(), created_at, in_reply_to: in_reply_to.cloned() })
}

/// Marks `lane`'s interrupts up to `up_to` as delivered (each once, with an event).
pub fn acknowledge_interrupts(tx: &Db, lane: &LaneRow, up_to: u64) -> Result<(), ApiError> {
    let delivered = tx.query(
        "UPDATE lane_interrupts SET acked_at = $1 WHERE lane_id = $2 AND id <= $3 AND acked_at IS NULL RETURNING id",
        &[&now_rfc3339(), &lane.run_id.as_str(), &up_to],
    )?;
    for r in delivered {
        let interrupt_id = u64::try_from(r.int("id")?).map_err(ApiError::internal)?;
        append_event(tx, lane, &LaneEventData::InterruptDelivered { interrupt_id })?;
    }
    Ok(())
}

// ---------------------------------------------------------------- events and tool calls

/// The newest `limit` events of `types`, oldest first (for reads that
/// care most about how a lane ended).
pub fn events_latest(db: &Db, lane: &LaneId, types: &[LaneEventType], limit: u64) -> Result<Vec<LaneEvent>, ApiError> {
    let mut events = events_where(db, lane, 0, types, limit, "DESC")?;
    events.reverse();
    Ok(events)
}

/// `lane`'s events after id `since`, oldest first, optionally of some types only.
/// A stored event that does not fit its type fails the read (fail closed).
pub fn events_after(
    db: &Db,
    lane: &LaneId,
    since: u64,
    types: &[LaneEventType],
    limit: u64,
) -> Result<Vec<LaneEvent>, ApiError> {
    events_where(db, lane, since, types, limit, "ASC")
}

/// Events after `since` of `types`, by id in `order` (`ASC` or `DESC`).
fn events_where(
    db: &Db,
    lane: &LaneId,
    since: u64,
    types: &[LaneEventType],
    limit: u64,
    order: &str,
) -> Result<Vec<LaneEvent>, ApiError> {
    let mut sql = String::from("SELECT id, type, data, at FROM lane_events WHERE lane_id = $1 AND id > $2");
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    let mut params: Vec<&dyn Sql> = vec![lane, &since];
    if !names.is_empty() {
        let slots: Vec<String> = (3..3 + names.len()).map(|i| format!("${i}")).collect();
        sql.push_str(&format!(" AND type IN ({})", slots.join(", ")));
        for n in &names {
            params.push(n);
        }
    }
    sql.push_str(&format!(" ORDER BY id {order} LIMIT ${}", params.len() + 1));
    params.push(&limit);
    db.query(&sql, &params)?
        .iter()
        .map(|r| {
            let kind = r.text("type")?;
            let event = LaneEventData::from_stored(&kind, r.json("data")?)
                .ok_or_else(|| ApiError::internal(format!("stored {kind} event does not fit its type")))?;
            Ok(LaneEvent {
                id: u64::try_from(r.int("id")?).map_err(ApiError::internal)?,
                run_id: lane.clone(),
                event,
                at: r.text("at")?,
            })
        })
        .collect()
}

/// `lane`'s tool log, oldest first.
pub fn tool_calls(db: &Db, lane: &LaneId) -> Result<Vec<ToolCall>, ApiError> {
    db.query(
        "SELECT c.id, c.tool, CASE WHEN t.call_id IS NULL THEN c.status ELSE 'timeout' END AS status,
                c.input_digest, c.output, c.duration_ms, c.at
         FROM tool_calls c LEFT JOIN tool_call_timeouts t ON t.call_id = c.id
         WHERE c.lane_id = $1 ORDER BY c.at, c.id",
        &[&lane.as_str()],
    )?
    .iter()
    .map(|r| {
        Ok(ToolCall {
            call_id: ToolCallId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("bad tool call id"))?,
            tool: r.text("tool")?,
            status: r.text("status")?,
            input_digest: r.text("input_digest")?,
            output: r.json("output")?,
            duration_ms: u64::try_from(r.int("duration_ms")?).map_err(ApiError::internal)?,
            at: r.text("at")?,
        })
    })
    .collect()
}

/// Records a tool call in `lane`'s tool log and event stream. A `timeout`
/// is stored as `error` plus a row in `tool_call_timeouts` (migration 0008:
/// SQLite cannot widen the column's CHECK in place).
pub fn record_tool_call(tx: &Db, lane: &LaneRow, call: &ToolCall) -> Result<(), ApiError> {
    let timed_out = call.status == "timeout";
    let stored_status = if timed_out { "error" } else { call.status.as_str() };
    tx.exec(
        "INSERT INTO tool_calls (id, lane_id, workspace_id, tool, input_digest, output, status, duration_ms, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &call.call_id.as_str(),
            &lane.run_id.as_str(),
            &lane.workspace_id.as_str(),
            &call.tool,
            &call.input_digest,
            &call.output.to_string(),
            &stored_status,
            &call.duration_ms,
            &call.at,
        ],
    )?;
    if timed_out {
        tx.exec("INSERT INTO tool_call_timeouts (call_id) VALUES ($1)", &[&call.call_id.as_str()])?;
    }
    append_event(
        tx,
        lane,
        &LaneEventData::ToolCall {
            call_id: call.call_id.clone(),
            tool: call.tool.clone(),
            status: call.status.clone(),
            duration_ms: call.duration_ms,
        },
    )?;
    Ok(())
}

/// Lanes of every workspace per active state, and the oldest queued lane's
/// creation time (for the public status page; reads the state index only).
pub fn active_counts(db: &Db) -> Result<(std::collections::BTreeMap<String, u64>, Option<String>), ApiError> {
    let mut counts = std::collections::BTreeMap::new();
    for state in LaneState::ALL.into_iter().filter(|s| s.is_active()) {
        let row = db.query_one("SELECT COUNT(*) AS n FROM lanes WHERE state = $1", &[&state.as_str()])?;
        let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
        counts.insert(state.as_str().to_owned(), u64::try_from(n).map_err(ApiError::internal)?);
    }
    let oldest = db
        .query_one(
            "SELECT created_at FROM lanes WHERE state = $1 ORDER BY created_at LIMIT 1",
            &[&LaneState::Queued.as_str()],
        )?
        .map(|r| r.text("created_at"))
        .transpose()?;
    Ok((counts, oldest))
}
