//! One issue with its comments and relations.

use switchyard_api::{GetIssue, IssueDetail};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::ISSUE_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetIssue| -> Result<IssueDetail, ApiError> {
        planning::detail(&ctx.db, ctx.workspace_id()?, &input.issue_id)
    })
}
