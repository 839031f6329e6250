//! Plan a sprint from a goal (its open, unblocked issues, best first) or from
//! issues named; it waits in `intake` for `sdlc-transition` (or, scheduled,
//! for `recurring-pipeline-tick`).

use switchyard_api::{PlanSprint, Sprint};
use switchyard_edge::prelude::*;
use switchyard_edge::sprints;

const ENDPOINT: Endpoint = endpoints::SPRINT_PLAN;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: PlanSprint| -> Result<Change<Sprint>, ApiError> {
        let sprint = sprints::plan(tx, ctx.workspace_id()?, &input, &ctx.caller.actor())?;
        let id = sprint.summary.id.clone();
        Ok(Change::created(id, sprints::detail(tx, sprint)?))
    })
}
