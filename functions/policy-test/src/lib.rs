//! What an action would meet under the policy in force or a draft, without doing it.

use switchyard_api::{PolicyTested, TestPolicy};
use switchyard_domain::policy::{self, Action, Scratch};
use switchyard_edge::governance;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::POLICY_TEST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: TestPolicy| -> Result<PolicyTested, ApiError> {
        let mut scratch = Scratch::default();
        let action = Action::of(&input.action, &mut scratch);
        match &input.rules {
            Some(draft) => Ok(PolicyTested { policy_version: None, verdict: policy::evaluate(draft, &action) }),
            None => {
                let decision = governance::decide(&ctx.db, ctx.workspace_id()?, &action)?;
                Ok(PolicyTested { policy_version: Some(decision.policy_version), verdict: decision.verdict })
            }
        }
    })
}
