//! One question an agent asked, with its answer once it has one.

use switchyard_api::GetInboxItem;
use switchyard_edge::inbox;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::INBOX_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetInboxItem| inbox::load(&ctx.db, ctx.workspace_id()?, &input.item_id))
}
