//! Grant more for today ("grant more"): lanes the daily ceiling paused run
//! again while budget remains. The grant and every lane it resumes are in the
//! same audited transaction.

use switchyard_api::{BudgetGranted, GrantBudget};
use switchyard_edge::budgets;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::BUDGET_GRANT;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: GrantBudget| {
        let workspace = ctx.workspace_id()?;
        let (tokens, cost) = (input.tokens.map_or(0, |t| t.get()), input.cost_cents.map_or(0, |c| c.get()));
        let by = ctx.caller.actor();
        budgets::grant(tx, workspace, tokens, cost, &by, input.note.as_ref().map(|n| n.as_str()))?;
        let budget = budgets::status(tx, workspace)?;
        let resumed = if budget.exhausted {
            Vec::new()
        } else {
            budgets::resume_paused(tx, workspace, &format!("budget granted by {by}"))?
        };
        Ok(Change::ok(format!("budget:{}", budget.day), BudgetGranted { budget, resumed }))
    })
}
