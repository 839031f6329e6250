//! A sprint's event log with increasing ids: JSON backfill, or Server-Sent
//! Events with `Accept: text/event-stream` — the same stream as a lane's,
//! ending with `event: end` once the sprint is complete or cancelled.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::{SprintEvent, SprintEventPage, SprintEventsQuery};
use switchyard_edge::prelude::*;
use switchyard_edge::sprints;
use switchyard_edge::stream::{self, Subject};

const ENDPOINT: Endpoint = endpoints::SPRINT_EVENTS;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    stream::json_or_events(incoming, out, |req| ENDPOINT.read(req, backfill), serve_stream).await;
}

fn backfill(ctx: &Ctx, input: SprintEventsQuery) -> Result<SprintEventPage, ApiError> {
    let sprint = sprints::load(&ctx.db, ctx.workspace_id()?, &input.sprint_id)?;
    let limit = input.limit.map_or(100, |l| l.get());
    let kind = input.event_type.as_ref().map(|t| t.as_str());
    let data = sprints::events_after(&ctx.db, &sprint.summary.id, input.since.unwrap_or(0), kind, limit)?;
    let next_since = data.last().map(|e| e.id).or(input.since);
    Ok(SprintEventPage { data, next_since })
}

fn frame(event: &SprintEvent) -> (u64, String, String) {
    // Ids, strings and JSON it was stored as: serialising cannot fail.
    let data = serde_json::to_string(event).expect("a sprint event always serialises");
    (event.id, event.event_type.clone(), data)
}

async fn serve_stream(req: Request, out: ResponseOutparam) {
    let opened = ENDPOINT.open_stream(&req, |ctx, input: &SprintEventsQuery| {
        sprints::load(&ctx.db, ctx.workspace_id()?, &input.sprint_id)
    });
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let Some(mut body) = stream::start(out, "text/event-stream", &open.headers) else { return };
    let since = stream::last_event_id(&req).or(open.input.since).unwrap_or(0);
    let kind = open.input.event_type.as_ref().map(|t| t.as_str());
    let (db, sprint) = (&open.ctx.db, &open.checked.summary.id);
    let subject = |since: u64| match sprints::state_of(db, sprint) {
        Ok(state) if !state.is_finished() => Subject::Active,
        Ok(state) => Subject::Finished(format!(
            "{{\"sprint_id\":\"{sprint}\",\"state\":\"{}\",\"last_event_id\":{since}}}",
            state.as_str()
        )),
        Err(_) => Subject::Unreadable,
    };
    let fetch = |since: u64| sprints::events_after(db, sprint, since, kind, 100);
    let _ = stream::pump(&mut body, since, fetch, frame, subject).await;
}
