//! One workspace's health over a window (default 24 h): lanes, the queue, harnesses, tool calls, webhooks and what waits for a person.

use switchyard_api::{ObservabilityQuery, ObservabilitySnapshot};
use switchyard_edge::observability;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::OBSERVABILITY_SNAPSHOT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ObservabilityQuery| snapshot(ctx, input))
}

fn snapshot(ctx: &Ctx, input: ObservabilityQuery) -> Result<ObservabilitySnapshot, ApiError> {
    let hours = input.window_hours.map_or(24, |h| h.get());
    observability::snapshot(&ctx.db, ctx.workspace_id()?, hours)
}
