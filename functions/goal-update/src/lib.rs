//! Move a goal's metric, target, deadline or weight, or close it.

use switchyard_api::{Goal, UpdateGoal};
use switchyard_edge::goals;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::GOAL_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateGoal| -> Result<Change<Goal>, ApiError> {
        let goal = goals::update(tx, ctx.workspace_id()?, &input)?;
        Ok(Change::ok(goal.id.clone(), goal))
    })
}
