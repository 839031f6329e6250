//! Dispatch a new agent lane: pick a harness kind, hand it a brief and a scope claim, return a run id.

use switchyard_api::{Lane, LaneId, LaneState, RunAgent};
use switchyard_edge::lanes::{self, ClaimsCompared, LaneRow};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::AGENT_RUN;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, compare_claims, run)
}

/// Compares the claim with every active lane's before the write transaction
/// opens, so the comparing holds up no other writer.
fn compare_claims(ctx: &Ctx, input: RunAgent) -> Result<(RunAgent, ClaimsCompared), ApiError> {
    let mut compared = ClaimsCompared::default();
    lanes::check_claim(&ctx.db, ctx.workspace_id()?, &input.repository, &input.claim.strings(), &mut compared)?;
    Ok((input, compared))
}

fn run(ctx: &Ctx, tx: &Db, (input, mut compared): (RunAgent, ClaimsCompared)) -> Result<Change<Lane>, ApiError> {
    let workspace = ctx.workspace_id()?;

    // Inside the write transaction, only lanes that claimed since: a racing
    // agent-run sees this check and our claim in order.
    lanes::check_claim(tx, workspace, &input.repository, &input.claim.strings(), &mut compared)?;

    let now = now_rfc3339();
    let lane = LaneRow {
        workspace_id: workspace.clone(),
        lease_expires_at: None,
        lane: Lane {
            run_id: new_id!(LaneId),
            state: LaneState::Queued,
            harness_kind: input.harness_kind.into_string(),
            brief: input.brief.into_string(),
            repository: input.repository.into_string(),
            claim: input.claim.strings(),
            labels: input.labels.strings(),
            token_budget: input.token_budget.map(|b| b.get()),
            cost_budget_cents: input.cost_budget_cents.map(|b| b.get()),
            tokens_used: 0,
            cost_used_cents: 0,
            attempt: 1,
            max_attempts: input.max_attempts.map_or(3, |m| u32::try_from(m.get()).unwrap_or(10)),
            harness_id: None,
            pause_reason: None,
            exit_code: None,
            summary: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            finished_at: None,
        },
    };
    lanes::insert(tx, &lane, &ctx.caller.actor())?;
    Ok(Change::created(lane.run_id.clone(), lane.to_api()))
}
