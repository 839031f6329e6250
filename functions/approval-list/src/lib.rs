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
    let before = match &input.cursor {
        Some(c) => cursor::decode(c, ENDPOINT.name)?,
        None => (cursor::NEWEST.0.to_owned(), cursor::NEWEST.1.to_owned()),
    };
    let filter = ApprovalFilter { state: input.state, lane: input.run_id.as_ref() };
    let mut found = governance::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    let next_cursor = if found.len() as u64 > limit {
        found.truncate(limit as usize);
        found.last().map(|a| cursor::encode(&a.requested_at, a.approval_id.as_str()))
    } else {
        None
    };
    Ok(Page { data: found, next_cursor })
}
