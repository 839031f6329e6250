//! One sprint with its plan: phases, issues and lanes, and the next step's guard.

use switchyard_api::{GetSprint, Sprint};
use switchyard_edge::prelude::*;
use switchyard_edge::sprints;

const ENDPOINT: Endpoint = endpoints::SPRINT_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetSprint| -> Result<Sprint, ApiError> {
        sprints::detail(&ctx.db, sprints::load(&ctx.db, ctx.workspace_id()?, &input.sprint_id)?)
    })
}
