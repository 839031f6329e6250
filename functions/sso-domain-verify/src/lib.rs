//! Prove the workspace owns an email domain: fetch the challenge `sso-config-update` handed out from the domain's well-known URL; a domain belongs to at most one workspace.
//!
//! The fetch goes through the component's outbound allow-list and happens
//! before the write transaction opens.

use std::time::{Duration, Instant};

use serde_json::json;
use switchyard_api::{ErrorCode, SsoDomainVerified, VerifySsoDomain};
use switchyard_edge::prelude::*;
use switchyard_edge::{outbound, sso};

const ENDPOINT: Endpoint = endpoints::SSO_DOMAIN_VERIFY;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, fetch_challenge, record)
}

/// The domain, and whether it was verified before this request.
struct Checked {
    domain: String,
    already: Option<String>,
}

/// The domain did not prove ownership: 422 naming `domain`.
fn refused(message: String, details: serde_json::Value) -> ApiError {
    ApiError::validation("domain", message).with_details(details)
}

fn fetch_challenge(ctx: &Ctx, input: VerifySsoDomain) -> Result<Checked, ApiError> {
    let workspace = ctx.workspace_id()?;
    let domain = input.domain.into_string();
    let claim = sso::domain_claim(&ctx.db, workspace, &domain)?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("no SSO provider is configured for {domain}; configure one with sso-config-update first"),
        )
    })?;
    if claim.verified_at.is_some() {
        return Ok(Checked { domain, already: claim.verified_at });
    }
    let expected = sso::challenge(&domain, &claim)?;
    // A challenge is a line of text: a slow or huge answer is a failed check, never a stuck request.
    let call = outbound::Call {
        method: "GET",
        url: &expected.url,
        headers: &[],
        body: &[],
        deadline: Instant::now() + Duration::from_secs(10),
        max_reply: 64 * 1024,
    };
    let response = outbound::send(&call)
        .map_err(|e| refused(format!("cannot fetch {}: {e}", expected.url), json!({"url": expected.url})))?;
    let status = response.status;
    let served = String::from_utf8_lossy(&response.body);
    if status != 200 || served.trim() != expected.body {
        return Err(refused(
            format!("{} does not serve this workspace's challenge (HTTP {status})", expected.url),
            json!({"url": expected.url, "status": status, "expected_body": expected.body}),
        ));
    }
    Ok(Checked { domain, already: None })
}

fn record(ctx: &Ctx, tx: &Db, checked: Checked) -> Result<Change<SsoDomainVerified>, ApiError> {
    let verified_at = match checked.already {
        Some(at) => at,
        None => sso::mark_verified(tx, ctx.workspace_id()?, &checked.domain)?,
    };
    Ok(Change::ok(checked.domain.clone(), SsoDomainVerified { domain: checked.domain, verified_at }))
}
