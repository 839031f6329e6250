//! Lanes, harnesses, tools and events.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{HarnessId, LaneId, ToolCallId, ToolId};
use crate::valid::{Brief, Description, Glob, HttpUrl, List, Message, Name, Ranged, Repository, ToolName, Word};

/// Accepts `7` or `"7"` (query strings carry numbers as text).
pub fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize, JsonSchema)]
    #[serde(untagged)]
    enum N {
        Num(u64),
        Text(String),
    }
    match Option::<N>::deserialize(d)? {
        None => Ok(None),
        Some(N::Num(n)) => Ok(Some(n)),
        Some(N::Text(t)) => {
            t.trim().parse().map(Some).map_err(|_| serde::de::Error::custom("expected a non-negative integer"))
        }
    }
}

/// Accepts `["a","b"]` or `"a,b"`.
pub fn list_or_csv<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize, JsonSchema)]
    #[serde(untagged)]
    enum L {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match Option::<L>::deserialize(d)? {
        None => None,
        Some(L::List(v)) => Some(v),
        Some(L::Csv(s)) => Some(s.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()),
    })
}

// ---------------------------------------------------------------- lanes

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunAgent {
    /// Which kind of harness runs it, e.g. `claude-code`, `codex`, `script`.
    pub harness_kind: Word,
    /// What the agent is asked to do.
    pub brief: Brief,
    /// The repository the harness works in (a name it resolves locally).
    pub repository: Repository,
    /// Path globs this lane may edit; no other active lane in the repository may overlap them.
    pub claim: List<Glob, 1, 100>,
    #[serde(default)]
    pub token_budget: Option<Ranged<1, { u64::MAX }>>,
    #[serde(default)]
    pub cost_budget_cents: Option<Ranged<1, { u64::MAX }>>,
    /// Only a harness holding every one of these labels may run the lane.
    #[serde(default)]
    pub labels: List<Word, 0, 20>,
    /// Dispatch attempts before the lane fails (1..=10, default 3).
    #[serde(default)]
    pub max_attempts: Option<Ranged<1, 10>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lane {
    pub run_id: LaneId,
    pub state: String,
    pub harness_kind: String,
    pub brief: String,
    pub repository: String,
    pub claim: Vec<String>,
    pub labels: Vec<String>,
    pub token_budget: Option<u64>,
    pub cost_budget_cents: Option<u64>,
    pub tokens_used: u64,
    pub cost_used_cents: u64,
    pub attempt: u32,
    pub max_attempts: u32,
    pub harness_id: Option<HarnessId>,
    pub pause_reason: Option<String>,
    pub exit_code: Option<i64>,
    pub summary: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// `{"run_id": …}` plus an optional reason.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneAction {
    pub run_id: LaneId,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeLane {
    pub run_id: LaneId,
    /// Raise the token budget (e.g. after `budget_exhausted`).
    #[serde(default)]
    pub token_budget: Option<u64>,
    #[serde(default)]
    pub cost_budget_cents: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterruptKind {
    /// Extra information for the agent.
    Note,
    /// A change of direction the agent must follow.
    Redirect,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptLane {
    pub run_id: LaneId,
    pub kind: InterruptKind,
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interrupt {
    pub id: u64,
    pub kind: InterruptKind,
    pub message: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InterruptQueued {
    pub run_id: LaneId,
    pub interrupt: Interrupt,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLane {
    pub run_id: LaneId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLanes {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub harness_kind: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A lane with its tool log (for `lane-get`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LaneDetail {
    #[serde(flatten)]
    pub lane: Lane,
    pub tool_calls: Vec<ToolCall>,
    pub pending_interrupts: Vec<Interrupt>,
}

// ---------------------------------------------------------------- events

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneEventsQuery {
    pub run_id: LaneId,
    /// Only events with a larger id (like `Last-Event-ID`).
    #[serde(default, deserialize_with = "lenient_u64")]
    #[schemars(with = "Option<u64>")]
    pub since: Option<u64>,
    #[serde(default, deserialize_with = "list_or_csv")]
    #[schemars(with = "Option<Vec<String>>")]
    pub types: Option<Vec<String>>,
    /// Page size (default 100).
    #[serde(default)]
    pub limit: Option<Ranged<1, 1000>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LaneEvent {
    pub id: u64,
    pub run_id: LaneId,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: serde_json::Value,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EventPage {
    pub data: Vec<LaneEvent>,
    /// Pass as `since` to continue.
    pub next_since: Option<u64>,
}

// ---------------------------------------------------------------- harness protocol

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterHarness {
    /// The kind of agent it runs; it is dispatched lanes of this `harness_kind`.
    pub kind: Word,
    pub name: Name,
    #[serde(default)]
    pub capabilities: List<Word, 0, 50>,
    /// It is dispatched only lanes whose labels it all holds.
    #[serde(default)]
    pub labels: List<Word, 0, 50>,
    /// How long its lease lasts without a heartbeat (default 30).
    #[serde(default)]
    pub lease_seconds: Option<Ranged<5, 300>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegisteredHarness {
    pub harness_id: HarnessId,
    /// `sl_hns_…`: good only for harness calls; shown once.
    pub credential: String,
    pub kind: String,
    pub name: String,
    pub lease_seconds: u64,
    pub heartbeat_interval_seconds: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// Per lane, the highest interrupt id the harness has handed to its agent.
    #[serde(default)]
    pub acks: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HeartbeatLane {
    pub lane_id: LaneId,
    pub state: String,
    /// `run`, `pause` or `cancel`.
    pub signal: String,
    pub interrupts: Vec<Interrupt>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HeartbeatAnswer {
    pub lease_expires_at: String,
    pub lanes: Vec<HeartbeatLane>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DispatchedLane {
    pub lane_id: LaneId,
    pub brief: String,
    pub repository: String,
    pub claim: Vec<String>,
    pub labels: Vec<String>,
    pub token_budget: Option<u64>,
    pub cost_budget_cents: Option<u64>,
    pub attempt: u32,
    pub interrupts: Vec<Interrupt>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Dispatched {
    pub lane: DispatchedLane,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffStat {
    pub files_changed: u64,
    pub insertions: u64,
    pub deletions: u64,
}

/// One report from a harness about a lane it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HarnessReport {
    Output {
        stream: Stream,
        line: String,
    },
    FileChange {
        path: String,
        change: FileChange,
    },
    Tokens {
        used: u64,
        #[serde(default)]
        cost_cents: u64,
    },
    Completed {
        exit_code: i64,
        #[serde(default)]
        summary: Option<String>,
        #[serde(default)]
        diff_stat: Option<DiffStat>,
    },
    Failed {
        #[serde(default)]
        exit_code: Option<i64>,
        error: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HarnessEvents {
    pub lane_id: LaneId,
    pub events: Vec<HarnessReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HarnessEventsAccepted {
    pub lane_id: LaneId,
    pub state: String,
    pub signal: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeHarness {
    pub harness_id: HarnessId,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HarnessRevoked {
    pub harness_id: HarnessId,
    pub revoked_at: String,
    /// Lanes it held, now queued again.
    pub requeued: Vec<LaneId>,
}

// ---------------------------------------------------------------- tools

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTool {
    pub name: ToolName,
    pub description: Description,
    /// JSON Schema of the tool's input.
    pub input_schema: crate::valid::InputSchema,
    /// The MCP server (Streamable HTTP transport) that serves the tool.
    pub mcp_url: HttpUrl,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub id: ToolId,
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
    pub mcp_url: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTools {
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeTool {
    pub run_id: LaneId,
    pub tool: String,
    #[serde(default)]
    pub input: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolCall {
    pub call_id: ToolCallId,
    pub tool: String,
    /// `ok` or `error`.
    pub status: String,
    pub input_digest: String,
    pub output: serde_json::Value,
    pub duration_ms: u64,
    pub at: String,
}

/// What one `dispatch-status-tick` pass changed (its answer over HTTP).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DispatchTickReport {
    /// Lanes whose harness lease expired, put back in the queue.
    pub requeued: u32,
    /// Lanes whose lease expired on their last attempt.
    pub failed: u32,
    /// Running lanes over their token budget, paused with reason `budget_exhausted`.
    pub budget_exhausted: u32,
}
