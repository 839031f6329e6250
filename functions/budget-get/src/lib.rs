//! The workspace's daily token and cost ceilings, and today's (UTC) use, grants and remainder.

use switchyard_api::NoInput;
use switchyard_edge::budgets;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BUDGET_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| budgets::status(&ctx.db, ctx.workspace_id()?))
}
