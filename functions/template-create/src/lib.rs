//! Add a prompt template, or a new immutable version of one.

use switchyard_api::{CreateTemplate, Template};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::TEMPLATE_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateTemplate| create(ctx, tx, &input))
}

fn create(ctx: &Ctx, tx: &Db, input: &CreateTemplate) -> Result<Change<Template>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let by = ctx.caller.actor();
    let template = planning::add_template_version(tx, workspace, &input.name, &input.body, input.activate, &by)?;
    let latest = template.versions.first().map_or(1, |v| v.version);
    Ok(Change::created(format!("{}@{latest}", template.name), template))
}
