//! Store what a lane (or a person) learned as a memory entry of the context
//! engine, linked to its lane.

use switchyard_api::{ContextEntry, EmbedMemory};
use switchyard_edge::context;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AI_MEMORY_EMBED;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: EmbedMemory| -> Result<Change<ContextEntry>, ApiError> {
        let entry = context::embed_memory(tx, ctx.workspace_id()?, &input, &ctx.caller.actor())?;
        Ok(Change::created(entry.id.clone(), entry))
    })
}
