//! Replace the workspace's policy rules with a new version; the change is audited with its version.

use switchyard_api::UpdatePolicy;
use switchyard_edge::governance;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::POLICY_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdatePolicy| {
        let expected = input.expected_version.map(|v| v.get());
        let policy = governance::save(tx, ctx.workspace_id()?, input.rules.into_vec(), expected, &ctx.caller.actor())?;
        Ok(Change::created(format!("policy:v{}", policy.version), policy))
    })
}
