//! Pause the running lanes of workspaces over a daily ceiling; resume the
//! lanes it paused once budget remains again (a grant, a new UTC day, a
//! raised or removed ceiling).
//!
//! Runs on the `[[trigger.cron]]` schedule and, for schedulers without Spin's
//! cron trigger, as a `POST` with the service-role key. Both run [`sweep`].

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_api::{CeilingTickReport, NoInput, RequestId};
use switchyard_edge::audit::append_system;
use switchyard_edge::budgets;
use switchyard_edge::prelude::*;
use switchyard_edge::random_bytes;

const ENDPOINT: Endpoint = endpoints::COST_CEILING_TICK;

/// Not `Endpoint::mutate`: the caller is the deployment, not a workspace;
/// `sweep` audits each lane it changes in that lane's workspace.
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| ctx.db.transaction(|tx| sweep(tx, &ctx.request_id)))
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let request_id = RequestId::from_random(&random_bytes());
        let report = db
            .transaction(|tx| sweep(tx, &request_id))
            .map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if report != CeilingTickReport::default() {
            println!("cost-ceiling-tick: {} paused, {} resumed", report.paused, report.resumed);
        }
        Ok(())
    }
}

/// One pass over the workspaces with a ceiling (or lanes it paused).
fn sweep(tx: &Db, request_id: &RequestId) -> Result<CeilingTickReport, ApiError> {
    let mut report = CeilingTickReport::default();
    for workspace in budgets::with_ceilings(tx)? {
        let budget = budgets::status(tx, &workspace)?;
        let (changed, action) = if budget.exhausted {
            (budgets::pause_running(tx, &workspace)?, "paused")
        } else {
            (budgets::resume_paused(tx, &workspace, "the workspace's budget allows it again")?, "resumed")
        };
        for lane in &changed {
            append_system(tx, ENDPOINT.name, &workspace, action, lane.as_str(), request_id)?;
        }
        let n = u32::try_from(changed.len()).unwrap_or(u32::MAX);
        if budget.exhausted {
            report.paused += n;
        } else {
            report.resumed += n;
        }
    }
    Ok(report)
}

export!(Tick);
