//! The harness protocol (v1): the request and response bodies of
//! `POST {base}/functions/v1/harness-{register,dispatch,heartbeat,event}` and a
//! small client for them.
//!
//! Responses are decoded leniently (unknown fields ignored, most fields
//! defaulted) so a newer server does not break an older harness; requests carry
//! exactly the fields the spec names, because the server rejects unknown ones.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- bodies

/// `harness-register` request (authenticated with a workspace PAT).
#[derive(Debug, Serialize)]
pub struct RegisterRequest<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub capabilities: &'a [String],
    pub labels: &'a [String],
    pub lease_seconds: u64,
}

/// `harness-register` response: the credential for every later call.
#[derive(Debug, Clone, Deserialize)]
pub struct Registered {
    pub harness_id: String,
    pub credential: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub lease_seconds: u64,
    #[serde(default = "default_heartbeat_interval")]
    pub heartbeat_interval_seconds: u64,
}

fn default_heartbeat_interval() -> u64 {
    10
}

/// A note or redirection for the agent, queued by a user on the lane.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Interrupt {
    pub id: u64,
    /// `note`, `redirect` or `answer` (kept as text so new kinds still reach the agent).
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub created_at: Option<String>,
    /// For an `answer`: the question (inbox item) it answers.
    #[serde(default)]
    pub in_reply_to: Option<String>,
}

/// The lane `harness-dispatch` hands over (it is now `running` and ours).
#[derive(Debug, Clone, Deserialize)]
pub struct DispatchedLane {
    #[serde(rename = "run_id")]
    pub lane_id: String,
    #[serde(default)]
    pub brief: String,
    /// A repository *name*, resolved under `--repos-dir`.
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub claim: Vec<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub token_budget: Option<u64>,
    #[serde(default)]
    pub cost_budget_cents: Option<u64>,
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    #[serde(default)]
    pub interrupts: Vec<Interrupt>,
    /// Context entries for the brief, best first: written to the agent's context file.
    #[serde(default)]
    pub context: Vec<ContextEntry>,
    /// `context` or `map` for an extraction job: no agent runs, the harness reads the repository.
    #[serde(default)]
    pub job: Option<String>,
    /// Start the worktree from this commit (a restored snapshot) instead of HEAD.
    #[serde(default)]
    pub start_commit: Option<String>,
}

/// A context entry handed over with a lane's brief.
#[derive(Debug, Clone, Deserialize)]
pub struct ContextEntry {
    pub entry_id: String,
    pub dimension: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub confidence: f64,
    #[serde(default)]
    pub source_path: Option<String>,
    #[serde(default)]
    pub source_commit: Option<String>,
}

fn first_attempt() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
struct Dispatched {
    lane: DispatchedLane,
}

/// What the server wants done with a lane's agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Run,
    Pause,
    Cancel,
    /// A signal this harness does not know: ignored.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Serialize)]
struct HeartbeatRequest<'a> {
    acks: &'a BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HeartbeatAnswer {
    #[serde(default)]
    pub lease_expires_at: Option<String>,
    #[serde(default)]
    pub lanes: Vec<HeartbeatLane>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HeartbeatLane {
    #[serde(rename = "run_id")]
    pub lane_id: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub signal: Option<Signal>,
    #[serde(default)]
    pub interrupts: Vec<Interrupt>,
}

impl HeartbeatLane {
    /// The signal to act on; a lane the server reports as `cancelled` is
    /// cancelled whatever the signal field says.
    pub fn effective_signal(&self) -> Option<Signal> {
        effective_signal(&self.state, self.signal)
    }
}

/// `state: "cancelled"` wins over the signal; otherwise the signal, if any.
pub fn effective_signal(state: &str, signal: Option<Signal>) -> Option<Signal> {
    if state == "cancelled" { Some(Signal::Cancel) } else { signal }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiffStat {
    pub files_changed: u64,
    pub insertions: u64,
    pub deletions: u64,
}

/// One file of a diff checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointFile {
    pub path: String,
    pub change: Change,
    pub insertions: u64,
    pub deletions: u64,
    pub hunks: u64,
    pub binary: bool,
}

/// One report about a lane (`harness-event` carries up to 100 of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Output {
        stream: Stream,
        line: String,
    },
    FileChange {
        path: String,
        change: Change,
    },
    Completed {
        exit_code: i64,
        summary: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        diff_stat: Option<DiffStat>,
        /// What it added, checked against the workspace's mandates.
        #[serde(skip_serializing_if = "Option::is_none")]
        changes: Option<Vec<ChangedFile>>,
    },
    Failed {
        /// None when the agent never ran (bad repository, worktree failure, …).
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i64>,
        error: String,
    },
    /// The agent asks a person; the answer comes back as an `answer` interrupt.
    Question {
        question: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
    },
    /// The lane's work is being pushed to this branch (forge events for it reach the lane).
    Branch {
        branch: String,
    },
    /// An extraction job's findings at `commit`.
    Context {
        job: String,
        commit: String,
        entries: Vec<crate::extract::Found>,
    },
    /// A snapshot of the worktree and what changed since the previous one.
    Checkpoint {
        seq: u32,
        commit: String,
        files: Vec<CheckpointFile>,
        total: DiffStat,
    },
}

/// A file the agent changed and the lines it added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedFile {
    pub path: String,
    pub added: Vec<AddedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedLine {
    pub line: u32,
    pub text: String,
}

/// The most events one `harness-event` call may carry.
pub const MAX_EVENTS_PER_CALL: usize = 100;

#[derive(Debug, Serialize)]
struct EventsRequest<'a> {
    #[serde(rename = "run_id")]
    lane_id: &'a str,
    events: &'a [Event],
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventsAnswer {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub signal: Option<Signal>,
}

// ---------------------------------------------------------------- errors

/// Why a call failed; [`CallError::is_retryable`] decides whether to try again.
/// `harness-action`'s answer: `allow` / `warn` go on, `require_approval`
/// waits for `approval`, `deny` does not (a denial arrives as a 403).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionAnswer {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub approval: Option<ApprovalInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApprovalInfo {
    pub approval_id: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug)]
pub enum CallError {
    /// The server could not be reached or the connection broke.
    Transport(reqwest::Error),
    /// The server answered with an error status (`{"error":{"code","message"}}`).
    Status { status: u16, code: String, message: String },
    /// A success status with a body that is not what the spec says.
    Decode(String),
}

impl CallError {
    /// Transport failures, 5xx, 408 and 429 may succeed later; other answers will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            Self::Decode(_) => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// 409: the harness does not hold the lane (any more).
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// 401/403: the credential is not (or no longer) accepted.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => {
                // reqwest's own message hides the cause ("connection refused", …).
                write!(f, "network error: {e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Self::Status { status, code, message } => write!(f, "HTTP {status} {code}: {message}"),
            Self::Decode(e) => write!(f, "unexpected response: {e}"),
        }
    }
}

impl std::error::Error for CallError {}

/// Reads `{"error":{"code","message"}}`, falling back to the raw text.
fn parse_error(status: u16, body: &str) -> CallError {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_str::<Envelope>(body) {
        Ok(Envelope { error }) => CallError::Status { status, code: error.code, message: error.message },
        Err(_) => {
            let mut message: String = body.trim().chars().take(300).collect();
            if message.is_empty() {
                message = "(empty body)".into();
            }
            CallError::Status { status, code: String::new(), message }
        }
    }
}

// ---------------------------------------------------------------- client

/// A client bound to a server and one bearer token (the PAT before
/// registration, the harness credential after). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub fn new(base: &str, token: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), token: token.to_owned() })
    }

    /// The same server, another token.
    pub fn with_token(&self, token: &str) -> Self {
        Self { http: self.http.clone(), base: self.base.clone(), token: token.to_owned() }
    }

    /// POSTs `body` to `functions/v1/<name>`; `Ok(None)` for 204 No Content.
    async fn call<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
        body: &B,
    ) -> Result<Option<R>, CallError> {
        let url = format!("{}/functions/v1/{name}", self.base);
        let resp =
            self.http.post(url).bearer_auth(&self.token).json(body).send().await.map_err(CallError::Transport)?;
        let status = resp.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let text = resp.text().await.map_err(CallError::Transport)?;
        if !status.is_success() {
            return Err(parse_error(status.as_u16(), &text));
        }
        serde_json::from_str(&text).map(Some).map_err(|e| CallError::Decode(format!("{name}: {e}")))
    }

    async fn call_required<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        name: &str,
        body: &B,
    ) -> Result<R, CallError> {
        self.call(name, body).await?.ok_or_else(|| CallError::Decode(format!("{name}: empty response")))
    }

    pub async fn register(&self, req: &RegisterRequest<'_>) -> Result<Registered, CallError> {
        self.call_required("harness-register", req).await
    }

    /// Claims the oldest queued lane this harness can run, if any.
    pub async fn dispatch(&self) -> Result<Option<DispatchedLane>, CallError> {
        let d: Option<Dispatched> = self.call("harness-dispatch", &serde_json::json!({})).await?;
        Ok(d.map(|d| d.lane))
    }

    pub async fn heartbeat(&self, acks: &BTreeMap<String, u64>) -> Result<HeartbeatAnswer, CallError> {
        Ok(self.call("harness-heartbeat", &HeartbeatRequest { acks }).await?.unwrap_or_default())
    }

    pub async fn events(&self, lane_id: &str, events: &[Event]) -> Result<EventsAnswer, CallError> {
        self.call_required("harness-event", &EventsRequest { lane_id, events }).await
    }

    /// Asks whether the agent may do `action` now.
    pub async fn action(&self, lane_id: &str, action: &serde_json::Value) -> Result<ActionAnswer, CallError> {
        self.call_required("harness-action", &serde_json::json!({"run_id": lane_id, "action": action})).await
    }

    /// The decision on a request made earlier.
    pub async fn approval(&self, lane_id: &str, approval_id: &str) -> Result<ActionAnswer, CallError> {
        self.call_required("harness-action", &serde_json::json!({"run_id": lane_id, "approval_id": approval_id})).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_serialize_as_the_spec_says() {
        let out = Event::Output { stream: Stream::Stderr, line: "hi".into() };
        assert_eq!(serde_json::to_value(&out).ok(), Some(json!({"type":"output","stream":"stderr","line":"hi"})));
        let fc = Event::FileChange { path: "src/a.rs".into(), change: Change::Added };
        assert_eq!(
            serde_json::to_value(&fc).ok(),
            Some(json!({"type":"file_change","path":"src/a.rs","change":"added"}))
        );
        let done = Event::Completed {
            exit_code: 0,
            summary: "ok".into(),
            diff_stat: Some(DiffStat { files_changed: 2, insertions: 10, deletions: 1 }),
            changes: None,
        };
        assert_eq!(
            serde_json::to_value(&done).ok(),
            Some(json!({"type":"completed","exit_code":0,"summary":"ok",
                        "diff_stat":{"files_changed":2,"insertions":10,"deletions":1}}))
        );
        let failed = Event::Failed { exit_code: Some(3), error: "agent exited with code 3".into() };
        assert_eq!(
            serde_json::to_value(&failed).ok(),
            Some(json!({"type":"failed","exit_code":3,"error":"agent exited with code 3"}))
        );
        let never_ran = Event::Failed { exit_code: None, error: "bad".into() };
        assert_eq!(serde_json::to_value(&never_ran).ok(), Some(json!({"type":"failed","error":"bad"})));
    }

    #[test]
    fn heartbeat_answer_parses_and_tolerates_unknowns() {
        let a: HeartbeatAnswer = serde_json::from_value(json!({
            "lease_expires_at": "2030-01-01T00:00:00Z",
            "lanes": [
                {"run_id":"lane_a","state":"paused","signal":"pause",
                 "interrupts":[{"id":8,"kind":"note","message":"m","created_at":"t"}]},
                {"run_id":"lane_b","state":"cancelled","signal":"run","interrupts":[]},
                {"run_id":"lane_c","state":"running","signal":"teleport","extra":1}
            ]
        }))
        .unwrap_or_default();
        assert_eq!(a.lanes.len(), 3);
        assert_eq!(a.lanes[0].effective_signal(), Some(Signal::Pause));
        assert_eq!(a.lanes[0].interrupts[0].id, 8);
        assert_eq!(a.lanes[1].effective_signal(), Some(Signal::Cancel));
        assert_eq!(a.lanes[2].effective_signal(), Some(Signal::Unknown));
    }

    #[test]
    fn dispatch_lane_parses() {
        let d: Result<Dispatched, _> = serde_json::from_value(json!({"lane": {
            "run_id":"lane_1","brief":"do it","repository":"demo","claim":["src/**"],
            "labels":[],"token_budget":null,"cost_budget_cents":null,"attempt":2,
            "interrupts":[{"id":7,"kind":"redirect","message":"x","created_at":"t"}]}}));
        let lane = d.map(|d| d.lane).ok();
        assert_eq!(lane.as_ref().map(|l| l.attempt), Some(2));
        assert_eq!(lane.as_ref().and_then(|l| l.repository.clone()).as_deref(), Some("demo"));
        assert_eq!(lane.map(|l| l.interrupts.len()), Some(1));
    }

    #[test]
    fn error_bodies() {
        let e = parse_error(409, r#"{"error":{"code":"conflict","message":"not yours","request_id":"r"}}"#);
        assert!(e.is_conflict() && !e.is_retryable());
        assert_eq!(e.to_string(), "HTTP 409 conflict: not yours");
        let e = parse_error(502, "bad gateway");
        assert!(e.is_retryable());
        assert!(parse_error(401, "").is_unauthorized());
    }
}
