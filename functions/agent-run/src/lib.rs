//! Dispatch a new agent lane: pick a harness kind, hand it a brief and a scope claim, return a run id.

use switchyard_api::{Lane, RunAgent};
use switchyard_edge::dispatch::{self, Checked};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_RUN;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, check, run)
}

/// Policy, budget and claim checks before the transaction; a policy denial is audited here.
fn check(ctx: &Ctx, input: RunAgent) -> Result<Checked, ApiError> {
    dispatch::check_or_refuse(ctx, input, false, ENDPOINT.name)
}

fn run(ctx: &Ctx, tx: &Db, checked: Checked) -> Result<Change<Lane>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let (lane, approval) = dispatch::create(tx, workspace, checked, &ctx.caller.actor())?;
    if let Some(approval) = approval {
        ctx.audit_in(tx, workspace, "agent-run:approval_requested", Some(approval.as_str()))?;
    }
    Ok(Change::created(lane.run_id.clone(), lane.to_api()))
}
