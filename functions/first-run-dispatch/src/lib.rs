//! From nothing to a running lane in one call: a project for the repository
//! (or its existing one), a first-run issue, and a lane that maps the
//! repository — through the policy, budget and claim checks of `agent-run`.
//! Once per repository: a second call answers the first run's lane.

use serde_json::json;
use switchyard_api::{CreateProject, FirstRun, FirstRunDispatched, IssueType, Priority, RunAgent, WorkspaceId};
use switchyard_edge::dispatch::{self, Checked};
use switchyard_edge::lanes::load_lane;
use switchyard_edge::planning::{self, NewIssue};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FIRST_RUN_DISPATCH;

/// What the lane is asked when the caller gives no brief.
const DEFAULT_BRIEF: &str = "This is Switchyard's first run in this repository. Read it and write docs/FIRST-RUN.md: \
what the project is for, how to build and test it, its main modules and where a newcomer should start. \
Change nothing else.";

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, check, run)
}

enum Prepared {
    Existing(Box<FirstRunDispatched>),
    New { checked: Box<Checked>, repository: String },
}

fn fingerprint(repository: &str) -> String {
    format!("first-run:{repository}")
}

/// The repository's first run if it exists (with its project, issue and lane).
fn existing(db: &Db, workspace: &WorkspaceId, repository: &str) -> Result<Option<FirstRunDispatched>, ApiError> {
    let Some(issue) = planning::issue_by_fingerprint(db, workspace, &fingerprint(repository))? else { return Ok(None) };
    let (Some(project), Some(run_id)) = (&issue.project_id, &issue.run_id) else { return Ok(None) };
    let project = planning::load_project(db, workspace, project)?;
    let lane = load_lane(db, workspace, run_id)?.to_api();
    Ok(Some(FirstRunDispatched { project, issue, lane, existing: true }))
}

fn check(ctx: &Ctx, input: FirstRun) -> Result<Prepared, ApiError> {
    let workspace = ctx.workspace_id()?;
    let repository = input.repository.to_string();
    if let Some(found) = existing(&ctx.db, workspace, &repository)? {
        return Ok(Prepared::Existing(Box::new(found)));
    }
    let lane: RunAgent = serde_json::from_value(json!({
        "harness_kind": input.harness_kind,
        "brief": input.brief.as_ref().map_or(DEFAULT_BRIEF, |b| b.as_str()),
        "repository": repository,
        "claim": input.claim.as_ref().map_or_else(|| vec!["docs/FIRST-RUN.md".to_owned()], |c| c.strings()),
        "token_budget": input.token_budget,
    }))
    .map_err(|e| ApiError::validation("brief", format!("does not make a lane: {e}")))?;
    let checked = dispatch::check_or_refuse(ctx, lane, false, ENDPOINT.name)?;
    Ok(Prepared::New { checked: Box::new(checked), repository })
}

fn run(ctx: &Ctx, tx: &Db, prepared: Prepared) -> Result<Change<FirstRunDispatched>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let (mut checked, repository) = match prepared {
        Prepared::Existing(found) => return Ok(Change::ok(found.lane.run_id.clone(), *found)),
        Prepared::New { checked, repository } => (*checked, repository),
    };
    // A racing first run of the same repository committed first: answer it.
    if let Some(found) = existing(tx, workspace, &repository)? {
        return Ok(Change::ok(found.lane.run_id.clone(), found));
    }
    let actor = ctx.caller.actor();
    let project = match planning::project_for_repository(tx, workspace, &repository)? {
        Some(project) => project,
        None => {
            let new: CreateProject = serde_json::from_value(json!({"name": repository, "repository": repository}))
                .map_err(|e| ApiError::validation("repository", format!("does not name a project: {e}")))?;
            planning::create_project(tx, workspace, &new, &actor)?
        }
    };
    let print = fingerprint(&repository);
    let title = format!("First run: map {repository}");
    let new = NewIssue {
        title: &title,
        body: Some(checked.input.brief.as_str()),
        issue_type: IssueType::Task,
        priority: Priority::Normal,
        project: Some(&project.id),
        goal: None,
        labels: vec!["first-run".to_owned()],
        source: "first-run",
        fingerprint: Some(&print),
        trace_files: Vec::new(),
    };
    let issue = planning::create_issue(tx, workspace, &new, &actor)?;
    checked.input.issue_id = Some(issue.id.clone());
    let (lane, approval) = dispatch::create(tx, workspace, checked, &actor)?;
    if let Some(approval) = approval {
        ctx.audit_in(tx, workspace, "first-run-dispatch:approval_requested", Some(approval.as_str()))?;
    }
    let issue = planning::load_issue(tx, workspace, &issue.id)?;
    let project = planning::load_project(tx, workspace, &project.id)?;
    let out = FirstRunDispatched { project, issue, lane: lane.to_api(), existing: false };
    Ok(Change::created(lane.run_id.clone(), out))
}
