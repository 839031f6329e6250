//! The HTTP side: one call per endpoint (`POST /functions/v1/<name>` with a
//! JSON body), the error envelope turned into a [`Failure`], and a lane's
//! event stream followed across reconnects.

use std::time::Duration;

use serde_json::{Value, json};

/// Why a command failed, and the exit code a script can rely on.
#[derive(Debug)]
pub enum Failure {
    /// The server answered with its error envelope.
    Api { status: u16, code: String, message: String, request_id: Option<String>, field: Option<String> },
    /// The server could not be reached, or answered something that is not the API.
    Network(String),
    /// The command cannot run as given (no profile, bad file, …).
    Usage(String),
}

/// Exit codes: 0 success; 1 the server refused (its code is printed); 2 usage
/// (as clap's own); 3 the server could not be reached; `lanes watch` adds 4
/// for a lane that failed and 5 for one cancelled.
pub mod exit {
    pub const REFUSED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const UNREACHABLE: u8 = 3;
    pub const LANE_FAILED: u8 = 4;
    pub const LANE_CANCELLED: u8 = 5;
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Api { .. } => exit::REFUSED,
            Self::Network(_) => exit::UNREACHABLE,
            Self::Usage(_) => exit::USAGE,
        }
    }

    /// One line for a person (`--json` prints [`Failure::to_json`] instead).
    pub fn line(&self) -> String {
        match self {
            Self::Api { status, code, message, request_id, field } => {
                let field = field.as_deref().map(|f| format!(" (field `{f}`)")).unwrap_or_default();
                let id = request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default();
                format!("error: {code} ({status}): {message}{field}{id}")
            }
            Self::Network(m) => format!("error: cannot reach the server: {m}"),
            Self::Usage(m) => format!("error: {m}"),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Self::Api { status, code, message, request_id, field } => json!({"error": {
                "status": status, "code": code, "message": message, "request_id": request_id, "field": field}}),
            Self::Network(m) => json!({"error": {"code": "UNREACHABLE", "message": m}}),
            Self::Usage(m) => json!({"error": {"code": "USAGE", "message": m}}),
        }
    }
}

/// A server and the token to call it with.
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// A value for `Idempotency-Key`: a retried mutation is not applied twice.
fn idempotency_key() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("cli-{nanos:x}-{:x}", std::process::id())
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Self, Failure> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Failure::Usage(e.to_string()))?;
        Ok(Self { base: base.trim_end_matches('/').to_owned(), token: token.to_owned(), http })
    }

    fn url(&self, name: &str) -> String {
        format!("{}/functions/v1/{name}", self.base)
    }

    /// Calls `name` with `body`; 204 is `null`.
    pub async fn call(&self, name: &str, body: &Value) -> Result<Value, Failure> {
        let resp = self
            .http
            .post(self.url(name))
            .bearer_auth(&self.token)
            .header("idempotency-key", idempotency_key())
            .timeout(Duration::from_secs(60))
            .json(body)
            .send()
            .await
            .map_err(|e| Failure::Network(format!("{}: {e}", self.base)))?;
        let status = resp.status().as_u16();
        let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = resp.text().await.map_err(|e| Failure::Network(e.to_string()))?;
        if status == 204 {
            return Ok(Value::Null);
        }
        let value: Value = serde_json::from_str(&text).map_err(|_| {
            let head: String = text.chars().take(200).collect();
            Failure::Network(format!("{name} answered {status} with something that is not JSON: {head}"))
        })?;
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let error = &value["error"];
        Err(Failure::Api {
            status,
            code: error["code"].as_str().unwrap_or("UNKNOWN").to_owned(),
            message: error["message"].as_str().unwrap_or("(no message)").to_owned(),
            request_id: error["request_id"].as_str().map(str::to_owned).or(request_id),
            field: error["field"].as_str().map(str::to_owned),
        })
    }

    /// Calls `name` and returns the body as text (NDJSON and other non-JSON answers).
    pub async fn raw(&self, name: &str, body: &Value) -> Result<String, Failure> {
        let resp = self
            .http
            .post(self.url(name))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(300))
            .json(body)
            .send()
            .await
            .map_err(|e| Failure::Network(format!("{}: {e}", self.base)))?;
        if resp.status().is_success() {
            return resp.text().await.map_err(|e| Failure::Network(e.to_string()));
        }
        // The envelope, through the JSON path.
        self.call(name, body).await.map(|v| v.to_string())
    }

    /// Follows a lane's event stream (SSE) until it ends, handing each event
    /// to `seen`; reconnects with `Last-Event-ID` when a stream closes before
    /// the lane ended (streams are bounded) or the connection drops.
    pub async fn follow(&self, run_id: &str, mut seen: impl FnMut(&Value)) -> Result<(), Failure> {
        use futures::StreamExt;
        let mut last: Option<u64> = None;
        let mut failures = 0;
        loop {
            let mut req = self
                .http
                .get(format!("{}?run_id={run_id}", self.url("lane-events")))
                .bearer_auth(&self.token)
                .header("accept", "text/event-stream");
            if let Some(id) = last {
                req = req.header("last-event-id", id.to_string());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    failures += 1;
                    if failures > 5 {
                        return Err(Failure::Network(format!("{}: {e}", self.base)));
                    }
                    tokio::time::sleep(Duration::from_millis(500 * failures)).await;
                    continue;
                }
            };
            if !resp.status().is_success() {
                // The envelope, through the JSON path.
                return self.call("lane-events", &json!({"run_id": run_id, "limit": 1})).await.map(|_| ());
            }
            failures = 0;
            let mut stream = resp.bytes_stream();
            let mut buffer = String::new();
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else { break };
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let frame: String = buffer.drain(..end + 2).collect();
                    if frame.lines().any(|l| l.trim() == "event: end") {
                        return Ok(());
                    }
                    if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: "))
                        && let Ok(event) = serde_json::from_str::<Value>(data)
                    {
                        if let Some(id) = event["id"].as_u64() {
                            last = Some(id);
                        }
                        seen(&event);
                    }
                }
            }
        }
    }
}
