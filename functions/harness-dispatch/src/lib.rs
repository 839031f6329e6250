//! Atomically claim the oldest queued lane this harness can run and return it hydrated; 204 when there is none.
//!
//! Hydrated: its pending interrupts, the context entries ranked for its brief
//! and claim (recorded as given), and for an extraction job or a restored
//! snapshot, the job and the commit to start from.

use switchyard_api::{Dispatched, DispatchedLane, NoInput};
use switchyard_domain::lane::Event;
use switchyard_edge::lanes::{self, LaneRow, apply, pending_interrupts};
use switchyard_edge::prelude::*;
use switchyard_edge::rfc3339_after;
use switchyard_edge::{context, insight};

const ENDPOINT: Endpoint = endpoints::HARNESS_DISPATCH;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |ctx, _: NoInput| {
        let claimed = ctx.db.transaction(|tx| claim(ctx, tx))?;
        Ok(match claimed {
            Some(lane) => Reply::json(200, &Dispatched { lane }),
            None => Reply::bytes(204, "application/json", Vec::new()),
        })
    })
}

/// In one write transaction, so racing harnesses never claim the same lane.
fn claim(ctx: &Ctx, tx: &Db) -> Result<Option<DispatchedLane>, ApiError> {
    let harness = ctx.caller.harness()?;
    // Oldest first, a page at a time: the first lane is nearly always the one,
    // so a long queue costs one small indexed read, not a scan. Lanes needing
    // labels no harness has are skipped up to MAX_PAGES pages per call (as the
    // old 200-lane window did), so a stuck queue cannot hold the write lock long.
    let mut after = (String::new(), String::new());
    for _ in 0..MAX_PAGES {
        let page = lanes::queued_for(tx, &harness.workspace.id, &harness.kind, &after, PAGE)?;
        let full = page.len() == PAGE;
        let last = page.last().map(|l| (l.created_at.clone(), l.run_id.to_string()));
        if let Some(lane) = first_fit(ctx, tx, harness, page)? {
            return Ok(Some(lane));
        }
        match last {
            Some(last) if full => after = last,
            _ => break,
        }
    }
    Ok(None)
}

/// Lanes read per query while looking for one this harness may take.
const PAGE: usize = 16;
/// Pages read per call at most (about the 200 lanes the first version read).
const MAX_PAGES: usize = 13;

/// Claims the first of `rows` whose required labels the harness carries.
fn first_fit(
    ctx: &Ctx,
    tx: &Db,
    harness: &switchyard_edge::HarnessPrincipal,
    page: Vec<LaneRow>,
) -> Result<Option<DispatchedLane>, ApiError> {
    for mut lane in page {
        // A lane's labels are requirements the harness must carry.
        if !lane.labels.iter().all(|l| harness.labels.contains(l)) {
            continue;
        }
        apply(tx, &mut lane, Event::Dispatch, Some(&format!("claimed by {}", harness.harness_id)))?;
        lanes::assign(tx, &mut lane, &harness.harness_id, &rfc3339_after(harness.lease_seconds))?;
        ctx.audit_in(tx, &harness.workspace.id, "harness-dispatch", Some(lane.run_id.as_str()))?;
        let interrupts = pending_interrupts(tx, &lane.run_id)?;
        let job = insight::job_of(tx, &lane.run_id)?.map(|(job, _)| job);
        // An extraction job reads the repository; an agent gets the context for its brief.
        let context = if job.is_some() { Vec::new() } else { context::attach_to_lane(tx, &lane)? };
        let start_commit = insight::start_commit(tx, &lane.run_id)?;
        let lane = lane.lane;
        return Ok(Some(DispatchedLane {
            lane_id: lane.run_id.clone(),
            run_id: lane.run_id,
            brief: lane.brief,
            repository: lane.repository,
            claim: lane.claim,
            labels: lane.labels,
            token_budget: lane.token_budget,
            cost_budget_cents: lane.cost_budget_cents,
            attempt: lane.attempt,
            interrupts,
            context,
            job,
            start_commit,
        }));
    }
    Ok(None)
}
