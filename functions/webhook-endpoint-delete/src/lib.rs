//! Delete an outbound webhook endpoint with its delivery log.

use switchyard_api::{DeleteEndpoint, EndpointDeleted};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks;

const ENDPOINT: Endpoint = endpoints::WEBHOOK_ENDPOINT_DELETE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: DeleteEndpoint| delete(ctx, tx, &input))
}

fn delete(ctx: &Ctx, tx: &Db, input: &DeleteEndpoint) -> Result<Change<EndpointDeleted>, ApiError> {
    let deleted = webhooks::delete(tx, ctx.workspace_id()?, &input.endpoint_id)?;
    Ok(Change::ok(deleted.id.clone(), deleted))
}
