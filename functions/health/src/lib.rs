//! Liveness of the deployment and its database.

use switchyard_api::{Health, NoInput};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::HEALTH;

#[http_component]
fn health(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| {
        let database = ctx.db.status();
        Ok(Health {
            status: if database == "ok" { "ok" } else { "degraded" }.to_owned(),
            database: database.to_owned(),
            region: switchyard_edge::deployment_region().as_str().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    })
}
