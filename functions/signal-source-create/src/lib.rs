//! Register a signal provider (Sentry) with the client secret it signs with.

use switchyard_api::{CreateSignalSource, SignalSource};
use switchyard_edge::planning;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::SIGNAL_SOURCE_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateSignalSource| create(ctx, tx, &input))
}

fn create(ctx: &Ctx, tx: &Db, input: &CreateSignalSource) -> Result<Change<SignalSource>, ApiError> {
    let source = planning::create_source(tx, ctx.workspace_id()?, input, &ctx.caller.actor())?;
    Ok(Change::created(source.id.clone(), source))
}
