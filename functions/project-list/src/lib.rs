//! The workspace's projects with their open issue counts.

use switchyard_api::{NoInput, ProjectList};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::PROJECT_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT
        .read(req, |ctx, _: NoInput| Ok(ProjectList { data: planning::list_projects(&ctx.db, ctx.workspace_id()?)? }))
}
