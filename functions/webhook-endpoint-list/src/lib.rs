//! The workspace's outbound webhook endpoints, without their secrets.

use switchyard_api::{EndpointList, NoInput};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks;

const ENDPOINT: Endpoint = endpoints::WEBHOOK_ENDPOINT_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| Ok(EndpointList { data: webhooks::list(&ctx.db, ctx.workspace_id()?)? }))
}
