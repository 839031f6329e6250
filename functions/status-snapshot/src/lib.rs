//! For a public status page: the deployment's health and load — queue
//! depth, lanes per active state, harnesses online — totalled over every
//! workspace, with no tenant data.

use std::collections::BTreeMap;

use switchyard_api::{NoInput, StatusSnapshot};
use switchyard_edge::prelude::*;
use switchyard_edge::{harnesses, lanes};

const ENDPOINT: Endpoint = endpoints::STATUS_SNAPSHOT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| -> Result<StatusSnapshot, ApiError> {
        let database = ctx.db.status();
        let now = chrono::Utc::now();
        // A database that does not answer still gets a snapshot: degraded, no load figures.
        let (lanes, oldest, online) = if database == "unavailable" {
            (BTreeMap::new(), None, 0)
        } else {
            let (lanes, oldest) = lanes::active_counts(&ctx.db)?;
            (lanes, oldest, harnesses::online(&ctx.db)?)
        };
        let oldest_queued_seconds = oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| u64::try_from((now - t.with_timezone(&chrono::Utc)).num_seconds().max(0)).unwrap_or(0));
        Ok(StatusSnapshot {
            status: if database == "ok" { "ok" } else { "degraded" }.to_owned(),
            database: database.to_owned(),
            region: switchyard_edge::deployment_region().as_str().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            queue_depth: lanes.get("queued").copied().unwrap_or(0),
            lanes,
            oldest_queued_seconds,
            harnesses_online: online,
        })
    })
}
