//! Ingest a signal: a repeat of an open issue's fingerprint counts on that
//! issue (count, last seen); anything else opens an issue in the queue.

use switchyard_api::{IngestSignal, IssueType, Priority, SignalIngested};
use switchyard_domain::planning::fingerprint;
use switchyard_edge::planning::{self, NewIssue};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::SIGNAL_INGEST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: IngestSignal| ingest(ctx, tx, &input))
}

fn ingest(ctx: &Ctx, tx: &Db, input: &IngestSignal) -> Result<Change<SignalIngested>, ApiError> {
    let print = fingerprint(input.fingerprint.as_ref().map(|f| f.as_str()), input.title.as_str());
    let source = input.source.as_ref().map_or("signal", |s| s.as_str());
    let new = NewIssue {
        title: input.title.as_str(),
        body: input.body.as_ref().map(|b| b.as_str()),
        issue_type: input.issue_type.unwrap_or(IssueType::Bug),
        priority: input.priority.unwrap_or(Priority::Normal),
        project: input.project_id.as_ref(),
        goal: None,
        labels: input.labels.strings(),
        source,
        fingerprint: Some(&print),
        trace_files: Vec::new(),
    };
    let (issue, new_issue) = planning::fold_signal(tx, ctx.workspace_id()?, &new, &ctx.caller.actor())?;
    let target = issue.id.clone();
    let ingested = SignalIngested { issue, new_issue };
    Ok(if new_issue { Change::created(target, ingested) } else { Change::ok(target, ingested) })
}
