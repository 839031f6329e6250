//! Appending to a workspace's hash-chained audit log, inside the caller's
//! transaction. There is deliberately no update or delete here (and the
//! schema's triggers refuse both).

use switchyard_domain::audit::{AuditEntry, NewEntry, seal};

use crate::db::{Db, DbError};

pub fn append(tx: &Db, entry: NewEntry) -> Result<AuditEntry, DbError> {
    let last = tx.query_one(
        "SELECT seq, hash FROM audit_log WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1",
        &[&entry.workspace_id],
    )?;
    let previous = match &last {
        Some(row) => Some((u64::try_from(row.int("seq")?).unwrap_or_default(), row.text("hash")?)),
        None => None,
    };
    let sealed = seal(entry, previous.as_ref().map(|(s, h)| (*s, h.as_str())));
    tx.exec(
        "INSERT INTO audit_log (workspace_id, seq, at, actor, action, target, request_id, input_digest, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
