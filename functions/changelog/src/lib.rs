//! A workspace's public changelog, newest first: JSON, or an Atom feed (`format=atom`).

use switchyard_api::{Changelog, ChangelogFormat, ChangelogQuery};
use switchyard_domain::changelog::atom;
use switchyard_edge::changelog;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::CHANGELOG;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |ctx, query: ChangelogQuery| render(ctx, query))
}

fn render(ctx: &Ctx, query: ChangelogQuery) -> Result<Reply, ApiError> {
    let limit = query.limit.map_or(50, |l| l.get());
    let entries = changelog::newest(&ctx.db, query.workspace.as_str(), limit)?.unwrap_or_default();
    let reply = match query.format.unwrap_or(ChangelogFormat::Json) {
        ChangelogFormat::Json => Reply::json(200, &Changelog { workspace: query.workspace.to_string(), entries }),
        ChangelogFormat::Atom => {
            let updated = entries.first().map_or_else(switchyard_edge::now_rfc3339, |e| e.published_at.clone());
            let self_url = format!("{}?workspace={}&format=atom", ENDPOINT.route(), query.workspace);
            let feed = atom(query.workspace.as_str(), &self_url, &updated, &entries);
            Reply::bytes(200, "application/atom+xml; charset=utf-8", feed.into_bytes())
        }
    };
    Ok(reply.header("cache-control", "public, max-age=60"))
}
