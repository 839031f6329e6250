//! Revoke a scope granted to a member; their tokens lose it on the next request.

use switchyard_api::MemberPermission;
use switchyard_edge::members;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::PERMISSION_REVOKE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: MemberPermission| {
        members::may_grant(&ctx.principal()?.scopes, input.scope)?;
        let member = members::revoke(tx, ctx.workspace_id()?, &input.member_id, input.scope)?;
        Ok(Change::ok(format!("{}:{}", member.member_id, input.scope), member))
    })
}
