//! The HTTP listener: Spin's routing and `spin-*` request headers, one access
//! log line per request, and graceful shutdown.

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
use crate::triggers::routes::{self, Route};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

pub struct Server {
    runtime: Arc<Runtime>,
    /// Routes and the component each one runs, in manifest order.
    routes: Vec<(Route, String)>,
    local_addr: SocketAddr,
}

fn body(bytes: impl Into<Bytes>) -> HyperOutgoingBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
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
    pub fn new(runtime: Arc<Runtime>, routes: Vec<(Route, String)>, local_addr: SocketAddr) -> Self {
        Self { runtime, routes, local_addr }
    }

    async fn handle(&self, mut req: Request<Incoming>, client: SocketAddr) -> Response<HyperOutgoingBody> {
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
            return plain(StatusCode::BAD_REQUEST, "invalid Host header or request target");
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

        match self.runtime.handle_http(component, req).await {
            Ok(response) => response,
            Err(Failure::Timeout) => {
                eprintln!("component `{component}`: request passed its deadline and was stopped");
                plain(StatusCode::GATEWAY_TIMEOUT, "")
            }
            Err(Failure::Guest(e)) => {
                eprintln!("component `{component}`: error processing request: {e:#}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "")
            }
        }
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
    http.keep_alive(true);
    tokio::pin!(shutdown);
    loop {
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
