//! Outbound HTTP with the limits spin-sdk's `send` lacks: a deadline for the
//! whole exchange (as `wasi:http` request options the host enforces, plus a
//! check between body chunks) and a cap on the reply's size, read as it
//! streams in so a huge reply never lands in memory. A destination the
//! deployment's allow-list refuses is its own failure, not a stream error.

use std::time::{Duration, Instant};

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::poll::Pollable;
use wasi::io::streams::StreamError;

/// A reply read whole (within the cap).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// From sending the request to the answer's head (time to first byte).
    pub elapsed: std::time::Duration,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why no reply came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The deployment's outbound allow-list refused the destination.
    Denied,
    /// The destination's name resolved to an address that is not public.
    Prohibited,
    /// The deadline passed.
    Timeout,
    /// The reply passed `limit` bytes.
    TooLarge { limit: usize },
    /// Anything else (unreachable, refused, malformed), described.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Denied => f.write_str("the deployment's outbound allow-list does not permit this destination"),
            Self::Prohibited => f.write_str("the destination resolves to an address that is not public (refused)"),
            Self::Timeout => f.write_str("no complete reply before the deadline"),
            Self::TooLarge { limit } => write!(f, "the reply passed {limit} bytes"),
            Self::Other(why) => f.write_str(why),
        }
    }
}

/// One request.
pub struct Call<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    /// When the whole exchange must be over.
    pub deadline: Instant,
    pub max_reply: usize,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

fn failure(code: &ErrorCode) -> Failure {
    match code {
        ErrorCode::HttpRequestDenied => Failure::Denied,
        ErrorCode::DestinationIpProhibited => Failure::Prohibited,
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            Failure::Timeout
        }
        other => Failure::Other(format!("{other:?}")),
    }
}

/// `(scheme, authority, path and query)` of an `http(s)://` URL.
fn split_url(url: &str) -> Result<(Scheme, &str, &str), Failure> {
    let bad = || Failure::Other(format!("not an http(s) URL: {url}"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(bad()),
    };
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    if authority.is_empty() {
        return Err(bad());
    }
    Ok((scheme, authority, if path.is_empty() { "/" } else { path }))
}

/// Sends `call` and reads the whole reply, or says why not.
pub fn send(call: &Call<'_>) -> Result<Reply, Failure> {
    send_all(std::slice::from_ref(call)).pop().unwrap_or_else(|| Err(Failure::Other("no reply".into())))
}

/// Sends every call at once and reads their replies: a receiver that is slow
/// or hangs costs its own deadline, not the others' (answers are waited for
/// together), so a batch ends by its latest deadline.
pub fn send_all(calls: &[Call<'_>]) -> Vec<Result<Reply, Failure>> {
    let sent_at = Instant::now();
    let mut started: Vec<Result<Started, Failure>> = calls.iter().map(start).collect();
    loop {
        let waiting: Vec<(Pollable, Instant)> = started
            .iter()
            .zip(calls)
            .filter_map(|(s, call)| match s {
                Ok(s) if Instant::now() < call.deadline => {
                    let ready = s.pending.subscribe();
                    (!ready.ready()).then_some((ready, call.deadline))
                }
                _ => None,
            })
            .collect();
        let Some(latest) = waiting.iter().map(|(_, d)| *d).max() else { break };
        let timer =
            wasi::clocks::monotonic_clock::subscribe_duration(nanos(latest.saturating_duration_since(Instant::now())));
        let mut pollables: Vec<&Pollable> = waiting.iter().map(|(p, _)| p).collect();
        pollables.push(&timer);
        // The loop ends once every call is answered or past its deadline.
        wasi::io::poll::poll(&pollables);
        drop(pollables);
        drop(waiting);
        let now = Instant::now();
        for s in started.iter_mut().flatten() {
            if s.answered_at.is_none() && s.pending.subscribe().ready() {
                s.answered_at = Some(now);
            }
        }
    }
    started
        .into_iter()
        .zip(calls)
        .map(|(s, call)| {
            s.and_then(|s| {
                let answered_at = s.answered_at.unwrap_or_else(Instant::now);
                finish(s, call).map(|mut reply| {
                    reply.elapsed = answered_at.saturating_duration_since(sent_at);
                    reply
                })
            })
        })
        .collect()
}

/// A request on its way: the response to wait for, and how sending its body went.
struct Started {
    pending: wasi::http::types::FutureIncomingResponse,
    answered_at: Option<Instant>,
    sent: Result<(), Failure>,
    finished: Result<(), ErrorCode>,
}

fn start(call: &Call<'_>) -> Result<Started, Failure> {
    let remaining = || call.deadline.saturating_duration_since(Instant::now());
    if remaining().is_zero() {
        return Err(Failure::Timeout);
    }
    let (scheme, authority, path) = split_url(call.url)?;
    let entries: Vec<(String, Vec<u8>)> =
        call.headers.iter().map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())).collect();
    let headers = Fields::from_list(&entries).map_err(|e| Failure::Other(format!("bad header: {e:?}")))?;
    let request = OutgoingRequest::new(headers);
    let method = match call.method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_owned()),
    };
    let shaped = request.set_method(&method).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(authority)).is_ok()
        && request.set_path_with_query(Some(path)).is_ok();
    if !shaped {
        return Err(Failure::Other(format!("cannot address {}", call.url)));
    }
    let options = RequestOptions::new();
    let budget = Some(nanos(remaining()));
    // A host that does not support a timeout refuses to set it; the chunk check below still holds.
    let _ = options.set_connect_timeout(budget);
    let _ = options.set_first_byte_timeout(budget);
    let _ = options.set_between_bytes_timeout(budget);
    let outgoing = request.body().map_err(|()| Failure::Other("request body taken twice".into()))?;
    let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| failure(&e))?;
    let sent = write_body(&outgoing, call);
    let finished = OutgoingBody::finish(outgoing, None);
    Ok(Started { pending, answered_at: None, sent, finished })
}

/// Writes the body as the stream accepts it, never past the deadline.
fn write_body(outgoing: &OutgoingBody, call: &Call<'_>) -> Result<(), Failure> {
    let stream = outgoing.write().map_err(|()| Failure::Other("request body stream taken twice".into()))?;
    let broken = |e: StreamError| Failure::Other(format!("sending the body: {e:?}"));
    if call.body.is_empty() {
        return Ok(());
    }
    let mut rest = call.body;
    while !rest.is_empty() {
        if !wait(&stream.subscribe(), call.deadline) {
            return Err(Failure::Timeout);
        }
        let room = usize::try_from(stream.check_write().map_err(broken)?).unwrap_or(usize::MAX);
        let take = room.min(rest.len());
        if take > 0 {
            stream.write(&rest[..take]).map_err(broken)?;
            rest = &rest[take..];
        }
    }
    stream.flush().map_err(broken)?;
    if !wait(&stream.subscribe(), call.deadline) {
        return Err(Failure::Timeout);
    }
    Ok(())
}

fn finish(started: Started, call: &Call<'_>) -> Result<Reply, Failure> {
    let Started { pending, sent, finished, .. } = started;
    // A refused or failed request ends the body stream early: its reason is the response's error.
    if !wait(&pending.subscribe(), call.deadline) {
        return Err(Failure::Timeout);
    }
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(failure(&code)),
        _ => return Err(Failure::Other("the response was lost".into())),
    };
    sent?;
    finished.map_err(|e| failure(&e))?;
    let status = response.status();
    let headers =
        response.headers().entries().into_iter().map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned())).collect();
    let incoming = response.consume().map_err(|()| Failure::Other("response body taken twice".into()))?;
    let body = read_capped(&incoming, call)?;
    drop(IncomingBody::finish(incoming));
    Ok(Reply { status, headers, body, elapsed: std::time::Duration::ZERO })
}

fn read_capped(incoming: &IncomingBody, call: &Call<'_>) -> Result<Vec<u8>, Failure> {
    let stream = incoming.stream().map_err(|()| Failure::Other("response body stream taken twice".into()))?;
    let mut body = Vec::new();
    loop {
        // Keep-alive comments would restart a between-bytes timeout: the deadline is for the whole reply.
        if !wait(&stream.subscribe(), call.deadline) {
            return Err(Failure::Timeout);
        }
        match stream.read(64 * 1024) {
            Ok(chunk) => {
                if body.len() + chunk.len() > call.max_reply {
                    return Err(Failure::TooLarge { limit: call.max_reply });
                }
                body.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(match wasi::http::types::http_error_code(&e) {
                    Some(code) => failure(&code),
                    None => Failure::Other(e.to_debug_string()),
                });
            }
        }
    }
}

/// Waits until `ready` is, or the deadline passes (false).
fn wait(ready: &Pollable, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return ready.ready();
    }
    let timer = wasi::clocks::monotonic_clock::subscribe_duration(nanos(left));
    let woke = wasi::io::poll::poll(&[ready, &timer]);
    woke.contains(&0) || ready.ready()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        let (_, authority, path) = split_url("http://127.0.0.1:8080/mcp?x=1").unwrap();
        assert_eq!((authority, path), ("127.0.0.1:8080", "/mcp?x=1"));
        let (_, authority, path) = split_url("https://tools.example.com").unwrap();
        assert_eq!((authority, path), ("tools.example.com", "/"));
        assert!(split_url("ftp://x").is_err());
        assert!(split_url("http:///x").is_err());
    }
}
