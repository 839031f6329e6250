//! The workspace's issues, newest first, filtered by status, type, priority, project or label.

use switchyard_api::{Issue, ListIssues, Page};
use switchyard_edge::cursor;
use switchyard_edge::planning::{self, IssueFilter};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::ISSUE_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListIssues| list(ctx, &input))
}

fn list(ctx: &Ctx, input: &ListIssues) -> Result<Page<Issue>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
    let filter = IssueFilter {
        status: input.status,
        issue_type: input.issue_type,
        priority: input.priority,
        project: input.project_id.as_ref(),
        label: input.label.as_ref().map(|l| l.as_str()),
    };
    let found = planning::page_issues(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    Ok(cursor::page(found, limit, |i| (i.created_at.as_str(), i.id.as_str())))
}
