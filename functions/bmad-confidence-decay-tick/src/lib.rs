//! Bring context confidences up to date: each entry decays from its base by
//! the time since it was last confirmed; one below the floor goes stale.
//!
//! A member's `POST` (scope `context:write`) decays its own workspace's; the
//! `[[trigger.cron]]` schedule decays every workspace's.

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_api::{DecayReport, NoInput};
use switchyard_edge::context;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BMAD_CONFIDENCE_DECAY_TICK;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, _: NoInput| -> Result<Change<DecayReport>, ApiError> {
        let workspace = ctx.workspace_id()?;
        Ok(Change::ok(workspace.as_str(), context::decay(tx, Some(workspace))?))
    })
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let report = db
            .transaction(|tx| context::decay(tx, None))
            .map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if report != DecayReport::default() {
            println!("bmad-confidence-decay-tick: {} decayed, {} stale", report.decayed, report.stale);
        }
        Ok(())
    }
}

export!(Tick);
