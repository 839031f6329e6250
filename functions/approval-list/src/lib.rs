//! List the workspace's requests for approval, newest first, filtered by state or lane.

use switchyard_api::{Approval, ListApprovals, Page};
use switchyard_edge::cursor;
use switchyard_edge::governance::{self, ApprovalFilter};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::APPROVAL_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListApprovals| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListApprovals) -> Result<Page<Approval>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
    let filter = ApprovalFilter { state: input.state, lane: input.run_id.as_ref() };
    let found = governance::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    Ok(cursor::page(found, limit, |a| (a.requested_at.as_str(), a.approval_id.as_str())))
}
