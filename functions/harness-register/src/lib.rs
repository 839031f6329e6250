//! Register a harness (the process that runs an agent CLI next to a repository) and mint its credential.

use switchyard_api::{RegisterHarness, RegisteredHarness};
use switchyard_domain::token::{PatEntropy, mint_harness};
use switchyard_edge::prelude::*;
use switchyard_edge::{harnesses, random_bytes, rfc3339_after};

const ENDPOINT: Endpoint = endpoints::HARNESS_REGISTER;

const DEFAULT_LEASE_SECS: u64 = 30;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RegisterHarness| register(ctx, tx, input))
}

fn register(ctx: &Ctx, tx: &Db, input: RegisterHarness) -> Result<Change<RegisteredHarness>, ApiError> {
    let lease_seconds = input.lease_seconds.map_or(DEFAULT_LEASE_SECS, |l| l.get());
    let minted = mint_harness(&PatEntropy { id: random_bytes(), secret: random_bytes() });
    harnesses::insert(
        tx,
        &harnesses::NewHarness {
            id: &minted.harness_id,
            workspace: ctx.workspace_id()?,
            kind: &input.kind,
            name: &input.name,
            capabilities: &input.capabilities.strings(),
            labels: &input.labels.strings(),
            credential_hash: &minted.secret_hash,
            lease_seconds,
            lease_expires_at: &rfc3339_after(lease_seconds),
            created_by: &ctx.caller.actor(),
        },
    )?;
    Ok(Change::created(
        minted.harness_id.clone(),
        RegisteredHarness {
            harness_id: minted.harness_id,
            credential: minted.credential,
            kind: input.kind.into_string(),
            name: input.name.into_string(),
            lease_seconds,
            heartbeat_interval_seconds: (lease_seconds / 3).max(1),
        },
    )
    .with_secret("/credential"))
}
