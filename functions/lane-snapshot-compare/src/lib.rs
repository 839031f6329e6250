//! What changed between two snapshots of a lane (or since it started).

use switchyard_api::{CompareSnapshots, SnapshotComparison};
use switchyard_edge::insight;
use switchyard_edge::lanes::load_lane;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_SNAPSHOT_COMPARE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: CompareSnapshots| -> Result<SnapshotComparison, ApiError> {
        let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
        let (from, to) = (input.from.get(), input.to.get());
        let seq = |v: u64| u32::try_from(v).map_err(|_| ApiError::internal("checkpoint out of range"));
        insight::compare(&ctx.db, &lane.run_id, seq(from)?, seq(to)?)
    })
}
