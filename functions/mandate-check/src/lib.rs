//! Check a snapshot of files against the workspace's mandates: each violation
//! names rule, file and line (never the matched text).

use switchyard_api::CheckMandates;
use switchyard_edge::mandates;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MANDATE_CHECK;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: CheckMandates| mandates::check_snapshot(&ctx.db, ctx.workspace_id()?, &input.files))
}
