//! Resume a paused lane, optionally raising its budget (a lane paused for `budget_exhausted` needs that).

use serde_json::json;
use switchyard_api::{Lane, ResumeLane};
use switchyard_edge::budgets;
use switchyard_edge::lanes::{self, load_lane};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::AGENT_RESUME;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: ResumeLane| resume(ctx, tx, input))
}

fn resume(ctx: &Ctx, tx: &Db, input: ResumeLane) -> Result<Change<Lane>, ApiError> {
    let mut lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
    if let Some(budget) = input.token_budget {
        if budget <= lane.tokens_used {
            return Err(ApiError::validation(
                "token_budget",
                format!("must exceed the {} tokens already used", lane.tokens_used),
            ));
        }
        lane.token_budget = Some(budget);
    }
    if let Some(budget) = input.cost_budget_cents {
        if budget <= lane.cost_used_cents {
            return Err(ApiError::validation(
                "cost_budget_cents",
                format!("must exceed the {} cents already used", lane.cost_used_cents),
            ));
        }
        lane.cost_budget_cents = Some(budget);
    }
    if lane.budget_exhausted() {
        return Err(ApiError::conflict(format!(
            "lane {} has used its budget; raise token_budget or cost_budget_cents to resume",
            lane.run_id
        ))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str(), "tokens_used": lane.tokens_used})));
    }
    let budget = budgets::status(tx, &lane.workspace_id)?;
    if budget.exhausted {
        return Err(budgets::exhausted(&budget));
    }
    lanes::save_budgets(tx, &lane)?;
    lanes::resume(tx, &mut lane, &format!("resumed by {}", ctx.caller.actor()))?;
    Ok(Change::ok(lane.run_id.clone(), lane.to_api()))
}
