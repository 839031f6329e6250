//! List the SSO / OAuth providers configured for an email domain (used by SSO bootstrap).

use switchyard_api::{ProviderId, ProviderKind, ProvidersForEmail, ProvidersForEmailResult, SsoProvider};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AUTH_PROVIDERS_FOR_EMAIL;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ProvidersForEmail| lookup(ctx, input))
}

fn lookup(ctx: &Ctx, input: ProvidersForEmail) -> Result<ProvidersForEmailResult, ApiError> {
    let domain = input.email.domain().into_string();
    let rows = ctx.db.query(
        "SELECT p.id, p.provider, p.display_name, w.handle FROM sso_providers p
         JOIN workspaces w ON w.id = p.workspace_id
         WHERE p.domain = ? AND w.status = 'active' ORDER BY w.handle, p.provider",
        &[&domain],
    )?;
    let mut providers = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(id), Some(provider)) =
            (ProviderId::parse(&row.text("id")?), ProviderKind::parse(&row.text("provider")?))
        else {
            return Err(ApiError::internal("malformed sso_providers row"));
        };
        providers.push(SsoProvider {
            id,
            provider,
            display_name: row.text("display_name")?,
            workspace_handle: row.text("handle")?,
        });
    }
    Ok(ProvidersForEmailResult { domain, providers })
}
