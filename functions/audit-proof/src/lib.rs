//! Inclusion proof of an audit entry, or consistency proof between two sizes, for the workspace's Merkle tree.

use switchyard_api::{Proof, ProofQuery};
use switchyard_domain::merkle::{self, consistency_proof, inclusion_proof, root};
use switchyard_edge::audit::{hash_at, leaves, log_size};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AUDIT_PROOF;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ProofQuery| prove(ctx, input))
}

fn prove(ctx: &Ctx, input: ProofQuery) -> Result<Proof, ApiError> {
    let workspace = ctx.workspace_id()?.to_string();
    let current = log_size(&ctx.db, &workspace)?;
    let size = input.tree_size.unwrap_or(current);
    if size == 0 || size > current {
        return Err(ApiError::validation("tree_size", format!("must be between 1 and the log's size ({current})")));
    }
    let all = leaves(&ctx.db, &workspace, size)?;
    let root_hash = merkle::to_hex(&root(&all));
    let hexes = |v: Vec<merkle::Hash>| v.iter().map(merkle::to_hex).collect::<Vec<_>>();
    match (input.seq, input.from_size) {
        (Some(seq), None) => {
            if seq == 0 || seq > size {
                return Err(ApiError::validation("seq", format!("must be between 1 and tree_size ({size})")));
            }
            let index = usize::try_from(seq - 1).unwrap_or(usize::MAX);
            Ok(Proof {
                tree_size: size,
                root_hash,
                seq: Some(seq),
                entry_hash: Some(hash_at(&ctx.db, &workspace, seq)?),
                from_size: None,
                from_root_hash: None,
                proof: hexes(inclusion_proof(index, &all)),
            })
        }
        (None, Some(from)) => {
            if from == 0 || from > size {
                return Err(ApiError::validation("from_size", format!("must be between 1 and tree_size ({size})")));
            }
            let m = usize::try_from(from).unwrap_or(usize::MAX);
            Ok(Proof {
                tree_size: size,
                root_hash,
                seq: None,
                entry_hash: None,
                from_size: Some(from),
                from_root_hash: Some(merkle::to_hex(&root(&all[..m]))),
                proof: hexes(consistency_proof(m, &all)),
            })
        }
        _ => Err(ApiError::validation("seq", "give `seq` (inclusion) or `from_size` (consistency), not both")),
    }
}
