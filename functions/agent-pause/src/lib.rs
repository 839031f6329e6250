//! Pause a running lane while preserving its scope claim and tool log.

use switchyard_api::LaneAction;
use switchyard_domain::lane::Event;
use switchyard_edge::lanes::{apply, load_lane};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_PAUSE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: LaneAction| {
        let mut lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
        let reason = input.reason.unwrap_or_else(|| format!("paused by {}", ctx.caller.actor()));
        apply(tx, &mut lane, Event::Pause, Some(&reason))?;
        Ok(Change::ok(lane.run_id.clone(), lane.to_api()))
    })
}
