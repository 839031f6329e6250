//! A lane's diff checkpoints in order: what each step changed (files, hunks,
//! lines) and the snapshot commit the harness kept for it.

use switchyard_api::{DiffTimeline, LaneInsightQuery};
use switchyard_edge::insight;
use switchyard_edge::lanes::load_lane;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_DIFF_TIMELINE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: LaneInsightQuery| -> Result<DiffTimeline, ApiError> {
        let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
        let checkpoints = insight::timeline(&ctx.db, &lane.run_id)?;
        Ok(DiffTimeline { run_id: lane.run_id.clone(), state: lane.state, checkpoints })
    })
}
