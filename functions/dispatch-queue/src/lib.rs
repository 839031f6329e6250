//! Preview the priority queue: what a claim would take, in order, each issue
//! with its score; blocked issues are left out and counted.

use switchyard_api::{PreviewQueue, QueuePreview};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::DISPATCH_QUEUE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: PreviewQueue| preview(ctx, &input))
}

fn preview(ctx: &Ctx, input: &PreviewQueue) -> Result<QueuePreview, ApiError> {
    let workspace = ctx.workspace_id()?;
    let limit = usize::try_from(input.limit.map_or(20, |l| l.get())).unwrap_or(20);
    let data = planning::queue(&ctx.db, workspace, input.project_id.as_ref(), input.goal_id.as_ref(), limit)?;
    Ok(QueuePreview { data, blocked: planning::blocked_count(&ctx.db, workspace)? })
}
