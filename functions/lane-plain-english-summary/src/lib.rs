//! A lane in plain English: changed files, tests run and their result,
//! risks (edits outside the claim, large deletions, sensitive paths, failing
//! or missing tests) and open questions — written by deterministic rules.

use switchyard_api::{LaneInsightQuery, LaneSummary};
use switchyard_edge::insight;
use switchyard_edge::lanes::load_lane;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_PLAIN_ENGLISH_SUMMARY;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: LaneInsightQuery| -> Result<LaneSummary, ApiError> {
        let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
        insight::summary(&ctx.db, &lane)
    })
}
