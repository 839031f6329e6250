//! Answer a question an agent asked: the answer reaches the agent once and in
//! order, as an interrupt of kind `answer`, and a lane waiting in
//! `input_required` runs again. Exactly one answer is taken per question.

use switchyard_api::{InboxResolved, ResolveInboxItem};
use switchyard_edge::inbox;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::INBOX_RESOLVE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: ResolveInboxItem| {
        let (item, interrupt, lane) = inbox::answer(tx, ctx.workspace_id()?, &input, &ctx.caller.actor())?;
        Ok(Change::ok(item.item_id.clone(), InboxResolved { item, interrupt, lane: lane.to_api() }))
    })
}
