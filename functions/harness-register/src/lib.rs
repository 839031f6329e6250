//! Register a harness (the process that runs an agent CLI next to a repository) and mint its credential.
//!
//! - method: POST
//! - auth: bearer
//! - scope: lanes:write
//! - rate: write

use switchyard_api::{RegisterHarness, RegisteredHarness};
use switchyard_domain::token::{PatEntropy, mint_harness};
use switchyard_edge::prelude::*;
use switchyard_edge::{now_rfc3339, random_bytes, rfc3339_after};

const ENDPOINT: Endpoint = Endpoint::post("harness-register", Auth::Bearer(Scope::LanesWrite), Some(RateFamily::Write));

const DEFAULT_LEASE_SECS: u64 = 30;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RegisterHarness| register(ctx, tx, input))
}

fn words(field: &str, values: &[String]) -> Result<(), ApiError> {
    if values.len() > 50 {
        return Err(ApiError::validation(field, "at most 50 entries"));
    }
    for (i, v) in values.iter().enumerate() {
        let ok = (1..=64).contains(&v.len())
            && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.:".contains(&b));
        if !ok {
            return Err(ApiError::validation(format!("{field}[{i}]"), "must be 1-64 of a-z, 0-9, `-_.:`"));
        }
    }
    Ok(())
}

fn register(ctx: &Ctx, tx: &Db, input: RegisterHarness) -> Result<Change<RegisteredHarness>, ApiError> {
    words("kind", std::slice::from_ref(&input.kind))
        .map_err(|_| ApiError::validation("kind", "must be 1-64 of a-z, 0-9, `-_.:`"))?;
    switchyard_domain::validate::name(&input.name).map_err(|m| ApiError::validation("name", m))?;
    words("capabilities", &input.capabilities)?;
    words("labels", &input.labels)?;
    let lease_seconds = input.lease_seconds.unwrap_or(DEFAULT_LEASE_SECS);
    if !(5..=300).contains(&lease_seconds) {
        return Err(ApiError::validation("lease_seconds", "must be between 5 and 300"));
    }
    let minted = mint_harness(&PatEntropy { id: random_bytes(), secret: random_bytes() });
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO harnesses (id, workspace_id, kind, name, capabilities, labels, credential_hash, lease_seconds,
         lease_expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            &minted.harness_id,
            ctx.workspace_id()?,
            &input.kind,
            &input.name,
            &serde_json::to_string(&input.capabilities).unwrap_or_default(),
            &serde_json::to_string(&input.labels).unwrap_or_default(),
            &minted.secret_hash,
            &lease_seconds,
            &rfc3339_after(lease_seconds),
            &ctx.caller.actor(),
            &now,
        ],
    )?;
    Ok(Change::created(
        minted.harness_id.clone(),
        RegisteredHarness {
            harness_id: minted.harness_id,
            credential: minted.credential,
            kind: input.kind,
            name: input.name,
            lease_seconds,
            heartbeat_interval_seconds: (lease_seconds / 3).max(1),
        },
    ))
}
