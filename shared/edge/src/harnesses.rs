//! Harness storage: registration, heartbeats and revocation (the lanes a
//! harness holds are in `lanes.rs`).

use switchyard_api::{HarnessId, WorkspaceId};

use crate::clock::now_rfc3339;
use crate::db::Db;
use crate::error::ApiError;

/// A harness to register; only the hash of its credential is stored.
#[derive(Debug)]
pub struct NewHarness<'h> {
    pub id: &'h HarnessId,
    pub workspace: &'h WorkspaceId,
    pub kind: &'h str,
    pub name: &'h str,
    pub capabilities: &'h [String],
    pub labels: &'h [String],
    pub credential_hash: &'h str,
    pub lease_seconds: u64,
    pub lease_expires_at: &'h str,
    pub created_by: &'h str,
}

pub fn insert(tx: &Db, h: &NewHarness<'_>) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO harnesses (id, workspace_id, kind, name, capabilities, labels, credential_hash, lease_seconds,
         lease_expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &h.id.as_str(),
            &h.workspace.as_str(),
            &h.kind,
            &h.name,
            &serde_json::to_string(h.capabilities).map_err(ApiError::internal)?,
            &serde_json::to_string(h.labels).map_err(ApiError::internal)?,
            &h.credential_hash,
            &h.lease_seconds,
            &h.lease_expires_at,
            &h.created_by,
            &now_rfc3339(),
        ],
    )?;
    Ok(())
}

/// Records a heartbeat: the harness's lease now runs until `lease_expires_at`.
pub fn renew(tx: &Db, harness: &HarnessId, lease_expires_at: &str) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE harnesses SET lease_expires_at = $1, last_heartbeat_at = $2 WHERE id = $3",
        &[&lease_expires_at, &now_rfc3339(), &harness.as_str()],
    )?;
    Ok(())
}

/// Revokes a harness of `workspace` (NOT_FOUND for another workspace's);
/// revoking twice answers the first time.
pub fn revoke(tx: &Db, workspace: &WorkspaceId, harness: &HarnessId) -> Result<String, ApiError> {
    crate::tokens::revoke_once(tx, crate::tokens::Revocable::Harness, harness.as_str(), workspace)
}

/// Harnesses of every workspace whose lease is current (for the public status page).
pub fn online(db: &Db) -> Result<u64, ApiError> {
    let row = db.query_one(
        "SELECT COUNT(*) AS n FROM harnesses WHERE revoked_at IS NULL AND lease_expires_at > $1",
        &[&now_rfc3339()],
    )?;
    Ok(row.map(|r| r.int("n")).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}
