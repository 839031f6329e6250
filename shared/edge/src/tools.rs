//! Tool storage: the registered MCP tools of a workspace.

use switchyard_api::{Tool, ToolId, WorkspaceId};

use crate::db::{Db, Row};
use crate::error::ApiError;

const TOOL_COLUMNS: &str = "id, name, description, input_schema, mcp_url, created_at";

fn from_row(r: &Row) -> Result<Tool, ApiError> {
    Ok(Tool {
        id: ToolId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("malformed tool id"))?,
        name: r.text("name")?,
        description: r.text("description")?,
        input_schema: r.json("input_schema")?,
        mcp_url: r.text("mcp_url")?,
        created_at: r.text("created_at")?,
    })
}

/// Registers a tool; a name already taken in the workspace is a CONFLICT.
pub fn insert(tx: &Db, workspace: &WorkspaceId, tool: &Tool) -> Result<(), ApiError> {
    tx.exec(
        &format!("INSERT INTO tools (workspace_id, {TOOL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            &workspace.as_str(),
            &tool.id.as_str(),
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
    Ok(())
}

/// Up to `limit` tools of `workspace` named after `after`, by name.
pub fn page(db: &Db, workspace: &WorkspaceId, after: &str, limit: u64) -> Result<Vec<Tool>, ApiError> {
    db.query(
        &format!("SELECT {TOOL_COLUMNS} FROM tools WHERE workspace_id = $1 AND name > $2 ORDER BY name LIMIT $3"),
        &[&workspace.as_str(), &after, &limit],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The tool of `workspace` named `name` (NOT_FOUND otherwise).
pub fn find(db: &Db, workspace: &WorkspaceId, name: &str) -> Result<Tool, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {TOOL_COLUMNS} FROM tools WHERE workspace_id = $1 AND name = $2"),
            &[&workspace.as_str(), &name],
        )?
        .ok_or_else(|| ApiError::not_found(format!("tool `{name}`")))?;
    from_row(&row)
}

/// Refuses an MCP server URL the deployment's outbound allow-list
/// (`mcp_outbound_hosts`) will never let a call reach, naming the pattern.
pub fn check_reachable(mcp_url: &str) -> Result<(), ApiError> {
    let pattern = spin_sdk::variables::get("mcp_outbound_hosts")
        .map_err(|e| ApiError::internal(format!("variable mcp_outbound_hosts: {e:?}")))?;
    match switchyard_domain::allow_list::allows(&pattern, mcp_url) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::validation(
            "mcp_url",
            format!(
                "the deployment's outbound allow-list (mcp_outbound_hosts = `{pattern}`) never lets a call reach this URL"
            ),
        )),
        Err(why) => Err(ApiError::internal(format!("mcp_outbound_hosts: {why}"))),
    }
}
