//! A prompt template with every version, its health and whether it regressed.

use switchyard_api::{GetTemplate, Template};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::TEMPLATE_GET;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: GetTemplate| -> Result<Template, ApiError> {
        planning::load_template(&ctx.db, ctx.workspace_id()?, &input.name)
    })
}
