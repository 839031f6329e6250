//! SSO provider storage: which providers sign in which email domains.

use switchyard_api::{ProviderId, ProviderKind, SsoProvider, WorkspaceId};

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

/// The providers of active workspaces for `domain`, by workspace handle.
pub fn for_domain(db: &Db, domain: &str) -> Result<Vec<SsoProvider>, ApiError> {
    db.query(
        "SELECT p.id, p.provider, p.display_name, w.handle FROM sso_providers p
         JOIN workspaces w ON w.id = p.workspace_id
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
