//! Query the Context Engine (BMAD): the served entries of the five dimensions
//! ranked for a question and paths, each with why, within a token budget.

use switchyard_api::{ContextAnswer, QueryContext};
use switchyard_edge::context;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BMAD_QUERY;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: QueryContext| -> Result<ContextAnswer, ApiError> {
        context::query(&ctx.db, ctx.workspace_id()?, &input)
    })
}
