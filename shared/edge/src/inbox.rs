//! Inbox storage (issue 11): questions agents ask through their harness,
//! answered once by a member (or by their default answer at expiry), the
//! answer carried to the agent as an interrupt of kind `answer`.

use serde_json::json;
use switchyard_api::{
    InboxId, InboxItem, InboxState, InterruptKind, LaneEventData, LaneId, Priority, ResolveInboxItem, WorkspaceId,
};
use switchyard_domain::lane::{Event, LaneState};

use crate::clock::{now_rfc3339, rfc3339_after};
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::lanes::{LaneRow, append_event, apply, queue_interrupt};

/// How long a question waits when the agent does not say.
pub const DEFAULT_WAIT_SECONDS: u64 = 86_400;

const ITEM_COLUMNS: &str = "id, lane_id, state, question, options, priority, default_answer, asked_at, expires_at,
     answer, answered_by, answered_at";

fn from_row(row: &Row) -> Result<InboxItem, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed inbox row: {what}"));
    Ok(InboxItem {
        item_id: InboxId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
        run_id: LaneId::parse(&row.text("lane_id")?).ok_or_else(|| bad("lane_id"))?,
        state: InboxState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
        question: row.text("question")?,
        options: row.json("options")?,
        priority: Priority::parse(&row.text("priority")?).ok_or_else(|| bad("priority"))?,
        default_answer: row.opt_text("default_answer")?,
        asked_at: row.text("asked_at")?,
        expires_at: row.text("expires_at")?,
        answer: row.opt_text("answer")?,
        answered_by: row.opt_text("answered_by")?,
        answered_at: row.opt_text("answered_at")?,
    })
}

/// What the agent asked, as its harness reported it.
pub struct Question<'q> {
    pub question: &'q str,
    pub options: Vec<String>,
    pub priority: Priority,
    pub wait_seconds: u64,
    pub default_answer: Option<&'q str>,
}

/// Records the question and moves the lane, if it is running, to
/// `input_required` (a paused or waiting lane records it and stays as it is).
pub fn ask(tx: &Db, lane: &mut LaneRow, q: &Question<'_>) -> Result<InboxItem, ApiError> {
    let item = InboxItem {
        item_id: crate::new_id!(InboxId),
        run_id: lane.run_id.clone(),
        state: InboxState::Pending,
        question: q.question.to_owned(),
        options: q.options.clone(),
        priority: q.priority,
        default_answer: q.default_answer.map(str::to_owned),
        asked_at: now_rfc3339(),
        expires_at: rfc3339_after(q.wait_seconds),
        answer: None,
        answered_by: None,
        answered_at: None,
    };
    tx.exec(
        &format!(
            "INSERT INTO inbox_items (workspace_id, {ITEM_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL)"
        ),
        &[
            &lane.workspace_id.as_str(),
            &item.item_id.as_str(),
            &lane.run_id.as_str(),
            &item.state.as_str(),
            &item.question,
            &serde_json::to_string(&item.options).map_err(ApiError::internal)?,
            &item.priority.as_str(),
            &item.default_answer,
            &item.asked_at,
            &item.expires_at,
        ],
    )?;
    let event = LaneEventData::QuestionAsked {
        item_id: item.item_id.clone(),
        question: item.question.clone(),
        options: item.options.clone(),
        priority: item.priority,
    };
    append_event(tx, lane, &event)?;
    if lane.state == LaneState::Running {
        apply(tx, lane, Event::AskInput, Some("the agent asked a question"))?;
    }
    Ok(item)
}

/// An item of `workspace` (NOT_FOUND for another workspace's).
pub fn load(db: &Db, workspace: &WorkspaceId, id: &InboxId) -> Result<InboxItem, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {ITEM_COLUMNS} FROM inbox_items WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("inbox item {id}")))?;
    from_row(&row)
}

/// Settles a pending item: exactly one settlement wins; the others get a 409.
fn settle(
    tx: &Db,
    lane: &LaneRow,
    id: &InboxId,
    state: InboxState,
    answer: Option<&str>,
    by: &str,
) -> Result<InboxItem, ApiError> {
    let row = tx.query_one(
        &format!(
            "UPDATE inbox_items SET state = $1, answer = $2, answered_by = $3, answered_at = $4
             WHERE id = $5 AND workspace_id = $6 AND state = $7 RETURNING {ITEM_COLUMNS}"
        ),
        &[
            &state.as_str(),
            &answer,
            &by,
            &now_rfc3339(),
            &id.as_str(),
            &lane.workspace_id.as_str(),
            &InboxState::Pending.as_str(),
        ],
    )?;
    let Some(row) = row else {
        let settled = load(tx, &lane.workspace_id, id)?;
        return Err(ApiError::conflict(format!(
            "inbox item {id} is already {}{}",
            settled.state.as_str(),
            settled.answered_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default()
        ))
        .with_details(json!({"item_id": id, "state": settled.state.as_str(), "answered_by": settled.answered_by})));
    };
    let item = from_row(&row)?;
    append_event(tx, lane, &LaneEventData::QuestionSettled { item_id: id.clone(), state, by: by.to_owned() })?;
    Ok(item)
}

/// Answers an item: queues the answer for the agent (once, in order, like
/// any interrupt) and lets a lane that waited for it run again.
pub fn answer(
    tx: &Db,
    workspace: &WorkspaceId,
    input: &ResolveInboxItem,
    by: &str,
) -> Result<(InboxItem, switchyard_api::Interrupt, LaneRow), ApiError> {
    let item = load(tx, workspace, &input.item_id)?;
    let mut lane = crate::lanes::load_lane(tx, workspace, &item.run_id)?;
    let text = input.answer.as_str();
    if !item.options.is_empty() && !item.options.iter().any(|o| o == text) {
        return Err(ApiError::validation(
            "answer",
            format!("must be one of the item's options: {}", item.options.join(", ")),
        ));
    }
    deliver(tx, &mut lane, &item.item_id, text, by).map(|(item, interrupt)| (item, interrupt, lane))
}

fn deliver(
    tx: &Db,
    lane: &mut LaneRow,
    id: &InboxId,
    text: &str,
    by: &str,
) -> Result<(InboxItem, switchyard_api::Interrupt), ApiError> {
    let item = settle(tx, lane, id, InboxState::Answered, Some(text), by)?;
    let interrupt = queue_interrupt(tx, lane, InterruptKind::Answer, text, Some(id))?;
    if lane.state == LaneState::InputRequired && pending_of(tx, &lane.run_id)?.is_none() {
        apply(tx, lane, Event::Answered, Some(&format!("answered by {by}")))?;
    }
    Ok((item, interrupt))
}

/// A question `lane` still waits on (the lane is already loaded within its workspace).
pub fn pending_of(db: &Db, lane: &LaneId) -> Result<Option<InboxId>, ApiError> {
    let row = db.query_one(
        "SELECT id FROM inbox_items WHERE lane_id = $1 AND state = $2 LIMIT 1",
        &[&lane.as_str(), &InboxState::Pending.as_str()],
    )?;
    row.map(|r| InboxId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("malformed inbox id"))).transpose()
}

/// Withdraws `lane`'s pending questions (the lane ended).
pub(crate) fn withdraw_pending(tx: &Db, lane: &LaneRow) -> Result<(), ApiError> {
    while let Some(id) = pending_of(tx, &lane.run_id)? {
        settle(tx, lane, &id, InboxState::Withdrawn, None, "system")?;
    }
    Ok(())
}

/// What happened to an item at its deadline.
pub enum Expired {
    /// It got its default answer.
    Answered,
    /// It had none: the lane was paused.
    Paused,
}

/// Settles an overdue item: its default answer, or else the lane is paused.
pub fn expire(tx: &Db, workspace: &WorkspaceId, item: &InboxItem, by: &str) -> Result<Expired, ApiError> {
    let mut lane = crate::lanes::load_lane(tx, workspace, &item.run_id)?;
    if let Some(default) = &item.default_answer {
        deliver(tx, &mut lane, &item.item_id, default, by)?;
        return Ok(Expired::Answered);
    }
    settle(tx, &lane, &item.item_id, InboxState::Expired, None, by)?;
    if lane.state == LaneState::InputRequired {
        apply(tx, &mut lane, Event::Pause, Some("question_expired"))?;
    }
    Ok(Expired::Paused)
}

/// What `inbox-list` filters by.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter<'f> {
    pub resolved: Option<bool>,
    pub priority: Option<Priority>,
    pub lane: Option<&'f LaneId>,
}

/// A page of `workspace`'s items, newest first, strictly before the `(asked_at, id)` position `before`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    filter: &InboxFilter<'_>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<InboxItem>, ApiError> {
    // resolved = false: pending only; true: anything but pending.
    let resolved = filter.resolved.map(i64::from);
    let priority = filter.priority.map(Priority::as_str);
    let lane = filter.lane.map(LaneId::as_str);
    let found = db.query(
        &format!(
            "SELECT {ITEM_COLUMNS} FROM inbox_items WHERE workspace_id = $1
               AND ($2 IS NULL OR (state <> $3) = ($4 = 1))
               AND ($5 IS NULL OR priority = $6) AND ($7 IS NULL OR lane_id = $8)
               AND (asked_at < $9 OR (asked_at = $10 AND id < $11))
             ORDER BY asked_at DESC, id DESC LIMIT $12"
        ),
        &[
            &workspace.as_str(),
            &resolved,
            &InboxState::Pending.as_str(),
            &resolved,
            &priority,
            &priority,
            &lane,
            &lane,
            &before.0,
            &before.0,
            &before.1,
            &limit,
        ],
    )?;
    found.iter().map(from_row).collect()
}

/// Pending items past their deadline at `now` (for the dispatch tick), with their workspaces.
pub fn overdue(db: &Db, now: &str) -> Result<Vec<(WorkspaceId, InboxItem)>, ApiError> {
    let found = db.query(
        &format!(
            "SELECT workspace_id, {ITEM_COLUMNS} FROM inbox_items WHERE state = $1 AND expires_at < $2
             ORDER BY expires_at LIMIT 500"
        ),
        &[&InboxState::Pending.as_str(), &now],
    )?;
    found
        .iter()
        .map(|r| {
            let workspace = WorkspaceId::parse(&r.text("workspace_id")?)
                .ok_or_else(|| ApiError::internal("malformed inbox row: workspace_id"))?;
            Ok((workspace, from_row(r)?))
        })
        .collect()
}
