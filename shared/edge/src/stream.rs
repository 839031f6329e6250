//! Streamed responses (Server-Sent Events, NDJSON exports) for handlers that
//! take Spin's `IncomingRequest` / `ResponseOutparam` directly.

use futures::SinkExt;
use spin_sdk::http::conversions::TryFromIncomingRequest;
use spin_sdk::http::{Headers, IncomingRequest, OutgoingResponse, Request, Response, ResponseOutparam};

/// Reads the whole request (bodies are small; the edge caps them at 1 MiB).
pub async fn read_request(incoming: IncomingRequest) -> Result<Request, Response> {
    Request::try_from_incoming_request(incoming).await.map_err(|e| {
        eprintln!("unreadable request: {e:?}");
        Response::new(400, "unreadable request")
    })
}

/// Sends a complete response.
pub async fn send(out: ResponseOutparam, response: Response) {
    let body = response.body().to_vec();
    match OutgoingResponse::try_from(response) {
        Ok(og) => {
            if let Err(e) = out.set_with_body(og, body).await {
                eprintln!("the client went away: {e:?}");
            }
        }
        Err(e) => eprintln!("cannot build the response: {e:?}"),
    }
}

/// Starts a 200 response with `content_type` and `headers`, and returns the
/// body to write chunks into (each `send` waits until the chunk is taken, so
/// memory stays flat however long the stream).
pub fn start(
    out: ResponseOutparam,
    content_type: &str,
    headers: &[(String, String)],
) -> Option<impl futures::Sink<Vec<u8>, Error = impl std::fmt::Debug> + Unpin> {
    let mut list: Vec<(String, Vec<u8>)> = vec![
        ("content-type".into(), content_type.as_bytes().to_vec()),
        ("cache-control".into(), b"no-store".to_vec()),
        ("x-accel-buffering".into(), b"no".to_vec()),
    ];
    list.extend(headers.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())));
    let response = match Headers::from_list(&list) {
        Ok(fields) => OutgoingResponse::new(fields),
        Err(e) => {
            eprintln!("bad stream headers: {e:?}");
            return None;
        }
    };
    let body = response.take_body();
    out.set(response);
    Some(body)
}

/// Writes one chunk; `false` once the client has gone away.
pub async fn write<E: std::fmt::Debug>(
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
    chunk: Vec<u8>,
) -> bool {
    body.send(chunk).await.is_ok()
}

/// Whether the subject of an event stream (a lane, a sprint) has finished.
pub enum Subject {
    Active,
    /// Finished: the `data` of the closing `event: end` frame.
    Finished(String),
    /// Its state could not be read: the stream ends and the client reconnects.
    Unreadable,
}

/// How long one SSE response lasts before the client must reconnect.
const STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(20);
const STREAM_MAX_EVENTS: usize = 1000;
const KEEP_ALIVE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);
const POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Serves an event log as Server-Sent Events from `since`: each event as
/// `id:`/`event:`/`data:` (from `frame`: its id, name and JSON), `: keep-alive`
/// comments after 5 s of silence, `event: end` once `subject` says finished,
/// and otherwise a close after 20 s or 1000 events (the client reconnects
/// with `Last-Event-ID`, with no gap and no duplicate).
pub async fn pump<T, E>(
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
    mut since: u64,
    mut fetch: impl FnMut(u64) -> Result<Vec<T>, crate::ApiError>,
    frame: impl Fn(&T) -> (u64, String, String),
    mut subject: impl FnMut(u64) -> Subject,
) -> Result<(), E> {
    use std::time::Instant;
    body.send(b"retry: 1000\n\n".to_vec()).await?;
    let started = Instant::now();
    let mut last_write = Instant::now();
    let mut sent = 0usize;
    loop {
        // The subject first, then its events: one read as finished has all its events stored already.
        let before = subject(since);
        if matches!(before, Subject::Unreadable) {
            return Ok(());
        }
        // A read that fails ends the stream; the client reconnects with Last-Event-ID.
        let Ok(batch) = fetch(since) else { return Ok(()) };
        for event in &batch {
            let (id, name, data) = frame(event);
            body.send(format!("id: {id}\nevent: {name}\ndata: {data}\n\n").into_bytes()).await?;
            since = id;
            sent += 1;
            last_write = Instant::now();
        }
        if let (true, Subject::Finished(data)) = (batch.is_empty(), &before) {
            return body.send(format!("event: end\ndata: {data}\n\n").into_bytes()).await;
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

/// Serves a projected stream (A2A, AG-UI): polls `next` for frames (each a
/// JSON value, written as one `data:` line) and whether the subject is done,
/// until it is, `limit` passes or the client goes away; `: keep-alive`
/// comments after 5 s of silence. A read that fails ends the stream.
pub async fn follow<E>(
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
    limit: std::time::Duration,
    mut next: impl FnMut() -> Result<(Vec<serde_json::Value>, bool), crate::ApiError>,
) -> Result<(), E> {
    use std::time::Instant;
    let started = Instant::now();
    let mut last_write = Instant::now();
    loop {
        let Ok((frames, done)) = next() else { return Ok(()) };
        for frame in &frames {
            body.send(format!("data: {frame}\n\n").into_bytes()).await?;
            last_write = Instant::now();
        }
        if done || started.elapsed() >= limit {
            return Ok(());
        }
        if last_write.elapsed() >= KEEP_ALIVE_AFTER {
            body.send(b": keep-alive\n\n".to_vec()).await?;
            last_write = Instant::now();
        }
        if frames.is_empty() {
            std::thread::sleep(POLL_EVERY);
        }
    }
}

/// Whether the request asks for Server-Sent Events.
pub fn wants_events(req: &Request) -> bool {
    req.header("accept").and_then(|v| v.as_str()).is_some_and(|a| a.contains("text/event-stream"))
}

/// The `Last-Event-ID` a reconnecting client sends.
pub fn last_event_id(req: &Request) -> Option<u64> {
    req.header("last-event-id").and_then(|v| v.as_str()).and_then(|v| v.trim().parse::<u64>().ok())
}

/// Serves an endpoint that answers JSON, or Server-Sent Events when the
/// request asks for them (`Accept: text/event-stream`).
pub async fn json_or_events<F: std::future::Future<Output = ()>>(
    incoming: IncomingRequest,
    out: ResponseOutparam,
    json: impl FnOnce(Request) -> Response,
    events: impl FnOnce(Request, ResponseOutparam) -> F,
) {
    let req = match read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return send(out, response).await,
    };
    if wants_events(&req) { events(req, out).await } else { send(out, json(req)).await }
}
