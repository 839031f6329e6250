//! The workspace's context entries, newest first, filtered.

use switchyard_api::{ContextEntry, ListContext, Page};
use switchyard_edge::context::{self, ContextFilter};
use switchyard_edge::cursor;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::CONTEXT_ENTRY_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListContext| -> Result<Page<ContextEntry>, ApiError> {
        let limit = input.limit.map_or(50, |l| l.get());
        let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
        let filter =
            ContextFilter { dimension: input.dimension, project: input.project_id.as_ref(), status: input.status };
        let found = context::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
        Ok(cursor::page(found, limit, |e| (e.created_at.as_str(), e.id.as_str())))
    })
}
