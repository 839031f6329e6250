//! Remove a member: their grants go and every token acting for them is
//! revoked. The last owner cannot be removed.

use switchyard_api::{MemberRemoved, RemoveMember};
use switchyard_edge::members;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MEMBER_REMOVE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RemoveMember| {
        let workspace = ctx.workspace_id()?;
        members::may_manage(&ctx.principal()?.scopes, members::load(tx, workspace, &input.member_id)?.role)?;
        let revoked_tokens = members::remove(tx, workspace, &input.member_id)?;
        Ok(Change::ok(input.member_id.clone(), MemberRemoved { member_id: input.member_id, revoked_tokens }))
    })
}
