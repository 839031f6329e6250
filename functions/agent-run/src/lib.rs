//! Dispatch a new agent lane: pick a harness kind, hand it a brief and a scope claim, return a run id.

use serde_json::json;
use switchyard_api::{Lane, LaneId, RunAgent};
use switchyard_domain::{glob, validate};
use switchyard_edge::lanes::{self, LaneRow, append_event};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::AGENT_RUN;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RunAgent| run(ctx, tx, input))
}

fn validate(input: &RunAgent) -> Result<(), ApiError> {
    validate::word(&input.harness_kind).map_err(|m| ApiError::validation("harness_kind", m))?;
    if input.brief.trim().is_empty() || input.brief.len() > 100_000 {
        return Err(ApiError::validation("brief", "must be 1-100000 bytes"));
    }
    let repo_ok = (1..=200).contains(&input.repository.len())
        && !input.repository.chars().any(|c| c.is_control() || c.is_whitespace());
    if !repo_ok {
        return Err(ApiError::validation("repository", "must be 1-200 characters without spaces"));
    }
    if input.claim.is_empty() || input.claim.len() > 100 {
        return Err(ApiError::validation("claim", "must list 1-100 path globs"));
    }
    for (i, g) in input.claim.iter().enumerate() {
        glob::validate(g).map_err(|m| ApiError::validation(format!("claim[{i}]"), m))?;
    }
    validate::words(&input.labels, 20).map_err(|(i, m)| ApiError::validation_at("labels", i, m))?;
    if input.token_budget == Some(0) {
        return Err(ApiError::validation("token_budget", "must be at least 1"));
    }
    if input.cost_budget_cents == Some(0) {
        return Err(ApiError::validation("cost_budget_cents", "must be at least 1"));
    }
    if input.max_attempts.is_some_and(|m| !(1..=10).contains(&m)) {
        return Err(ApiError::validation("max_attempts", "must be between 1 and 10"));
    }
    Ok(())
}

fn run(ctx: &Ctx, tx: &Db, input: RunAgent) -> Result<Change<Lane>, ApiError> {
    validate(&input)?;
    let workspace = ctx.workspace_id()?;

    // Inside the write transaction: a racing agent-run sees this check and our claim in order.
    lanes::check_claim(tx, workspace, &input.repository, &input.claim)?;

    let now = now_rfc3339();
    let lane = LaneRow {
        id: new_id!(LaneId),
        workspace_id: workspace.clone(),
        state: switchyard_domain::lane::LaneState::Queued,
        harness_kind: input.harness_kind,
        brief: input.brief,
        repository: input.repository,
        claim: input.claim,
        labels: input.labels,
        token_budget: input.token_budget,
        cost_budget_cents: input.cost_budget_cents,
        tokens_used: 0,
        cost_used_cents: 0,
        attempt: 1,
        max_attempts: input.max_attempts.unwrap_or(3),
        harness_id: None,
        lease_expires_at: None,
        pause_reason: None,
        exit_code: None,
        summary: None,
        created_at: now.clone(),
        updated_at: now.clone(),
        finished_at: None,
    };
    let claim = serde_json::to_string(&lane.claim).unwrap_or_default();
    tx.exec(
        "INSERT INTO lanes (id, workspace_id, state, harness_kind, brief, repository, claim, labels, token_budget,
         cost_budget_cents, max_attempts, created_by, created_at, updated_at)
         VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            &lane.id.as_str(),
            &workspace.as_str(),
            &lane.harness_kind,
            &lane.brief,
            &lane.repository,
            &claim,
            &serde_json::to_string(&lane.labels).unwrap_or_default(),
            &lane.token_budget,
            &lane.cost_budget_cents,
            &i64::from(lane.max_attempts),
            &ctx.caller.actor(),
            &now,
            &now,
        ],
    )?;
    lanes::hold_claim(tx, &lane)?;
    append_event(tx, &lane, "state", &json!({"from": null, "to": "queued", "reason": "created", "attempt": 1}))?;
    Ok(Change::created(lane.id.clone(), lane.to_api()))
}
