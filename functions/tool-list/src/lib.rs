//! List the workspace's registered tools, by name.

use switchyard_api::{ListTools, Page, Tool, ToolId};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::TOOL_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListTools| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListTools) -> Result<Page<Tool>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    // The cursor is the last name returned (names are unique per workspace).
    let after = input.cursor.unwrap_or_default();
    let rows = ctx.db.query(
        "SELECT id, name, description, input_schema, mcp_url, created_at FROM tools
         WHERE workspace_id = ? AND name > ? ORDER BY name LIMIT ?",
        &[ctx.workspace_id()?, &after, &(limit + 1)],
    )?;
    let mut data = Vec::with_capacity(rows.len());
    for r in rows.iter().take(limit as usize) {
        data.push(Tool {
            id: ToolId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("bad tool id"))?,
            name: r.text("name")?,
            description: r.text("description")?,
            input_schema: r.json("input_schema")?,
            mcp_url: r.text("mcp_url")?,
            created_at: r.text("created_at")?,
        });
    }
    let next_cursor = (rows.len() as u64 > limit).then(|| data.last().map(|t| t.name.clone())).flatten();
    Ok(Page { data, next_cursor })
}
