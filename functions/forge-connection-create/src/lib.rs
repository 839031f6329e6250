//! Connect a GitHub or GitLab forge: the webhook path to give the forge and
//! its secret (shown once), and what its events may do in the workspace.

use switchyard_api::{ConnectionWithSecret, CreateConnection};
use switchyard_edge::forge;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::FORGE_CONNECTION_CREATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: CreateConnection| create(ctx, tx, &input))
}

fn create(ctx: &Ctx, tx: &Db, input: &CreateConnection) -> Result<Change<ConnectionWithSecret>, ApiError> {
    let made = forge::create(tx, ctx.workspace_id()?, input, &ctx.caller.actor())?;
    Ok(Change::created(made.connection.id.clone(), made).with_secret("/secret"))
}
