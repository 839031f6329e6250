//! Revoke a harness: its credential stops working at once and the lanes it held go back to the queue.

use switchyard_api::{HarnessRevoked, RevokeHarness};
use switchyard_domain::lane::Event;
use switchyard_edge::harnesses;
use switchyard_edge::lanes::{self, apply};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::HARNESS_REVOKE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: RevokeHarness| revoke(ctx, tx, input))
}

fn revoke(ctx: &Ctx, tx: &Db, input: RevokeHarness) -> Result<Change<HarnessRevoked>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let revoked_at = harnesses::revoke(tx, workspace, &input.harness_id)?;
    let mut requeued = Vec::new();
    for mut lane in lanes::held_by(tx, &input.harness_id, None)? {
        let retry = lane.attempt < lane.max_attempts;
        apply(tx, &mut lane, Event::LeaseExpired { retry }, Some("its harness was revoked"))?;
        if retry {
            requeued.push(lane.lane.run_id);
        }
    }
    Ok(Change::ok(input.harness_id.clone(), HarnessRevoked { harness_id: input.harness_id, revoked_at, requeued }))
}
