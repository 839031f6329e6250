//! Rotate a forge connection's webhook secret: deliveries signed with the
//! previous one are accepted until the overlap ends, so the forge can be
//! updated without losing any.

use switchyard_api::{ConnectionWithSecret, RotateConnection};
use switchyard_edge::forge;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FORGE_CONNECTION_ROTATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RotateConnection| rotate(ctx, tx, &input))
}

fn rotate(ctx: &Ctx, tx: &Db, input: &RotateConnection) -> Result<Change<ConnectionWithSecret>, ApiError> {
    let rotated = forge::rotate(tx, ctx.workspace_id()?, input)?;
    Ok(Change::ok(rotated.connection.id.clone(), rotated).with_secret("/secret"))
}
