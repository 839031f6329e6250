//! The planning dashboard: the funnel from signals to merged lanes per day,
//! the queue's depth and age, lane outcomes per harness kind, template health.

use switchyard_api::{DashboardQuery, DashboardSummary};
use switchyard_edge::dashboard;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::DASHBOARD_SUMMARY;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: DashboardQuery| -> Result<DashboardSummary, ApiError> {
        dashboard::summary(&ctx.db, ctx.workspace_id()?, input.days.map_or(14, |d| d.get()))
    })
}
