//! The HTTP listener: admission control, Spin's routing and `spin-*` request
//! headers, one access log line per request, and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::runtime::{Failure, Runtime};
use crate::triggers::admission::{self, Admission, Refusal};
use crate::triggers::routes::{self, Route};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

pub struct Server {
    runtime: Arc<Runtime>,
    /// Routes and the component each one runs, in manifest order.
    routes: Vec<(Route, String)>,
    local_addr: SocketAddr,
    admission: Admission,
}

fn body(bytes: impl Into<Bytes>) -> HyperOutgoingBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// The host's own answers: the API's error envelope (or RFC 9457 problem
/// details when asked for), with a request id of the API's format.
struct Answer {
    problem: bool,
    path: String,
}

impl Answer {
    fn for_request<B>(req: &Request<B>) -> Self {
        let problem = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("application/problem+json"));
        Self { problem, path: req.uri().path().to_owned() }
    }

    fn refused(&self, refusal: &Refusal) -> Response<HyperOutgoingBody> {
        match refusal {
            Refusal::TooLarge { limit } => self.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!("request body is larger than {limit} bytes"),
            ),
            Refusal::SlowBody { after } => self.error(
                StatusCode::REQUEST_TIMEOUT,
                "BODY_TIMEOUT",
                &format!("the request body did not arrive within {} s", after.as_secs()),
            ),
            Refusal::BadBody => {
                self.error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the request body could not be read")
            }
            Refusal::Overloaded { why } => {
                let mut response = self.error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "OVERLOADED",
                    &format!("the server is busy ({why}); retry after the Retry-After seconds"),
                );
                response.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        }
    }

    fn error(&self, status: StatusCode, code: &str, message: &str) -> Response<HyperOutgoingBody> {
        let request_id = request_id();
        let (content_type, document) = if self.problem {
            let title = status.canonical_reason().unwrap_or("Error");
            let doc = serde_json::json!({
                "type": format!("urn:switchyard:error:{code}"), "title": title, "status": status.as_u16(),
                "detail": message, "instance": self.path, "code": code, "request_id": request_id,
            });
            ("application/problem+json", doc)
        } else {
            let doc = serde_json::json!({"error": {"code": code, "message": message, "request_id": request_id}});
            ("application/json", doc)
        };
        let mut response = Response::new(body(document.to_string()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-request-id", header(&request_id));
        response
    }
}

/// A `req_…` id in the API's alphabet, unique within the process and
/// unpredictable across processes (the host needs no cryptographic id).
fn request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static SEED: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = SEED.get_or_init(std::collections::hash_map::RandomState::new);
    let mut id = String::from("req_");
    for half in 0..2u64 {
        let mut hasher = seed.build_hasher();
        hasher.write_u64(n);
        hasher.write_u64(half);
        let mut bits = hasher.finish();
        for _ in 0..10 {
            id.push(ALPHABET[(bits % 32) as usize] as char);
            bits /= 32;
        }
    }
    id
}

fn plain(status: StatusCode, text: &'static str) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(body(text));
    *response.status_mut() = status;
    response
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl Server {
    pub fn new(
        runtime: Arc<Runtime>,
        routes: Vec<(Route, String)>,
        local_addr: SocketAddr,
        admission: Admission,
    ) -> Self {
        Self { runtime, routes, local_addr, admission }
    }

    async fn handle(&self, mut req: Request<Incoming>, client: SocketAddr) -> Response<HyperOutgoingBody> {
        let answer = Answer::for_request(&req);
        let path = req.uri().path().to_owned();
        if let Some(rest) = path.strip_prefix("/.well-known/spin/") {
            return match rest {
                "health" => plain(StatusCode::OK, "OK"),
                _ => plain(StatusCode::NOT_FOUND, ""),
            };
        }
        let Some((index, matched)) = routes::find(self.routes.iter().map(|(r, _)| r), &path) else {
            return plain(StatusCode::NOT_FOUND, "");
        };
        let component = &self.routes[index].1;
        let route = matched.route;

        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| self.local_addr.to_string());
        let path_and_query = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let full_url = format!("http://{host}{path_and_query}");
        let Ok(uri) = full_url.parse() else {
            return answer.error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid Host header or request target");
        };
        *req.uri_mut() = uri;
        let headers = req.headers_mut();
        headers.insert("spin-full-url", header(&full_url));
        headers.insert("spin-path-info", header(&matched.path_info));
        headers.insert("spin-matched-route", header(route.raw()));
        headers.insert("spin-raw-component-route", header(route.raw()));
        headers.insert("spin-component-route", header(route.base()));
        headers.insert("spin-base-path", HeaderValue::from_static("/"));
        headers.insert("spin-client-addr", header(&client.to_string()));

        // The body is read, whole and within limits, before the request may take an instance.
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let (parts, mut incoming) = req.into_parts();
        let checked = match self.admission.check_length(declared) {
            Ok(()) => self.admission.read_body(&mut incoming, declared).await,
            Err(refusal) => Err(refusal),
        };
        let received = match checked {
            Ok(body) => body,
            Err(refusal) => {
                if matches!(refusal, Refusal::TooLarge { .. }) {
                    admission::drain(incoming, self.admission.limits.body_timeout);
                }
                return answer.refused(&refusal);
            }
        };
        let slot = match self.admission.slot().await {
            Ok(slot) => slot,
            Err(refusal) => return answer.refused(&refusal),
        };
        let body = Full::new(received.bytes.clone()).map_err(|never: Infallible| -> hyper::Error { match never {} });
        let req = Request::from_parts(parts, body);

        let response = match self.runtime.handle_http(component, req).await {
            Ok(response) => response,
            Err(Failure::Timeout) => {
                eprintln!("component `{component}`: request passed its deadline and was stopped");
                return answer.error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "DEADLINE_EXCEEDED",
                    "the request passed its deadline",
                );
            }
            Err(Failure::Busy) => {
                return answer.refused(&Refusal::Overloaded { why: "every instance is in use" });
            }
            Err(Failure::Guest(e)) => {
                eprintln!("component `{component}`: error processing request: {e:#}");
                return answer.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "internal error; quote the request_id when reporting it",
                );
            }
        };
        drop(received);
        let content_type = response.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let slot = if admission::is_stream(content_type) {
            match self.admission.stream(slot) {
                Ok(slot) => slot,
                Err(refusal) => return answer.refused(&refusal),
            }
        } else {
            slot
        };
        // The slot is held until the response body ends (or the client goes away).
        response.map(|body| {
            body.map_frame(move |frame| {
                let _held_until_the_body_ends = &slot;
                frame
            })
            .boxed_unsync()
        })
    }

    async fn serve_one(
        self: Arc<Self>,
        req: Request<Incoming>,
        client: SocketAddr,
    ) -> Result<Response<HyperOutgoingBody>, Infallible> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let response = self.handle(req, client).await;
        self.log(&method, &path, client, &response, started.elapsed());
        Ok(response)
    }

    /// One readable line per request: time, client, method, path, component,
    /// status, time to the response head, and the request and correlation ids.
    fn log(
        &self,
        method: &http::Method,
        path: &str,
        client: SocketAddr,
        response: &Response<HyperOutgoingBody>,
        took: Duration,
    ) {
        let component =
            routes::find(self.routes.iter().map(|(r, _)| r), path).map_or("-", |(i, _)| self.routes[i].1.as_str());
        let mut ids = String::new();
        for (name, label) in [("x-request-id", "request_id"), ("x-correlation-id", "correlation_id")] {
            if let Some(v) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
                ids.push_str(&format!(" {label}={v}"));
            }
        }
        println!(
            "{} {client} {method} {path} {component} {} {:.2}ms{ids}",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            response.status().as_u16(),
            took.as_secs_f64() * 1000.0,
        );
    }
}

/// Accepts connections until `shutdown` resolves, then lets in-flight
/// requests finish for up to [`DRAIN`].
pub async fn serve(listener: TcpListener, server: Arc<Server>, shutdown: impl Future<Output = ()>) -> Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header timeout also closes a keep-alive connection idle for that long.
    http.keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(server.admission.limits.header_timeout);
    let connections = Arc::clone(&server.admission.connections);
    tokio::pin!(shutdown);
    loop {
        // At the connection cap, further clients wait in the kernel's listen backlog.
        let Ok(open) = Arc::clone(&connections).acquire_owned().await else { break };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, client) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let server = Arc::clone(&server);
                let service = hyper::service::service_fn(move |req| Arc::clone(&server).serve_one(req, client));
                let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(open);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    println!("Shutting down: waiting up to {}s for in-flight requests", DRAIN.as_secs());
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => eprintln!("in-flight requests did not finish in time; stopping anyway"),
    }
    Ok(())
}
