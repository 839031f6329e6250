//! Make a version of a prompt template the active one.

use switchyard_api::{PromoteTemplate, Template};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::TEMPLATE_PROMOTE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: PromoteTemplate| promote(ctx, tx, &input))
}

fn promote(ctx: &Ctx, tx: &Db, input: &PromoteTemplate) -> Result<Change<Template>, ApiError> {
    let template = planning::promote(tx, ctx.workspace_id()?, &input.name, input.version.get())?;
    Ok(Change::ok(format!("{}@{}", template.name, template.active_version), template))
}
