//! Set (or remove) the workspace's daily token and cost ceilings. Over a
//! ceiling, agent-run answers 429 BUDGET_EXHAUSTED and cost-ceiling-tick
//! pauses running lanes; raising it lets the tick resume them.

use switchyard_api::UpdateBudget;
use switchyard_edge::budgets;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BUDGET_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateBudget| {
        let workspace = ctx.workspace_id()?;
        let (tokens, cost) = (input.daily_tokens.map(|t| t.get()), input.daily_cost_cents.map(|c| c.get()));
        budgets::set(tx, workspace, tokens, cost, &ctx.caller.actor())?;
        Ok(Change::ok(format!("budget:{workspace}"), budgets::status(tx, workspace)?))
    })
}
