//! Create a project: a repository, its default branch and its goal.

use switchyard_api::{CreateProject, Project};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::PROJECT_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateProject| create(ctx, tx, &input))
}

fn create(ctx: &Ctx, tx: &Db, input: &CreateProject) -> Result<Change<Project>, ApiError> {
    let project = planning::create_project(tx, ctx.workspace_id()?, input, &ctx.caller.actor())?;
    Ok(Change::created(project.id.clone(), project))
}
