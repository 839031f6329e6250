//! Open an issue by hand; it joins the queue.

use switchyard_api::{CreateIssue, Issue};
use switchyard_edge::planning::{self, NewIssue};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::ISSUE_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateIssue| create(ctx, tx, &input))
}

fn create(ctx: &Ctx, tx: &Db, input: &CreateIssue) -> Result<Change<Issue>, ApiError> {
    let issue = planning::create_issue(tx, ctx.workspace_id()?, &NewIssue::from_input(input), &ctx.caller.actor())?;
    Ok(Change::created(issue.id.clone(), issue))
}
