//! Revoke a previously issued API token; it stops working on the very next request.

use switchyard_api::{RevokeToken, RevokedToken};
use switchyard_edge::prelude::*;
use switchyard_edge::revoke_token;

const ENDPOINT: Endpoint = endpoints::API_TOKEN_REVOKE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RevokeToken| revoke(ctx, tx, input))
}

fn revoke(ctx: &Ctx, tx: &Db, input: RevokeToken) -> Result<Change<RevokedToken>, ApiError> {
    // Revoking twice is harmless and answers with the original time.
    let (revoked_at, also_revoked) = revoke_token(tx, ctx.workspace_id()?, &input.token_id)?;
    Ok(Change::ok(input.token_id.clone(), RevokedToken { id: input.token_id, revoked_at, also_revoked }))
}
