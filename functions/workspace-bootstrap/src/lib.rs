//! Create a workspace, its owner and its first admin token (shown once).

use switchyard_api::{
    BootstrapWorkspace, BootstrappedWorkspace, Member, MemberId, Role, Scope, Workspace, WorkspaceId,
};
use switchyard_edge::prelude::*;
use switchyard_edge::{issue_token, new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::WORKSPACE_BOOTSTRAP;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: BootstrapWorkspace| bootstrap(ctx, tx, input))
}

fn bootstrap(ctx: &Ctx, tx: &Db, input: BootstrapWorkspace) -> Result<Change<BootstrappedWorkspace>, ApiError> {
    let email = input.admin_email.to_ascii_lowercase();

    let workspace = Workspace {
        id: new_id!(WorkspaceId),
        handle: input.handle.into_string(),
        region: input.region,
        plan: input.plan,
        created_at: now_rfc3339(),
    };
    tx.exec(
        "INSERT INTO workspaces (id, handle, region, plan, created_at) VALUES (?, ?, ?, ?, ?)",
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
    let owner = Member { id: new_id!(MemberId), email, role: Role::Owner };
    tx.exec(
        "INSERT INTO members (id, workspace_id, email, role, created_at) VALUES (?, ?, ?, ?, ?)",
        &[&owner.id.as_str(), &workspace.id.as_str(), &owner.email, &owner.role.as_str(), &workspace.created_at],
    )?;
    let token = issue_token(tx, &workspace.id, "bootstrap-admin", &[Scope::Admin], None, &ctx.caller.actor())?;
    let id = workspace.id.clone();
    Ok(Change::created(id.clone(), BootstrappedWorkspace { workspace, owner, token }).in_workspace(id))
}
