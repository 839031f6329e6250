//! A lane as an AG-UI run (`lane-ag-ui`): the lane's event log replayed from
//! its start, then followed live, in `switchyard_domain::projection`'s shapes.

use serde_json::Value;
use switchyard_api::mcp::FollowLaneUi;
use switchyard_domain::projection::{agui_events, agui_finish, agui_run_ends, agui_start};

use crate::lanes::{self, LaneRow};
use crate::{ApiError, Ctx};

/// How long one stream follows a lane.
pub const STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// A UI run over one lane.
pub struct UiRun {
    lane: LaneRow,
    run_id: String,
    since: u64,
    open_message: Option<String>,
    started: bool,
}

/// The lane the input names, in the caller's workspace.
pub fn open(ctx: &Ctx, input: &FollowLaneUi) -> Result<UiRun, ApiError> {
    let lane = lanes::load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let run_id = input.ui_run_id.clone().unwrap_or_else(|| format!("{}-attempt-{}", lane.run_id, lane.attempt));
    Ok(UiRun { lane, run_id, since: 0, open_message: None, started: false })
}

/// The next events, and whether the run is over.
pub fn next(ctx: &Ctx, run: &mut UiRun) -> Result<(Vec<Value>, bool), ApiError> {
    let mut frames = Vec::new();
    if !run.started {
        frames.extend(agui_start(&run.lane, &run.run_id));
        run.started = true;
    }
    // The lane first, then its events: a lane read as finished has all its events stored already.
    run.lane = lanes::load_lane(&ctx.db, &run.lane.workspace_id, &run.lane.run_id)?;
    let events = lanes::events_after(&ctx.db, &run.lane.run_id, run.since, &[], 200)?;
    for event in &events {
        frames.extend(agui_events(event, &mut run.open_message));
        run.since = event.id;
    }
    let done = events.is_empty() && agui_run_ends(run.lane.state);
    if done {
        frames.extend(agui_finish(&run.lane, &run.run_id, &mut run.open_message));
    }
    Ok((frames, done))
}
