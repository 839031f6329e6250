//! Render a public badge (status, build, coverage) for a workspace as SVG.

use switchyard_api::BadgeQuery;
use switchyard_domain::badge;
use switchyard_edge::prelude::*;
use switchyard_edge::workspaces;

const ENDPOINT: Endpoint = endpoints::BADGE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |ctx, query: BadgeQuery| render(ctx, query))
}

/// The badge's value: `unknown` for an unknown workspace or a figure never reported.
fn value(ctx: &Ctx, query: &BadgeQuery) -> Result<String, ApiError> {
    Ok(workspaces::badge_value(&ctx.db, &query.workspace, query.kind.as_str())?.unwrap_or_else(|| "unknown".into()))
}

fn render(ctx: &Ctx, query: BadgeQuery) -> Result<Reply, ApiError> {
    let kind = query.kind.as_str();
    let value = value(ctx, &query)?;
    let svg = badge::render(kind, &value, badge::colour(kind, &value));
    Ok(Reply::bytes(200, "image/svg+xml; charset=utf-8", svg.into_bytes())
        .header("cache-control", "public, max-age=300, stale-while-revalidate=60"))
}
