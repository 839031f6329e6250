//! List the workspace's lanes, newest first, filtered by state, repository, harness kind or label.

use switchyard_api::{Lane, ListLanes, Page};
use switchyard_edge::cursor;
use switchyard_edge::lanes::{self, LaneRow};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: ListLanes| list(ctx, input))
}

fn list(ctx: &Ctx, input: ListLanes) -> Result<Page<Lane>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let (after_at, after_id) = match &input.cursor {
        Some(c) => cursor::decode(c, ENDPOINT.name)?,
        None => (cursor::NEWEST.0.to_owned(), cursor::NEWEST.1.to_owned()),
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
        lanes.last().map(|l| cursor::encode(&l.created_at, l.run_id.as_str()))
    } else {
        None
    };
    Ok(Page { data: lanes.iter().map(LaneRow::to_api).collect(), next_cursor })
}
