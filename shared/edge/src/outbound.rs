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
    let sent = (|| {
        let stream = outgoing.write().map_err(|()| Failure::Other("request body stream taken twice".into()))?;
        for chunk in call.body.chunks(4096) {
            stream.blocking_write_and_flush(chunk).map_err(|e| Failure::Other(format!("sending the body: {e:?}")))?;
        }
        Ok(())
    })();
    let finished = OutgoingBody::finish(outgoing, None);
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
    Ok(Reply { status, headers, body })
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
