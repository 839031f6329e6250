//! List the workspace's registered tools, by name.

use switchyard_api::{ListTools, Page, Tool};
use switchyard_edge::prelude::*;
use switchyard_edge::tools;

const ENDPOINT: Endpoint = endpoints::TOOL_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListTools| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListTools) -> Result<Page<Tool>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    // The cursor is the last name returned (names are unique per workspace).
    let after = input.cursor.unwrap_or_default();
    let mut data = tools::page(&ctx.db, ctx.workspace_id()?, &after, limit + 1)?;
    let next_cursor = if data.len() as u64 > limit {
        data.truncate(limit as usize);
        data.last().map(|t| t.name.clone())
    } else {
        None
    };
    Ok(Page { data, next_cursor })
}
