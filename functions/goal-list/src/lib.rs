//! The workspace's goals, newest first, with progress and their issues.

use switchyard_api::{GoalList, ListGoals};
use switchyard_edge::goals;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::GOAL_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListGoals| -> Result<GoalList, ApiError> {
        Ok(GoalList { data: goals::list(&ctx.db, ctx.workspace_id()?, &input)? })
    })
}
