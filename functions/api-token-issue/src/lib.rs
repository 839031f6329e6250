//! Mint a scoped API token for SSO / SCIM / webhook integrations.

use switchyard_api::{IssueToken, IssuedToken};
use switchyard_domain::validate;
use switchyard_edge::issue_token;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::API_TOKEN_ISSUE;

/// Longest lifetime a token may be given (five years).
const MAX_LIFETIME_SECS: u64 = 5 * 365 * 24 * 60 * 60;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: IssueToken| issue(ctx, tx, input))
}

fn issue(ctx: &Ctx, tx: &Db, input: IssueToken) -> Result<Change<IssuedToken>, ApiError> {
    let caller = ctx.principal()?;
    validate::name(&input.name).map_err(|m| ApiError::validation("name", m))?;
    if input.scopes.is_empty() {
        return Err(ApiError::validation("scopes", "must name at least one scope"));
    }
    if let Some(secs) = input.expires_in_seconds
        && !(60..=MAX_LIFETIME_SECS).contains(&secs)
    {
        return Err(ApiError::validation("expires_in_seconds", format!("must be between 60 and {MAX_LIFETIME_SECS}")));
    }
    // A token can never hold more than the token that minted it.
    if let Some(beyond) = input.scopes.iter().find(|s| !s.granted_by(&caller.scopes)) {
        return Err(ApiError::scope_denied(*beyond));
    }
    let mut scopes = input.scopes;
    scopes.sort();
    scopes.dedup();
    let token = issue_token(tx, &caller.workspace.id, &input.name, &scopes, input.expires_in_seconds, &caller.actor)?;
    Ok(Change::created(token.id.clone(), token))
}
