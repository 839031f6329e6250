//! Process forge deliveries still queued: a webhook answers first and then
//! processes its delivery; one whose processing failed (or was cut off) is
//! tried again here, each in its own transaction, at most five times.
//!
//! Runs on the `[[trigger.cron]]` schedule and, for schedulers without Spin's
//! cron trigger, as a `POST` with the service-role key. Both run [`sweep`].

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_api::{ForgeDeliveryState, ForgeTickReport, NoInput, RequestId};
use switchyard_edge::forge;
use switchyard_edge::prelude::*;
use switchyard_edge::random_bytes;

const ENDPOINT: Endpoint = endpoints::FORGE_EVENT_TICK;

/// Deliveries taken per pass.
const BATCH: u32 = 100;

/// Not `Endpoint::mutate`: the caller is the deployment, not a workspace;
/// processing audits what each delivery did in its connection's workspace.
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| sweep(&ctx.db, &ctx.request_id))
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let report = sweep(&db, &RequestId::from_random(&random_bytes()))
            .map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if report != ForgeTickReport::default() {
            println!("forge-event-tick: {} processed, {} failed", report.processed, report.failed);
        }
        Ok(())
    }
}

/// One pass over the queued deliveries, oldest first.
fn sweep(db: &Db, request_id: &RequestId) -> Result<ForgeTickReport, ApiError> {
    let mut report = ForgeTickReport::default();
    for delivery in forge::queued(db, BATCH)? {
        match db.transaction(|tx| forge::process(tx, &delivery, request_id)) {
            Ok((ForgeDeliveryState::Failed, _)) => report.failed += 1,
            Ok(_) => report.processed += 1,
            Err(e) => {
                forge::count_failed_try(db, &delivery, &format!("processing failed: {}", e.message))?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

export!(Tick);
