//! API token storage: minting (shared by `workspace-bootstrap` and
//! `api-token-issue`) and revoking. Only a token's hash is stored.

use switchyard_api::{IssuedToken, Scope, TokenId, WorkspaceId};
use switchyard_domain::token::{self, PatEntropy};

use crate::clock::{now_rfc3339, random_bytes, rfc3339_after};
use crate::db::{Db, DbError};
use crate::error::ApiError;

/// Stores a new token (hash only) and returns it with its secret, shown once.
pub fn issue_token(
    tx: &Db,
    workspace: &WorkspaceId,
    name: &str,
    scopes: &[Scope],
    expires_in_seconds: Option<u64>,
    created_by: &str,
) -> Result<IssuedToken, DbError> {
    let minted = token::mint(&PatEntropy { id: random_bytes(), secret: random_bytes() });
    let created_at = now_rfc3339();
    let expires_at = expires_in_seconds.map(rfc3339_after);
    let scope_names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    tx.exec(
        "INSERT INTO api_tokens (id, workspace_id, name, secret_hash, scopes, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &minted.token_id.as_str(),
            &workspace.as_str(),
            &name,
            &minted.secret_hash,
            &scope_names.join(" "),
            &created_by,
            &created_at,
            &expires_at,
        ],
    )?;
    Ok(IssuedToken {
        id: minted.token_id,
        token: minted.token,
        name: name.to_owned(),
        scopes: scopes.to_vec(),
        workspace_id: workspace.clone(),
        created_at,
        expires_at,
    })
}

/// Revokes a token of `workspace` (NOT_FOUND for another workspace's) and
/// every token minted with it, directly or down a chain: a token never
/// outlives the one that created it. Revoking twice answers the first time.
/// Returns the revocation time and the descendants revoked now.
pub fn revoke_token(tx: &Db, workspace: &WorkspaceId, token: &TokenId) -> Result<(String, Vec<TokenId>), ApiError> {
    let revoked_at = revoke_once(tx, Revocable::Token, token.as_str(), workspace)?;
    let descendants = tx.query(
        "WITH RECURSIVE minted(id) AS (
             SELECT id FROM api_tokens WHERE workspace_id = $1 AND created_by = $2
             UNION SELECT t.id FROM api_tokens t JOIN minted m ON t.created_by = m.id WHERE t.workspace_id = $1
         )
         UPDATE api_tokens SET revoked_at = $3
         WHERE workspace_id = $1 AND revoked_at IS NULL AND id IN (SELECT id FROM minted) RETURNING id",
        &[&workspace.as_str(), &token.as_str(), &revoked_at],
    )?;
    let also = descendants
        .iter()
        .map(|r| TokenId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("malformed token id")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((revoked_at, also))
}

/// The credentials that are revoked by stamping `revoked_at` on their row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Revocable {
    Token,
    Harness,
}

/// Stamps `revoked_at` on the credential `id` of `workspace` unless it is
/// already revoked; answers the (first) revocation time.
pub(crate) fn revoke_once(tx: &Db, kind: Revocable, id: &str, workspace: &WorkspaceId) -> Result<String, ApiError> {
    let (table, what) = match kind {
        Revocable::Token => ("api_tokens", "token"),
        Revocable::Harness => ("harnesses", "harness"),
    };
    let row = tx
        .query_one(
            &format!("SELECT revoked_at FROM {table} WHERE id = $1 AND workspace_id = $2"),
            &[&id, &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("{what} {id}")))?;
    if let Some(at) = row.opt_text("revoked_at")? {
        return Ok(at);
    }
    let now = now_rfc3339();
    tx.exec(
        &format!("UPDATE {table} SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3"),
        &[&now, &id, &workspace.as_str()],
    )?;
    Ok(now)
}

/// `last_used_at` moves at most this often.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// The key-value key under which a token's last use waits to be written back.
const LAST_USED_KEY: &str = "token-last-used:";

/// Notes that a token authenticated a request, in the key-value store: never
/// in the request's database transaction, so a read is not held up or failed
/// by a busy database. `maintenance-tick` writes the notes back to
/// `api_tokens.last_used_at` in one batch. Best effort: a failure is logged.
pub fn note_used(token: &TokenId, now: &str) {
    let Ok(store) = spin_sdk::key_value::Store::open_default() else { return };
    let key = format!("{LAST_USED_KEY}{token}");
    let noted = store.get(&key).ok().flatten().and_then(|v| String::from_utf8(v).ok());
    if noted.is_none_or(|last| seconds_apart(&last, now) >= LAST_USED_GRANULARITY_SECS)
        && let Err(e) = store.set(&key, now.as_bytes())
    {
        eprintln!("cannot note the use of token {token}: {e:?}");
    }
}

/// Writes the noted uses back to `api_tokens` and forgets them; says how many.
pub fn write_back_last_used(tx: &Db) -> Result<u64, ApiError> {
    let store = spin_sdk::key_value::Store::open_default().map_err(|e| ApiError::internal(format!("{e:?}")))?;
    let keys = store.get_keys().map_err(|e| ApiError::internal(format!("{e:?}")))?;
    let mut written = 0;
    for key in keys.iter().filter(|k| k.starts_with(LAST_USED_KEY)) {
        let Some(at) = store.get(key).ok().flatten().and_then(|v| String::from_utf8(v).ok()) else { continue };
        let token = &key[LAST_USED_KEY.len()..];
        tx.exec(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
            &[&at, &token, &at],
        )?;
        // A use noted after our read is kept for the next pass.
        if store.get(key).ok().flatten().as_deref() == Some(at.as_bytes()) {
            let _ = store.delete(key);
        }
        written += 1;
    }
    Ok(written)
}

/// Seconds from one RFC 3339 time to another (unreadable times count as far apart).
fn seconds_apart(earlier: &str, later: &str) -> i64 {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp());
    match (parse(earlier), parse(later)) {
        (Ok(a), Ok(b)) => b - a,
        _ => i64::MAX,
    }
}

/// A page of `workspace`'s tokens, newest first, strictly before the
/// `(created_at, id)` position `before`; only working ones unless `inactive`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    inactive: bool,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<switchyard_api::TokenSummary>, ApiError> {
    let now = now_rfc3339();
    let rows = db.query(
        "SELECT id, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at FROM api_tokens
          WHERE workspace_id = $1
            AND ($2 = 1 OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)))
            AND (created_at < $4 OR (created_at = $5 AND id < $6))
          ORDER BY created_at DESC, id DESC LIMIT $7",
        &[&workspace.as_str(), &i64::from(inactive), &now, &before.0, &before.0, &before.1, &limit],
    )?;
    rows.iter()
        .map(|r| {
            let id = r.text("id")?;
            let scopes = r.text("scopes")?;
            let revoked_at = r.opt_text("revoked_at")?;
            let expires_at = r.opt_text("expires_at")?;
            let state = match (&revoked_at, &expires_at) {
                (Some(_), _) => "revoked",
                (None, Some(e)) if *e <= now => "expired",
                _ => "active",
            };
            Ok(switchyard_api::TokenSummary {
                id: TokenId::parse(&id)
                    .ok_or_else(|| ApiError::internal(format!("stored token id {id} is malformed")))?,
                name: r.text("name")?,
                scopes: scopes
                    .split_whitespace()
                    .map(|s| Scope::parse(s).map_err(|e| ApiError::internal(format!("token {id}: {e}"))))
                    .collect::<Result<_, _>>()?,
                state: state.to_owned(),
                created_by: r.text("created_by")?,
                created_at: r.text("created_at")?,
                expires_at,
                revoked_at,
                last_used_at: r.opt_text("last_used_at")?,
            })
        })
        .collect()
}
