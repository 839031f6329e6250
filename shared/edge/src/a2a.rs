//! Lanes as Agent2Agent (A2A 1.0, JSON-RPC binding) tasks: `SendMessage`
//! dispatches a lane (or, to an existing task, answers its question or
//! interrupts it), `GetTask` / `ListTasks` / `CancelTask` read and stop
//! lanes, `SendStreamingMessage` / `SubscribeToTask` follow the lane's event
//! log. Every action runs its endpoint through [`operations::invoke`]; the
//! shapes are `switchyard_domain::projection`'s.

use serde_json::{Value, json};
use switchyard_api::LaneId;
use switchyard_domain::projection::{a2a_stream_ends, a2a_task, a2a_updates};

use crate::lanes::{self, LaneRow};
use crate::{ApiError, Ctx, Reply, inbox, operations};

/// How long a blocking `SendMessage` waits for the lane to finish or ask something.
const BLOCK_FOR: std::time::Duration = std::time::Duration::from_secs(20);
/// How long one stream follows a lane before it closes (the client subscribes again).
pub const STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// A2A's JSON-RPC error codes.
mod code {
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL: i64 = -32603;
    pub const TASK_NOT_FOUND: i64 = -32001;
    pub const TASK_NOT_CANCELABLE: i64 = -32002;
    pub const PUSH_NOT_SUPPORTED: i64 = -32003;
    pub const UNSUPPORTED_OPERATION: i64 = -32004;
    pub const EXTENDED_CARD_NOT_CONFIGURED: i64 = -32007;
    pub const VERSION_NOT_SUPPORTED: i64 = -32009;
}

/// A JSON-RPC error: its code, message and (for our own refusals) the envelope's code and field.
#[derive(Debug)]
pub struct RpcError {
    code: i64,
    message: String,
    reason: &'static str,
    field: Option<String>,
}

fn rpc(code: i64, reason: &'static str, message: impl Into<String>) -> RpcError {
    RpcError { code, message: message.into(), reason, field: None }
}

impl RpcError {
    /// The refusal a direct call gives, as an A2A error.
    fn from_api(e: &ApiError) -> Self {
        let code = match e.code {
            switchyard_api::ErrorCode::ValidationFailed => code::INVALID_PARAMS,
            switchyard_api::ErrorCode::NotFound => code::TASK_NOT_FOUND,
            _ => code::INVALID_REQUEST,
        };
        RpcError {
            code,
            message: format!("{}: {}", e.code.as_str(), e.message),
            reason: e.code.as_str(),
            field: e.field.clone(),
        }
    }

    pub fn to_json(&self, id: &Value) -> Value {
        let mut info =
            json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": self.reason, "domain": "switchyard"});
        if let Some(field) = &self.field {
            info["metadata"] = json!({"field": field});
        }
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": self.code, "message": self.message, "data": [info]}})
    }
}

/// The agent card, naming the JSON-RPC endpoint under `base` (the deployment's own URL).
pub fn card(base: &str) -> Value {
    json!({
        "name": "Switchyard",
        "description": "An open control plane for AI coding agents: a message dispatches an agent lane (a task) in a \
            repository, bounded by a scope claim, policies and budgets; the task follows the lane to its end.",
        "supportedInterfaces": [{"url": format!("{base}/functions/v1/a2a"), "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "version": env!("CARGO_PKG_VERSION"),
        "capabilities": {"streaming": true, "pushNotifications": false},
        "securitySchemes": {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer", "bearerFormat": "sl_pat_… or JWT"}}},
        "securityRequirements": [{"schemes": {"bearer": {}}}],
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{
            "id": "lane",
            "name": "Run a coding agent lane",
            "description": "The message's text is the brief. Its metadata names `repository`, `claim` (path globs the agent \
                may edit) and `harnessKind`; optional `tokenBudget`, `labels`. A message to a task waiting for input \
                answers the agent's question; to a working task, it is a note the agent receives.",
            "tags": ["coding", "agents", "lanes"],
            "examples": ["Fix the failing invoice test (metadata: repository=shop, claim=[\"src/billing/**\"], harnessKind=claude-code)"],
        }],
    })
}

/// Checks the `A2A-Version` header (absent, or 1.x).
pub fn check_version(version: Option<&str>) -> Result<(), RpcError> {
    match version.map(str::trim) {
        None | Some("") => Ok(()),
        Some(v) if v == "1" || v.starts_with("1.") => Ok(()),
        Some(v) => Err(rpc(
            code::VERSION_NOT_SUPPORTED,
            "VERSION_NOT_SUPPORTED",
            format!("A2A version {v} is not supported; this server speaks 1.0"),
        )),
    }
}

/// A parsed JSON-RPC request.
pub struct Call {
    pub id: Value,
    pub method: String,
    pub params: Value,
}

pub fn parse(body: &[u8]) -> Result<Call, (Value, RpcError)> {
    let message: Value = serde_json::from_slice(body)
        .map_err(|e| (Value::Null, rpc(-32700, "PARSE_ERROR", format!("not JSON: {e}"))))?;
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((id, rpc(code::INVALID_REQUEST, "INVALID_REQUEST", "`jsonrpc` must be \"2.0\"")));
    }
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        return Err((id, rpc(code::INVALID_REQUEST, "INVALID_REQUEST", "`method` is required")));
    };
    let params = message.get("params").cloned().unwrap_or_else(|| json!({}));
    Ok(Call { id, method: method.to_owned(), params })
}

fn invoke(ctx: &Ctx, endpoint: &str, args: Value) -> Result<Value, RpcError> {
    let args = serde_json::to_vec(&args).map_err(|e| rpc(code::INTERNAL, "INTERNAL", e.to_string()))?;
    match operations::invoke(ctx, endpoint, &args) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(RpcError::from_api(&e)),
        None => Err(rpc(code::INTERNAL, "INTERNAL", format!("{endpoint} is not offered"))),
    }
}

/// The lane a task id names, in the caller's workspace.
pub fn load(ctx: &Ctx, id: Option<&str>) -> Result<LaneRow, RpcError> {
    let id = id.ok_or_else(|| rpc(code::INVALID_PARAMS, "INVALID_PARAMS", "`id` is required"))?;
    let not_found = || rpc(code::TASK_NOT_FOUND, "TASK_NOT_FOUND", format!("task {id} not found"));
    let lane = LaneId::parse(id).ok_or_else(not_found)?;
    let workspace = ctx.workspace_id().map_err(|e| RpcError::from_api(&e))?;
    lanes::load_lane(&ctx.db, workspace, &lane).map_err(|_| not_found())
}

fn text_of(message: &Value) -> String {
    let parts = message.get("parts").and_then(Value::as_array).into_iter().flatten();
    parts.filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
}

/// `SendMessage`'s action: a new lane, an answer to the task's question, or a note to a working task.
pub fn send(ctx: &Ctx, params: &Value) -> Result<LaneRow, RpcError> {
    let message = params.get("message").filter(|m| m.is_object());
    let message = message.ok_or_else(|| rpc(code::INVALID_PARAMS, "INVALID_PARAMS", "`message` is required"))?;
    let text = text_of(message);
    if let Some(task) = message.get("taskId").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        return continue_task(ctx, task, text);
    }
    // The lane's facts come from the message's metadata, or the request's.
    let meta = message.get("metadata").filter(|m| m.is_object()).or_else(|| params.get("metadata")).cloned();
    let meta = meta.unwrap_or_else(|| json!({}));
    let pick = |camel: &str, snake: &str| meta.get(camel).or_else(|| meta.get(snake)).cloned();
    let mut run = json!({"brief": text});
    for (camel, snake) in [
        ("repository", "repository"),
        ("claim", "claim"),
        ("harnessKind", "harness_kind"),
        ("tokenBudget", "token_budget"),
        ("costBudgetCents", "cost_budget_cents"),
        ("labels", "labels"),
        ("maxAttempts", "max_attempts"),
    ] {
        if let Some(value) = pick(camel, snake) {
            run[snake] = value;
        }
    }
    let lane = invoke(ctx, "agent-run", run)?;
    load(ctx, lane["run_id"].as_str())
}

fn continue_task(ctx: &Ctx, task: &str, text: String) -> Result<LaneRow, RpcError> {
    let lane = load(ctx, Some(task))?;
    if !lane.state.is_active() {
        let why = format!("task {task} is in a terminal state ({})", lane.state.as_str());
        return Err(rpc(code::UNSUPPORTED_OPERATION, "UNSUPPORTED_OPERATION", why));
    }
    // A message cannot approve: that is a member's decision, with its own scope.
    if lane.state == switchyard_api::LaneState::AwaitingApproval {
        let why = format!("task {task} waits for a member's approval (lane-approve or lane-reject), not for a message");
        return Err(rpc(code::UNSUPPORTED_OPERATION, "UNSUPPORTED_OPERATION", why));
    }
    match inbox::pending_of(&ctx.db, &lane.run_id).map_err(|e| RpcError::from_api(&e))? {
        Some(item_id) => invoke(ctx, "inbox-resolve", json!({"item_id": item_id, "answer": text}))?,
        None => invoke(ctx, "agent-interrupt", json!({"run_id": lane.run_id, "kind": "note", "message": text}))?,
    };
    load(ctx, Some(task))
}

/// The methods answered with a stream.
pub fn streams(call: &Call) -> bool {
    matches!(call.method.as_str(), "SendStreamingMessage" | "SubscribeToTask")
}

/// One stream frame: a JSON-RPC response carrying a `StreamResponse`.
pub fn frame(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Answers a request that is not a stream (or one refused before it starts),
/// unsupported versions included, with HTTP 200. (A body that is not one JSON
/// object never reaches here: the pipeline answers 422 with the envelope.)
pub fn answer(ctx: &Ctx, call: &Result<Call, (Value, RpcError)>, version: Option<&str>) -> Reply {
    let call = match call {
        Ok(call) => call,
        Err((id, e)) => return Reply::json(200, &e.to_json(id)),
    };
    match check_version(version) {
        Ok(()) => serve(ctx, call),
        Err(e) => Reply::json(200, &e.to_json(&call.id)),
    }
}

/// Answers one non-streaming method.
pub fn serve(ctx: &Ctx, call: &Call) -> Reply {
    let result = match call.method.as_str() {
        "SendMessage" => send(ctx, &call.params).and_then(|lane| {
            let immediate = call.params.pointer("/configuration/returnImmediately").and_then(Value::as_bool);
            let lane = if immediate == Some(true) { lane } else { wait_a_while(ctx, lane)? };
            Ok(json!({"task": a2a_task(&lane)}))
        }),
        "SendStreamingMessage" | "SubscribeToTask" => {
            Err(rpc(code::INVALID_REQUEST, "INVALID_REQUEST", "ask for the stream with `Accept: text/event-stream`"))
        }
        "GetTask" => load(ctx, call.params.get("id").and_then(Value::as_str)).map(|lane| a2a_task(&lane)),
        "ListTasks" => list(ctx, &call.params),
        "CancelTask" => cancel(ctx, &call.params),
        "CreateTaskPushNotificationConfig"
        | "GetTaskPushNotificationConfig"
        | "ListTaskPushNotificationConfigs"
        | "DeleteTaskPushNotificationConfig" => Err(rpc(
            code::PUSH_NOT_SUPPORTED,
            "PUSH_NOTIFICATION_NOT_SUPPORTED",
            "push notifications are not offered; subscribe to the task, or use an outbound webhook (webhook-endpoint-create)",
        )),
        "GetExtendedAgentCard" => {
            Err(rpc(code::EXTENDED_CARD_NOT_CONFIGURED, "EXTENDED_AGENT_CARD_NOT_CONFIGURED", "no extended card"))
        }
        other => Err(rpc(
            code::METHOD_NOT_FOUND,
            "METHOD_NOT_FOUND",
            format!("method `{other}` not found (A2A 1.0 names, e.g. SendMessage)"),
        )),
    };
    let body = match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": call.id, "result": result}),
        Err(e) => e.to_json(&call.id),
    };
    Reply::json(200, &body)
}

/// Waits (a bounded while) for the lane to finish or ask something, as a blocking `SendMessage` asks.
fn wait_a_while(ctx: &Ctx, lane: LaneRow) -> Result<LaneRow, RpcError> {
    let started = std::time::Instant::now();
    let mut lane = lane;
    while !a2a_stream_ends(lane.state) && started.elapsed() < BLOCK_FOR {
        std::thread::sleep(std::time::Duration::from_millis(250));
        lane = load(ctx, Some(lane.run_id.as_str()))?;
    }
    Ok(lane)
}

fn list(ctx: &Ctx, params: &Value) -> Result<Value, RpcError> {
    let size = params.get("pageSize").and_then(Value::as_u64).unwrap_or(50);
    if !(1..=100).contains(&size) {
        return Err(rpc(code::INVALID_PARAMS, "INVALID_PARAMS", "pageSize must be between 1 and 100"));
    }
    let mut args = json!({"limit": size});
    if let Some(token) = params.get("pageToken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        args["cursor"] = json!(token);
    }
    let page = invoke(ctx, "lane-list", args)?;
    let lanes: Vec<switchyard_api::Lane> = serde_json::from_value(page["data"].clone())
        .map_err(|e| rpc(code::INTERNAL, "INTERNAL", format!("lane-list answered: {e}")))?;
    let tasks: Vec<Value> = lanes.iter().map(a2a_task).collect();
    // `totalSize` (the count before paging) is left out: counting every lane for each page costs more than it tells.
    let next = page["next_cursor"].as_str().unwrap_or_default();
    Ok(json!({"tasks": tasks, "nextPageToken": next, "pageSize": size}))
}

fn cancel(ctx: &Ctx, params: &Value) -> Result<Value, RpcError> {
    let lane = load(ctx, params.get("id").and_then(Value::as_str))?;
    if !lane.state.is_active() {
        let why = format!("task {} is already {}", lane.run_id, lane.state.as_str());
        return Err(rpc(code::TASK_NOT_CANCELABLE, "TASK_NOT_CANCELABLE", why));
    }
    invoke(ctx, "agent-cancel", json!({"run_id": lane.run_id, "reason": "cancelled by an A2A client"}))?;
    let cancelled = load(ctx, Some(lane.run_id.as_str()))?;
    Ok(a2a_task(&cancelled))
}

/// What a stream starts from: the lane, and the id of the last event already told.
pub struct Follow {
    pub lane: LaneRow,
    pub since: u64,
}

/// Opens `SendStreamingMessage` (a new lane, or a message to one) or `SubscribeToTask` (a working one).
pub fn open(ctx: &Ctx, call: &Call) -> Result<Follow, RpcError> {
    let lane = match call.method.as_str() {
        "SendStreamingMessage" => send(ctx, &call.params)?,
        _ => {
            let lane = load(ctx, call.params.get("id").and_then(Value::as_str))?;
            if !lane.state.is_active() {
                let why = format!("task {} is in a terminal state ({})", lane.run_id, lane.state.as_str());
                return Err(rpc(code::UNSUPPORTED_OPERATION, "UNSUPPORTED_OPERATION", why));
            }
            lane
        }
    };
    // Live from here: the task sent first says where the lane stands.
    let latest = lanes::events_latest(&ctx.db, &lane.run_id, &[], 1).map_err(|e| RpcError::from_api(&e))?;
    let since = latest.last().map_or(0, |e| e.id);
    Ok(Follow { lane, since })
}

/// The frames for events after `since`: `StreamResponse` results, and whether the stream is over.
pub fn next_frames(ctx: &Ctx, follow: &mut Follow, output_started: &mut bool) -> Result<(Vec<Value>, bool), ApiError> {
    // The lane first, then its events: a lane read as finished has all its events stored already.
    let lane = lanes::load_lane(&ctx.db, &follow.lane.workspace_id, &follow.lane.run_id)?;
    let events = lanes::events_after(&ctx.db, &follow.lane.run_id, follow.since, &[], 100)?;
    let mut frames = Vec::new();
    for event in &events {
        frames.extend(a2a_updates(&lane, event, output_started));
        follow.since = event.id;
    }
    let ends = events.is_empty() && a2a_stream_ends(lane.state);
    follow.lane = lane;
    Ok((frames, ends))
}
