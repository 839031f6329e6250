//! Sign and record the current head (size, Merkle root, time) of the workspace's audit log, with a consistency proof from the previous head.

use switchyard_api::{NoInput, PublishedHead, SignedHead};
use switchyard_domain::export::sign_head;
use switchyard_domain::merkle::{self, consistency_proof, root};
use switchyard_edge::audit::{leaves, log_size, signing_key};
use switchyard_edge::now_rfc3339;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FEDERATION_PUBLISH_HEAD;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, _: NoInput| publish(ctx, tx))
}

fn publish(ctx: &Ctx, tx: &Db) -> Result<Change<PublishedHead>, ApiError> {
    let workspace = ctx.workspace_id()?.to_string();
    let key = signing_key()?;
    let size = log_size(tx, &workspace)?;
    let all = leaves(tx, &workspace, size)?;
    let head = sign_head(&key, &workspace, size, &merkle::to_hex(&root(&all)), &now_rfc3339());
    let previous = tx
        .query_one(
            "SELECT workspace_id, tree_size, root_hash, timestamp, key_id, signature FROM audit_heads
             WHERE workspace_id = ? ORDER BY timestamp DESC, tree_size DESC LIMIT 1",
            &[&workspace],
        )?
        .map(|r| -> Result<SignedHead, ApiError> {
            Ok(SignedHead {
                workspace_id: r.text("workspace_id")?,
                tree_size: u64::try_from(r.int("tree_size")?).unwrap_or(0),
                root_hash: r.text("root_hash")?,
                timestamp: r.text("timestamp")?,
                key_id: r.text("key_id")?,
                signature: r.text("signature")?,
            })
        })
        .transpose()?;
    let proof = match &previous {
        Some(p) if p.tree_size > 0 && p.tree_size <= size => {
            let m = usize::try_from(p.tree_size).unwrap_or(usize::MAX);
            consistency_proof(m, &all).iter().map(merkle::to_hex).collect()
        }
        _ => Vec::new(),
    };
    tx.exec(
        "INSERT INTO audit_heads (workspace_id, tree_size, root_hash, timestamp, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)",
        &[&head.workspace_id, &head.tree_size, &head.root_hash, &head.timestamp, &head.key_id, &head.signature],
    )?;
    let target = format!("{}@{}", head.workspace_id, head.tree_size);
    Ok(Change::created(target, PublishedHead { head, previous, consistency_proof: proof }))
}
