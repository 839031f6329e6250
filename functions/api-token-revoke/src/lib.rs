//! Revoke a previously issued API token; it stops working on the very next request.

use switchyard_api::{RevokeToken, RevokedToken};
use switchyard_edge::now_rfc3339;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::API_TOKEN_REVOKE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RevokeToken| revoke(ctx, tx, input))
}

fn revoke(ctx: &Ctx, tx: &Db, input: RevokeToken) -> Result<Change<RevokedToken>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let row = tx
        .query_one(
            "SELECT revoked_at FROM api_tokens WHERE id = ? AND workspace_id = ?",
            &[&input.token_id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("token {}", input.token_id)))?;
    // Revoking twice is harmless and answers with the original time.
    let revoked_at = match row.opt_text("revoked_at")? {
        Some(at) => at,
        None => {
            let now = now_rfc3339();
            tx.exec(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND workspace_id = ?",
                &[&now, &input.token_id.as_str(), &workspace.as_str()],
            )?;
            now
        }
    };
    Ok(Change::ok(input.token_id.clone(), RevokedToken { id: input.token_id.clone(), revoked_at }))
}
