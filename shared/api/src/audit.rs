//! Audit exports, tree heads, proofs and verification.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::valid::{Ranged, TimeBound, optional_at_least};

/// A signed tree head: the workspace's log had `tree_size` entries with
/// Merkle root `root_hash` at `timestamp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    pub workspace_id: String,
    pub tree_size: u64,
    pub root_hash: String,
    pub timestamp: String,
    pub key_id: String,
    pub signature: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Ndjson,
    Json,
}

/// An entry range (`from_seq`..=`to_seq`) or a time range (`from` ≤ at < `to`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportAudit {
    #[serde(default)]
    pub format: ExportFormat,
    #[serde(default, deserialize_with = "optional_at_least::<_, 1>")]
    #[schemars(with = "Option<Ranged<1, { u64::MAX }>>")]
    pub from_seq: Option<u64>,
    #[serde(default, deserialize_with = "optional_at_least::<_, 1>")]
    #[schemars(with = "Option<Ranged<1, { u64::MAX }>>")]
    pub to_seq: Option<u64>,
    #[serde(default)]
    pub from: Option<TimeBound>,
    #[serde(default)]
    pub to: Option<TimeBound>,
}

/// A date range: `from` ≤ at < `to` (RFC 3339 times or `YYYY-MM-DD` dates).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportLogRange {
    pub from: TimeBound,
    pub to: TimeBound,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PublishedHead {
    pub head: SignedHead,
    /// The head published before this one, if any, and the proof that this log extends it.
    pub previous: Option<SignedHead>,
    pub consistency_proof: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// Inclusion proof of this entry …
    #[serde(default, deserialize_with = "optional_at_least::<_, 1>")]
    #[schemars(with = "Option<Ranged<1, { u64::MAX }>>")]
    pub seq: Option<u64>,
    /// … in the tree of this size (default: the current size).
    #[serde(default, deserialize_with = "optional_at_least::<_, 1>")]
    #[schemars(with = "Option<Ranged<1, { u64::MAX }>>")]
    pub tree_size: Option<u64>,
    /// Consistency proof from the tree of this size to `tree_size`.
    #[serde(default, deserialize_with = "optional_at_least::<_, 1>")]
    #[schemars(with = "Option<Ranged<1, { u64::MAX }>>")]
    pub from_size: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionClaim {
    pub seq: u64,
    pub entry_hash: String,
    pub proof: Vec<String>,
}

/// What to verify: an export (NDJSON text or JSON document), or a signed head
/// with an inclusion proof and/or a consistency proof from an earlier head.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
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

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VerifyAnswer {
    pub valid: bool,
    /// What was checked, e.g. `export`, `head_signature`, `inclusion`, `consistency`.
    pub checked: Vec<String>,
    /// For exports: the first bad entry (0-based) and line (1-based).
    pub first_bad_index: Option<u64>,
    pub line: Option<u64>,
    pub reason: Option<String>,
}

// ---------------------------------------------------------------- the audit log and its exports

/// One sealed audit entry: `hash` is SHA-256 over its canonical encoding,
/// `prev_hash` the hash of the entry before it (64 zeros for the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    pub workspace_id: String,
    pub seq: u64,
    pub at: String,
    /// `tok_…`, `jwt:<subject>`, `hns_…` or `service-role`.
    pub actor: String,
    /// The function name, e.g. `api-token-issue`.
    pub action: String,
    /// The id the mutation acted on, when there is one.
    pub target: Option<String>,
    pub request_id: String,
    /// SHA-256 hex of the request body as received.
    pub input_digest: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    pub version: u32,
    pub workspace_id: String,
    /// Hash of the entry before the first exported one (GENESIS when it starts at seq 1).
    pub prev_hash: String,
    pub key_id: String,
    pub created_at: String,
}

/// The last line of an export: the entry count, the SHA-256 `digest` of every
/// byte before it, and an Ed25519 `signature` over `switchyard-audit-export-v1:<digest>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportTrailer {
    pub count: u64,
    pub digest: String,
    pub key_id: String,
    pub signature: String,
}

/// One NDJSON line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExportLine {
    Header(ExportHeader),
    Entry(AuditEntry),
    Trailer(ExportTrailer),
}

/// The JSON form of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportDocument {
    pub header: ExportHeader,
    pub entries: Vec<AuditEntry>,
    pub trailer: ExportTrailer,
}

/// One public key (RFC 8037 OKP) that verifies exports and signed heads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub usage: String,
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

/// The JWKS document (`jwks`, `/.well-known/jwks.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}
