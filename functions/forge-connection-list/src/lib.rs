//! The workspace's forge connections, without their secrets.

use switchyard_api::{ConnectionList, NoInput};
use switchyard_edge::forge;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FORGE_CONNECTION_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| Ok(ConnectionList { data: forge::list(&ctx.db, ctx.workspace_id()?)? }))
}
