//! Register a tool (name, description, JSON input schema) served by an MCP server over Streamable HTTP.

use switchyard_api::{RegisterTool, Tool, ToolId};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::TOOL_REGISTER;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RegisterTool| register(ctx, tx, input))
}

fn register(ctx: &Ctx, tx: &Db, input: RegisterTool) -> Result<Change<Tool>, ApiError> {
    let tool = Tool {
        id: new_id!(ToolId),
        name: input.name.into_string(),
        description: input.description.into_string(),
        input_schema: input.input_schema.into_value(),
        mcp_url: input.mcp_url.into_string(),
        created_at: now_rfc3339(),
    };
    tx.exec(
        "INSERT INTO tools (id, workspace_id, name, description, input_schema, mcp_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            &tool.id,
            ctx.workspace_id()?,
            &tool.name,
            &tool.description,
            &tool.input_schema.to_string(),
            &tool.mcp_url,
            &tool.created_at,
        ],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            let mut err = ApiError::conflict(format!("a tool named `{}` is already registered", tool.name));
            err.field = Some("name".into());
            err
        } else {
            e.into()
        }
    })?;
    Ok(Change::created(tool.id.clone(), tool))
}
