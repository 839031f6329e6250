//! Set a goal: a metric with a target and a deadline; its weight counts in
//! the queue score of its issues while it is active.

use switchyard_api::{CreateGoal, Goal};
use switchyard_edge::goals;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::GOAL_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateGoal| -> Result<Change<Goal>, ApiError> {
        let goal = goals::create(tx, ctx.workspace_id()?, &input, &ctx.caller.actor())?;
        Ok(Change::created(goal.id.clone(), goal))
    })
}
