//! Replace the workspace's own mandate rules, the built-ins it switches off
//! and what a blocking violation does, as a new version (audited with it).

use switchyard_api::UpdateMandates;
use switchyard_edge::mandates;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MANDATE_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateMandates| {
        let saved = mandates::save(tx, ctx.workspace_id()?, input, &ctx.caller.actor())?;
        Ok(Change::created(format!("mandates:v{}", saved.version), saved))
    })
}
