//! The MCP server's tools: endpoints of the table, offered under their own
//! names with their own request and response schemas (rendered into
//! `docs/mcp-tools.json` by the catalog), so a tool and its endpoint cannot
//! drift apart. Each call runs that endpoint's scope, rate limit, input rules
//! and audit (`switchyard_edge::operations::invoke`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::endpoints::{self, Endpoint};

/// One JSON-RPC 2.0 message of the MCP Streamable HTTP transport
/// (`initialize`, `tools/list`, `tools/call`, `tasks/get`, …), or nothing on a GET.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct McpMessage(pub serde_json::Value);

/// MCP protocol revisions the server speaks, newest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

/// One tool: its endpoint and a short human title.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub endpoint: Endpoint,
    pub title: &'static str,
    /// The call may run as an MCP task that lasts as long as the lane (`agent-run`).
    pub task: bool,
    /// The call ends something for good (cancel, reject).
    pub destructive: bool,
}

const fn tool(endpoint: Endpoint, title: &'static str) -> Tool {
    Tool { endpoint, title, task: false, destructive: false }
}

pub const TOOLS: &[Tool] = &[
    Tool { task: true, ..tool(endpoints::AGENT_RUN, "Dispatch an agent lane") },
    tool(endpoints::LANE_LIST, "List lanes"),
    tool(endpoints::LANE_GET, "Read a lane"),
    tool(endpoints::LANE_EVENTS, "Read a lane's events"),
    tool(endpoints::AGENT_INTERRUPT, "Interrupt a lane"),
    tool(endpoints::AGENT_PAUSE, "Pause a lane"),
    tool(endpoints::AGENT_RESUME, "Resume a lane"),
    Tool { destructive: true, ..tool(endpoints::AGENT_CANCEL, "Cancel a lane") },
    tool(endpoints::INBOX_LIST, "List agents' questions"),
    tool(endpoints::INBOX_RESOLVE, "Answer an agent's question"),
    tool(endpoints::APPROVAL_LIST, "List approval requests"),
    tool(endpoints::LANE_APPROVE, "Approve a lane's action"),
    Tool { destructive: true, ..tool(endpoints::LANE_REJECT, "Reject a lane's action") },
    tool(endpoints::FEDERATION_PUBLISH_HEAD, "Sign the audit log's head"),
];

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.endpoint.name == name)
}

/// One A2A 1.0 JSON-RPC request (`SendMessage`, `GetTask`, `ListTasks`,
/// `CancelTask`, `SendStreamingMessage`, `SubscribeToTask`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct A2aMessage(pub serde_json::Value);

/// Follow a lane as an AG-UI run. Takes AG-UI's `RunAgentInput` as an AG-UI
/// client posts it (its `threadId` is the lane's run id; `messages`, `tools`,
/// `state`, `context` and `forwardedProps` are accepted and not used), or
/// just `run_id`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowLaneUi {
    #[serde(alias = "threadId")]
    pub run_id: crate::LaneId,
    /// The UI's id for this run (`runId`); the lane's attempt number when absent.
    #[serde(default, rename = "runId")]
    pub ui_run_id: Option<String>,
    #[serde(default, rename = "parentRunId")]
    pub parent_run_id: Option<String>,
    #[serde(default)]
    pub state: Option<serde_json::Value>,
    #[serde(default)]
    pub messages: Option<serde_json::Value>,
    #[serde(default)]
    pub tools: Option<serde_json::Value>,
    #[serde(default)]
    pub context: Option<serde_json::Value>,
    #[serde(default, rename = "forwardedProps")]
    pub forwarded_props: Option<serde_json::Value>,
}
