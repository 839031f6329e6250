//! Signed audit exports and signed tree heads.
//!
//! An export is NDJSON: a `header` line, one `entry` line per audit entry
//! (in seq order), and a `trailer` line carrying the entry count, the
//! SHA-256 `digest` of every byte before the trailer, and an Ed25519
//! `signature` over `switchyard-audit-export-v1:<digest>` by the key
//! `key_id`. The JSON form holds the same header, entries and trailer; it is
//! verified by rendering it back to those lines. Verification streams: memory
//! does not grow with the export.

use std::io::BufRead;

use ed25519_compact::{KeyPair, PublicKey, Seed, Signature};
use sha2::{Digest, Sha256};

use crate::audit::{AuditEntry, GENESIS_HASH, Hashed};

pub const EXPORT_CONTEXT: &str = "switchyard-audit-export-v1:";
pub const HEAD_CONTEXT: &str = "switchyard-tree-head-v1:";

pub use switchyard_api::{ExportDocument, ExportHeader as Header, ExportLine as Line, ExportTrailer as Trailer};

/// One line's bytes, newline included.
pub fn render(line: &Line) -> Vec<u8> {
    // A line holds strings and integers only: serialising it cannot fail.
    let mut bytes = serde_json::to_vec(line).expect("an export line always serialises");
    bytes.push(b'\n');
    bytes
}

/// The deployment's signing key (Ed25519 seed), with its key id.
pub struct SigningKey {
    pair: KeyPair,
    key_id: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.key_id)
    }
}

/// A key id: the first 16 hex digits of SHA-256 of the public key.
pub fn key_id(public: &[u8]) -> String {
    crate::sha256_hex(public)[..16].to_owned()
}

impl SigningKey {
    /// From 64 hex digits (a 32-byte seed).
    pub fn from_seed_hex(seed: &str) -> Result<Self, String> {
        let bytes: [u8; 32] = hex::decode(seed.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the signing key must be 64 hex digits (a 32-byte Ed25519 seed)")?;
        let pair = KeyPair::from_seed(Seed::new(bytes));
        let key_id = key_id(pair.pk.as_ref());
        Ok(Self { pair, key_id })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn public_key(&self) -> [u8; 32] {
        *self.pair.pk
    }

    /// Hex signature over `context || message`.
    pub fn sign(&self, context: &str, message: &str) -> String {
        hex::encode(self.pair.sk.sign(format!("{context}{message}"), None).as_ref())
    }

    /// The public half as a JWK (RFC 8037 OKP).
    pub fn jwk(&self) -> switchyard_api::Jwk {
        jwk(&self.public_key())
    }
}

pub fn jwk(public: &[u8; 32]) -> switchyard_api::Jwk {
    switchyard_api::Jwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        alg: "EdDSA".into(),
        usage: "sig".into(),
        kid: key_id(public),
        x: base64url(public),
    }
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn from_base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// A verifying key: raw 32 bytes.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    key: PublicKey,
    pub key_id: String,
}

impl VerifyingKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let key = PublicKey::from_slice(bytes).map_err(|_| "a public key is 32 bytes".to_owned())?;
        Ok(Self { key_id: key_id(bytes), key })
    }

    /// From 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        Self::from_bytes(&hex::decode(text.trim()).map_err(|_| "the public key must be hex".to_owned())?)
    }

    /// Every Ed25519 key of a JWKS document.
    pub fn from_jwks(jwks: &serde_json::Value) -> Result<Vec<Self>, String> {
        let keys = jwks["keys"].as_array().ok_or("a JWKS document has a `keys` array")?;
        keys.iter()
            .filter(|k| k["crv"] == "Ed25519")
            .map(|k| Self::from_bytes(&from_base64url(k["x"].as_str().unwrap_or_default()).ok_or("bad `x`")?))
            .collect()
    }

    pub fn verify(&self, context: &str, message: &str, signature_hex: &str) -> bool {
        let Some(sig) = hex::decode(signature_hex).ok().and_then(|b| Signature::from_slice(&b).ok()) else {
            return false;
        };
        self.key.verify(format!("{context}{message}"), &sig).is_ok()
    }
}

/// Builds an export line by line, hashing as it goes (constant memory).
pub struct ExportWriter {
    digest: Sha256,
    count: u64,
}

impl Default for ExportWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ExportWriter {
    pub fn new() -> Self {
        Self { digest: Sha256::new(), count: 0 }
    }

    pub fn header(&mut self, header: Header) -> Vec<u8> {
        let bytes = render(&Line::Header(header));
        self.digest.update(&bytes);
        bytes
    }

    pub fn entry(&mut self, entry: AuditEntry) -> Vec<u8> {
        let bytes = render(&Line::Entry(entry));
        self.digest.update(&bytes);
        self.count += 1;
        bytes
    }

    pub fn trailer_value(self, key: &SigningKey) -> Trailer {
        let digest = hex::encode(self.digest.finalize());
        Trailer { count: self.count, signature: key.sign(EXPORT_CONTEXT, &digest), key_id: key.key_id.clone(), digest }
    }

    pub fn trailer(self, key: &SigningKey) -> Vec<u8> {
        render(&Line::Trailer(self.trailer_value(key)))
    }
}

/// A valid export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub workspace_id: String,
    pub count: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub key_id: String,
}

/// Where an export stops being valid: the 1-based line, the 0-based entry
/// index when the line is an entry, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub line: usize,
    pub index: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "line {} (entry {i}): {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Verifies an NDJSON export from a reader, line by line.
pub fn verify_ndjson(mut reader: impl BufRead, keys: &[VerifyingKey]) -> Result<Verified, Invalid> {
    let mut digest = Sha256::new();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut header: Option<Header> = None;
    let mut expected_prev = String::new();
    let mut expected_seq: Option<u64> = None;
    let mut count = 0u64;
    let mut first_seq = None;
    let mut last_seq = None;
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf).map_err(|e| Invalid {
            line: line_no + 1,
            index: None,
            reason: format!("unreadable: {e}"),
        })?;
        line_no += 1;
        let fail = |index: Option<u64>, reason: String| Err(Invalid { line: line_no, index, reason });
        if read == 0 {
            return fail(None, "the export ends without a trailer (truncated)".into());
        }
        if buf.last() != Some(&b'\n') {
            return fail(None, "the last line is cut short (truncated)".into());
        }
        let line: Line = match serde_json::from_slice(&buf[..buf.len() - 1]) {
            Ok(l) => l,
            Err(e) => return fail(header.as_ref().map(|_| count), format!("not a valid export line: {e}")),
        };
        match (line, &header) {
            (Line::Header(h), None) => {
                expected_prev = h.prev_hash.clone();
                header = Some(h);
            }
            (Line::Header(_), Some(_)) => return fail(None, "a second header".into()),
            (_, None) => return fail(None, "the export must start with a header line".into()),
            (Line::Entry(e), Some(h)) => {
                let index = Some(count);
                if e.workspace_id != h.workspace_id {
                    return fail(index, format!("entry of another workspace ({})", e.workspace_id));
                }
                if let Some(seq) = expected_seq
                    && e.seq != seq
                {
                    return fail(
                        index,
                        format!("expected seq {seq}, found {} (a line is missing or out of order)", e.seq),
                    );
                }
                if e.prev_hash != expected_prev {
                    return fail(
                        index,
                        "prev_hash does not match the previous entry (a line is missing or out of order)".into(),
                    );
                }
                if e.seq == 1 && e.prev_hash != GENESIS_HASH {
                    return fail(index, "the first entry must follow the genesis hash".into());
                }
                if e.computed_hash() != e.hash {
                    return fail(index, "hash does not match the entry's contents (the entry was altered)".into());
                }
                first_seq.get_or_insert(e.seq);
                last_seq = Some(e.seq);
                expected_seq = Some(e.seq + 1);
                expected_prev = e.hash.clone();
                count += 1;
            }
            (Line::Trailer(t), Some(h)) => {
                let computed = hex::encode(digest.clone().finalize());
                if t.count != count {
                    return fail(
                        None,
                        format!("trailer counts {} entries, the export has {count} (lines deleted or added)", t.count),
                    );
                }
                if t.digest != computed {
                    return fail(None, "digest does not match the export's bytes".into());
                }
                let Some(key) = keys.iter().find(|k| k.key_id == t.key_id) else {
                    return fail(None, format!("signed by unknown key `{}`", t.key_id));
                };
                if t.key_id != h.key_id || !key.verify(EXPORT_CONTEXT, &t.digest, &t.signature) {
                    return fail(None, "the signature does not verify".into());
                }
                buf.clear();
                if reader.read_until(b'\n', &mut buf).map(|n| n > 0).unwrap_or(true) {
                    return Err(Invalid { line: line_no + 1, index: None, reason: "data after the trailer".into() });
                }
                return Ok(Verified {
                    workspace_id: h.workspace_id.clone(),
                    count,
                    first_seq,
                    last_seq,
                    key_id: t.key_id,
                });
            }
        }
        digest.update(&buf);
    }
}

/// Verifies the JSON form by rendering it to the NDJSON it stands for.
pub fn verify_document(doc: &ExportDocument, keys: &[VerifyingKey]) -> Result<Verified, Invalid> {
    let mut bytes = render(&Line::Header(doc.header.clone()));
    for e in &doc.entries {
        bytes.extend(render(&Line::Entry(e.clone())));
    }
    bytes.extend(render(&Line::Trailer(doc.trailer.clone())));
    verify_ndjson(bytes.as_slice(), keys)
}

pub use switchyard_api::SignedHead;

/// The exact bytes a head's signature covers (after `HEAD_CONTEXT`): compact
/// JSON with the keys in this order and strings escaped as JSON does —
/// written out here, so no serializer setting can change them (see
/// `docs/AUDIT-FORMAT.md`).
pub fn head_message(workspace_id: &str, tree_size: u64, root_hash: &str, timestamp: &str) -> String {
    let quoted = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    format!(
        "{{\"root_hash\":{},\"timestamp\":{},\"tree_size\":{tree_size},\"workspace_id\":{}}}",
        quoted(root_hash),
        quoted(timestamp),
        quoted(workspace_id)
    )
}

/// Signs a tree head.
pub fn sign_head(key: &SigningKey, workspace_id: &str, tree_size: u64, root_hash: &str, timestamp: &str) -> SignedHead {
    let message = head_message(workspace_id, tree_size, root_hash, timestamp);
    SignedHead {
        workspace_id: workspace_id.to_owned(),
        tree_size,
        root_hash: root_hash.to_owned(),
        timestamp: timestamp.to_owned(),
        key_id: key.key_id.clone(),
        signature: key.sign(HEAD_CONTEXT, &message),
    }
}

/// Whether one of `keys` signed `head`.
pub fn verify_head(head: &SignedHead, keys: &[VerifyingKey]) -> bool {
    let message = head_message(&head.workspace_id, head.tree_size, &head.root_hash, &head.timestamp);
    keys.iter().filter(|k| k.key_id == head.key_id).any(|k| k.verify(HEAD_CONTEXT, &message, &head.signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_head_bytes_are_exactly_the_documented_ones() {
        let message = head_message("ws_abc", 42, "9f86d0", "2026-12-01T00:00:00.000Z");
        assert_eq!(
            message,
            r#"{"root_hash":"9f86d0","timestamp":"2026-12-01T00:00:00.000Z","tree_size":42,"workspace_id":"ws_abc"}"#
        );
        // The same bytes a sorted-key JSON serializer writes (what heads were signed over before).
        let sorted = serde_json::json!({"workspace_id": "ws_abc", "tree_size": 42, "root_hash": "9f86d0", "timestamp": "2026-12-01T00:00:00.000Z"});
        assert_eq!(message, sorted.to_string());
        assert_eq!(
            head_message("a\"b", 0, "", ""),
            r#"{"root_hash":"","timestamp":"","tree_size":0,"workspace_id":"a\"b"}"#
        );
    }
    use crate::audit::{NewEntry, seal};

    fn key() -> SigningKey {
        SigningKey::from_seed_hex(&"11".repeat(32)).unwrap()
    }

    fn export(n: u64) -> Vec<u8> {
        let key = key();
        let mut w = ExportWriter::new();
        let mut out = w.header(Header {
            version: 1,
            workspace_id: "ws_a".into(),
            prev_hash: GENESIS_HASH.into(),
            key_id: key.key_id().into(),
            created_at: "2026-11-22T00:00:00.000Z".into(),
        });
        let mut prev: Option<AuditEntry> = None;
        for i in 0..n {
            let e = seal(
                NewEntry {
                    workspace_id: "ws_a".into(),
                    at: format!("t{i}"),
                    actor: "tok_x".into(),
                    action: "agent-run".into(),
                    target: Some(format!("lane_{i}")),
                    request_id: format!("req_{i}"),
                    input_digest: "d".into(),
                },
                prev.as_ref().map(|p| (p.seq, p.hash.as_str())),
            );
            out.extend(w.entry(e.clone()));
            prev = Some(e);
        }
        out.extend(w.trailer(&key));
        out
    }

    fn verify(bytes: &[u8]) -> Result<Verified, Invalid> {
        let public = VerifyingKey::from_bytes(&key().public_key()).unwrap();
        verify_ndjson(bytes, &[public])
    }

    fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
        bytes.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn a_clean_export_verifies() {
        let v = verify(&export(20)).unwrap();
        assert_eq!((v.count, v.first_seq, v.last_seq), (20, Some(1), Some(20)));
    }

    #[test]
    fn each_tampering_is_caught_at_the_right_line() {
        let clean = lines(&export(10));
        // A flipped byte inside entry 4 (line 6).
        let mut flipped = clean.clone();
        let pos = flipped[5].iter().position(|b| *b == b'a').unwrap();
        flipped[5][pos] = b'b';
        let bad = verify(&flipped.concat()).unwrap_err();
        assert_eq!((bad.line, bad.index), (6, Some(4)), "{bad}");
        // A deleted line: the next entry no longer follows.
        let mut deleted = clean.clone();
        deleted.remove(3);
        assert_eq!(verify(&deleted.concat()).unwrap_err().line, 4);
        // Reordered lines.
        let mut swapped = clean.clone();
        swapped.swap(4, 5);
        assert_eq!(verify(&swapped.concat()).unwrap_err().line, 5);
        // Truncated: cut mid-line, or at a line boundary before the trailer.
        let all = clean.concat();
        assert_eq!(verify(&all[..all.len() - 10]).unwrap_err().line, 12);
        let cut = clean[..8].concat();
        let bad = verify(&cut).unwrap_err();
        assert_eq!(bad.line, 9);
        assert!(bad.reason.contains("truncated"));
        // A forged trailer signature.
        let mut forged = clean.clone();
        let last = String::from_utf8(forged[11].clone()).unwrap().replace("\"signature\":\"", "\"signature\":\"00");
        forged[11] = last.into_bytes();
        assert_eq!(verify(&forged.concat()).unwrap_err().line, 12);
    }

    #[test]
    fn the_json_form_verifies_like_the_lines() {
        let clean = lines(&export(3));
        let parse = |l: &[u8]| serde_json::from_slice::<Line>(&l[..l.len() - 1]).unwrap();
        let (Line::Header(header), Line::Trailer(trailer)) = (parse(&clean[0]), parse(&clean[4])) else { panic!() };
        let entries = clean[1..4]
            .iter()
            .map(|l| match parse(l) {
                Line::Entry(e) => e,
                _ => panic!(),
            })
            .collect();
        let mut doc = ExportDocument { header, entries, trailer };
        let public = VerifyingKey::from_bytes(&key().public_key()).unwrap();
        assert!(verify_document(&doc, std::slice::from_ref(&public)).is_ok());
        doc.entries[1].actor = "intruder".into();
        assert_eq!(verify_document(&doc, &[public]).unwrap_err().index, Some(1));
    }

    #[test]
    fn heads_and_jwks_round_trip() {
        let k = key();
        let head = sign_head(&k, "ws_a", 3, "ab", "2026-11-22T00:00:00.000Z");
        let keys = VerifyingKey::from_jwks(&serde_json::json!({"keys": [k.jwk()]})).unwrap();
        assert!(verify_head(&head, &keys));
        let mut forged = head.clone();
        forged.tree_size = 4;
        assert!(!verify_head(&forged, &keys));
        assert_eq!(keys[0].key_id, k.key_id());
    }
}
