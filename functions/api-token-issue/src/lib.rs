//! Mint a scoped API token for SSO / SCIM / webhook integrations.

use switchyard_api::{IssueToken, IssuedToken};
use switchyard_edge::prelude::*;
use switchyard_edge::{issue_token, members};

const ENDPOINT: Endpoint = endpoints::API_TOKEN_ISSUE;

/// Longest lifetime a token may be given (five years).
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: IssueToken| issue(ctx, tx, input))
}

fn issue(ctx: &Ctx, tx: &Db, input: IssueToken) -> Result<Change<IssuedToken>, ApiError> {
    let caller = ctx.principal()?;
    // A token can never hold more than the token that minted it.
    if let Some(beyond) = input.scopes.iter().find(|s| !s.granted_by(&caller.scopes)) {
        return Err(ApiError::scope_denied(*beyond));
    }
    let mut scopes = input.scopes.into_vec();
    scopes.sort();
    scopes.dedup();
    let token = issue_token(
        tx,
        &caller.workspace.id,
        &input.name,
        &scopes,
        input.expires_in_seconds.map(|s| s.get()),
        &caller.actor,
    )?;
    // It acts for the same member, so it can never hold more than they may.
    if let Some(member) = &caller.member_id {
        members::bind_token(tx, &token.id, member)?;
    }
    Ok(Change::created(token.id.clone(), token).with_secret("/token"))
}
