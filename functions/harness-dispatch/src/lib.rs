//! Atomically claim the oldest queued lane this harness can run and return it hydrated; 204 when there is none.

use switchyard_api::{Dispatched, DispatchedLane, NoInput};
use switchyard_domain::lane::Event;
use switchyard_edge::lanes::{LANE_COLUMNS, LaneRow, apply, pending_interrupts};
use switchyard_edge::prelude::*;
use switchyard_edge::rfc3339_after;

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
        let rows = tx.query(
            &format!(
                "SELECT {LANE_COLUMNS} FROM lanes WHERE workspace_id = ? AND state = 'queued' AND harness_kind = ?
                 AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT {PAGE}"
            ),
            &[&harness.workspace.id, &harness.kind, &after.0, &after.1],
        )?;
        if let Some(lane) = first_fit(ctx, tx, harness, &rows)? {
            return Ok(Some(lane));
        }
        match rows.last() {
            Some(last) if rows.len() == PAGE => after = (last.text("created_at")?, last.text("id")?),
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
    rows: &[switchyard_edge::Row],
) -> Result<Option<DispatchedLane>, ApiError> {
    for row in rows {
        let mut lane = LaneRow::from_row(row)?;
        // A lane's labels are requirements the harness must carry.
        if !lane.labels.iter().all(|l| harness.labels.contains(l)) {
            continue;
        }
        apply(tx, &mut lane, Event::Dispatch, Some(&format!("claimed by {}", harness.harness_id)))?;
        let lease = rfc3339_after(harness.lease_seconds);
        tx.exec(
            "UPDATE lanes SET harness_id = ?, lease_expires_at = ? WHERE id = ?",
            &[&harness.harness_id, &lease, &lane.id],
        )?;
        ctx.audit_in(tx, &harness.workspace.id, "harness-dispatch", Some(lane.id.as_str()))?;
        let interrupts = pending_interrupts(tx, &lane.id)?;
        return Ok(Some(DispatchedLane {
            lane_id: lane.id,
            brief: lane.brief,
            repository: lane.repository,
            claim: lane.claim,
            labels: lane.labels,
            token_budget: lane.token_budget,
            cost_budget_cents: lane.cost_budget_cents,
            attempt: lane.attempt,
            interrupts,
        }));
    }
    Ok(None)
}
