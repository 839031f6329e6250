//! Bootstrap the Context Engine from a connected repo: an extraction job a
//! harness that has the repository runs (no agent), sending product, system,
//! style and policy entries with their file and commit as evidence.

use switchyard_api::{ExtractFromRepo, ExtractJob};
use switchyard_edge::insight::extraction;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BMAD_EXTRACT_FROM_REPO;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(
        req,
        |ctx, input: ExtractFromRepo| extraction::check(ctx, input, ExtractJob::Context, ENDPOINT.name),
        |ctx, tx, prepared| extraction::start(ctx, tx, prepared, ENDPOINT.name),
    )
}
