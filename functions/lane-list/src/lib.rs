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
    let before = cursor::start(input.cursor.as_deref(), ENDPOINT.name)?;
    let filter = lanes::LaneFilter {
        state: input.state,
        repository: input.repository.as_deref(),
        harness_kind: input.harness_kind.as_deref(),
        label: input.label.as_deref(),
    };
    let found = lanes::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    let page = cursor::page(found, limit, |l| (l.created_at.as_str(), l.run_id.as_str()));
    Ok(Page { data: page.data.iter().map(LaneRow::to_api).collect(), next_cursor: page.next_cursor })
}
