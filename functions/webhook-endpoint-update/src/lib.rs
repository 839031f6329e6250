//! Change an outbound webhook endpoint; disable it, or re-enable one that was
//! disabled (which clears its failure record).

use switchyard_api::{UpdateEndpoint, WebhookEndpoint};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks;

const ENDPOINT: Endpoint = endpoints::WEBHOOK_ENDPOINT_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateEndpoint| update(ctx, tx, &input))
}

fn update(ctx: &Ctx, tx: &Db, input: &UpdateEndpoint) -> Result<Change<WebhookEndpoint>, ApiError> {
    let endpoint = webhooks::update(tx, ctx.workspace_id()?, input)?;
    Ok(Change::ok(endpoint.id.clone(), endpoint))
}
