//! List the SSO / OAuth providers configured for an email domain (used by SSO bootstrap).

use switchyard_api::{ProvidersForEmail, ProvidersForEmailResult};
use switchyard_edge::prelude::*;
use switchyard_edge::sso;

const ENDPOINT: Endpoint = endpoints::AUTH_PROVIDERS_FOR_EMAIL;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ProvidersForEmail| lookup(ctx, input))
}

fn lookup(ctx: &Ctx, input: ProvidersForEmail) -> Result<ProvidersForEmailResult, ApiError> {
    let domain = input.email.domain().into_string();
    let providers = sso::for_domain(&ctx.db, &domain)?;
    Ok(ProvidersForEmailResult { domain, providers })
}
