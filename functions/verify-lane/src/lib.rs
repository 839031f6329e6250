//! Record whether a lane's result is verified: every required check green.
//! Required are the checks the request names, else its workspace's forge
//! connections' `required_checks`, else every check reported for the lane.

use switchyard_api::{LaneVerification, VerifyLane};
use switchyard_edge::prelude::*;
use switchyard_edge::{checks, forge};

const ENDPOINT: Endpoint = endpoints::VERIFY_LANE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |_ctx, tx, input: VerifyLane| verify(tx, &input))
}

fn verify(tx: &Db, input: &VerifyLane) -> Result<Change<LaneVerification>, ApiError> {
    let lane = forge::lane_anywhere(tx, &input.run_id)?;
    let required = match &input.required_checks {
        Some(names) => names.strings(),
        None => forge::required_checks(tx, &lane.workspace_id)?,
    };
    let verification = checks::verify(tx, &lane, &required)?;
    Ok(Change::ok(lane.run_id.clone(), verification).in_workspace(lane.workspace_id.clone()))
}
