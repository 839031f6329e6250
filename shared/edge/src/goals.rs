//! Goals: a target to reach by a deadline. An active goal's weight adds to
//! the queue score of its issues (see `planning::score`); a sprint takes its
//! open issues.

use switchyard_api::{CreateGoal, Goal, GoalId, GoalStatus, ListGoals, ProjectId, UpdateGoal, WorkspaceId};

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::new_id;

const COLUMNS: &str = "id, title, project_id, metric, target, current, unit, deadline, weight, status, created_by, \
    created_at, updated_at, \
    (SELECT COUNT(*) FROM issues i WHERE i.goal_id = goals.id AND i.status NOT IN ('done', 'cancelled')) AS open_issues, \
    (SELECT COUNT(*) FROM issues i WHERE i.goal_id = goals.id AND i.status = 'done') AS done_issues";

fn from_row(row: &Row) -> Result<Goal, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed goal row: {what}"));
    let target = row.opt_real("target")?;
    let current = row.opt_real("current")?;
    let progress = match (current, target) {
        (Some(c), Some(t)) if t != 0.0 => Some((c / t).clamp(0.0, 1.0)),
        _ => None,
    };
    Ok(Goal {
        id: GoalId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
        title: row.text("title")?,
        project_id: row
            .opt_text("project_id")?
            .map(|p| ProjectId::parse(&p).ok_or_else(|| bad("project_id")))
            .transpose()?,
        metric: row.opt_text("metric")?,
        target,
        current,
        unit: row.opt_text("unit")?,
        progress,
        deadline: row.opt_text("deadline")?,
        weight: u32::try_from(row.int("weight")?).map_err(|_| bad("weight"))?,
        status: GoalStatus::parse(&row.text("status")?).ok_or_else(|| bad("status"))?,
        open_issues: u64::try_from(row.int("open_issues")?).unwrap_or_default(),
        done_issues: u64::try_from(row.int("done_issues")?).unwrap_or_default(),
        created_by: row.text("created_by")?,
        created_at: row.text("created_at")?,
        updated_at: row.text("updated_at")?,
    })
}

/// A number a goal can hold: finite (JSON has no NaN, but 1e400 reads as infinity).
fn finite(field: &str, value: Option<f64>) -> Result<Option<f64>, ApiError> {
    match value {
        Some(v) if !v.is_finite() => Err(ApiError::validation(field, "must be a finite number")),
        v => Ok(v),
    }
}

pub fn create(tx: &Db, workspace: &WorkspaceId, input: &CreateGoal, by: &str) -> Result<Goal, ApiError> {
    if let Some(project) = &input.project_id {
        crate::planning::load_project(tx, workspace, project)
            .map_err(|_| ApiError::validation("project_id", "no such project"))?;
    }
    let target = finite("target", input.target)?;
    let current = finite("current", input.current)?;
    let id = new_id!(GoalId);
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO goals (id, workspace_id, project_id, title, metric, target, current, unit, deadline, weight, status,
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12, $13)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &input.project_id.as_ref().map(ProjectId::as_str),
            &input.title.as_str(),
            &input.metric.as_ref().map(|m| m.as_str()),
            &target,
            &current,
            &input.unit.as_ref().map(|u| u.as_str()),
            &input.deadline.as_ref().map(|d| d.as_str()),
            &input.weight.map_or(1, |w| w.get()),
            &by,
            &now,
            &now,
        ],
    )?;
    load(tx, workspace, &id)
}

/// A goal of `workspace`; another workspace's is NOT_FOUND.
pub fn load(db: &Db, workspace: &WorkspaceId, id: &GoalId) -> Result<Goal, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {COLUMNS} FROM goals WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("goal {id}")))?;
    from_row(&row)
}

/// Goals of the workspace, newest first (at most 500).
pub fn list(db: &Db, workspace: &WorkspaceId, filter: &ListGoals) -> Result<Vec<Goal>, ApiError> {
    let project = filter.project_id.as_ref().map(ProjectId::as_str);
    let status = filter.status.map(GoalStatus::as_str);
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM goals WHERE workspace_id = $1 AND ($2 IS NULL OR project_id = $3)
               AND ($4 IS NULL OR status = $5) ORDER BY created_at DESC, id DESC LIMIT 500"
        ),
        &[&workspace.as_str(), &project, &project, &status, &status],
    )?
    .iter()
    .map(from_row)
    .collect()
}

pub fn update(tx: &Db, workspace: &WorkspaceId, input: &UpdateGoal) -> Result<Goal, ApiError> {
    let goal = load(tx, workspace, &input.goal_id)?;
    let target = finite("target", input.target)?.or(goal.target);
    let current = finite("current", input.current)?.or(goal.current);
    tx.exec(
        "UPDATE goals SET title = $1, target = $2, current = $3, deadline = $4, weight = $5, status = $6, updated_at = $7
         WHERE id = $8",
        &[
            &input.title.as_ref().map_or(goal.title.clone(), |t| t.to_string()),
            &target,
            &current,
            &input.deadline.as_ref().map(|d| d.as_str().to_owned()).or(goal.deadline.clone()),
            &input.weight.map_or(u64::from(goal.weight), |w| w.get()),
            &input.status.unwrap_or(goal.status).as_str(),
            &now_rfc3339(),
            &goal.id.as_str(),
        ],
    )?;
    load(tx, workspace, &goal.id)
}
