//! The per-workspace hash-chained audit log.
//!
//! Entry `n` stores `prev_hash` = hash of entry `n-1` (64 zeros for the first)
//! and `hash` = SHA-256 over a canonical encoding of every other field. The
//! encoding is JSON of [`Canonical`]: fixed field order, no whitespace, serde's
//! escaping — so any verifier can recompute it byte for byte.

use serde::Serialize;

/// `prev_hash` of a workspace's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a mutation records; the chain fields are added by [`seal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub workspace_id: String,
    pub at: String,
    /// `tok_…`, `jwt:<subject>` or `service-role`.
    pub actor: String,
    /// The function name, e.g. `api-token-issue`.
    pub action: String,
    /// The id the mutation acted on, when there is one.
    pub target: Option<String>,
    pub request_id: String,
    /// SHA-256 hex of the request body as received.
    pub input_digest: String,
}

pub use switchyard_api::AuditEntry;

/// The hashed fields, in their canonical order.
#[derive(Serialize)]
struct Canonical<'e> {
    v: u8,
    workspace_id: &'e str,
    seq: u64,
    at: &'e str,
    actor: &'e str,
    action: &'e str,
    target: Option<&'e str>,
    request_id: &'e str,
    input_digest: &'e str,
    prev_hash: &'e str,
}

/// The hash chain's view of an entry (the type itself is wire format, in `switchyard-api`).
pub trait Hashed {
    /// The bytes the hash is computed over.
    fn canonical(&self) -> Vec<u8>;

    fn computed_hash(&self) -> String {
        crate::sha256_hex(&self.canonical())
    }
}

impl Hashed for AuditEntry {
    fn canonical(&self) -> Vec<u8> {
        let c = Canonical {
            v: 1,
            workspace_id: &self.workspace_id,
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            target: self.target.as_deref(),
            request_id: &self.request_id,
            input_digest: &self.input_digest,
            prev_hash: &self.prev_hash,
        };
        serde_json::to_vec(&c).expect("the canonical form (strings and integers) always serialises")
    }
}

/// Appends `entry` after `previous` (the workspace's current last entry, if any).
pub fn seal(entry: NewEntry, previous: Option<(u64, &str)>) -> AuditEntry {
    let (seq, prev_hash) = match previous {
        Some((seq, hash)) => (seq + 1, hash.to_owned()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let mut sealed = AuditEntry {
        workspace_id: entry.workspace_id,
        seq,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        request_id: entry.request_id,
        input_digest: entry.input_digest,
        prev_hash,
        hash: String::new(),
    };
    sealed.hash = sealed.computed_hash();
    sealed
}

/// Where a chain stops being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Index into the checked slice.
    pub index: usize,
    pub reason: String,
}

/// Checks a run of consecutive entries of one workspace. `previous_hash` is
/// the hash before the first entry (GENESIS when it starts at seq 1).
pub fn verify_chain(entries: &[AuditEntry], previous_hash: &str) -> Result<(), ChainBreak> {
    let mut expected_prev = previous_hash.to_owned();
    let first_seq = entries.first().map_or(1, |e| e.seq);
    for (index, (expected_seq, e)) in (first_seq..).zip(entries).enumerate() {
        let fail = |reason: String| Err(ChainBreak { index, reason });
        if e.seq != expected_seq {
            return fail(format!("expected seq {expected_seq}, found {}", e.seq));
        }
        if e.prev_hash != expected_prev {
            return fail("prev_hash does not match the previous entry's hash".into());
        }
        if e.computed_hash() != e.hash {
            return fail("hash does not match the entry's contents".into());
        }
        expected_prev = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u32) -> NewEntry {
        NewEntry {
            workspace_id: "ws_a".into(),
            at: format!("2026-11-22T12:00:{n:02}Z"),
            actor: "tok_x".into(),
            action: "api-token-issue".into(),
            target: Some(format!("tok_{n}")),
            request_id: format!("req_{n}"),
            input_digest: crate::sha256_hex(n.to_string().as_bytes()),
        }
    }

    fn chain(n: u32) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.clone()));
            out.push(seal(entry(i), prev.as_ref().map(|(s, h)| (*s, h.as_str()))));
        }
        out
    }

    #[test]
    fn a_sealed_chain_verifies() {
        let c = chain(5);
        assert_eq!(c[0].prev_hash, GENESIS_HASH);
        assert_eq!(c[4].seq, 5);
        assert_eq!(verify_chain(&c, GENESIS_HASH), Ok(()));
        assert_eq!(verify_chain(&c[2..], &c[1].hash), Ok(()));
    }

    #[test]
    fn tampering_is_found_at_the_right_index() {
        let mut c = chain(5);
        c[2].actor = "someone-else".into();
        assert_eq!(verify_chain(&c, GENESIS_HASH).unwrap_err().index, 2);

        let mut c = chain(5);
        c.remove(3);
        assert_eq!(verify_chain(&c, GENESIS_HASH).unwrap_err().index, 3);

        let mut c = chain(5);
        c.swap(1, 2);
        assert_eq!(verify_chain(&c, GENESIS_HASH).unwrap_err().index, 1);
    }

    #[test]
    fn the_canonical_encoding_is_stable() {
        let e = seal(entry(1), None);
        let text = String::from_utf8(e.canonical()).unwrap();
        assert!(text.starts_with("{\"v\":1,\"workspace_id\":\"ws_a\",\"seq\":1,"), "{text}");
        assert!(!text.contains("\"hash\""));
    }
}
