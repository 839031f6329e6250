//! The workspace's sprints, newest first, filtered by project or state.

use switchyard_api::{ListSprints, Page, SprintSummary};
use switchyard_edge::cursor;
use switchyard_edge::prelude::*;
use switchyard_edge::sprints::{self, SprintFilter};

const ENDPOINT: Endpoint = endpoints::SPRINT_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListSprints| -> Result<Page<SprintSummary>, ApiError> {
        let limit = input.limit.map_or(50, |l| l.get());
        let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
        let filter = SprintFilter { project: input.project_id.as_ref(), state: input.state };
        let found = sprints::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
        Ok(cursor::page(found, limit, |s| (s.created_at.as_str(), s.id.as_str())))
    })
}
