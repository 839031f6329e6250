//! Send a delivery's message to its endpoint again — after it went dead, or
//! to replay it — as a new delivery with the same `webhook-id`.

use switchyard_api::{Redeliver, WebhookDelivery};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks;

const ENDPOINT: Endpoint = endpoints::WEBHOOK_REDELIVER;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: Redeliver| redeliver(ctx, tx, &input))
}

fn redeliver(ctx: &Ctx, tx: &Db, input: &Redeliver) -> Result<Change<WebhookDelivery>, ApiError> {
    let delivery = webhooks::redeliver(tx, ctx.workspace_id()?, &input.delivery_id)?;
    Ok(Change::created(delivery.id.clone(), delivery))
}
