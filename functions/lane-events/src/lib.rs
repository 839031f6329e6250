//! A lane's events with monotonically increasing ids: JSON backfill, or Server-Sent Events with `Accept: text/event-stream`.
//!
//! SSE: each event is `id:` / `event:` / `data:` (the event as JSON). A stream
//! replays from `Last-Event-ID` (or `since`) with no gap and no duplicate,
//! sends `: keep-alive` comments after 5 s of silence, ends with
//! `event: end` once the lane has finished, and otherwise closes after
//! 20 s or 1000 events: the client reconnects with `Last-Event-ID`.

use std::time::{Duration, Instant};

use futures::SinkExt;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::{EventPage, LaneEvent, LaneEventType, LaneEventsQuery};
use switchyard_edge::lanes::{self, LaneRow, load_lane};
use switchyard_edge::prelude::*;
use switchyard_edge::stream;

const ENDPOINT: Endpoint = endpoints::LANE_EVENTS;

/// How long one SSE response lasts before the client must reconnect.
const STREAM_FOR: Duration = Duration::from_secs(20);
const STREAM_MAX_EVENTS: usize = 1000;
const KEEP_ALIVE_AFTER: Duration = Duration::from_secs(5);
const POLL_EVERY: Duration = Duration::from_millis(200);

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let wants_stream = req.header("accept").and_then(|v| v.as_str()).is_some_and(|a| a.contains("text/event-stream"));
    if wants_stream {
        serve_stream(req, out).await;
    } else {
        stream::send(out, ENDPOINT.read(req, backfill)).await;
    }
}

fn backfill(ctx: &Ctx, input: LaneEventsQuery) -> Result<EventPage, ApiError> {
    let limit = input.limit.map_or(100, |l| l.get());
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let data = lanes::events_after(
        &ctx.db,
        &lane.run_id,
        input.since.unwrap_or(0),
        input.types.as_deref().unwrap_or_default(),
        limit,
    )?;
    let next_since = data.last().map(|e| e.id).or(input.since);
    Ok(EventPage { data, next_since })
}

fn frame(event: &LaneEvent) -> Vec<u8> {
    // An event is ids, strings and JSON it was stored as: serialising cannot fail.
    let data = serde_json::to_string(event).expect("a lane event always serialises");
    format!("id: {}\nevent: {}\ndata: {data}\n\n", event.id, event.event.kind().as_str()).into_bytes()
}

async fn serve_stream(req: Request, out: ResponseOutparam) {
    let last_event_id = req.header("last-event-id").and_then(|v| v.as_str()).and_then(|v| v.trim().parse::<u64>().ok());
    let opened = ENDPOINT
        .open_stream(&req, |ctx, input: &LaneEventsQuery| load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id));
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let Some(mut body) = stream::start(out, "text/event-stream", &open.headers) else { return };
    let since = last_event_id.or(open.input.since).unwrap_or(0);
    let types = open.input.types.as_deref().unwrap_or_default();
    let _ = run_stream(&open.ctx, &open.checked, since, types, &mut body).await;
}

/// Writes frames until the lane ends, the stream bound is reached, or the client goes away.
async fn run_stream<E>(
    ctx: &Ctx,
    lane: &LaneRow,
    mut since: u64,
    types: &[LaneEventType],
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
) -> Result<(), E> {
    body.send(b"retry: 1000\n\n".to_vec()).await?;
    let started = Instant::now();
    let mut last_write = Instant::now();
    let mut sent = 0usize;
    loop {
        // A read that fails ends the stream; the client reconnects with Last-Event-ID.
        let Ok(batch) = lanes::events_after(&ctx.db, &lane.run_id, since, types, 100) else { return Ok(()) };
        for event in &batch {
            body.send(frame(event)).await?;
            since = event.id;
            sent += 1;
            last_write = Instant::now();
        }
        if batch.is_empty() {
            let Ok(state) = lanes::state_of(&ctx.db, &lane.run_id) else { return Ok(()) };
            if !state.is_active() {
                let state = state.as_str();
                let end = format!(
                    "event: end\ndata: {{\"run_id\":\"{}\",\"state\":\"{state}\",\"last_event_id\":{since}}}\n\n",
                    lane.run_id
                );
                return body.send(end.into_bytes()).await;
            }
        }
        if sent >= STREAM_MAX_EVENTS || started.elapsed() >= STREAM_FOR {
            return body.send(b": stream limit reached; reconnect with Last-Event-ID\n\n".to_vec()).await;
        }
        if last_write.elapsed() >= KEEP_ALIVE_AFTER {
            body.send(b": keep-alive\n\n".to_vec()).await?;
            last_write = Instant::now();
        }
        if batch.is_empty() {
            std::thread::sleep(POLL_EVERY);
        }
    }
}
