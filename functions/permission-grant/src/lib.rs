//! Grant a member one scope on top of their role's; a caller grants only scopes they hold.

use switchyard_api::MemberPermission;
use switchyard_edge::members;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::PERMISSION_GRANT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: MemberPermission| {
        let caller = ctx.principal()?;
        members::may_grant(&caller.scopes, input.scope)?;
        let member = members::grant(tx, ctx.workspace_id()?, &input.member_id, input.scope, &caller.actor)?;
        Ok(Change::ok(format!("{}:{}", member.member_id, input.scope), member))
    })
}
