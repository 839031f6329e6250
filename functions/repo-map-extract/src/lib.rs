//! Extract a repository's map — languages, frameworks and modules — into the
//! Context Engine as `system` entries: an extraction job a harness that has
//! the repository runs (no agent).

use switchyard_api::{ExtractFromRepo, ExtractJob};
use switchyard_edge::insight::extraction;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::REPO_MAP_EXTRACT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(
        req,
        |ctx, input: ExtractFromRepo| extraction::check(ctx, input, ExtractJob::Map, ENDPOINT.name),
        |ctx, tx, prepared| extraction::start(ctx, tx, prepared, ENDPOINT.name),
    )
}
