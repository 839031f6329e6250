//! Dispatch a new agent lane: pick a harness kind, hand it a brief and a scope claim, return a run id.

use switchyard_api::{Lane, LaneId, LaneState, PolicyEffect, PolicySubject, RunAgent};
use switchyard_domain::policy::{Action, Scratch};
use switchyard_edge::budgets;
use switchyard_edge::governance::{self, Decision};
use switchyard_edge::lanes::{self, ClaimsCompared, LaneRow};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::AGENT_RUN;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, check, run)
}

/// What the checks before the transaction found.
struct Checked {
    input: RunAgent,
    compared: ClaimsCompared,
    subject: PolicySubject,
    /// Under the policy in force when the request arrived.
    decision: Decision,
}

/// Decides the dispatch under the workspace's policy (a denial is audited and
/// refused here), refuses it when the workspace's daily budget is spent, then compares the claim with every active lane's — both
/// before the write transaction opens, so neither holds up another writer.
fn check(ctx: &Ctx, input: RunAgent) -> Result<Checked, ApiError> {
    let workspace = ctx.workspace_id()?;
    let subject = PolicySubject::Dispatch {
        repository: input.repository.clone(),
        claim: input.claim.clone(),
        harness_kind: input.harness_kind.clone(),
        labels: input.labels.clone(),
        token_budget: input.token_budget.map(|b| b.get()),
    };
    let mut scratch = Scratch::default();
    let decision = governance::decide(&ctx.db, workspace, &Action::of(&subject, &mut scratch))?;
    if decision.outcome() == PolicyEffect::Deny {
        return Err(governance::refuse(ctx, workspace, "agent-run:policy_denied", &decision, "Dispatch"));
    }
    let budget = budgets::status(&ctx.db, workspace)?;
    if budget.exhausted {
        return Err(budgets::exhausted(&budget));
    }
    let mut compared = ClaimsCompared::default();
    lanes::check_claim(&ctx.db, workspace, &input.repository, &input.claim.strings(), &mut compared)?;
    Ok(Checked { input, compared, subject, decision })
}

fn run(ctx: &Ctx, tx: &Db, checked: Checked) -> Result<Change<Lane>, ApiError> {
    let Checked { input, mut compared, subject, decision } = checked;
    let workspace = ctx.workspace_id()?;
    let held = decision.outcome() == PolicyEffect::RequireApproval;

    // Inside the write transaction, only lanes that claimed since: a racing
    // agent-run sees this check and our claim in order.
    lanes::check_claim(tx, workspace, &input.repository, &input.claim.strings(), &mut compared)?;

    let now = now_rfc3339();
    let lane = LaneRow {
        workspace_id: workspace.clone(),
        lease_expires_at: None,
        lane: Lane {
            run_id: new_id!(LaneId),
            state: if held { LaneState::AwaitingApproval } else { LaneState::Queued },
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
    governance::note_warnings(tx, &lane, &decision, subject.kind())?;
    if held {
        let approval = governance::request(tx, &lane, &subject, &decision, &ctx.caller.actor())?;
        ctx.audit_in(tx, workspace, "agent-run:approval_requested", Some(approval.approval_id.as_str()))?;
    }
    Ok(Change::created(lane.run_id.clone(), lane.to_api()))
}
