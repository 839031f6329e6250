//! Receive a PostHog webhook for a signal source (`?source=`). The edge
//! verifies `X-PostHog-Signature` with the source's secret before this runs;
//! `$exception` events become bug signals, other events task signals.

use switchyard_api::{PosthogPayload, SignalIngested};
use switchyard_domain::planning::posthog_signal;
use switchyard_edge::planning::{self, NewIssue};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::POSTHOG_WEBHOOK;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, receive)
}

fn receive(ctx: &Ctx, payload: PosthogPayload) -> Result<Reply, ApiError> {
    let Caller::SignalSource { project, .. } = &ctx.caller else {
        return Err(ApiError::internal("a signal webhook ran without a verified source"));
    };
    let signal =
        posthog_signal(&serde_json::Value::Object(payload.0)).map_err(|why| ApiError::validation("body", why))?;
    let workspace = ctx.workspace_id()?;
    let new = NewIssue {
        title: &signal.title,
        body: Some(&signal.body),
        issue_type: signal.issue_type,
        priority: signal.priority,
        project: project.as_ref(),
        goal: None,
        labels: vec!["posthog".to_owned()],
        source: "posthog",
        fingerprint: Some(&signal.fingerprint),
        trace_files: Vec::new(),
    };
    let ingested = ctx.db.transaction(|tx| {
        let (issue, new_issue) = planning::fold_signal(tx, workspace, &new, &ctx.caller.actor())?;
        ctx.audit_in(tx, workspace, "posthog-webhook:signal", Some(issue.id.as_str()))?;
        Ok::<_, ApiError>(SignalIngested { issue, new_issue })
    })?;
    Ok(Reply::json(202, &ingested))
}
