//! Audit exports, tree heads, proofs and verification.

use serde::{Deserialize, Serialize};

use crate::lanes::lenient_u64;

/// A signed tree head: the workspace's log had `tree_size` entries with
/// Merkle root `root_hash` at `timestamp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    pub workspace_id: String,
    pub tree_size: u64,
    pub root_hash: String,
    pub timestamp: String,
    pub key_id: String,
    pub signature: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Ndjson,
    Json,
}

/// An entry range (`from_seq`..=`to_seq`) or a time range (`from` ≤ at < `to`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportAudit {
    #[serde(default)]
    pub format: ExportFormat,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub from_seq: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub to_seq: Option<u64>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// A date range: `from` ≤ at < `to` (RFC 3339 times or `YYYY-MM-DD` dates).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLogRange {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedHead {
    pub head: SignedHead,
    /// The head published before this one, if any, and the proof that this log extends it.
    pub previous: Option<SignedHead>,
    pub consistency_proof: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// Inclusion proof of this entry …
    #[serde(default, deserialize_with = "lenient_u64")]
    pub seq: Option<u64>,
    /// … in the tree of this size (default: the current size).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub tree_size: Option<u64>,
    /// Consistency proof from the tree of this size to `tree_size`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub from_size: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proof {
    pub tree_size: u64,
    pub root_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_root_hash: Option<String>,
    pub proof: Vec<String>,
}

/// An inclusion claim: entry `seq` (with hash `entry_hash`) is in `head`'s tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionClaim {
    pub seq: u64,
    pub entry_hash: String,
    pub proof: Vec<String>,
}

/// What to verify: an export (NDJSON text or JSON document), or a signed head
/// with an inclusion proof and/or a consistency proof from an earlier head.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[serde(default)]
    pub export: Option<String>,
    #[serde(default)]
    pub document: Option<serde_json::Value>,
    #[serde(default)]
    pub head: Option<SignedHead>,
    #[serde(default)]
    pub previous_head: Option<SignedHead>,
    #[serde(default)]
    pub consistency_proof: Option<Vec<String>>,
    #[serde(default)]
    pub inclusion: Option<InclusionClaim>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyAnswer {
    pub valid: bool,
    /// What was checked, e.g. `export`, `head_signature`, `inclusion`, `consistency`.
    pub checked: Vec<String>,
    /// For exports: the first bad entry (0-based) and line (1-based).
    pub first_bad_index: Option<u64>,
    pub line: Option<u64>,
    pub reason: Option<String>,
}
