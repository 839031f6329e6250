//! Change an issue; reopen (which releases a claim), close or cancel it.

use switchyard_api::{Issue, UpdateIssue};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::ISSUE_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateIssue| update(ctx, tx, &input))
}

fn update(ctx: &Ctx, tx: &Db, input: &UpdateIssue) -> Result<Change<Issue>, ApiError> {
    let issue = planning::update_issue(tx, ctx.workspace_id()?, input)?;
    Ok(Change::ok(issue.id.clone(), issue))
}
