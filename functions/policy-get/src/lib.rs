//! The workspace's policy rules in force, or an earlier version.

use switchyard_api::{GetPolicy, Policy};
use switchyard_edge::governance;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::POLICY_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetPolicy| -> Result<Policy, ApiError> {
        match input.version {
            Some(v) => governance::version(&ctx.db, ctx.workspace_id()?, v.get()),
            None => governance::current(&ctx.db, ctx.workspace_id()?),
        }
    })
}
