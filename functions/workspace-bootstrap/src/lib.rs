//! Create a workspace, its owner and its first admin token (shown once).

use switchyard_api::{
    BootstrapWorkspace, BootstrappedWorkspace, Member, MemberId, Role, Scope, Workspace, WorkspaceId,
};
use switchyard_edge::prelude::*;
use switchyard_edge::{issue_token, members, new_id, now_rfc3339, workspaces};

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
    workspaces::insert(tx, &workspace)?;
    let owner = Member { id: new_id!(MemberId), email, role: Role::Owner };
    workspaces::insert_member(tx, &workspace.id, &owner, &workspace.created_at)?;
    let token = issue_token(tx, &workspace.id, "bootstrap-admin", &[Scope::Admin], None, &ctx.caller.actor())?;
    members::bind_token(tx, &token.id, &owner.id)?;
    let id = workspace.id.clone();
    Ok(Change::created(id.clone(), BootstrappedWorkspace { workspace, owner, token })
        .in_workspace(id)
        .with_secret("/token/token"))
}
