//! Dispatching a lane: the checks before the write transaction (policy,
//! the workspace's daily budget, scope-claim overlap) and the insert inside
//! it. `agent-run` dispatches for a member; a forge comment that mentions the
//! workspace's bot dispatches through the same two steps.

use switchyard_api::{ApprovalId, Lane, LaneId, LaneState, PolicyEffect, PolicySubject, RunAgent, WorkspaceId};
use switchyard_domain::policy::{Action, Scratch};

use crate::budgets;
use crate::clock::now_rfc3339;
use crate::db::Db;
use crate::error::ApiError;
use crate::governance::{self, Decision};
use crate::lanes::{self, ClaimsCompared, LaneRow};
use crate::new_id;

/// A dispatch that passed the checks made before the transaction.
pub struct Checked {
    pub input: RunAgent,
    compared: ClaimsCompared,
    subject: PolicySubject,
    /// Under the policy in force when the request arrived.
    pub decision: Decision,
    /// A job that edits nothing (context extraction): it holds no claim.
    read_only: bool,
}

/// Why a dispatch is refused: by a policy rule (the caller audits and words
/// the denial), or anything else, as its error.
pub enum Refusal {
    Policy(Decision),
    Other(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Other(e)
    }
}

/// Decides the dispatch under the workspace's policy, refuses it when the
/// workspace's daily budget is spent, then compares the claim with every
/// active lane's — all before the write transaction opens, so none holds up
/// another writer.
pub fn check(db: &Db, workspace: &WorkspaceId, input: RunAgent) -> Result<Checked, Refusal> {
    checked(db, workspace, input, false)
}

/// [`check`] for a job that reads the repository and edits nothing: the
/// policy decides it as a dispatch claiming what it reads (`input.claim`),
/// but the lane holds no claim, so it never waits for or blocks another lane.
pub fn check_read_only(db: &Db, workspace: &WorkspaceId, input: RunAgent) -> Result<Checked, Refusal> {
    checked(db, workspace, input, true)
}

/// [`check`] (or [`check_read_only`]) for a member's request to `endpoint`:
/// a policy denial is audited as `<endpoint>:policy_denied` and answered as
/// the denial of a dispatch.
pub fn check_or_refuse(
    ctx: &crate::Ctx,
    input: RunAgent,
    read_only: bool,
    endpoint: &str,
) -> Result<Checked, ApiError> {
    let workspace = ctx.workspace_id()?;
    checked(&ctx.db, workspace, input, read_only).map_err(|refusal| match refusal {
        Refusal::Policy(decision) => {
            governance::refuse(ctx, workspace, &format!("{endpoint}:policy_denied"), &decision, "Dispatch")
        }
        Refusal::Other(e) => e,
    })
}

fn checked(db: &Db, workspace: &WorkspaceId, input: RunAgent, read_only: bool) -> Result<Checked, Refusal> {
    let subject = PolicySubject::Dispatch {
        repository: input.repository.clone(),
        claim: input.claim.clone(),
        harness_kind: input.harness_kind.clone(),
        labels: input.labels.clone(),
        token_budget: input.token_budget.map(|b| b.get()),
    };
    let mut scratch = Scratch::default();
    let decision = governance::decide(db, workspace, &Action::of(&subject, &mut scratch))?;
    if decision.outcome() == PolicyEffect::Deny {
        return Err(Refusal::Policy(decision));
    }
    let budget = budgets::status(db, workspace)?;
    if budget.exhausted {
        return Err(Refusal::Other(budgets::exhausted(&budget)));
    }
    let mut compared = ClaimsCompared::default();
    if !read_only {
        lanes::check_claim(db, workspace, &input.repository, &input.claim.strings(), &mut compared)?;
    }
    Ok(Checked { input, compared, subject, decision, read_only })
}

/// Inserts the lane (queued, or awaiting approval when the policy asks for
/// one) inside `tx`, after checking the claim again against lanes that
/// claimed since. Returns the lane and the approval request, if any.
pub fn create(
    tx: &Db,
    workspace: &WorkspaceId,
    checked: Checked,
    actor: &str,
) -> Result<(LaneRow, Option<ApprovalId>), ApiError> {
    let Checked { input, mut compared, subject, decision, read_only } = checked;
    let claim = if read_only { Vec::new() } else { input.claim.strings() };
    let issue = input.issue_id.clone();
    let held = decision.outcome() == PolicyEffect::RequireApproval;
    // Inside the write transaction, only lanes that claimed since: a racing
    // dispatch sees this check and our claim in order.
    lanes::check_claim(tx, workspace, &input.repository, &claim, &mut compared)?;
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
            claim,
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
            updated_at: now,
            finished_at: None,
            branch: None,
            pull_request: None,
            verified: None,
        },
    };
    lanes::insert(tx, &lane, actor)?;
    if let Some(issue) = &issue {
        crate::planning::start_work(tx, workspace, issue, &lane.run_id)?;
    }
    governance::note_warnings(tx, &lane, &decision, subject.kind())?;
    let approval =
        if held { Some(governance::request(tx, &lane, &subject, &decision, actor)?.approval_id) } else { None };
    Ok((lane, approval))
}
