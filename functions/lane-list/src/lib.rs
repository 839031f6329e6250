//! List the workspace's lanes, newest first, filtered by state, repository, harness kind or label.

use switchyard_api::{Lane, ListLanes, Page};
use switchyard_edge::lanes::{self, LaneRow};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListLanes| list(ctx, input))
}

/// The cursor is the last row's `created_at` and id, hex-encoded (opaque to clients).
fn decode_cursor(cursor: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::validation("cursor", "is not a cursor returned by lane-list");
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| cursor.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once('|').ok_or_else(bad)?;
    Ok((at.to_owned(), id.to_owned()))
}

fn encode_cursor(lane: &LaneRow) -> String {
    format!("{}|{}", lane.created_at, lane.run_id).bytes().map(|b| format!("{b:02x}")).collect()
}

fn list(ctx: &Ctx, input: ListLanes) -> Result<Page<Lane>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let (after_at, after_id) = match &input.cursor {
        Some(c) => decode_cursor(c)?,
        None => ("9999".to_owned(), String::new()),
    };
    let filter = lanes::LaneFilter {
        state: input.state,
        repository: input.repository.as_deref(),
        harness_kind: input.harness_kind.as_deref(),
        label: input.label.as_deref(),
    };
    let mut lanes = lanes::page(&ctx.db, ctx.workspace_id()?, &filter, &(after_at, after_id), limit + 1)?;
    let next_cursor = if lanes.len() as u64 > limit {
        lanes.truncate(limit as usize);
        lanes.last().map(encode_cursor)
    } else {
        None
    };
    Ok(Page { data: lanes.iter().map(LaneRow::to_api).collect(), next_cursor })
}
