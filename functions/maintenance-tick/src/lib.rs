//! Housekeeping: delete idempotency records older than the 24 h they are
//! kept, rate-limit counters that no longer count, and webhook and forge
//! deliveries finished more than 30 days ago; and write the token
//! uses noted in the key-value store back to `api_tokens.last_used_at` in one
//! batch.
//!
//! Runs on the `[[trigger.cron]]` schedule and, for schedulers without Spin's
//! cron trigger, as a `POST` with the service-role key. Both paths run [`pass`].

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_api::{MaintenanceReport, NoInput};
use switchyard_edge::prelude::*;
use switchyard_edge::{forge, idempotency, mcp, rate, tokens, webhooks};

const ENDPOINT: Endpoint = endpoints::MAINTENANCE_TICK;

/// Not `Endpoint::mutate`: the caller is the deployment, not a workspace, and
/// nothing a workspace owns changes (records expire, timestamps catch up).
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| ctx.db.transaction(pass))
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let report =
            db.transaction(pass).map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if report.idempotency_pruned > 0 {
            println!("maintenance-tick: {} idempotency records pruned", report.idempotency_pruned);
        }
        Ok(())
    }
}

fn pass(tx: &Db) -> Result<MaintenanceReport, ApiError> {
    Ok(MaintenanceReport {
        idempotency_pruned: idempotency::prune(tx)?,
        last_used_written: tokens::write_back_last_used(tx)?,
        rate_counters_pruned: rate::prune_counters().map_err(ApiError::internal)?,
        webhook_deliveries_pruned: webhooks::prune(tx)?,
        forge_deliveries_pruned: forge::prune(tx)?,
        mcp_sessions_pruned: mcp::prune(tx)?,
    })
}

export!(Tick);
