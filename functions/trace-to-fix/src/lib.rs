//! Trace to fix: dispatch a lane for an issue that came with a stack trace (a
//! Sentry error), claiming exactly the application's files in the trace, its
//! brief the issue's prompt; the issue then follows the lane.

use switchyard_api::{FixDispatched, RunAgent, TraceToFix};
use switchyard_edge::dispatch::{self, Checked};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::TRACE_TO_FIX;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, check, run)
}

/// The lane `agent-run` would get for the issue, checked before the transaction.
fn check(ctx: &Ctx, input: TraceToFix) -> Result<Checked, ApiError> {
    let workspace = ctx.workspace_id()?;
    let issue = planning::load_issue(&ctx.db, workspace, &input.issue_id)?;
    if issue.trace_files.is_empty() {
        return Err(ApiError::validation(
            "issue_id",
            "the issue has no stack trace to claim; dispatch it with dispatch-claim and agent-run",
        ));
    }
    let project = issue.project_id.as_ref().map(|p| planning::load_project(&ctx.db, workspace, p)).transpose()?;
    let repository = match (&input.repository, &project) {
        (Some(r), _) => r.to_string(),
        (None, Some(p)) => p.repository.clone(),
        (None, None) => {
            return Err(ApiError::validation("repository", "the issue has no project; name the repository"));
        }
    };
    let (prompt, _) = planning::prompt_for(&ctx.db, workspace, &issue, project.as_ref())?;
    let lane: RunAgent = serde_json::from_value(serde_json::json!({
        "harness_kind": input.harness_kind,
        "brief": prompt,
        "repository": repository,
        "claim": issue.trace_files,
        "token_budget": input.token_budget,
        "issue_id": issue.id,
    }))
    .map_err(|e| ApiError::validation("issue_id", format!("the issue's trace does not make a lane: {e}")))?;
    dispatch::check_or_refuse(ctx, lane, false, ENDPOINT.name)
}

fn run(ctx: &Ctx, tx: &Db, checked: Checked) -> Result<Change<FixDispatched>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let issue_id = checked.input.issue_id.clone().ok_or_else(|| ApiError::internal("a fix without its issue"))?;
    let (lane, approval) = dispatch::create(tx, workspace, checked, &ctx.caller.actor())?;
    if let Some(approval) = approval {
        ctx.audit_in(tx, workspace, "trace-to-fix:approval_requested", Some(approval.as_str()))?;
    }
    let issue = planning::load_issue(tx, workspace, &issue_id)?;
    Ok(Change::created(lane.run_id.clone(), FixDispatched { issue, lane: lane.to_api() }))
}
