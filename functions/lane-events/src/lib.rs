//! A lane's events with monotonically increasing ids: JSON backfill, or Server-Sent Events with `Accept: text/event-stream`.
//!
//! SSE: each event is `id:` / `event:` / `data:` (the event as JSON). A stream
//! replays from `Last-Event-ID` (or `since`) with no gap and no duplicate,
//! sends `: keep-alive` comments after 5 s of silence, ends with
//! `event: end` once the lane has finished, and otherwise closes after
//! 20 s or 1000 events: the client reconnects with `Last-Event-ID`.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::{LaneEvent, LaneEventsQuery};
use switchyard_edge::lanes::{self, load_lane};
use switchyard_edge::operations;
use switchyard_edge::prelude::*;
use switchyard_edge::stream::{self, Subject};

const ENDPOINT: Endpoint = endpoints::LANE_EVENTS;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    stream::json_or_events(incoming, out, |req| ENDPOINT.read(req, operations::lane_events), serve_stream).await;
}

fn frame(event: &LaneEvent) -> (u64, String, String) {
    // An event is ids, strings and JSON it was stored as: serialising cannot fail.
    let data = serde_json::to_string(event).expect("a lane event always serialises");
    (event.id, event.event.kind().as_str().to_owned(), data)
}

async fn serve_stream(req: Request, out: ResponseOutparam) {
    let opened = ENDPOINT
        .open_stream(&req, |ctx, input: &LaneEventsQuery| load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id));
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let Some(mut body) = stream::start(out, "text/event-stream", &open.headers) else { return };
    let since = stream::last_event_id(&req).or(open.input.since).unwrap_or(0);
    let types = open.input.types.as_deref().unwrap_or_default();
    let (db, lane) = (&open.ctx.db, &open.checked.run_id);
    let subject = |since: u64| match lanes::state_of(db, lane) {
        Ok(state) if state.is_active() => Subject::Active,
        Ok(state) => Subject::Finished(format!(
            "{{\"run_id\":\"{lane}\",\"state\":\"{}\",\"last_event_id\":{since}}}",
            state.as_str()
        )),
        Err(_) => Subject::Unreadable,
    };
    let fetch = |since: u64| lanes::events_after(db, lane, since, types, 100);
    let _ = stream::pump(&mut body, since, fetch, frame, subject).await;
}
