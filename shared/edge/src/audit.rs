//! Appending to a workspace's hash-chained audit log, inside the caller's
//! transaction. There is deliberately no update or delete here (and the
//! schema's triggers refuse both).

use switchyard_domain::audit::{AuditEntry, NewEntry, seal};

use crate::db::{Db, DbError};

/// Appends an entry for what the deployment itself did on a schedule:
/// actor `system:<tick>`, action `<tick>:<action>`, the digest of an empty body.
pub fn append_system(
    tx: &Db,
    tick: &str,
    workspace: &switchyard_api::WorkspaceId,
    action: &str,
    target: &str,
    request_id: &switchyard_api::RequestId,
) -> Result<(), DbError> {
    append_as(tx, workspace, &format!("system:{tick}"), &format!("{tick}:{action}"), target, request_id)
}

/// Appends an entry for something done on behalf of `actor` (e.g. a forge
/// user whose comment dispatched a lane) outside a member's request.
pub fn append_as(
    tx: &Db,
    workspace: &switchyard_api::WorkspaceId,
    actor: &str,
    action: &str,
    target: &str,
    request_id: &switchyard_api::RequestId,
) -> Result<(), DbError> {
    append(
        tx,
        NewEntry {
            workspace_id: workspace.to_string(),
            at: crate::clock::now_rfc3339(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: Some(target.to_owned()),
            request_id: request_id.to_string(),
            input_digest: switchyard_domain::sha256_hex(b""),
        },
    )
    .map(drop)
}

pub fn append(tx: &Db, entry: NewEntry) -> Result<AuditEntry, DbError> {
    let last = tx.query_one(
        "SELECT seq, hash FROM audit_log WHERE workspace_id = $1 ORDER BY seq DESC LIMIT 1",
        &[&entry.workspace_id],
    )?;
    let previous = match &last {
        Some(row) => Some((u64::try_from(row.int("seq")?).unwrap_or_default(), row.text("hash")?)),
        None => None,
    };
    let sealed = seal(entry, previous.as_ref().map(|(s, h)| (*s, h.as_str())));
    tx.exec(
        "INSERT INTO audit_log (workspace_id, seq, at, actor, action, target, request_id, input_digest, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &sealed.workspace_id,
            &sealed.seq,
            &sealed.at,
            &sealed.actor,
            &sealed.action,
            &sealed.target,
            &sealed.request_id,
            &sealed.input_digest,
            &sealed.prev_hash,
            &sealed.hash,
        ],
    )?;
    Ok(sealed)
}

// ---------------------------------------------------------------- reading the log

use switchyard_api::{SignedHead, TimeBound};
use switchyard_domain::export::SigningKey;
use switchyard_domain::merkle::{self, Hash};

use crate::error::ApiError;

/// The deployment's export and head signing key (Spin variable `audit_signing_key`).
pub fn signing_key() -> Result<SigningKey, ApiError> {
    let seed = spin_sdk::variables::get("audit_signing_key")
        .map_err(|e| ApiError::internal(format!("audit_signing_key: {e:?}")))?;
    SigningKey::from_seed_hex(&seed).map_err(|e| ApiError::internal(format!("audit_signing_key: {e}")))
}

fn entry(row: &crate::db::Row) -> Result<AuditEntry, DbError> {
    Ok(AuditEntry {
        workspace_id: row.text("workspace_id")?,
        seq: u64::try_from(row.int("seq")?).unwrap_or(0),
        at: row.text("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        target: row.opt_text("target")?,
        request_id: row.text("request_id")?,
        input_digest: row.text("input_digest")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

/// Up to `limit` entries with `after < seq <= last`, in order (keyset paging: memory stays flat).
pub fn entries_between(
    db: &Db,
    workspace: &str,
    after: u64,
    last: u64,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbError> {
    db.query(
        "SELECT workspace_id, seq, at, actor, action, target, request_id, input_digest, prev_hash, hash
         FROM audit_log WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        &[&workspace, &after, &last, &limit],
    )?
    .iter()
    .map(entry)
    .collect()
}

/// The hash of entry `seq` (GENESIS for seq 0).
pub fn hash_at(db: &Db, workspace: &str, seq: u64) -> Result<String, DbError> {
    if seq == 0 {
        return Ok(switchyard_domain::audit::GENESIS_HASH.to_owned());
    }
    let row = db.query_one("SELECT hash FROM audit_log WHERE workspace_id = $1 AND seq = $2", &[&workspace, &seq])?;
    row.map(|r| r.text("hash")).transpose()?.ok_or_else(|| DbError(format!("no audit entry {seq}")))
}

/// How many entries the workspace's log holds.
pub fn log_size(db: &Db, workspace: &str) -> Result<u64, DbError> {
    let row =
        db.query_one("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log WHERE workspace_id = $1", &[&workspace])?;
    Ok(row.map(|r| r.int("n")).transpose()?.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Merkle leaves of the first `size` entries: `leaf_hash(entry hash bytes)`.
pub fn leaves(db: &Db, workspace: &str, size: u64) -> Result<Vec<Hash>, DbError> {
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut after = 0;
    while after < size {
        let rows = db.query(
            "SELECT seq, hash FROM audit_log WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 5000",
            &[&workspace, &after, &size],
        )?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let bytes = hex::decode(r.text("hash")?).map_err(|_| DbError("audit hash is not hex".into()))?;
            out.push(merkle::leaf_hash(&bytes));
            after = u64::try_from(r.int("seq")?).unwrap_or(after);
        }
    }
    Ok(out)
}

/// The seq range (inclusive) an export covers, or `None` when it is empty.
pub fn resolve_range(
    db: &Db,
    workspace: &str,
    from_seq: Option<u64>,
    to_seq: Option<u64>,
    from: Option<&TimeBound>,
    to: Option<&TimeBound>,
) -> Result<Option<(u64, u64)>, ApiError> {
    if (from_seq.is_some() || to_seq.is_some()) && (from.is_some() || to.is_some()) {
        return Err(ApiError::validation("from", "give a seq range or a time range, not both"));
    }
    let size = log_size(db, workspace)?;
    let (first, last) = if from.is_some() || to.is_some() {
        let from = from.map_or("", TimeBound::as_str);
        let to = to.map_or("9999", TimeBound::as_str);
        if from >= to {
            return Err(ApiError::validation("to", "must be after `from`"));
        }
        let row = db.query_one(
            "SELECT MIN(seq) AS first, MAX(seq) AS last FROM audit_log WHERE workspace_id = $1 AND at >= $2 AND at < $3",
            &[&workspace, &from, &to],
        )?;
        let (Some(first), Some(last)) = (
            row.as_ref().and_then(|r| r.int("first").ok()).and_then(|v| u64::try_from(v).ok()),
            row.as_ref().and_then(|r| r.int("last").ok()).and_then(|v| u64::try_from(v).ok()),
        ) else {
            return Ok(None);
        };
        (first, last)
    } else {
        (from_seq.unwrap_or(1).max(1), to_seq.unwrap_or(size).min(size))
    };
    if from_seq.is_some_and(|f| f == 0) {
        return Err(ApiError::validation("from_seq", "entries start at seq 1"));
    }
    if let (Some(f), Some(t)) = (from_seq, to_seq)
        && f > t
    {
        return Err(ApiError::validation("to_seq", "must not be below from_seq"));
    }
    Ok((first <= last && last > 0).then_some((first, last)))
}

/// The header of an export of `workspace` starting at `first`.
pub fn export_header(
    db: &Db,
    workspace: &str,
    first: u64,
    key: &SigningKey,
) -> Result<switchyard_domain::export::Header, ApiError> {
    Ok(switchyard_domain::export::Header {
        version: 1,
        workspace_id: workspace.to_owned(),
        prev_hash: hash_at(db, workspace, first.saturating_sub(1))?,
        key_id: key.key_id().to_owned(),
        created_at: crate::clock::now_rfc3339(),
    })
}

/// Streams `range` of `workspace`'s log as a signed NDJSON export into `body`,
/// a page of entries at a time. On a failure mid-way the stream simply ends
/// (a verifier reports it as truncated).
pub async fn stream_export<E: std::fmt::Debug>(
    db: &Db,
    workspace: &str,
    range: Option<(u64, u64)>,
    key: &SigningKey,
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
) {
    const PAGE: u64 = 500;
    let mut writer = switchyard_domain::export::ExportWriter::new();
    let (first, last) = range.unwrap_or((1, 0));
    let header = match export_header(db, workspace, first, key) {
        Ok(h) => h,
        Err(e) => return eprintln!("export: {:?}", e.cause),
    };
    if !crate::stream::write(body, writer.header(header)).await {
        return;
    }
    let mut after = first.saturating_sub(1);
    while after < last {
        let page = match entries_between(db, workspace, after, last, PAGE) {
            Ok(page) if !page.is_empty() => page,
            Ok(_) => break,
            Err(e) => return eprintln!("export stopped: {e}"),
        };
        let mut chunk = Vec::with_capacity(page.len() * 400);
        for e in page {
            after = e.seq;
            chunk.extend(writer.entry(e));
        }
        if !crate::stream::write(body, chunk).await {
            return;
        }
    }
    crate::stream::write(body, writer.trailer(key)).await;
}

/// The head `workspace` published last, if any.
pub fn latest_head(db: &Db, workspace: &str) -> Result<Option<SignedHead>, ApiError> {
    db.query_one(
        "SELECT workspace_id, tree_size, root_hash, timestamp, key_id, signature FROM audit_heads
         WHERE workspace_id = $1 ORDER BY timestamp DESC, tree_size DESC LIMIT 1",
        &[&workspace],
    )?
    .map(|r| {
        Ok(SignedHead {
            workspace_id: r.text("workspace_id")?,
            tree_size: u64::try_from(r.int("tree_size")?).map_err(ApiError::internal)?,
            root_hash: r.text("root_hash")?,
            timestamp: r.text("timestamp")?,
            key_id: r.text("key_id")?,
            signature: r.text("signature")?,
        })
    })
    .transpose()
}

/// Records a published head.
pub fn record_head(tx: &Db, head: &SignedHead) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO audit_heads (workspace_id, tree_size, root_hash, timestamp, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&head.workspace_id, &head.tree_size, &head.root_hash, &head.timestamp, &head.key_id, &head.signature],
    )?;
    Ok(())
}
