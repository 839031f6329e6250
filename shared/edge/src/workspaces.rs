//! Workspace storage: workspaces, their members and their public badges.

use switchyard_api::{Member, Workspace, WorkspaceId};

use crate::db::Db;
use crate::error::ApiError;

/// Inserts a new workspace; a taken handle is a CONFLICT.
pub fn insert(tx: &Db, workspace: &Workspace) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO workspaces (id, handle, region, plan, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            &workspace.id.as_str(),
            &workspace.handle,
            &workspace.region.as_str(),
            &workspace.plan.as_str(),
            &workspace.created_at,
        ],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            ApiError::conflict(format!("handle `{}` is already taken", workspace.handle))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Adds a member to a workspace.
pub fn insert_member(tx: &Db, workspace: &WorkspaceId, member: &Member, created_at: &str) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO members (id, workspace_id, email, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&member.id.as_str(), &workspace.as_str(), &member.email, &member.role.as_str(), &created_at],
    )?;
    Ok(())
}

/// A public badge's value for the workspace with `handle`: its status for
/// `status`, else the stored figure; `None` when the workspace or figure is unknown.
pub fn badge_value(db: &Db, handle: &str, kind: &str) -> Result<Option<String>, ApiError> {
    let Some(ws) = db.query_one("SELECT id, status FROM workspaces WHERE handle = $1", &[&handle])? else {
        return Ok(None);
    };
    if kind == "status" {
        return Ok(Some(ws.text("status")?));
    }
    let figure = db.query_one(
        "SELECT value FROM workspace_badges WHERE workspace_id = $1 AND kind = $2",
        &[&ws.text("id")?, &kind],
    )?;
    Ok(figure.map(|row| row.text("value")).transpose()?)
}
