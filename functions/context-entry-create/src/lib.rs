//! Record a context entry: what agents should know (product, system, style,
//! policy, memory), where it was learned and how sure we are.

use switchyard_api::{ContextEntry, CreateContextEntry};
use switchyard_edge::context;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::CONTEXT_ENTRY_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateContextEntry| -> Result<Change<ContextEntry>, ApiError> {
        let entry = context::create(tx, ctx.workspace_id()?, &input, &ctx.caller.actor())?;
        Ok(Change::created(entry.id.clone(), entry))
    })
}
