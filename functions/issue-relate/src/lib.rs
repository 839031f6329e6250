//! Relate two issues: blocks / blocked_by, duplicate_of, parent_of / child_of.

use switchyard_api::{IssueDetail, RelateIssues};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::ISSUE_RELATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RelateIssues| relate(ctx, tx, &input))
}

fn relate(ctx: &Ctx, tx: &Db, input: &RelateIssues) -> Result<Change<IssueDetail>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let by = ctx.caller.actor();
    let detail = planning::relate(tx, workspace, &input.issue_id, input.kind, &input.other_id, &by)?;
    Ok(Change::ok(format!("{}:{}:{}", input.issue_id, input.kind.as_str(), input.other_id), detail))
}
