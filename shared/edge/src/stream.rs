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
