//! Register a tool (name, description, JSON input schema) served by an MCP server over Streamable HTTP.

use switchyard_api::{RegisterTool, Tool, ToolId};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339, tools};

const ENDPOINT: Endpoint = endpoints::TOOL_REGISTER;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RegisterTool| register(ctx, tx, input))
}

fn register(ctx: &Ctx, tx: &Db, input: RegisterTool) -> Result<Change<Tool>, ApiError> {
    tools::check_reachable(&input.mcp_url)?;
    let tool = Tool {
        id: new_id!(ToolId),
        name: input.name.into_string(),
        description: input.description.into_string(),
        input_schema: input.input_schema.into_value(),
        mcp_url: input.mcp_url.into_string(),
        created_at: now_rfc3339(),
    };
    tools::insert(tx, ctx.workspace_id()?, &tool)?;
    Ok(Change::created(tool.id.clone(), tool))
}
