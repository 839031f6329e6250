//! Workspace budgets (issue 11): daily token and cost ceilings per UTC day,
//! grants of more for one day, usage by lane and day, and the pause and
//! resume of lanes the ceiling stops.

use serde_json::json;
use switchyard_api::{CostGroup, CostRow, CostSummary, ErrorCode, LaneId, WorkspaceBudget, WorkspaceId};
use switchyard_domain::lane::LaneState;

use crate::clock::{now_rfc3339, rfc3339_before};
use crate::db::Db;
use crate::error::ApiError;
use crate::lanes::{self, LaneRow, apply};

/// Why the ceiling paused a lane (its `pause_reason`).
pub const PAUSE_REASON: &str = "workspace_budget_exhausted";

/// Today, UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    now_rfc3339()[..10].to_owned()
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Adds what a lane used to today's row (by lane, so `cost-summary` can group it).
pub fn record_usage(tx: &Db, lane: &LaneRow, tokens: u64, cost_cents: u64) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO lane_usage (lane_id, day, workspace_id, repository, harness_kind, tokens, cost_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (lane_id, day) DO UPDATE SET tokens = tokens + excluded.tokens,
             cost_cents = cost_cents + excluded.cost_cents",
        &[
            &lane.run_id.as_str(),
            &today(),
            &lane.workspace_id.as_str(),
            &lane.repository,
            &lane.harness_kind,
            &tokens,
            &cost_cents,
        ],
    )?;
    Ok(())
}

/// The workspace's ceilings and today's standing against them.
pub fn status(db: &Db, workspace: &WorkspaceId) -> Result<WorkspaceBudget, ApiError> {
    let day = today();
    let ceilings = db.query_one(
        "SELECT daily_tokens, daily_cost_cents, updated_by, updated_at FROM workspace_budgets WHERE workspace_id = $1",
        &[&workspace.as_str()],
    )?;
    let (daily_tokens, daily_cost_cents, updated_by, updated_at) = match &ceilings {
        Some(r) => (
            r.opt_int("daily_tokens")?.map(count),
            r.opt_int("daily_cost_cents")?.map(count),
            Some(r.text("updated_by")?),
            Some(r.text("updated_at")?),
        ),
        None => (None, None, None, None),
    };
    let (used_tokens, used_cost_cents) = day_sums(db, "lane_usage", workspace, &day)?;
    let (granted_tokens, granted_cost_cents) = day_sums(db, "budget_grants", workspace, &day)?;
    let remaining_tokens = daily_tokens.map(|c| c.saturating_add(granted_tokens).saturating_sub(used_tokens));
    let remaining_cost_cents =
        daily_cost_cents.map(|c| c.saturating_add(granted_cost_cents).saturating_sub(used_cost_cents));
    Ok(WorkspaceBudget {
        daily_tokens,
        daily_cost_cents,
        day,
        used_tokens,
        used_cost_cents,
        granted_tokens,
        granted_cost_cents,
        remaining_tokens,
        remaining_cost_cents,
        exhausted: remaining_tokens == Some(0) || remaining_cost_cents == Some(0),
        updated_by,
        updated_at,
    })
}

/// Tokens and cents `table` (usage or grants) holds for `workspace` on `day`.
fn day_sums(db: &Db, table: &str, workspace: &WorkspaceId, day: &str) -> Result<(u64, u64), ApiError> {
    let row = db
        .query_one(
            &format!(
                "SELECT COALESCE(SUM(tokens), 0) AS tokens, COALESCE(SUM(cost_cents), 0) AS cost
                 FROM {table} WHERE workspace_id = $1 AND day = $2"
            ),
            &[&workspace.as_str(), &day],
        )?
        .ok_or_else(|| ApiError::internal(format!("the sum over {table} returned no row")))?;
    Ok((count(row.int("tokens")?), count(row.int("cost")?)))
}

/// `429 BUDGET_EXHAUSTED`, saying what was used against which ceiling.
pub fn exhausted(budget: &WorkspaceBudget) -> ApiError {
    ApiError::new(
        ErrorCode::BudgetExhausted,
        format!(
            "the workspace's budget for {} is spent ({} tokens, {} cents used); grant more with budget-grant",
            budget.day, budget.used_tokens, budget.used_cost_cents
        ),
    )
    .with_details(json!({"budget": budget}))
}

/// Sets (or removes) the daily ceilings.
pub fn set(
    tx: &Db,
    workspace: &WorkspaceId,
    daily_tokens: Option<u64>,
    daily_cost_cents: Option<u64>,
    by: &str,
) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO workspace_budgets (workspace_id, daily_tokens, daily_cost_cents, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id) DO UPDATE SET daily_tokens = excluded.daily_tokens,
             daily_cost_cents = excluded.daily_cost_cents, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
        &[&workspace.as_str(), &daily_tokens, &daily_cost_cents, &by, &now_rfc3339()],
    )?;
    Ok(())
}

/// Grants `tokens` and `cost_cents` more for today.
pub fn grant(
    tx: &Db,
    workspace: &WorkspaceId,
    tokens: u64,
    cost_cents: u64,
    by: &str,
    note: Option<&str>,
) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO budget_grants (workspace_id, day, tokens, cost_cents, granted_by, note, granted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&workspace.as_str(), &today(), &tokens, &cost_cents, &by, &note, &now_rfc3339()],
    )?;
    Ok(())
}

/// Pauses `workspace`'s running lanes for the ceiling; returns them.
pub fn pause_running(tx: &Db, workspace: &WorkspaceId) -> Result<Vec<LaneId>, ApiError> {
    let mut paused = Vec::new();
    for mut lane in lanes::in_state(tx, workspace, LaneState::Running, None)? {
        apply(tx, &mut lane, switchyard_domain::lane::Event::Pause, Some(PAUSE_REASON))?;
        paused.push(lane.run_id.clone());
    }
    Ok(paused)
}

/// Resumes the lanes the ceiling paused; returns them.
pub fn resume_paused(tx: &Db, workspace: &WorkspaceId, reason: &str) -> Result<Vec<LaneId>, ApiError> {
    let mut resumed = Vec::new();
    for mut lane in lanes::in_state(tx, workspace, LaneState::Paused, Some(PAUSE_REASON))? {
        lanes::resume(tx, &mut lane, reason)?;
        resumed.push(lane.run_id.clone());
    }
    Ok(resumed)
}

/// Workspaces with a ceiling set (for the tick).
pub fn with_ceilings(db: &Db) -> Result<Vec<WorkspaceId>, ApiError> {
    db.query(
        "SELECT workspace_id FROM workspace_budgets WHERE daily_tokens IS NOT NULL OR daily_cost_cents IS NOT NULL
         UNION SELECT DISTINCT workspace_id FROM lanes WHERE state = $1 AND pause_reason = $2",
        &[&LaneState::Paused.as_str(), &PAUSE_REASON],
    )?
    .iter()
    .map(|r| WorkspaceId::parse(&r.text("workspace_id")?).ok_or_else(|| ApiError::internal("malformed workspace id")))
    .collect()
}

/// Usage from `from` to `to` (UTC days, inclusive), grouped, most expensive first.
pub fn summary(
    db: &Db,
    workspace: &WorkspaceId,
    group: CostGroup,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<CostSummary, ApiError> {
    let from = from.map_or_else(|| rfc3339_before(30 * 86_400)[..10].to_owned(), str::to_owned);
    let to = to.map_or_else(today, str::to_owned);
    if from > to {
        return Err(ApiError::validation("from", format!("{from} is after {to}")));
    }
    let column = group.column();
    let found = db.query(
        &format!(
            "SELECT {column} AS key, SUM(tokens) AS tokens, SUM(cost_cents) AS cost FROM lane_usage
             WHERE workspace_id = $1 AND day >= $2 AND day <= $3
             GROUP BY {column} ORDER BY cost DESC, tokens DESC, key LIMIT 1000"
        ),
        &[&workspace.as_str(), &from, &to],
    )?;
    let rows = found
        .iter()
        .map(|r| {
            Ok(CostRow { key: r.text("key")?, tokens: count(r.int("tokens")?), cost_cents: count(r.int("cost")?) })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let total_tokens = rows.iter().map(|r| r.tokens).sum();
    let total_cost_cents = rows.iter().map(|r| r.cost_cents).sum();
    Ok(CostSummary { group_by: group, from, to, rows, total_tokens, total_cost_cents })
}
