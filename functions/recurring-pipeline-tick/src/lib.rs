//! Start scheduled sprints whose time has come: each takes its goal's open
//! issues as they are now and moves through `plan` to `build`; a recurring
//! one plans its successor; one with nothing to build is cancelled (its
//! schedule goes on).
//!
//! A member's `POST` (scope `lanes:write`) starts its own workspace's; the
//! `[[trigger.cron]]` schedule starts every workspace's. Both run [`sweep`].

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_api::{NoInput, PipelineTickReport, RequestId, WorkspaceId};
use switchyard_edge::audit::append_system;
use switchyard_edge::prelude::*;
use switchyard_edge::random_bytes;
use switchyard_edge::sprints::{self, SprintRow, Started};

const ENDPOINT: Endpoint = endpoints::RECURRING_PIPELINE_TICK;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, _: NoInput| -> Result<Change<PipelineTickReport>, ApiError> {
        let workspace = ctx.workspace_id()?;
        let actor = ctx.caller.actor();
        let report = sweep(tx, workspace, &actor, &mut |tx, sprint, action| {
            ctx.audit_in(tx, workspace, &format!("recurring-pipeline-tick:{action}"), Some(sprint))
        })?;
        Ok(Change::ok(workspace.as_str(), report))
    })
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let request_id = RequestId::from_random(&random_bytes());
        let due = sprints::due(&db, None).map_err(|e| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        let mut report = PipelineTickReport::default();
        // One transaction per sprint: one that fails is logged and the others still start.
        for sprint in due {
            let started = db.transaction(|tx| {
                start_one(tx, &sprint, "schedule", &mut report, &mut |tx, id, action| {
                    Ok(append_system(tx, ENDPOINT.name, &sprint.workspace_id, action, id, &request_id)?)
                })
            });
            if let Err(e) = started {
                eprintln!(
                    "recurring-pipeline-tick: sprint {} did not start: {}: {:?}",
                    sprint.summary.id, e.message, e.cause
                );
            }
        }
        if report != PipelineTickReport::default() {
            println!(
                "recurring-pipeline-tick: {} started, {} scheduled, {} skipped",
                report.started.len(),
                report.scheduled.len(),
                report.skipped.len()
            );
        }
        Ok(())
    }
}

type Audit<'a> = dyn FnMut(&Db, &str, &str) -> Result<(), ApiError> + 'a;

/// Starts every due sprint of `workspace`, auditing each.
fn sweep(tx: &Db, workspace: &WorkspaceId, actor: &str, audit: &mut Audit<'_>) -> Result<PipelineTickReport, ApiError> {
    let mut report = PipelineTickReport::default();
    for sprint in sprints::due(tx, Some(workspace))? {
        start_one(tx, &sprint, actor, &mut report, audit)?;
    }
    Ok(report)
}

/// Starts one due sprint and notes what it came to.
fn start_one(
    tx: &Db,
    sprint: &SprintRow,
    actor: &str,
    report: &mut PipelineTickReport,
    audit: &mut Audit<'_>,
) -> Result<(), ApiError> {
    let id = sprint.summary.id.clone();
    let next = match sprints::start(tx, sprint, actor)? {
        Started::Building(next) => {
            audit(tx, id.as_str(), "started")?;
            report.started.push(id);
            next
        }
        Started::Skipped(next) => {
            audit(tx, id.as_str(), "skipped")?;
            report.skipped.push(id);
            next
        }
    };
    if let Some(next) = next {
        audit(tx, next.as_str(), "scheduled")?;
        report.scheduled.push(next);
    }
    Ok(())
}

export!(Tick);
