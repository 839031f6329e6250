//! Sprints: a goal's issues taken through the SDLC. Planning picks the
//! issues; `plan` holds them for the sprint; `build` dispatches one lane per
//! issue through the same checks as `agent-run` (issues whose claims overlap
//! wait for the lane before them); the guards of `review` and `ship` read the
//! lanes; a token budget across the sprint's lanes pauses them when spent.
//! Every step is written to the sprint's event log.

use serde_json::{Value, json};
use switchyard_api::{
    ErrorCode, GoalId, ItemDispatch, LaneId, LaneState, NextStep, PlanSprint, ProjectId, RunAgent, Sprint, SprintEvent,
    SprintId, SprintItem, SprintPhase, SprintState, SprintSummary, WorkspaceId,
};
use switchyard_domain::lane::Event;
use switchyard_domain::sprint::{self, ItemView, Move};

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::dispatch::{self, Refusal};
use crate::error::ApiError;
use crate::lanes::{self, LaneRow};
use crate::{goals, new_id, planning};

/// Why the sprint paused a lane (`agent-resume` or a raised budget resumes it).
pub const PAUSE_REASON: &str = "sprint_budget_exhausted";
/// An issue a sprint holds is claimed by `sprint:<id>` until this time.
const HELD_UNTIL: &str = "9999-12-31T23:59:59.999Z";
/// Issues a goal's sprint takes when `max_issues` is not given.
const DEFAULT_MAX_ISSUES: u64 = 10;

const COLUMNS: &str = "id, workspace_id, title, goal_id, project_id, repository, harness_kind, default_claim, \
    max_issues, state, token_budget, budget_exhausted, starts_at, repeat_every_hours, created_by, created_at, \
    updated_at, finished_at, \
    (SELECT COALESCE(SUM(l.tokens_used), 0) FROM sprint_lanes sl JOIN lanes l ON l.id = sl.lane_id \
       WHERE sl.sprint_id = sprints.id) AS tokens_used";

/// A sprint as stored, with what planning and dispatch need beyond the wire summary.
#[derive(Debug, Clone)]
pub struct SprintRow {
    pub workspace_id: WorkspaceId,
    pub summary: SprintSummary,
    pub default_claim: Vec<String>,
    pub max_issues: u64,
    pub budget_exhausted: bool,
}

fn from_row(row: &Row) -> Result<SprintRow, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed sprint row: {what}"));
    let count = |v: i64| u64::try_from(v).unwrap_or_default();
    Ok(SprintRow {
        workspace_id: WorkspaceId::parse(&row.text("workspace_id")?).ok_or_else(|| bad("workspace_id"))?,
        default_claim: row.json("default_claim")?,
        max_issues: count(row.int("max_issues")?),
        budget_exhausted: row.int("budget_exhausted")? == 1,
        summary: SprintSummary {
            id: SprintId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
            title: row.text("title")?,
            goal_id: row.opt_text("goal_id")?.map(|g| GoalId::parse(&g).ok_or_else(|| bad("goal_id"))).transpose()?,
            project_id: row
                .opt_text("project_id")?
                .map(|p| ProjectId::parse(&p).ok_or_else(|| bad("project_id")))
                .transpose()?,
            repository: row.text("repository")?,
            harness_kind: row.text("harness_kind")?,
            state: SprintState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
            token_budget: row.opt_int("token_budget")?.map(count),
            tokens_used: count(row.int("tokens_used")?),
            starts_at: row.opt_text("starts_at")?,
            repeat_every_hours: row.opt_int("repeat_every_hours")?.map(count),
            created_by: row.text("created_by")?,
            created_at: row.text("created_at")?,
            updated_at: row.text("updated_at")?,
            finished_at: row.opt_text("finished_at")?,
        },
    })
}

/// A sprint of `workspace`; another workspace's is NOT_FOUND.
pub fn load(db: &Db, workspace: &WorkspaceId, id: &SprintId) -> Result<SprintRow, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {COLUMNS} FROM sprints WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("sprint {id}")))?;
    from_row(&row)
}

fn load_any(db: &Db, id: &str) -> Result<Option<SprintRow>, ApiError> {
    db.query_one(&format!("SELECT {COLUMNS} FROM sprints WHERE id = $1"), &[&id])
        .map(|r| r.as_ref().map(from_row))?
        .transpose()
}

/// Appends to the sprint's event log (and returns the event's id).
fn event(tx: &Db, sprint: &SprintId, kind: &str, data: &Value, actor: &str) -> Result<u64, ApiError> {
    let row = tx.query_one(
        "INSERT INTO sprint_events (sprint_id, type, data, actor, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[&sprint.as_str(), &kind, &data.to_string(), &actor, &now_rfc3339()],
    )?;
    let id = row.ok_or_else(|| ApiError::internal("event insert returned no id"))?.int("id")?;
    u64::try_from(id).map_err(ApiError::internal)
}

// ---------------------------------------------------------------- planning

/// Plans a sprint: for a goal (its open, unblocked issues, best queue score
/// first) or for issues named. It starts in `intake`.
pub fn plan(tx: &Db, workspace: &WorkspaceId, input: &PlanSprint, by: &str) -> Result<SprintRow, ApiError> {
    let goal = input
        .goal_id
        .as_ref()
        .map(|g| goals::load(tx, workspace, g).map_err(|_| ApiError::validation("goal_id", "no such goal")))
        .transpose()?;
    if let Some(goal) = &goal
        && goal.status != switchyard_api::GoalStatus::Active
    {
        return Err(ApiError::validation("goal_id", format!("the goal is {}", goal.status.as_str())));
    }
    if goal.is_none() && input.issue_ids.is_none() {
        return Err(ApiError::validation("goal_id", "name a goal (its open issues) or issue_ids"));
    }
    if input.repeat_every_hours.is_some() && goal.is_none() {
        return Err(ApiError::validation("repeat_every_hours", "a recurring sprint needs a goal_id to plan from"));
    }
    let project_id = input.project_id.clone().or_else(|| goal.as_ref().and_then(|g| g.project_id.clone()));
    let project = project_id
        .as_ref()
        .map(|p| {
            planning::load_project(tx, workspace, p).map_err(|_| ApiError::validation("project_id", "no such project"))
        })
        .transpose()?;
    let repository = match (&input.repository, &project) {
        (Some(r), _) => r.to_string(),
        (None, Some(p)) => p.repository.clone(),
        (None, None) => {
            return Err(ApiError::validation("repository", "no project to take it from; name the repository"));
        }
    };
    let title = match (&input.title, &goal) {
        (Some(t), _) => t.to_string(),
        (None, Some(g)) => g.title.clone(),
        (None, None) => {
            return Err(ApiError::validation("title", "name the sprint (it has no goal to take a title from)"));
        }
    };
    let claim = input.claim.as_ref().map_or_else(|| vec!["**".to_owned()], |c| c.strings());
    let id = new_id!(SprintId);
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO sprints (id, workspace_id, title, goal_id, project_id, repository, harness_kind, default_claim,
         max_issues, state, token_budget, starts_at, repeat_every_hours, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'intake', $10, $11, $12, $13, $14, $15)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &title,
            &input.goal_id.as_ref().map(GoalId::as_str),
            &project_id.as_ref().map(ProjectId::as_str),
            &repository,
            &input.harness_kind.as_str(),
            &serde_json::to_string(&claim).map_err(ApiError::internal)?,
            &input.max_issues.map_or(DEFAULT_MAX_ISSUES, |m| m.get()),
            &input.token_budget.map(|b| b.get()),
            &input.starts_at.as_ref().map(|s| s.as_str()),
            &input.repeat_every_hours.map(|h| h.get()),
            &by,
            &now,
            &now,
        ],
    )?;
    let sprint = load(tx, workspace, &id)?;
    let chosen = match &input.issue_ids {
        Some(ids) => {
            let mut chosen = Vec::new();
            for (i, issue) in ids.iter().enumerate() {
                let found = planning::load_issue(tx, workspace, issue)
                    .map_err(|_| ApiError::validation(format!("issue_ids[{i}]"), "no such issue"))?;
                if found.status.is_closed() {
                    return Err(ApiError::validation(
                        format!("issue_ids[{i}]"),
                        format!("#{} is {}", found.number, found.status.as_str()),
                    ));
                }
                if chosen.iter().any(|c: &switchyard_api::Issue| c.id == found.id) {
                    return Err(ApiError::validation(format!("issue_ids[{i}]"), "is named twice"));
                }
                chosen.push(found);
            }
            chosen
        }
        // A scheduled goal's sprint takes the goal's issues as they are when it starts.
        None if input.starts_at.is_some() => Vec::new(),
        None => goal_issues(tx, &sprint)?,
    };
    add_items(tx, &sprint, &chosen)?;
    let data = json!({"goal_id": sprint.summary.goal_id, "issues": chosen.len(), "token_budget": sprint.summary.token_budget,
        "starts_at": sprint.summary.starts_at});
    event(tx, &id, "sprint.created", &data, by)?;
    Ok(sprint)
}

/// The goal's claimable issues, best queue score first, up to the sprint's `max_issues`.
fn goal_issues(tx: &Db, sprint: &SprintRow) -> Result<Vec<switchyard_api::Issue>, ApiError> {
    let Some(goal) = &sprint.summary.goal_id else { return Ok(Vec::new()) };
    let limit = usize::try_from(sprint.max_issues).unwrap_or(usize::MAX);
    Ok(planning::queue(tx, &sprint.workspace_id, None, Some(goal), limit)?.into_iter().map(|q| q.issue).collect())
}

fn add_items(tx: &Db, sprint: &SprintRow, issues: &[switchyard_api::Issue]) -> Result<(), ApiError> {
    for (position, issue) in issues.iter().enumerate() {
        let claim = if issue.trace_files.is_empty() { &sprint.default_claim } else { &issue.trace_files };
        tx.exec(
            "INSERT INTO sprint_items (sprint_id, issue_id, position, claim, dispatch) VALUES ($1, $2, $3, $4, 'planned')",
            &[
                &sprint.summary.id.as_str(),
                &issue.id.as_str(),
                &u64::try_from(position).unwrap_or_default(),
                &serde_json::to_string(claim).map_err(ApiError::internal)?,
            ],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- items

fn items(db: &Db, sprint: &SprintId) -> Result<Vec<SprintItem>, ApiError> {
    let rows = db.query(
        "SELECT si.issue_id, si.claim, si.dispatch, si.reason, si.lane_id, i.number, i.title, i.status, l.state AS lane_state,
           (SELECT verified FROM lane_links k WHERE k.lane_id = si.lane_id) AS verified,
           (SELECT pr_number FROM lane_links k WHERE k.lane_id = si.lane_id) AS pr_number,
           (SELECT pr_url FROM lane_links k WHERE k.lane_id = si.lane_id) AS pr_url,
           (SELECT pr_state FROM lane_links k WHERE k.lane_id = si.lane_id) AS pr_state
         FROM sprint_items si JOIN issues i ON i.id = si.issue_id LEFT JOIN lanes l ON l.id = si.lane_id
         WHERE si.sprint_id = $1 ORDER BY si.position",
        &[&sprint.as_str()],
    )?;
    rows.iter()
        .map(|r| {
            let bad = |what: &str| ApiError::internal(format!("malformed sprint item: {what}"));
            let pull_request = match (r.opt_int("pr_number")?, r.opt_text("pr_state")?) {
                (Some(number), Some(state)) => Some(switchyard_api::PullRequestRef {
                    number: u64::try_from(number).unwrap_or_default(),
                    url: r.opt_text("pr_url")?,
                    state: switchyard_api::PullRequestState::parse(&state).ok_or_else(|| bad("pr_state"))?,
                }),
                _ => None,
            };
            Ok(SprintItem {
                issue_id: switchyard_api::IssueId::parse(&r.text("issue_id")?).ok_or_else(|| bad("issue_id"))?,
                number: u64::try_from(r.int("number")?).unwrap_or_default(),
                title: r.text("title")?,
                status: switchyard_api::IssueStatus::parse(&r.text("status")?).ok_or_else(|| bad("status"))?,
                claim: r.json("claim")?,
                dispatch: ItemDispatch::parse(&r.text("dispatch")?).ok_or_else(|| bad("dispatch"))?,
                reason: r.opt_text("reason")?,
                run_id: r.opt_text("lane_id")?.map(|l| LaneId::parse(&l).ok_or_else(|| bad("lane_id"))).transpose()?,
                lane_state: r
                    .opt_text("lane_state")?
                    .map(|s| LaneState::parse(&s).ok_or_else(|| bad("lane_state")))
                    .transpose()?,
                pull_request,
                verified: r.opt_int("verified")?.map(|v| v == 1),
            })
        })
        .collect()
}

fn views(items: &[SprintItem]) -> Vec<ItemView> {
    items
        .iter()
        .map(|i| ItemView { number: i.number, dispatch: i.dispatch, lane_state: i.lane_state, verified: i.verified })
        .collect()
}

fn set_item(
    tx: &Db,
    sprint: &SprintId,
    item: &SprintItem,
    dispatch: ItemDispatch,
    reason: Option<&str>,
    lane: Option<&LaneId>,
) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE sprint_items SET dispatch = $1, reason = $2, lane_id = $3 WHERE sprint_id = $4 AND issue_id = $5",
        &[&dispatch.as_str(), &reason, &lane.map(LaneId::as_str), &sprint.as_str(), &item.issue_id.as_str()],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- reading

/// The sprint with its phases, items and what the next step needs.
pub fn detail(db: &Db, sprint: SprintRow) -> Result<Sprint, ApiError> {
    let items = items(db, &sprint.summary.id)?;
    let state = sprint.summary.state;
    let mut entered: Vec<(SprintState, String)> = vec![(SprintState::Intake, sprint.summary.created_at.clone())];
    let mut cancelled_in = None;
    for row in db.query(
        "SELECT data, at FROM sprint_events WHERE sprint_id = $1 AND type = 'state.transition' ORDER BY id",
        &[&sprint.summary.id.as_str()],
    )? {
        let data: Value = row.json("data")?;
        let to = data.get("to").and_then(Value::as_str).and_then(SprintState::parse);
        let from = data.get("from").and_then(Value::as_str).and_then(SprintState::parse);
        if to == Some(SprintState::Cancelled) {
            cancelled_in = from;
        } else if let Some(to) = to {
            entered.retain(|(s, _)| *s != to);
            entered.push((to, row.text("at")?));
        }
    }
    let at = if state == SprintState::Cancelled { cancelled_in.unwrap_or(SprintState::Intake) } else { state };
    let phases = SprintState::PHASES
        .iter()
        .map(|phase| {
            let status = match phase.cmp(&at) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal if state == SprintState::Cancelled => "cancelled",
                std::cmp::Ordering::Equal if state == SprintState::Complete => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "pending",
            };
            SprintPhase {
                state: *phase,
                status: status.to_owned(),
                entered_at: entered.iter().find(|(s, _)| s == phase).map(|(_, t)| t.clone()),
            }
        })
        .collect();
    let next = sprint::next(state).filter(|_| !state.is_finished()).map(|to| {
        let blockers = sprint::blockers(to, &views(&items));
        NextStep { state: to, ready: blockers.is_empty(), blockers }
    });
    Ok(Sprint { sprint: sprint.summary, phases, items, next })
}

pub struct SprintFilter<'f> {
    pub project: Option<&'f ProjectId>,
    pub state: Option<SprintState>,
}

/// Sprints newest first before `(created_at, id)`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    filter: &SprintFilter<'_>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<SprintSummary>, ApiError> {
    let project = filter.project.map(ProjectId::as_str);
    let state = filter.state.map(SprintState::as_str);
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM sprints WHERE workspace_id = $1 AND ($2 IS NULL OR project_id = $3)
               AND ($4 IS NULL OR state = $5) AND (created_at < $6 OR (created_at = $7 AND id < $8))
             ORDER BY created_at DESC, id DESC LIMIT $9"
        ),
        &[&workspace.as_str(), &project, &project, &state, &state, &before.0, &before.0, &before.1, &limit],
    )?
    .iter()
    .map(|r| from_row(r).map(|s| s.summary))
    .collect()
}

/// The sprint's events after `since`, of `kind` when given.
pub fn events_after(
    db: &Db,
    sprint: &SprintId,
    since: u64,
    kind: Option<&str>,
    limit: u64,
) -> Result<Vec<SprintEvent>, ApiError> {
    db.query(
        "SELECT id, type, data, actor, at FROM sprint_events WHERE sprint_id = $1 AND id > $2 AND ($3 IS NULL OR type = $4)
         ORDER BY id LIMIT $5",
        &[&sprint.as_str(), &since, &kind, &kind, &limit],
    )?
    .iter()
    .map(|r| {
        Ok(SprintEvent {
            id: u64::try_from(r.int("id")?).map_err(ApiError::internal)?,
            sprint_id: sprint.clone(),
            event_type: r.text("type")?,
            data: r.json("data")?,
            actor: r.text("actor")?,
            at: r.text("at")?,
        })
    })
    .collect()
}

/// The sprint's state now (for a stream deciding whether to end).
pub fn state_of(db: &Db, sprint: &SprintId) -> Result<SprintState, ApiError> {
    let row = db
        .query_one("SELECT state FROM sprints WHERE id = $1", &[&sprint.as_str()])?
        .ok_or_else(|| ApiError::not_found(format!("sprint {sprint}")))?;
    SprintState::parse(&row.text("state")?).ok_or_else(|| ApiError::internal("malformed sprint state"))
}

// ---------------------------------------------------------------- moving

/// A transition as asked.
pub struct Transition<'a> {
    pub to: SprintState,
    pub retry: bool,
    pub override_reason: Option<&'a str>,
    pub token_budget: Option<u64>,
    pub actor: &'a str,
}

/// What a transition did beyond moving the state (for the caller to audit).
#[derive(Debug, Default)]
pub struct Moved {
    /// The guard that did not hold and was overridden, one line per blocker.
    pub overridden: Vec<String>,
    pub dispatched: Vec<LaneId>,
    pub cancelled: Vec<LaneId>,
    pub resumed: Vec<LaneId>,
}

/// Moves the sprint (409 with the blockers when a guard does not hold and
/// there is no override; 409 naming the state when the move is not allowed).
pub fn transition(tx: &Db, sprint: &SprintRow, t: &Transition<'_>) -> Result<Moved, ApiError> {
    let id = &sprint.summary.id;
    let from = sprint.summary.state;
    let kind = sprint::classify(from, t.to, t.retry).map_err(|why| {
        ApiError::conflict(format!("sprint {id} is {}: {why}", from.as_str()))
            .with_details(json!({"sprint_id": id, "state": from.as_str()}))
    })?;
    let mut moved = Moved::default();
    if let Some(budget) = t.token_budget {
        tx.exec("UPDATE sprints SET token_budget = $1 WHERE id = $2", &[&budget, &id.as_str()])?;
        event(
            tx,
            id,
            "budget.raised",
            &json!({"token_budget": budget, "tokens_used": sprint.summary.tokens_used}),
            t.actor,
        )?;
        if budget > sprint.summary.tokens_used && sprint.budget_exhausted {
            moved.resumed = resume_paused(tx, sprint)?;
        }
    }
    let current = items(tx, id)?;
    if kind == Move::Forward {
        moved.overridden = check_guard(tx, sprint, &current, t)?;
    }
    if kind == Move::Retry && current.is_empty() && t.to != SprintState::Review {
        return Err(ApiError::conflict(format!("sprint {id} has no issues to retry; plan a new one"))
            .with_details(json!({"sprint_id": id, "state": from.as_str(), "to": t.to.as_str()})));
    }
    // The state first: lanes moved below report to a sprint already in it
    // (a lane cancelled with its sprint does not dispatch the next issue).
    let finished = t.to.is_finished().then(now_rfc3339);
    tx.exec(
        "UPDATE sprints SET state = $1, updated_at = $2, finished_at = $3 WHERE id = $4",
        &[&t.to.as_str(), &now_rfc3339(), &finished, &id.as_str()],
    )?;
    let data = json!({"from": from.as_str(), "to": t.to.as_str(), "retry": t.retry,
        "override": t.override_reason.filter(|_| !moved.overridden.is_empty())});
    event(tx, id, "state.transition", &data, t.actor)?;
    match kind {
        Move::Cancel => {
            for item in &current {
                if let (Some(lane), Some(state)) = (&item.run_id, item.lane_state)
                    && state.is_active()
                {
                    let mut row = lanes::load_lane(tx, &sprint.workspace_id, lane)?;
                    lanes::apply(tx, &mut row, Event::Cancel, Some("the sprint was cancelled"))?;
                    moved.cancelled.push(lane.clone());
                }
            }
            release_issues(tx, sprint)?;
        }
        Move::Forward => match t.to {
            SprintState::Plan => hold_issues(tx, sprint, &current)?,
            SprintState::Complete => release_issues(tx, sprint)?,
            _ => {}
        },
        Move::Retry => {
            event(tx, id, "sprint.retried", &json!({"from": from.as_str(), "to": t.to.as_str()}), t.actor)?;
            if matches!(t.to, SprintState::Plan | SprintState::Build) {
                for (item, view) in current.iter().zip(views(&current)) {
                    if sprint::redispatch(&view) {
                        set_item(tx, id, item, ItemDispatch::Planned, None, None)?;
                    }
                }
                hold_issues(tx, sprint, &items(tx, id)?)?;
            }
        }
    }
    crate::webhooks::emit(
        tx,
        &sprint.workspace_id,
        &format!("sprint.{}", t.to.as_str()),
        json!({"sprint_id": id, "title": sprint.summary.title, "from": from.as_str(), "to": t.to.as_str()}),
    )?;
    if t.to == SprintState::Build {
        let moved_sprint = load(tx, &sprint.workspace_id, id)?;
        moved.dispatched = dispatch_planned(tx, &moved_sprint, t.actor)?;
    }
    Ok(moved)
}

/// The forward guard: nothing in the way, or what was overridden (a guard
/// of `plan` — no issues — cannot be). 409 with the blockers otherwise.
fn check_guard(
    tx: &Db,
    sprint: &SprintRow,
    current: &[SprintItem],
    t: &Transition<'_>,
) -> Result<Vec<String>, ApiError> {
    let blockers = sprint::blockers(t.to, &views(current));
    if blockers.is_empty() {
        return Ok(blockers);
    }
    let id = &sprint.summary.id;
    match t.override_reason {
        Some(reason) if t.to != SprintState::Plan => {
            let data = json!({"to": t.to.as_str(), "reason": reason, "blockers": blockers});
            event(tx, id, "guard.overridden", &data, t.actor)?;
            Ok(blockers)
        }
        _ => Err(ApiError::conflict(format!("sprint {id} cannot enter {}: {}", t.to.as_str(), blockers.join("; ")))
            .with_details(json!({"sprint_id": id, "state": sprint.summary.state.as_str(), "to": t.to.as_str(),
                "blockers": blockers}))),
    }
}

/// Holds the sprint's open issues for it (claimed by `sprint:<id>`), so the
/// queue does not hand them to another worker; a closed issue is refused.
fn hold_issues(tx: &Db, sprint: &SprintRow, current: &[SprintItem]) -> Result<(), ApiError> {
    let holder = format!("sprint:{}", sprint.summary.id);
    for item in current.iter().filter(|i| i.dispatch == ItemDispatch::Planned) {
        if item.status.is_closed() {
            let reason = format!("#{} is {}", item.number, item.status.as_str());
            set_item(tx, &sprint.summary.id, item, ItemDispatch::Refused, Some(&reason), None)?;
            continue;
        }
        tx.exec(
            "UPDATE issues SET status = 'claimed', claimed_by = $1, claim_expires_at = $2, updated_at = $3
             WHERE id = $4 AND (status = 'open' OR (status = 'claimed' AND (claimed_by = $5 OR claim_expires_at < $6)))",
            &[&holder, &HELD_UNTIL, &now_rfc3339(), &item.issue_id.as_str(), &holder, &now_rfc3339()],
        )?;
        // Someone else has it (another sprint, a worker's live claim, a lane): not this sprint's.
        let issue = planning::load_issue(tx, &sprint.workspace_id, &item.issue_id)?;
        if let Some(reason) = taken(&issue, &holder) {
            set_item(tx, &sprint.summary.id, item, ItemDispatch::Refused, Some(&reason), None)?;
        }
    }
    Ok(())
}

/// Why an issue is not the sprint's to dispatch: closed, in another lane, or
/// held by someone else; none when the sprint holds it (or it is open).
fn taken(issue: &switchyard_api::Issue, holder: &str) -> Option<String> {
    use switchyard_api::IssueStatus;
    let by = issue.claimed_by.as_deref().unwrap_or("someone");
    match issue.status {
        IssueStatus::Open => None,
        IssueStatus::Claimed if by == holder => None,
        IssueStatus::Claimed if issue.claim_expires_at.as_deref().is_some_and(|e| e < now_rfc3339().as_str()) => None,
        IssueStatus::Claimed => Some(format!("#{} is claimed by {by}", issue.number)),
        status => Some(format!("#{} is {}", issue.number, status.as_str())),
    }
}

/// Returns the issues the sprint still holds (not in a lane) to the queue.
fn release_issues(tx: &Db, sprint: &SprintRow) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE issues SET status = 'open', claimed_by = NULL, claim_expires_at = NULL, updated_at = $1
         WHERE status = 'claimed' AND claimed_by = $2",
        &[&now_rfc3339(), &format!("sprint:{}", sprint.summary.id)],
    )?;
    Ok(())
}

/// Dispatches the sprint's planned issues in plan order, each through the
/// checks `agent-run` makes. An issue whose claim overlaps a running lane (or
/// that meets a spent workspace budget) waits for the next lane to end; one
/// refused by policy is `refused`. Returns the lanes dispatched.
pub fn dispatch_planned(tx: &Db, sprint: &SprintRow, actor: &str) -> Result<Vec<LaneId>, ApiError> {
    let id = &sprint.summary.id;
    let mut dispatched = Vec::new();
    let spent = sprint.summary.token_budget.is_some_and(|b| sprint.summary.tokens_used >= b);
    if sprint.budget_exhausted || spent {
        return Ok(dispatched);
    }
    let holder = format!("sprint:{id}");
    let project =
        sprint.summary.project_id.as_ref().map(|p| planning::load_project(tx, &sprint.workspace_id, p)).transpose()?;
    for item in items(tx, id)?.iter().filter(|i| i.dispatch == ItemDispatch::Planned) {
        let issue = planning::load_issue(tx, &sprint.workspace_id, &item.issue_id)?;
        if let Some(reason) = taken(&issue, &holder) {
            refuse(tx, id, item, &reason, actor)?;
            continue;
        }
        let (prompt, _) = planning::prompt_for(tx, &sprint.workspace_id, &issue, project.as_ref())?;
        let run = serde_json::from_value::<RunAgent>(json!({
            "harness_kind": sprint.summary.harness_kind,
            "brief": prompt,
            "repository": sprint.summary.repository,
            "claim": item.claim,
            "labels": [],
            "issue_id": issue.id,
        }));
        let run = match run {
            Ok(run) => run,
            Err(e) => {
                refuse(tx, id, item, &format!("the issue does not make a lane: {e}"), actor)?;
                continue;
            }
        };
        match dispatch::check(tx, &sprint.workspace_id, run) {
            Ok(checked) => {
                let (lane, _) = dispatch::create(tx, &sprint.workspace_id, checked, actor)?;
                set_item(tx, id, item, ItemDispatch::Dispatched, None, Some(&lane.run_id))?;
                tx.exec(
                    "INSERT INTO sprint_lanes (lane_id, sprint_id, issue_id) VALUES ($1, $2, $3)",
                    &[&lane.run_id.as_str(), &id.as_str(), &issue.id.as_str()],
                )?;
                let data = json!({"issue_id": issue.id, "number": issue.number, "run_id": lane.run_id, "state": lane.lane.state});
                event(tx, id, "agent.dispatched", &data, actor)?;
                dispatched.push(lane.run_id.clone());
            }
            Err(Refusal::Policy(decision)) => refuse(tx, id, item, &decision.denial("Dispatch").message, actor)?,
            // An overlapping claim or a spent workspace budget passes: the issue waits.
            Err(Refusal::Other(e)) if matches!(e.code, ErrorCode::LaneScopeDenied | ErrorCode::BudgetExhausted) => {
                if item.reason.as_deref() != Some(e.message.as_str()) {
                    set_item(tx, id, item, ItemDispatch::Planned, Some(&e.message), None)?;
                    let data = json!({"issue_id": issue.id, "number": issue.number, "reason": e.message});
                    event(tx, id, "dispatch.waiting", &data, actor)?;
                }
            }
            Err(Refusal::Other(e)) => return Err(e),
        }
    }
    Ok(dispatched)
}

/// Marks an issue of the sprint `refused`, with why, in the item and the log.
fn refuse(tx: &Db, sprint: &SprintId, item: &SprintItem, reason: &str, actor: &str) -> Result<(), ApiError> {
    set_item(tx, sprint, item, ItemDispatch::Refused, Some(reason), None)?;
    let data = json!({"issue_id": item.issue_id, "number": item.number, "reason": reason});
    event(tx, sprint, "dispatch.refused", &data, actor)?;
    Ok(())
}

// ---------------------------------------------------------------- following lanes

/// The sprint a lane works for, if any.
fn sprint_of_lane(db: &Db, lane: &LaneId) -> Result<Option<SprintRow>, ApiError> {
    let Some(row) = db.query_one("SELECT sprint_id FROM sprint_lanes WHERE lane_id = $1", &[&lane.as_str()])? else {
        return Ok(None);
    };
    load_any(db, &row.text("sprint_id")?)
}

/// A sprint follows its lanes: each move is in its event log, and when one
/// ends during `build`, the issues waiting for it are dispatched.
pub fn follow_lane(tx: &Db, lane: &LaneRow, from: LaneState, to: LaneState) -> Result<(), ApiError> {
    let Some(sprint) = sprint_of_lane(tx, &lane.run_id)? else { return Ok(()) };
    let data = json!({"run_id": lane.run_id, "from": from.as_str(), "to": to.as_str()});
    event(tx, &sprint.summary.id, "lane.state", &data, "switchyard")?;
    if !to.is_active() && sprint.summary.state == SprintState::Build {
        // Dispatched by the sprint itself, within whatever request ended the lane.
        // A dispatch that fails must not fail whatever ended the lane (a
        // harness's report, a cancel, a merge): it is undone to a savepoint
        // and written to the sprint's log instead.
        let actor = format!("sprint:{}", sprint.summary.id);
        tx.exec("SAVEPOINT sprint_follow", &[])?;
        let request = switchyard_api::RequestId::from_random(&crate::random_bytes());
        let dispatched = dispatch_planned(tx, &sprint, &actor).and_then(|lanes| {
            for lane in &lanes {
                crate::audit::append_as(
                    tx,
                    &sprint.workspace_id,
                    &actor,
                    "sprint:dispatched",
                    lane.as_str(),
                    &request,
                )?;
            }
            Ok(lanes)
        });
        match dispatched {
            Ok(_) => tx.exec("RELEASE sprint_follow", &[])?,
            Err(e) => {
                tx.exec("ROLLBACK TO sprint_follow", &[])?;
                tx.exec("RELEASE sprint_follow", &[])?;
                event(tx, &sprint.summary.id, "dispatch.failed", &json!({"reason": e.message}), "switchyard")?;
            }
        }
    }
    Ok(())
}

/// After a lane of a sprint reported tokens: when the sprint's budget is
/// spent, pauses `lane` (in place) and the sprint's other running lanes.
/// Returns the lanes paused.
pub fn after_usage(tx: &Db, lane: &mut LaneRow) -> Result<Vec<LaneId>, ApiError> {
    let Some(sprint) = sprint_of_lane(tx, &lane.run_id)? else { return Ok(Vec::new()) };
    let Some(budget) = sprint.summary.token_budget else { return Ok(Vec::new()) };
    if sprint.summary.tokens_used < budget {
        return Ok(Vec::new());
    }
    // Already spent: a lane that started since (it was queued) pauses as it reports.
    if sprint.budget_exhausted {
        if lane.state != LaneState::Running {
            return Ok(Vec::new());
        }
        lanes::apply(tx, lane, Event::Pause, Some(PAUSE_REASON))?;
        return Ok(vec![lane.run_id.clone()]);
    }
    tx.exec(
        "UPDATE sprints SET budget_exhausted = 1, updated_at = $1 WHERE id = $2",
        &[&now_rfc3339(), &sprint.summary.id.as_str()],
    )?;
    let mut paused = Vec::new();
    if lane.state == LaneState::Running {
        lanes::apply(tx, lane, Event::Pause, Some(PAUSE_REASON))?;
        paused.push(lane.run_id.clone());
    }
    for other in sprint_lanes_in(tx, &sprint, LaneState::Running)? {
        if other == lane.run_id {
            continue;
        }
        let mut row = lanes::load_lane(tx, &sprint.workspace_id, &other)?;
        lanes::apply(tx, &mut row, Event::Pause, Some(PAUSE_REASON))?;
        paused.push(other);
    }
    let data = json!({"token_budget": budget, "tokens_used": sprint.summary.tokens_used, "paused": paused});
    event(tx, &sprint.summary.id, "budget.exhausted", &data, "switchyard")?;
    Ok(paused)
}

fn sprint_lanes_in(db: &Db, sprint: &SprintRow, state: LaneState) -> Result<Vec<LaneId>, ApiError> {
    db.query(
        "SELECT l.id FROM sprint_lanes sl JOIN lanes l ON l.id = sl.lane_id WHERE sl.sprint_id = $1 AND l.state = $2
           AND ($3 != 'paused' OR l.pause_reason = $4) ORDER BY l.created_at",
        &[&sprint.summary.id.as_str(), &state.as_str(), &state.as_str(), &PAUSE_REASON],
    )?
    .iter()
    .map(|r| LaneId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("malformed lane id")))
    .collect()
}

/// Resumes the lanes the sprint's budget paused (it was raised).
fn resume_paused(tx: &Db, sprint: &SprintRow) -> Result<Vec<LaneId>, ApiError> {
    tx.exec("UPDATE sprints SET budget_exhausted = 0 WHERE id = $1", &[&sprint.summary.id.as_str()])?;
    let mut resumed = Vec::new();
    for id in sprint_lanes_in(tx, sprint, LaneState::Paused)? {
        let mut row = lanes::load_lane(tx, &sprint.workspace_id, &id)?;
        lanes::resume(tx, &mut row, "the sprint's token budget was raised")?;
        resumed.push(id);
    }
    Ok(resumed)
}

// ---------------------------------------------------------------- schedules

/// Scheduled sprints whose start has come (of one workspace, or all).
pub fn due(db: &Db, workspace: Option<&WorkspaceId>) -> Result<Vec<SprintRow>, ApiError> {
    let workspace = workspace.map(WorkspaceId::as_str);
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM sprints WHERE state = 'intake' AND starts_at IS NOT NULL AND starts_at <= $1
               AND ($2 IS NULL OR workspace_id = $3) ORDER BY starts_at, id LIMIT 50"
        ),
        &[&now_rfc3339(), &workspace, &workspace],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// What starting a scheduled sprint came to.
pub enum Started {
    /// Taken to `build`; the next sprint of a recurring one, if planned.
    Building(Option<SprintId>),
    /// Nothing to build: cancelled; the next one still planned.
    Skipped(Option<SprintId>),
}

/// Starts a due sprint: a goal's sprint takes the goal's issues as they are
/// now, then moves through `plan` to `build`. A recurring one plans its
/// successor at the next start after now.
pub fn start(tx: &Db, sprint: &SprintRow, actor: &str) -> Result<Started, ApiError> {
    // A goal's scheduled sprint was planned empty; issues named are kept.
    if items(tx, &sprint.summary.id)?.is_empty() {
        add_items(tx, sprint, &goal_issues(tx, sprint)?)?;
    }
    let next = match sprint.summary.repeat_every_hours {
        Some(hours) => plan_successor(tx, sprint, hours, actor)?,
        None => None,
    };
    let to = |state| Transition { to: state, retry: false, override_reason: None, token_budget: None, actor };
    if items(tx, &sprint.summary.id)?.is_empty() {
        event(tx, &sprint.summary.id, "sprint.skipped", &json!({"reason": "the goal has no open issue"}), actor)?;
        transition(tx, sprint, &to(SprintState::Cancelled))?;
        return Ok(Started::Skipped(next));
    }
    transition(tx, sprint, &to(SprintState::Plan))?;
    let planned = load(tx, &sprint.workspace_id, &sprint.summary.id)?;
    transition(tx, &planned, &to(SprintState::Build))?;
    Ok(Started::Building(next))
}

/// The next sprint of a recurring one: the same goal and settings, starting
/// at the first multiple of the interval after now. None once the goal is
/// no longer active (achieved or abandoned): the recurrence ends with it.
fn plan_successor(tx: &Db, sprint: &SprintRow, hours: u64, actor: &str) -> Result<Option<SprintId>, ApiError> {
    let Some(goal) = &sprint.summary.goal_id else { return Ok(None) };
    if goals::load(tx, &sprint.workspace_id, goal)?.status != switchyard_api::GoalStatus::Active {
        return Ok(None);
    }
    let every = chrono::Duration::hours(i64::try_from(hours).unwrap_or(8_760));
    let now = chrono::Utc::now();
    let mut at = sprint
        .summary
        .starts_at
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or(now, |t| t.with_timezone(&chrono::Utc));
    while at <= now {
        at += every;
    }
    let input: PlanSprint = serde_json::from_value(json!({
        "goal_id": sprint.summary.goal_id,
        "title": sprint.summary.title,
        "project_id": sprint.summary.project_id,
        "harness_kind": sprint.summary.harness_kind,
        "repository": sprint.summary.repository,
        "claim": sprint.default_claim,
        "max_issues": sprint.max_issues,
        "token_budget": sprint.summary.token_budget,
        "starts_at": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "repeat_every_hours": hours,
    }))
    .map_err(|e| ApiError::internal(format!("a recurring sprint's settings no longer plan: {e}")))?;
    Ok(Some(plan(tx, &sprint.workspace_id, &input, actor)?.summary.id))
}

/// Sprints in `state` per state name, for the dashboard.
pub fn counts(
    db: &Db,
    workspace: &WorkspaceId,
    finished_since: &str,
) -> Result<std::collections::BTreeMap<String, u64>, ApiError> {
    db.query(
        "SELECT state, COUNT(*) AS n FROM sprints WHERE workspace_id = $1
           AND (state NOT IN ('complete', 'cancelled') OR finished_at >= $2) GROUP BY state",
        &[&workspace.as_str(), &finished_since],
    )?
    .iter()
    .map(|r| Ok((r.text("state")?, u64::try_from(r.int("n")?).unwrap_or_default())))
    .collect()
}
