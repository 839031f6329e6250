//! Verify an audit export (NDJSON or JSON) or a signed head with inclusion / consistency proofs; answers valid or the first bad index and why.

use switchyard_api::{SignedHead, VerifyAnswer, VerifyRequest};
use switchyard_domain::export::{ExportDocument, VerifyingKey, verify_document, verify_head, verify_ndjson};
use switchyard_domain::merkle::{self, Hash, leaf_hash, verify_consistency, verify_inclusion};
use switchyard_edge::audit::signing_key;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FEDERATION_VERIFY;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |_, input: VerifyRequest| verify(input))
}

fn invalid(checked: Vec<String>, reason: impl Into<String>) -> VerifyAnswer {
    VerifyAnswer { valid: false, checked, first_bad_index: None, line: None, reason: Some(reason.into()) }
}

fn hashes(field: &str, list: &[String]) -> Result<Vec<Hash>, ApiError> {
    list.iter()
        .enumerate()
        .map(|(i, h)| {
            merkle::from_hex(h).ok_or_else(|| ApiError::validation(format!("{field}[{i}]"), "must be 64 hex digits"))
        })
        .collect()
}

fn root(field: &str, head: &SignedHead) -> Result<Hash, ApiError> {
    merkle::from_hex(&head.root_hash)
        .ok_or_else(|| ApiError::validation(format!("{field}.root_hash"), "must be 64 hex digits"))
}

fn verify(input: VerifyRequest) -> Result<VerifyAnswer, ApiError> {
    let keys = vec![VerifyingKey::from_bytes(&signing_key()?.public_key()).map_err(ApiError::internal)?];
    let mut checked = Vec::new();
    if input.export.is_some() || input.document.is_some() {
        let result = match (&input.export, &input.document) {
            (Some(text), None) => verify_ndjson(text.as_bytes(), &keys),
            (None, Some(doc)) => {
                let doc: ExportDocument =
                    serde_json::from_value(doc.clone()).map_err(|e| ApiError::validation("document", e))?;
                verify_document(&doc, &keys)
            }
            _ => return Err(ApiError::validation("document", "give `export` (NDJSON) or `document` (JSON), not both")),
        };
        checked.push("export".to_owned());
        return Ok(match result {
            Ok(_) => VerifyAnswer { valid: true, checked, first_bad_index: None, line: None, reason: None },
            Err(bad) => VerifyAnswer {
                valid: false,
                checked,
                first_bad_index: bad.index,
                line: Some(bad.line as u64),
                reason: Some(bad.reason),
            },
        });
    }
    let Some(head) = input.head else {
        return Err(ApiError::validation("head", "give an `export`, a `document`, or a `head` with proofs"));
    };
    checked.push("head_signature".to_owned());
    if !verify_head(&head, &keys) {
        return Ok(invalid(checked, "the head's signature does not verify"));
    }
    if let Some(claim) = &input.inclusion {
        checked.push("inclusion".to_owned());
        let entry = merkle::from_hex(&claim.entry_hash)
            .ok_or_else(|| ApiError::validation("inclusion.entry_hash", "must be 64 hex digits"))?;
        let proof = hashes("inclusion.proof", &claim.proof)?;
        let ok = claim.seq >= 1
            && verify_inclusion(claim.seq - 1, head.tree_size, &leaf_hash(&entry), &proof, &root("head", &head)?);
        if !ok {
            return Ok(invalid(checked, format!("entry {} is not in the tree of size {}", claim.seq, head.tree_size)));
        }
    }
    if let Some(previous) = &input.previous_head {
        checked.push("consistency".to_owned());
        if !verify_head(previous, &keys) {
            return Ok(invalid(checked, "the previous head's signature does not verify"));
        }
        if previous.workspace_id != head.workspace_id {
            return Ok(invalid(checked, "the heads belong to different workspaces"));
        }
        let proof = hashes("consistency_proof", input.consistency_proof.as_deref().unwrap_or_default())?;
        let ok = verify_consistency(
            previous.tree_size,
            head.tree_size,
            &root("previous_head", previous)?,
            &root("head", &head)?,
            &proof,
        );
        if !ok {
            return Ok(invalid(
                checked,
                format!(
                    "the log of size {} does not extend the head of size {}: earlier entries changed",
                    head.tree_size, previous.tree_size
                ),
            ));
        }
    }
    Ok(VerifyAnswer { valid: true, checked, first_bad_index: None, line: None, reason: None })
}
