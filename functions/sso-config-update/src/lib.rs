//! Configure (or remove) an SSO provider for an email domain of the workspace.
//!
//! Enabling a provider also claims the domain for the workspace and answers
//! the challenge that proves ownership (`sso-domain-verify`); until then the
//! provider is not offered at sign-in.

use switchyard_api::{SsoConfigUpdated, UpdateSsoConfig};
use switchyard_edge::prelude::*;
use switchyard_edge::sso;

const ENDPOINT: Endpoint = endpoints::SSO_CONFIG_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateSsoConfig| update(ctx, tx, input))
}

fn update(ctx: &Ctx, tx: &Db, input: UpdateSsoConfig) -> Result<Change<SsoConfigUpdated>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let domain = input.domain.into_string();
    let display_name = input.display_name.map_or_else(|| input.provider.as_str().to_owned(), |n| n.into_string());
    let claim = if input.enabled {
        sso::upsert(tx, workspace, &domain, input.provider, &display_name)?;
        Some(sso::claim_domain(tx, workspace, &domain)?)
    } else {
        sso::remove(tx, workspace, &domain, input.provider)?;
        sso::domain_claim(tx, workspace, &domain)?
    };
    let domain_verified = claim.as_ref().is_some_and(|c| c.verified_at.is_some());
    let verification = match &claim {
        Some(c) if input.enabled && !domain_verified => Some(sso::challenge(&domain, c)?),
        _ => None,
    };
    let target = format!("{domain}/{}", input.provider.as_str());
    Ok(Change::ok(
        target,
        SsoConfigUpdated { domain, provider: input.provider, enabled: input.enabled, domain_verified, verification },
    ))
}
