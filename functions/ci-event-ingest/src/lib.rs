//! Ingest a CI status event into a lane (named by `run_id`, or by repository
//! and branch): the check's latest status, a lane event, an outbound webhook,
//! and on failure an optional follow-up interrupt to the lane's agent.

use switchyard_api::{CheckSource, CiEventRecorded, CiStatus, IngestCiEvent, LaneCheck};
use switchyard_edge::checks;
use switchyard_edge::lanes::{LaneRow, load_lane};
use switchyard_edge::prelude::*;
use switchyard_edge::{forge, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::CI_EVENT_INGEST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: IngestCiEvent| ingest(ctx, tx, input))
}

fn lane(ctx: &Ctx, tx: &Db, input: &IngestCiEvent) -> Result<LaneRow, ApiError> {
    let workspace = ctx.workspace_id()?;
    match (&input.run_id, &input.repository, &input.branch) {
        (Some(run_id), _, _) => load_lane(tx, workspace, run_id),
        (None, Some(repository), Some(branch)) => forge::lane_on_branch(tx, workspace, repository, branch)?
            .ok_or_else(|| ApiError::not_found(format!("a lane of {repository} working on branch {branch}"))),
        _ => Err(ApiError::validation("run_id", "give `run_id`, or `repository` and `branch`")),
    }
}

fn ingest(ctx: &Ctx, tx: &Db, input: IngestCiEvent) -> Result<Change<CiEventRecorded>, ApiError> {
    let lane = lane(ctx, tx, &input)?;
    let check = LaneCheck {
        name: input.job.to_string(),
        status: input.status,
        url: input.url.as_ref().map(|u| u.to_string()),
        summary: input.log_excerpt.as_ref().map(|l| checks::tail(l.as_str())),
        source: CheckSource::Ci,
        updated_at: now_rfc3339(),
    };
    checks::record(tx, &lane, &check)?;
    let follow_up = match input.follow_up {
        Some(wanted) => wanted,
        None => forge::follow_up_default(tx, &lane.workspace_id)?,
    };
    let interrupt =
        if input.status == CiStatus::Failure && follow_up { checks::follow_up(tx, &lane, &check)? } else { None };
    let recorded =
        CiEventRecorded { run_id: lane.run_id.clone(), check, follow_up_interrupt_id: interrupt.map(|i| i.id) };
    Ok(Change::ok(lane.run_id.clone(), recorded))
}
