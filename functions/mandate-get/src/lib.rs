//! The workspace's mandates in force: the built-in pack, the built-ins switched off, its own rules, and what a blocking violation does.

use switchyard_api::NoInput;
use switchyard_edge::mandates;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MANDATE_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| mandates::current(&ctx.db, ctx.workspace_id()?))
}
