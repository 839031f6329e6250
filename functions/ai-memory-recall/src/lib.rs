//! The memories relevant to a brief, ranked like `bmad-query`, each with how
//! the lane it was learned in ended.

use switchyard_api::{MemoryRecall, RecallMemory};
use switchyard_edge::context;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AI_MEMORY_RECALL;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: RecallMemory| -> Result<MemoryRecall, ApiError> {
        context::recall(&ctx.db, ctx.workspace_id()?, &input)
    })
}
