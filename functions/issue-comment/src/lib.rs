//! Comment on an issue.

use switchyard_api::{CommentIssue, IssueComment};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::ISSUE_COMMENT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CommentIssue| comment(ctx, tx, &input))
}

fn comment(ctx: &Ctx, tx: &Db, input: &CommentIssue) -> Result<Change<IssueComment>, ApiError> {
    let issue = planning::load_issue(tx, ctx.workspace_id()?, &input.issue_id)?;
    let made = planning::comment(tx, &issue, &ctx.caller.actor(), input.body.as_str())?;
    Ok(Change::created(issue.id, made))
}
