//! Atomically claim the next unblocked issue of the queue, with its prompt
//! hydrated from its template and the context entries for it; 204 when there is none. The claim holds for
//! its lease: an issue whose claimer goes silent (no lane takes it) returns
//! to the queue.

use switchyard_api::{ClaimIssue, ClaimedIssue};
use switchyard_edge::prelude::*;
use switchyard_edge::{context, planning};

const ENDPOINT: Endpoint = endpoints::DISPATCH_CLAIM;

/// Not `Endpoint::mutate`: "nothing to claim" is a bodiless 204; a claim is
/// audited in the same write transaction that takes it, so racing claimers
/// are serialised and never get the same issue.
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |ctx, input: ClaimIssue| {
        let claimed = ctx.db.transaction(|tx| claim(ctx, tx, &input))?;
        Ok(match claimed {
            Some(issue) => Reply::json(200, &issue),
            None => Reply::bytes(204, "application/json", Vec::new()),
        })
    })
}

fn claim(ctx: &Ctx, tx: &Db, input: &ClaimIssue) -> Result<Option<ClaimedIssue>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let worker = input.worker.as_ref().map_or_else(|| ctx.caller.actor(), |w| w.to_string());
    let lease = input.lease_seconds.map_or(600, |l| l.get());
    let mut claimed = planning::claim(tx, workspace, input.project_id.as_ref(), &worker, lease)?;
    if let Some(c) = &mut claimed {
        ctx.audit_in(tx, workspace, ENDPOINT.name, Some(c.issue.id.as_str()))?;
        // The context for the hydrated prompt and the files of its stack trace.
        c.context = context::for_brief(tx, workspace, &c.prompt, c.issue.trace_files.clone(), Vec::new())?;
    }
    Ok(claimed)
}
