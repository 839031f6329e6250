//! Move a sprint through the SDLC (`intake → plan → build → review → ship →
//! complete`) under its guards, cancel it, retry it from a state, or raise its
//! token budget. Entering `build` dispatches one lane per issue; an override
//! of a guard is audited with its reason.

use switchyard_api::{Sprint, TransitionSprint};
use switchyard_edge::prelude::*;
use switchyard_edge::sprints::{self, Transition};

const ENDPOINT: Endpoint = endpoints::SDLC_TRANSITION;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: TransitionSprint| run(ctx, tx, &input))
}

fn run(ctx: &Ctx, tx: &Db, input: &TransitionSprint) -> Result<Change<Sprint>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let sprint = sprints::load(tx, workspace, &input.sprint_id)?;
    let actor = ctx.caller.actor();
    let asked = Transition {
        to: input.to,
        retry: input.retry,
        override_reason: input.override_reason.as_ref().map(|r| r.as_str()),
        token_budget: input.token_budget.map(|b| b.get()),
        actor: &actor,
    };
    let moved = sprints::transition(tx, &sprint, &asked)?;
    if !moved.overridden.is_empty() {
        ctx.audit_in(tx, workspace, "sdlc-transition:override", Some(sprint.summary.id.as_str()))?;
    }
    for (action, lanes) in
        [("dispatched", &moved.dispatched), ("cancelled", &moved.cancelled), ("resumed", &moved.resumed)]
    {
        for lane in lanes {
            ctx.audit_in(tx, workspace, &format!("sdlc-transition:{action}"), Some(lane.as_str()))?;
        }
    }
    let after = sprints::load(tx, workspace, &sprint.summary.id)?;
    Ok(Change::ok(sprint.summary.id.clone(), sprints::detail(tx, after)?))
}
