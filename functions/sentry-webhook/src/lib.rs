//! Receive a Sentry integration webhook for a signal source (`?source=`). The
//! edge verifies `Sentry-Hook-Signature` with the source's secret before this
//! runs; issues and errors become signals folded by Sentry issue.

use switchyard_api::{IssueType, SentryPayload, SignalIgnored, SignalIngested};
use switchyard_domain::planning::sentry_signal;
use switchyard_edge::planning::{self, NewIssue};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::SENTRY_WEBHOOK;

#[http_component]
fn handle(req: Request) -> Response {
    let resource = req.header("sentry-hook-resource").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    ENDPOINT.respond(req, move |ctx, payload: SentryPayload| receive(ctx, &resource, payload))
}

fn receive(ctx: &Ctx, resource: &str, payload: SentryPayload) -> Result<Reply, ApiError> {
    let Caller::SignalSource { project, .. } = &ctx.caller else {
        return Err(ApiError::internal("a signal webhook ran without a verified source"));
    };
    let payload = serde_json::Value::Object(payload.0);
    let signal = sentry_signal(resource, &payload).map_err(|why| ApiError::validation("body", why))?;
    let Some(signal) = signal else {
        let ignored =
            SignalIgnored { ignored: format!("Sentry resource `{resource}` (or its action) is not a signal") };
        return Ok(Reply::json(200, &ignored));
    };
    let workspace = ctx.workspace_id()?;
    let new = NewIssue {
        title: &signal.title,
        body: Some(&signal.body),
        issue_type: IssueType::Bug,
        priority: signal.priority,
        project: project.as_ref(),
        goal: None,
        labels: vec!["sentry".to_owned()],
        source: "sentry",
        fingerprint: Some(&signal.fingerprint),
        trace_files: signal.files.clone(),
    };
    let ingested = ctx.db.transaction(|tx| {
        let (issue, new_issue) = planning::fold_signal(tx, workspace, &new, &ctx.caller.actor())?;
        ctx.audit_in(tx, workspace, "sentry-webhook:signal", Some(issue.id.as_str()))?;
        Ok::<_, ApiError>(SignalIngested { issue, new_issue })
    })?;
    Ok(Reply::json(202, &ingested))
}
