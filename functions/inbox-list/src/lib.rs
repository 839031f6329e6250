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
    let before = match &input.cursor {
        Some(c) => cursor::decode(c, ENDPOINT.name)?,
        None => (cursor::NEWEST.0.to_owned(), cursor::NEWEST.1.to_owned()),
    };
    let filter = InboxFilter { resolved: input.resolved, priority: input.priority, lane: input.run_id.as_ref() };
    let mut found = inbox::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    let next_cursor = if found.len() as u64 > limit {
        found.truncate(limit as usize);
        found.last().map(|i| cursor::encode(&i.asked_at, i.item_id.as_str()))
    } else {
        None
    };
    Ok(Page { data: found, next_cursor })
}
