//! Ask, before the agent does it, whether an action may go ahead under the
//! workspace's policy; or read the decision on a request made earlier.
//!
//! The reference harness asks from the agent's `pre-commit` and `pre-push`
//! hooks: `allow` / `warn` let git go on, `deny` stops it, and a request for
//! approval holds it until a member decides (the harness asks again with the
//! request's id).

use serde_json::json;
use switchyard_api::{
    ActionAnswer, AgentAction, Approval, ApprovalId, ApprovalState, HarnessAction, PolicyEffect, PolicySubject,
};
use switchyard_domain::lane::{Event, LaneState};
use switchyard_domain::policy::{Action, Scratch};
use switchyard_edge::governance::{self, Decision};
use switchyard_edge::lanes::{LaneRow, apply, load_lane};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::HARNESS_ACTION;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |ctx, input: HarnessAction| match (input.action, input.approval_id) {
        (Some(action), None) => ask(ctx, &input.run_id, action),
        (None, Some(id)) => poll(ctx, &input.run_id, &id),
        _ => Err(ApiError::validation("action", "give exactly one of `action` and `approval_id`")),
    })
}

/// The lane, if this harness holds it (409 with the stop signal otherwise, as harness-event answers).
fn held_lane(ctx: &Ctx, db: &Db, run_id: &switchyard_api::LaneId) -> Result<LaneRow, ApiError> {
    let harness = ctx.caller.harness()?;
    let lane = load_lane(db, &harness.workspace.id, run_id)?;
    if lane.harness_id.as_ref() != Some(&harness.harness_id) || !LaneState::HELD.contains(&lane.state) {
        return Err(ApiError::conflict(format!(
            "this harness does not hold lane {} (it is {}); stop working on it",
            lane.run_id,
            lane.state.as_str()
        ))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str(), "signal": "cancel"})));
    }
    Ok(lane)
}

fn answer(
    lane: &LaneRow,
    outcome: PolicyEffect,
    decision: Option<&Decision>,
    approval: Option<Approval>,
) -> ActionAnswer {
    ActionAnswer {
        run_id: lane.run_id.clone(),
        outcome,
        decided_by: decision.and_then(|d| d.verdict.decided_by.clone()),
        met: decision.map(|d| d.verdict.met.clone()).unwrap_or_default(),
        approval,
        state: lane.state,
        signal: lane.state.signal(),
    }
}

fn ask(ctx: &Ctx, run_id: &switchyard_api::LaneId, action: AgentAction) -> Result<Reply, ApiError> {
    let workspace = ctx.workspace_id()?.clone();
    let subject = PolicySubject::Action(action);
    let mut scratch = Scratch::default();
    let decision = governance::decide(&ctx.db, &workspace, &Action::of(&subject, &mut scratch))?;
    if decision.outcome() == PolicyEffect::Deny {
        held_lane(ctx, &ctx.db, run_id)?;
        return Err(governance::refuse(ctx, &workspace, "harness-action:policy_denied", &decision, "Action"));
    }
    ctx.db.transaction(|tx| {
        let mut lane = held_lane(ctx, tx, run_id)?;
        if lane.state != LaneState::Running {
            return Err(ApiError::conflict(format!(
                "lane {} is {}; its agent may act only while it runs",
                lane.run_id,
                lane.state.as_str()
            ))
            .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str()})));
        }
        if decision.outcome() != PolicyEffect::RequireApproval {
            governance::note_warnings(tx, &lane, &decision, subject.kind())?;
            return Ok(Reply::json(200, &answer(&lane, decision.outcome(), Some(&decision), None)));
        }
        let approval = governance::request(tx, &lane, &subject, &decision, &ctx.caller.actor())?;
        apply(tx, &mut lane, Event::AwaitApproval, Some(&approval.reason))?;
        ctx.audit_in(tx, &workspace, "harness-action:approval_requested", Some(approval.approval_id.as_str()))?;
        Ok(Reply::json(202, &answer(&lane, PolicyEffect::RequireApproval, Some(&decision), Some(approval))))
    })
}

fn poll(ctx: &Ctx, run_id: &switchyard_api::LaneId, id: &ApprovalId) -> Result<Reply, ApiError> {
    let lane = held_lane(ctx, &ctx.db, run_id)?;
    let approval = governance::load(&ctx.db, &lane.workspace_id, id)?;
    if approval.run_id != lane.run_id {
        return Err(ApiError::validation("approval_id", format!("belongs to lane {}", approval.run_id)));
    }
    let outcome = match approval.state {
        ApprovalState::Pending => PolicyEffect::RequireApproval,
        ApprovalState::Approved => PolicyEffect::Allow,
        ApprovalState::Rejected | ApprovalState::Expired | ApprovalState::Withdrawn => PolicyEffect::Deny,
    };
    Ok(Reply::json(200, &answer(&lane, outcome, None, Some(approval))))
}
