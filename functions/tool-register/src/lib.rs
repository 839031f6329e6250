//! Register a tool (name, description, JSON input schema) served by an MCP server over Streamable HTTP.

use switchyard_api::{RegisterTool, Tool, ToolId};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::TOOL_REGISTER;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RegisterTool| register(ctx, tx, input))
}

fn validate(input: &RegisterTool) -> Result<(), ApiError> {
    let name_ok = (1..=64).contains(&input.name.len())
        && input.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !name_ok {
        return Err(ApiError::validation("name", "must be 1-64 of letters, digits, `_`, `-`, `.`"));
    }
    if input.description.trim().is_empty() || input.description.len() > 4000 {
        return Err(ApiError::validation("description", "must be 1-4000 bytes"));
    }
    if !input.input_schema.is_object() {
        return Err(ApiError::validation("input_schema", "must be a JSON Schema object"));
    }
    jsonschema::meta::validate(&input.input_schema)
        .map_err(|e| ApiError::validation("input_schema", format!("is not a valid JSON Schema: {e}")))?;
    let rest = input.mcp_url.strip_prefix("https://").or_else(|| input.mcp_url.strip_prefix("http://"));
    let url_ok = input.mcp_url.len() <= 2048
        && rest.is_some_and(|r| {
            !r.is_empty() && !r.starts_with('/') && !r.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if !url_ok {
        return Err(ApiError::validation("mcp_url", "must be an http:// or https:// URL"));
    }
    Ok(())
}

fn register(ctx: &Ctx, tx: &Db, input: RegisterTool) -> Result<Change<Tool>, ApiError> {
    validate(&input)?;
    let tool = Tool {
        id: new_id!(ToolId),
        name: input.name,
        description: input.description,
        input_schema: input.input_schema,
        mcp_url: input.mcp_url,
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
