//! Sign and record the current head (size, Merkle root, time) of the workspace's audit log, with a consistency proof from the previous head.

use switchyard_api::{NoInput, PublishedHead};
use switchyard_domain::export::sign_head;
use switchyard_domain::merkle::{self, consistency_proof, root};
use switchyard_edge::audit::{latest_head, leaves, log_size, record_head, signing_key};
use switchyard_edge::prelude::*;
use switchyard_edge::{now_rfc3339, webhooks};

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
    let previous = latest_head(tx, &workspace)?;
    let proof = match &previous {
        Some(p) if p.tree_size > 0 && p.tree_size <= size => {
            let m = usize::try_from(p.tree_size).unwrap_or(usize::MAX);
            consistency_proof(m, &all).iter().map(merkle::to_hex).collect()
        }
        _ => Vec::new(),
    };
    record_head(tx, &head)?;
    // Subscribers (e.g. a witness) hear of every new head, in the same transaction.
    webhooks::emit(tx, ctx.workspace_id()?, "audit.head_published", serde_json::json!(head))?;
    let target = format!("{}@{}", head.workspace_id, head.tree_size);
    Ok(Change::created(target, PublishedHead { head, previous, consistency_proof: proof }))
}
