//! `Idempotency-Key` on mutations: the first response (status and body) is
//! kept 24 h per workspace, caller and key, and replayed byte for byte —
//! except a response holding a once-shown secret (a new token or harness
//! credential): the secret is never stored, and a replay answers 409 with the
//! rest of the response in `details.response`. `maintenance-tick` deletes
//! records older than 24 h.

use switchyard_api::ErrorCode;

use crate::db::{Db, DbError};
use crate::error::ApiError;
use crate::response::Reply;

pub(crate) const MAX_KEY_LEN: usize = 255;
/// How long a first response is kept.
const KEEP_SECS: u64 = 24 * 60 * 60;
/// A claim older than this is from an instance that died mid-request.
const ABANDONED_SECS: u64 = 120;

/// Our claim on a key while the first request runs.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    workspace: String,
    actor: String,
    key: String,
}

pub(crate) enum Begin {
    Proceed(Claim),
    Replay(Reply),
}

use crate::clock::rfc3339_before as ago;

/// Checks the header's shape: 1–255 visible ASCII characters.
pub(crate) fn validate_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        let mut e = ApiError::new(
            ErrorCode::BadRequest,
            format!("Idempotency-Key must be 1-{MAX_KEY_LEN} visible ASCII characters"),
        );
        e.field = Some("Idempotency-Key".into());
        return Err(e);
    }
    Ok(())
}

/// Claims `key`, or says why not: replay the stored response, 409 while the
/// first is running, 422 when the key was used for a different request.
pub(crate) fn begin(db: &Db, workspace: &str, actor: &str, key: &str, digest: &str) -> Result<Begin, ApiError> {
    let now = crate::clock::now_rfc3339();
    db.transaction(|tx| {
        let existing = tx.query_one(
            "SELECT request_digest, state, status, content_type, body, created_at FROM idempotency_keys
             WHERE workspace_id = $1 AND actor = $2 AND key = $3",
            &[&workspace, &actor, &key],
        )?;
        let claim = Claim { workspace: workspace.to_owned(), actor: actor.to_owned(), key: key.to_owned() };
        let Some(row) = existing else {
            tx.exec(
                "INSERT INTO idempotency_keys (workspace_id, actor, key, request_digest, state, created_at)
                 VALUES ($1, $2, $3, $4, 'running', $5)",
                &[&workspace, &actor, &key, &digest, &now],
            )?;
            return Ok(Begin::Proceed(claim));
        };
        let created = row.text("created_at")?;
        let expired = created < ago(KEEP_SECS);
        let abandoned = row.text("state")? == "running" && created < ago(ABANDONED_SECS);
        if expired || abandoned {
            tx.exec(
                "UPDATE idempotency_keys SET request_digest = $1, state = 'running', status = NULL, content_type = NULL,
                 body = NULL, created_at = $2 WHERE workspace_id = $3 AND actor = $4 AND key = $5",
                &[&digest, &now, &workspace, &actor, &key],
            )?;
            return Ok(Begin::Proceed(claim));
        }
        if row.text("request_digest")? != digest {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used with a different request; use a new key",
            ));
        }
        if row.text("state")? == "running" {
            return Err(ApiError::conflict("a request with this Idempotency-Key is still in progress; retry shortly"));
        }
        let status = u16::try_from(row.int("status")?).unwrap_or(500);
        let content_type = row.text("content_type")?;
        Ok(Begin::Replay(Reply::bytes(status, &content_type, row.blob("body")?).replayed()))
    })
}

/// Stores the first response; called inside the mutation's transaction.
pub(crate) fn complete(tx: &Db, claim: &Claim, status: u16, content_type: &str, body: &[u8]) -> Result<(), DbError> {
    tx.exec(
        "UPDATE idempotency_keys SET state = 'done', status = $1, content_type = $2, body = $3
         WHERE workspace_id = $4 AND actor = $5 AND key = $6",
        &[&i64::from(status), &content_type, &body.to_vec(), &claim.workspace, &claim.actor, &claim.key],
    )
}

/// The 409 a replay answers instead of a response that held a secret: the
/// response with the secret nulled, so the caller can find (and revoke) what
/// the first request created.
pub(crate) fn withheld(
    request_id: &switchyard_api::RequestId,
    pointer: &str,
    output: &impl serde::Serialize,
) -> Result<Vec<u8>, ApiError> {
    let mut response = serde_json::to_value(output).map_err(ApiError::internal)?;
    let secret = response.pointer_mut(pointer).ok_or_else(|| ApiError::internal(format!("no secret at {pointer}")))?;
    *secret = serde_json::Value::Null;
    let e = ApiError::conflict(
        "this request already succeeded; its response held a secret, which is shown only once and never stored. \
         Revoke what it created (details.response) if the secret was lost, and repeat with a new Idempotency-Key",
    )
    .with_details(serde_json::json!({"secret_withheld": pointer, "response": response}));
    Ok(e.render(request_id.as_str(), "", false).1)
}

/// Deletes records older than the 24 h they are kept; says how many went.
pub fn prune(tx: &Db) -> Result<u64, DbError> {
    let gone = tx.query("DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING key", &[&ago(KEEP_SECS)])?;
    Ok(gone.len() as u64)
}

/// Forgets the claim so a retry can run (after an internal error).
pub(crate) fn release(db: &Db, claim: &Claim) {
    let _ = db.exec(
        "DELETE FROM idempotency_keys WHERE workspace_id = $1 AND actor = $2 AND key = $3 AND state = 'running'",
        &[&claim.workspace, &claim.actor, &claim.key],
    );
}
