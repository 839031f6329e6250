//! The workspace's members with their roles, granted scopes and everything they may do.

use switchyard_api::{MemberList, NoInput};
use switchyard_edge::members;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MEMBER_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| Ok(MemberList { data: members::list(&ctx.db, ctx.workspace_id()?)? }))
}
