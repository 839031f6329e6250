//! Change a context entry, confirm it (its decay starts again) or retire it.

use switchyard_api::{ContextEntry, UpdateContextEntry};
use switchyard_edge::context;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::CONTEXT_ENTRY_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateContextEntry| -> Result<Change<ContextEntry>, ApiError> {
        let entry = context::update(tx, ctx.workspace_id()?, &input)?;
        Ok(Change::ok(entry.id.clone(), entry))
    })
}
