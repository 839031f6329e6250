//! The signed workspace archive (`workspace-export`): NDJSON, one record per
//! line, `{"type": <kind>, "data": <record>}`, between a `header` line and a
//! `trailer`. Like the audit export, the trailer carries the line count, the
//! SHA-256 `digest` of every byte before it and an Ed25519 `signature` over
//! `switchyard-workspace-export-v1:<digest>`; writing and verifying both
//! stream, in constant memory.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::export::{SigningKey, VerifyingKey};

pub const ARCHIVE_CONTEXT: &str = "switchyard-workspace-export-v1:";
pub const ARCHIVE_FORMAT: &str = "switchyard-workspace-export-v1";

/// Builds an archive line by line, hashing as it goes.
#[derive(Default)]
pub struct ArchiveWriter {
    digest: Sha256,
    count: u64,
}

impl ArchiveWriter {
    pub fn new() -> Self {
        Self::default()
    }

    fn emit(&mut self, value: &Value) -> Vec<u8> {
        // A JSON value always serialises.
        let mut bytes = serde_json::to_vec(value).expect("a JSON value always serialises");
        bytes.push(b'\n');
        self.digest.update(&bytes);
        bytes
    }

    pub fn header(&mut self, workspace_id: &str, exported_at: &str, key: &SigningKey) -> Vec<u8> {
        self.emit(&json!({
            "type": "header", "format": ARCHIVE_FORMAT, "workspace_id": workspace_id,
            "exported_at": exported_at, "key_id": key.key_id(),
        }))
    }

    /// One record of `kind` (`workspace`, `member`, `token`, `policy`, `lane`, `event`, `audit`, …).
    pub fn record(&mut self, kind: &str, data: &impl Serialize) -> Vec<u8> {
        self.count += 1;
        // Records are wire types (string keys, no floats that are not numbers): they always serialise.
        let data = serde_json::to_value(data).expect("an archive record always serialises");
        self.emit(&json!({"type": kind, "data": data}))
    }

    pub fn trailer(self, key: &SigningKey) -> Vec<u8> {
        let digest = hex::encode(self.digest.finalize());
        let trailer = json!({
            "type": "trailer", "count": self.count, "digest": digest,
            "key_id": key.key_id(), "signature": key.sign(ARCHIVE_CONTEXT, &digest),
        });
        let mut bytes = serde_json::to_vec(&trailer).expect("a JSON value always serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// A valid archive: whose, when, and how many records of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveVerified {
    pub workspace_id: String,
    pub exported_at: String,
    pub key_id: String,
    pub records: BTreeMap<String, u64>,
}

/// Verifies an archive from a reader: the header, every line's JSON, the
/// count, the digest and the signature; names the first bad line (1-based).
pub fn verify(mut reader: impl BufRead, keys: &[VerifyingKey]) -> Result<ArchiveVerified, (usize, String)> {
    let mut digest = Sha256::new();
    let mut header: Option<(String, String)> = None;
    let mut records: BTreeMap<String, u64> = BTreeMap::new();
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf).map_err(|e| (line + 1, format!("unreadable: {e}")))?;
        if read == 0 {
            return Err((line, "the archive ends without a trailer (truncated?)".into()));
        }
        line += 1;
        let value: Value = serde_json::from_slice(&buf).map_err(|e| (line, format!("not JSON: {e}")))?;
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        match (kind.as_str(), &header) {
            ("header", None) if line == 1 => {
                if value["format"] != ARCHIVE_FORMAT {
                    return Err((line, format!("not a {ARCHIVE_FORMAT} archive")));
                }
                let ws = value["workspace_id"].as_str().unwrap_or_default().to_owned();
                header = Some((ws, value["exported_at"].as_str().unwrap_or_default().to_owned()));
            }
            (_, None) => return Err((line, "the first line must be the header".into())),
            ("trailer", Some((workspace_id, exported_at))) => {
                let count: u64 = records.values().sum();
                let computed = hex::encode(digest.finalize());
                if value["count"].as_u64() != Some(count) {
                    return Err((
                        line,
                        format!("the trailer counts {} records; the archive has {count}", value["count"]),
                    ));
                }
                if value["digest"].as_str() != Some(computed.as_str()) {
                    return Err((line, "the digest does not match the archive's bytes (a line was altered)".into()));
                }
                let key_id = value["key_id"].as_str().unwrap_or_default();
                let signature = value["signature"].as_str().unwrap_or_default();
                let Some(key) = keys.iter().find(|k| k.key_id == key_id) else {
                    return Err((line, format!("no key {key_id} among the keys given")));
                };
                if !key.verify(ARCHIVE_CONTEXT, &computed, signature) {
                    return Err((line, "the signature does not verify".into()));
                }
                let mut rest = Vec::new();
                if reader.read_to_end(&mut rest).map_or(true, |n| n > 0) {
                    return Err((line + 1, "bytes after the trailer".into()));
                }
                return Ok(ArchiveVerified {
                    workspace_id: workspace_id.clone(),
                    exported_at: exported_at.clone(),
                    key_id: key_id.to_owned(),
                    records,
                });
            }
            ("header", Some(_)) => return Err((line, "a second header".into())),
            ("", Some(_)) => return Err((line, "a line without a `type`".into())),
            (_, Some(_)) => *records.entry(kind).or_insert(0) += 1,
        }
        digest.update(&buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_seed_hex(&"11".repeat(32)).unwrap()
    }

    fn archive() -> Vec<u8> {
        let key = key();
        let mut w = ArchiveWriter::new();
        let mut out = w.header("ws_1", "2026-12-02T00:00:00Z", &key);
        out.extend(w.record("lane", &json!({"run_id": "lane_a"})));
        out.extend(w.record("event", &json!({"id": 1})));
        out.extend(w.record("event", &json!({"id": 2})));
        out.extend(w.trailer(&key));
        out
    }

    fn keys() -> Vec<VerifyingKey> {
        vec![VerifyingKey::from_bytes(&key().public_key()).unwrap()]
    }

    #[test]
    fn an_archive_verifies_and_counts_its_records() {
        let ok = verify(archive().as_slice(), &keys()).unwrap();
        assert_eq!(ok.workspace_id, "ws_1");
        assert_eq!(ok.records, BTreeMap::from([("event".to_owned(), 2), ("lane".to_owned(), 1)]));
    }

    #[test]
    fn any_change_fails_the_archive_naming_where() {
        let text = String::from_utf8(archive()).unwrap();
        let altered = text.replace("lane_a", "lane_b");
        assert_eq!(verify(altered.as_bytes(), &keys()).unwrap_err().0, 5);
        let lines: Vec<&str> = text.lines().collect();
        let dropped = [lines[0], lines[1], lines[3], lines[4]].join("\n") + "\n";
        assert!(verify(dropped.as_bytes(), &keys()).unwrap_err().1.contains("counts 3"));
        let truncated = lines[..3].join("\n") + "\n";
        assert!(verify(truncated.as_bytes(), &keys()).unwrap_err().1.contains("without a trailer"));
        let other = SigningKey::from_seed_hex(&"22".repeat(32)).unwrap();
        let stranger = vec![VerifyingKey::from_bytes(&other.public_key()).unwrap()];
        assert!(verify(text.as_bytes(), &stranger).unwrap_err().1.contains("no key"));
    }
}
