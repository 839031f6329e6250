//! Token and cost use by lane, repository, harness kind or UTC day over a range of days, most expensive first.

use switchyard_api::{CostGroup, CostSummaryQuery};
use switchyard_edge::budgets;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::COST_SUMMARY;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: CostSummaryQuery| {
        let group = input.group_by.unwrap_or(CostGroup::Day);
        budgets::summary(
            &ctx.db,
            ctx.workspace_id()?,
            group,
            input.from.as_ref().map(|d| d.as_str()),
            input.to.as_ref().map(|d| d.as_str()),
        )
    })
}
