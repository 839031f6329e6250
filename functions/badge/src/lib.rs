//! Render a public badge (status, build, coverage) for a workspace as SVG.

use switchyard_api::BadgeQuery;
use switchyard_domain::badge;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BADGE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |ctx, query: BadgeQuery| render(ctx, query))
}

/// The badge's value: `unknown` for an unknown workspace or a figure never reported.
fn value(ctx: &Ctx, query: &BadgeQuery) -> Result<String, ApiError> {
    let Some(ws) = ctx.db.query_one("SELECT id, status FROM workspaces WHERE handle = ?", &[&query.workspace])? else {
        return Ok("unknown".to_owned());
    };
    let kind = query.kind.as_str();
    if kind == "status" {
        return Ok(ws.text("status")?);
    }
    let figure = ctx.db.query_one(
        "SELECT value FROM workspace_badges WHERE workspace_id = ? AND kind = ?",
        &[&ws.text("id")?, &kind],
    )?;
    Ok(match figure {
        Some(row) => row.text("value")?,
        None => "unknown".to_owned(),
    })
}

fn render(ctx: &Ctx, query: BadgeQuery) -> Result<Reply, ApiError> {
    let kind = query.kind.as_str();
    let value = value(ctx, &query)?;
    let svg = badge::render(kind, &value, badge::colour(kind, &value));
    Ok(Reply::bytes(200, "image/svg+xml; charset=utf-8", svg.into_bytes())
        .header("cache-control", "public, max-age=300, stale-while-revalidate=60"))
}
