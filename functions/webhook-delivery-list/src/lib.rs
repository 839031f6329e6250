//! The outbound webhook delivery log, newest first: each delivery's state and
//! every attempt's status, latency and the start of the receiver's answer.

use switchyard_api::{ListDeliveries, Page, WebhookDelivery};
use switchyard_edge::prelude::*;
use switchyard_edge::{cursor, webhooks};

const ENDPOINT: Endpoint = endpoints::WEBHOOK_DELIVERY_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListDeliveries| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListDeliveries) -> Result<Page<WebhookDelivery>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
    let workspace = ctx.workspace_id()?;
    let found = webhooks::page(&ctx.db, workspace, input.endpoint_id.as_ref(), input.state, &before, limit + 1)?;
    Ok(cursor::page(found, limit, |d| (d.created_at.as_str(), d.id.as_str())))
}
