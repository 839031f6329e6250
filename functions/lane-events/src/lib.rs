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
use switchyard_api::{EventPage, LaneEvent, LaneEventsQuery, LaneId};
use switchyard_edge::lanes::{LaneRow, load_lane};
use switchyard_edge::prelude::*;
use switchyard_edge::stream;

const ENDPOINT: Endpoint = endpoints::LANE_EVENTS;

/// Event types a lane records.
const TYPES: &[&str] =
    &["state", "interrupt", "interrupt_delivered", "output", "file_change", "tokens", "tool_call", "result"];
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

fn check_types(types: &Option<Vec<String>>) -> Result<(), ApiError> {
    for (i, t) in types.iter().flatten().enumerate() {
        if !TYPES.contains(&t.as_str()) {
            return Err(ApiError::validation(
                format!("types[{i}]"),
                format!("unknown event type `{t}` (known: {})", TYPES.join(", ")),
            ));
        }
    }
    Ok(())
}

fn fetch(
    db: &Db,
    lane: &LaneId,
    since: u64,
    types: &Option<Vec<String>>,
    limit: u64,
) -> Result<Vec<LaneEvent>, ApiError> {
    let mut sql = String::from("SELECT id, type, data, at FROM lane_events WHERE lane_id = ? AND id > ?");
    let mut params: Vec<&dyn Sql> = vec![lane, &since];
    let names: Vec<String> = types.clone().unwrap_or_default();
    if !names.is_empty() {
        sql.push_str(&format!(" AND type IN ({})", vec!["?"; names.len()].join(", ")));
        for n in &names {
            params.push(n);
        }
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    params.push(&limit);
    let rows = db.query(&sql, &params)?;
    rows.iter()
        .map(|r| {
            Ok(LaneEvent {
                id: u64::try_from(r.int("id")?).unwrap_or(0),
                run_id: lane.clone(),
                kind: r.text("type")?,
                data: r.json("data")?,
                at: r.text("at")?,
            })
        })
        .collect()
}

fn backfill(ctx: &Ctx, input: LaneEventsQuery) -> Result<EventPage, ApiError> {
    check_types(&input.types)?;
    let limit = input.limit.map_or(100, |l| l.get());
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let data = fetch(&ctx.db, &lane.id, input.since.unwrap_or(0), &input.types, limit)?;
    let next_since = data.last().map(|e| e.id).or(input.since);
    Ok(EventPage { data, next_since })
}

fn frame(event: &LaneEvent) -> Vec<u8> {
    // An event is ids, strings and JSON it was stored as: serialising cannot fail.
    let data = serde_json::to_string(event).expect("a lane event always serialises");
    format!("id: {}\nevent: {}\ndata: {data}\n\n", event.id, event.kind).into_bytes()
}

async fn serve_stream(req: Request, out: ResponseOutparam) {
    let last_event_id = req.header("last-event-id").and_then(|v| v.as_str()).and_then(|v| v.trim().parse::<u64>().ok());
    let opened = ENDPOINT.open_stream(&req, |ctx, input: &LaneEventsQuery| {
        check_types(&input.types)?;
        load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)
    });
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let Some(mut body) = stream::start(out, "text/event-stream", &open.headers) else { return };
    let since = last_event_id.or(open.input.since).unwrap_or(0);
    let _ = run_stream(&open.ctx, &open.checked, since, &open.input.types, &mut body).await;
}

/// Writes frames until the lane ends, the stream bound is reached, or the client goes away.
async fn run_stream<E>(
    ctx: &Ctx,
    lane: &LaneRow,
    mut since: u64,
    types: &Option<Vec<String>>,
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
) -> Result<(), E> {
    body.send(b"retry: 1000\n\n".to_vec()).await?;
    let started = Instant::now();
    let mut last_write = Instant::now();
    let mut sent = 0usize;
    loop {
        let batch = fetch(&ctx.db, &lane.id, since, types, 100).unwrap_or_default();
        for event in &batch {
            body.send(frame(event)).await?;
            since = event.id;
            sent += 1;
            last_write = Instant::now();
        }
        if batch.is_empty() {
            let state = ctx.db.query_one("SELECT state FROM lanes WHERE id = ?", &[&lane.id.as_str()]).ok().flatten();
            let state = state.and_then(|r| r.text("state").ok()).unwrap_or_default();
            let finished = switchyard_domain::lane::LaneState::parse(&state).is_some_and(|s| !s.is_active());
            if finished {
                let end = format!(
                    "event: end\ndata: {{\"run_id\":\"{}\",\"state\":\"{state}\",\"last_event_id\":{since}}}\n\n",
                    lane.id
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
