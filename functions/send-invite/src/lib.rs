//! Invite someone into the workspace by email with a role (default `member`;
//! `owner` and `admin` only by a caller holding `admin`).

use switchyard_api::InviteMember;
use switchyard_edge::members;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::SEND_INVITE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: InviteMember| {
        members::may_manage(&ctx.principal()?.scopes, input.role)?;
        let member = members::invite(tx, ctx.workspace_id()?, input.email.as_str(), input.role)?;
        Ok(Change::created(member.member_id.clone(), member))
    })
}
