//! The workspace's inbox: questions agents asked, newest first, filtered by resolved, priority or lane.

use switchyard_api::{InboxItem, ListInbox, Page};
use switchyard_edge::cursor;
use switchyard_edge::inbox::{self, InboxFilter};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::INBOX_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListInbox| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListInbox) -> Result<Page<InboxItem>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
    let filter = InboxFilter { resolved: input.resolved, priority: input.priority, lane: input.run_id.as_ref() };
    let found = inbox::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    Ok(cursor::page(found, limit, |i| (i.asked_at.as_str(), i.item_id.as_str())))
}
