//! Register an outbound webhook endpoint: where events go and which; its
//! `whsec_` signing secret is shown once. Non-public targets are refused.

use switchyard_api::{CreateEndpoint, EndpointWithSecret};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks;

const ENDPOINT: Endpoint = endpoints::WEBHOOK_ENDPOINT_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateEndpoint| create(ctx, tx, &input))
}

fn create(ctx: &Ctx, tx: &Db, input: &CreateEndpoint) -> Result<Change<EndpointWithSecret>, ApiError> {
    let description = input.description.as_ref().map(|d| d.as_str());
    let made =
        webhooks::create(tx, ctx.workspace_id()?, &input.url, &input.event_types, description, &ctx.caller.actor())?;
    Ok(Change::created(made.endpoint.id.clone(), made).with_secret("/secret"))
}
