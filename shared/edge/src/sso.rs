//! SSO provider storage: which providers sign in which email domains, and
//! which workspace has proven it owns each domain. A provider is offered at
//! sign-in only for a domain its workspace verified; a domain is verified by
//! at most one workspace (a unique index), so no workspace can put its
//! provider in front of another company's users.

use switchyard_api::{DomainChallenge, ProviderId, ProviderKind, SsoProvider, WorkspaceId};

use crate::clock::now_rfc3339;
use crate::db::Db;
use crate::error::ApiError;

/// Adds (or renames) `provider` for `domain` in `workspace`.
pub fn upsert(
    tx: &Db,
    workspace: &WorkspaceId,
    domain: &str,
    provider: ProviderKind,
    display_name: &str,
) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO sso_providers (id, workspace_id, domain, provider, display_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (workspace_id, domain, provider) DO UPDATE SET display_name = excluded.display_name",
        &[
            &ProviderId::from_random(&crate::clock::random_bytes()).as_str(),
            &workspace.as_str(),
            &domain,
            &provider.as_str(),
            &display_name,
            &now_rfc3339(),
        ],
    )?;
    Ok(())
}

/// Removes `provider` from `domain` in `workspace` (nothing to remove is fine).
pub fn remove(tx: &Db, workspace: &WorkspaceId, domain: &str, provider: ProviderKind) -> Result<(), ApiError> {
    tx.exec(
        "DELETE FROM sso_providers WHERE workspace_id = $1 AND domain = $2 AND provider = $3",
        &[&workspace.as_str(), &domain, &provider.as_str()],
    )?;
    Ok(())
}

/// The providers of active workspaces for `domain` that verified it, by workspace handle.
pub fn for_domain(db: &Db, domain: &str) -> Result<Vec<SsoProvider>, ApiError> {
    db.query(
        "SELECT p.id, p.provider, p.display_name, w.handle FROM sso_providers p
         JOIN workspaces w ON w.id = p.workspace_id
         JOIN sso_domains d ON d.workspace_id = p.workspace_id AND d.domain = p.domain AND d.verified_at IS NOT NULL
         WHERE p.domain = $1 AND w.status = 'active' ORDER BY w.handle, p.provider",
        &[&domain],
    )?
    .iter()
    .map(|row| {
        let bad = || ApiError::internal("malformed sso_providers row");
        Ok(SsoProvider {
            id: ProviderId::parse(&row.text("id")?).ok_or_else(bad)?,
            provider: ProviderKind::parse(&row.text("provider")?).ok_or_else(bad)?,
            display_name: row.text("display_name")?,
            workspace_handle: row.text("handle")?,
        })
    })
    .collect()
}

/// A workspace's claim on a domain: the challenge it must serve, and when it did.
#[derive(Debug, Clone)]
pub struct DomainClaim {
    pub challenge: String,
    pub verified_at: Option<String>,
}

/// Where a domain must serve its challenge: the `sso_domain_verification_url`
/// variable, with `{domain}` replaced.
pub fn challenge_url(domain: &str) -> Result<String, ApiError> {
    let template = spin_sdk::variables::get("sso_domain_verification_url")
        .map_err(|e| ApiError::internal(format!("variable sso_domain_verification_url: {e:?}")))?;
    Ok(template.replace("{domain}", domain))
}

/// The challenge for `claim`, as `sso-config-update` hands it out.
pub fn challenge(domain: &str, claim: &DomainClaim) -> Result<DomainChallenge, ApiError> {
    Ok(DomainChallenge {
        url: challenge_url(domain)?,
        body: format!("switchyard-domain-verification={}", claim.challenge),
    })
}

/// The workspace's claim on `domain`, made now (with a fresh random challenge) if it has none.
pub fn claim_domain(tx: &Db, workspace: &WorkspaceId, domain: &str) -> Result<DomainClaim, ApiError> {
    let fresh = hex::encode(crate::clock::random_bytes::<20>());
    tx.exec(
        "INSERT INTO sso_domains (workspace_id, domain, challenge, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id, domain) DO NOTHING",
        &[&workspace.as_str(), &domain, &fresh, &now_rfc3339()],
    )?;
    domain_claim(tx, workspace, domain)?.ok_or_else(|| ApiError::internal("a domain claim vanished"))
}

/// The workspace's claim on `domain`, if it made one.
pub fn domain_claim(db: &Db, workspace: &WorkspaceId, domain: &str) -> Result<Option<DomainClaim>, ApiError> {
    let row = db.query_one(
        "SELECT challenge, verified_at FROM sso_domains WHERE workspace_id = $1 AND domain = $2",
        &[&workspace.as_str(), &domain],
    )?;
    row.map(|r| Ok(DomainClaim { challenge: r.text("challenge")?, verified_at: r.opt_text("verified_at")? }))
        .transpose()
}

/// Marks the claim verified; refuses when another workspace verified the domain first.
pub fn mark_verified(tx: &Db, workspace: &WorkspaceId, domain: &str) -> Result<String, ApiError> {
    let now = now_rfc3339();
    let marked = tx.exec(
        "UPDATE sso_domains SET verified_at = $1 WHERE workspace_id = $2 AND domain = $3 AND verified_at IS NULL",
        &[&now, &workspace.as_str(), &domain],
    );
    match marked {
        Err(e) if e.is_unique_violation() => Err(ApiError::conflict(format!(
            "{domain} is verified by another workspace; a domain belongs to at most one"
        ))),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(domain_claim(tx, workspace, domain)?.and_then(|c| c.verified_at).unwrap_or(now)),
    }
}
