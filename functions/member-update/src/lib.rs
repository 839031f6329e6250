//! Change a member's role; the last owner cannot be demoted, and owners and
//! admins are made or changed only by a caller holding `admin`.

use switchyard_api::UpdateMember;
use switchyard_edge::members;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MEMBER_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateMember| {
        let (workspace, caller) = (ctx.workspace_id()?, &ctx.principal()?.scopes);
        members::may_manage(caller, members::load(tx, workspace, &input.member_id)?.role)?;
        members::may_manage(caller, input.role)?;
        let member = members::set_role(tx, workspace, &input.member_id, input.role)?;
        Ok(Change::ok(member.member_id.clone(), member))
    })
}
