//! List the workspace's API tokens, newest first: name, scopes, state (active, expired, revoked), who minted it, when it was last used. Never a secret.

use switchyard_api::{ListTokens, Page, TokenSummary};
use switchyard_edge::prelude::*;
use switchyard_edge::{cursor, tokens};

const ENDPOINT: Endpoint = endpoints::API_TOKEN_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListTokens| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListTokens) -> Result<Page<TokenSummary>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
    let found =
        tokens::page(&ctx.db, ctx.workspace_id()?, input.include_inactive.unwrap_or(false), &before, limit + 1)?;
    Ok(cursor::page(found, limit, |t| (t.created_at.as_str(), t.id.as_str())))
}
