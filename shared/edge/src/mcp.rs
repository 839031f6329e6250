//! The control plane as an MCP server (Streamable HTTP, JSON-RPC 2.0): one
//! JSON response per POSTed request, sessions bound to the member that opened
//! them, tools that are endpoints (`switchyard_api::mcp::TOOLS`, run through
//! [`operations::invoke`]), and `agent-run` as an MCP task whose id is the
//! lane's run id (`tasks/get`, `tasks/result`, `tasks/list`, `tasks/cancel`).

use serde_json::{Value, json};
use switchyard_api::mcp::{self, PROTOCOL_VERSIONS};
use switchyard_api::{Auth, Lane, LaneId, LaneState};
use switchyard_domain::projection::mcp_task_status;
use switchyard_domain::sha256_hex;

use crate::lanes::{self, LaneRow};
use crate::{ApiError, Ctx, Reply, operations};

/// The embedded `tools/list` document, rendered by the catalog.
const TOOLS_DOCUMENT: &str = include_str!("../../../docs/mcp-tools.json");

/// How long `tasks/result` waits for a lane to finish before answering that it is still working.
const RESULT_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// An idle session ends after a day.
const SESSION_IDLE_SECS: i64 = 24 * 3600;

/// JSON-RPC error codes (JSON-RPC 2.0 and MCP).
mod code {
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL: i64 = -32603;
}

/// The request headers the transport reads.
#[derive(Debug, Default)]
pub struct Transport {
    pub session_id: Option<String>,
    pub protocol_version: Option<String>,
    pub accept: Option<String>,
}

fn rpc_error(id: &Value, code: i64, message: impl Into<String>, data: Option<Value>) -> Value {
    let mut error = json!({"code": code, "message": message.into()});
    if let Some(data) = data {
        error["data"] = data;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// What `GET` answers: the server's description (a client asking for an
/// event stream gets 405, as the transport allows: this server sends no
/// messages of its own).
pub fn describe(transport: &Transport) -> Result<Reply, ApiError> {
    if transport.accept.as_deref().is_some_and(|a| a.contains("text/event-stream")) {
        let why = "this MCP server opens no server-to-client stream; POST JSON-RPC messages";
        return Err(ApiError::new(switchyard_api::ErrorCode::MethodNotAllowed, why).with_header("allow", "POST"));
    }
    let names: Vec<&str> = mcp::TOOLS.iter().map(|t| t.endpoint.name).collect();
    Ok(Reply::json(
        200,
        &json!({
            "name": "switchyard",
            "transport": "streamable-http",
            "protocol_versions": PROTOCOL_VERSIONS,
            "tools": names,
            "usage": "POST JSON-RPC 2.0 messages here with `Authorization: Bearer <token>`; start with `initialize`.",
        }),
    ))
}

/// Answers one POSTed message. The pipeline has already refused a body that
/// is not one JSON object (422, field `body`): malformed JSON, and batches,
/// which MCP removed in 2025-06-18.
pub fn serve(ctx: &Ctx, transport: &Transport, message: &Value) -> Result<Reply, ApiError> {
    let Value::Object(fields) = message else {
        return Ok(Reply::json(
            400,
            &rpc_error(&Value::Null, code::INVALID_REQUEST, "a JSON-RPC message is an object", None),
        ));
    };
    let id = fields.get("id").cloned();
    let method = fields.get("method").and_then(Value::as_str);
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let id = id.unwrap_or(Value::Null);
        return Ok(Reply::json(400, &rpc_error(&id, code::INVALID_REQUEST, "`jsonrpc` must be \"2.0\"", None)));
    }
    let (Some(id), Some(method)) = (id, method) else {
        // A notification or a response to us: accepted, nothing to answer.
        return Ok(Reply::bytes(202, "application/json", Vec::new()));
    };
    if !matches!(id, Value::String(_) | Value::Number(_)) {
        return Ok(Reply::json(
            400,
            &rpc_error(&Value::Null, code::INVALID_REQUEST, "`id` must be a string or a number", None),
        ));
    }
    let params = fields.get("params").cloned().unwrap_or_else(|| json!({}));
    if method == "initialize" {
        return initialize(ctx, &id, &params);
    }
    if let Some(version) = &transport.protocol_version
        && !PROTOCOL_VERSIONS.contains(&version.as_str())
    {
        let why =
            format!("MCP-Protocol-Version {version} is not supported; use one of {}", PROTOCOL_VERSIONS.join(", "));
        return Ok(Reply::json(400, &rpc_error(&id, code::INVALID_REQUEST, why, None)));
    }
    let Some(session) = transport.session_id.as_deref() else {
        let why = "send the Mcp-Session-Id header that `initialize` answered";
        return Ok(Reply::json(400, &rpc_error(&id, code::INVALID_REQUEST, why, None)));
    };
    if !session_is_live(ctx, session)? {
        // 404 tells the client to start a new session with `initialize`.
        let why = "unknown or expired session: initialize again";
        return Ok(Reply::json(404, &rpc_error(&id, code::INVALID_REQUEST, why, None)));
    }
    let result = match method {
        "ping" => Ok(json!({})),
        "tools/list" => tools_list(ctx),
        "tools/call" => tools_call(ctx, &params),
        "tasks/get" => task_of(ctx, &params).map(|lane| task(&lane)),
        "tasks/result" => task_result(ctx, &params),
        "tasks/list" => tasks_list(ctx, &params),
        "tasks/cancel" => task_cancel(ctx, &params),
        other => Err((code::METHOD_NOT_FOUND, format!("method `{other}` is not offered by this server"))),
    };
    Ok(match result {
        Ok(result) => Reply::json(200, &json!({"jsonrpc": "2.0", "id": id, "result": result})),
        Err((code, message)) => Reply::json(200, &rpc_error(&id, code, message, None)),
    })
}

type RpcResult = Result<Value, (i64, String)>;

fn internal(e: ApiError) -> (i64, String) {
    (code::INTERNAL, format!("{}: {}", e.code.as_str(), e.message))
}

fn initialize(ctx: &Ctx, id: &Value, params: &Value) -> Result<Reply, ApiError> {
    let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
    let version = if PROTOCOL_VERSIONS.contains(&asked) { asked } else { PROTOCOL_VERSIONS[0] };
    let client =
        params.pointer("/clientInfo/name").and_then(Value::as_str).map(|n| n.chars().take(100).collect::<String>());
    let session = hex::encode(crate::clock::random_bytes::<24>());
    let principal = ctx.principal()?;
    let now = crate::clock::now_rfc3339();
    ctx.db.exec(
        "INSERT INTO mcp_sessions (id_hash, workspace_id, actor, protocol_version, client_name, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        &[&sha256_hex(session.as_bytes()), &principal.workspace.id.as_str(), &principal.actor, &version, &client, &now],
    )?;
    let result = json!({
        "protocolVersion": version,
        "capabilities": {
            "tools": {"listChanged": false},
            "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
        },
        "serverInfo": {"name": "switchyard", "title": "Switchyard", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "Switchyard dispatches coding agents in lanes. `agent-run` dispatches one (as a task when you ask: \
            its task id is the lane's run id); `lane-get` and `lane-events` follow it; `agent-pause`, `agent-resume`, \
            `agent-interrupt` and `agent-cancel` steer it; `inbox-list` / `inbox-resolve` answer its questions.",
    });
    Ok(Reply::json(200, &json!({"jsonrpc": "2.0", "id": id, "result": result})).header("mcp-session-id", session))
}

/// Whether `session` was opened by this caller and has not been idle too long; touches it.
fn session_is_live(ctx: &Ctx, session: &str) -> Result<bool, ApiError> {
    let principal = ctx.principal()?;
    let hash = sha256_hex(session.as_bytes());
    let Some(row) = ctx.db.query_one(
        "SELECT last_seen_at FROM mcp_sessions WHERE id_hash = $1 AND workspace_id = $2 AND actor = $3",
        &[&hash, &principal.workspace.id.as_str(), &principal.actor],
    )?
    else {
        return Ok(false);
    };
    let idle_since = crate::clock::rfc3339_before(SESSION_IDLE_SECS.unsigned_abs());
    if row.text("last_seen_at")? < idle_since {
        ctx.db.exec("DELETE FROM mcp_sessions WHERE id_hash = $1", &[&hash])?;
        return Ok(false);
    }
    ctx.db
        .exec("UPDATE mcp_sessions SET last_seen_at = $1 WHERE id_hash = $2", &[&crate::clock::now_rfc3339(), &hash])?;
    Ok(true)
}

/// Deletes sessions idle for more than a day (`maintenance-tick`).
pub fn prune(tx: &crate::Db) -> Result<u64, ApiError> {
    let rows = tx.query(
        "DELETE FROM mcp_sessions WHERE last_seen_at < $1 RETURNING id_hash",
        &[&crate::clock::rfc3339_before(SESSION_IDLE_SECS.unsigned_abs())],
    )?;
    Ok(rows.len() as u64)
}

/// The tools this caller's scopes allow.
fn tools_list(ctx: &Ctx) -> RpcResult {
    let scopes = &ctx.principal().map_err(internal)?.scopes;
    let document: Value = serde_json::from_str(TOOLS_DOCUMENT).map_err(|e| (code::INTERNAL, e.to_string()))?;
    let tools: Vec<Value> = document["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| {
            let tool = t["name"].as_str().and_then(mcp::find);
            tool.is_some_and(|tool| matches!(tool.endpoint.auth, Auth::Bearer(scope) if scope.granted_by(scopes)))
        })
        .cloned()
        .collect();
    Ok(json!({ "tools": tools }))
}

fn tools_call(ctx: &Ctx, params: &Value) -> RpcResult {
    let name = params.get("name").and_then(Value::as_str).unwrap_or_default();
    let Some(tool) = mcp::find(name) else {
        return Err((code::INVALID_PARAMS, format!("unknown tool `{name}`; tools/list names them")));
    };
    let arguments = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
    let args = serde_json::to_vec(&arguments).map_err(|e| (code::INTERNAL, e.to_string()))?;
    let as_task = params.get("task").is_some_and(Value::is_object);
    if as_task && !tool.task {
        return Err((code::INVALID_PARAMS, format!("tool `{name}` does not run as a task")));
    }
    let outcome = operations::invoke(ctx, name, &args)
        .unwrap_or_else(|| Err(ApiError::internal(format!("MCP tool `{name}` has no operation"))));
    match outcome {
        // A task that could not be created is the request's error (the client expects a task).
        Err(e) if as_task => Err((code::INVALID_PARAMS, format!("{}: {}", e.code.as_str(), e.message))),
        Ok(output) if as_task => {
            let run_id = output["run_id"].as_str().unwrap_or_default();
            let lane = load(ctx, run_id)?;
            Ok(json!({ "task": task(&lane) }))
        }
        Ok(output) => Ok(tool_result(output, false)),
        // A refused call is the tool's answer (the model can correct its input), not a protocol error.
        Err(e) => Ok(tool_error(ctx, &e)),
    }
}

fn tool_result(output: Value, is_error: bool) -> Value {
    let text = output.to_string();
    json!({"content": [{"type": "text", "text": text}], "structuredContent": output, "isError": is_error})
}

/// The error envelope a direct call would have answered, as a tool result.
fn tool_error(ctx: &Ctx, e: &ApiError) -> Value {
    if let Some(cause) = &e.cause {
        eprintln!("{} mcp-server: {cause}", ctx.request_id);
    }
    let body = e.body(ctx.request_id.as_str());
    let mut text = format!("{}: {}", e.code.as_str(), e.message);
    if let Some(field) = &e.field {
        text.push_str(&format!(" (field `{field}`)"));
    }
    json!({
        "content": [{"type": "text", "text": text}],
        "structuredContent": serde_json::to_value(body).expect("an error body always serialises"),
        "isError": true,
    })
}

fn load(ctx: &Ctx, run_id: &str) -> Result<LaneRow, (i64, String)> {
    let workspace = ctx.workspace_id().map_err(internal)?;
    let id =
        LaneId::parse(run_id).ok_or_else(|| (code::INVALID_PARAMS, format!("taskId `{run_id}` is not a run id")))?;
    lanes::load_lane(&ctx.db, workspace, &id).map_err(|e| (code::INVALID_PARAMS, format!("taskId: {}", e.message)))
}

fn task_of(ctx: &Ctx, params: &Value) -> Result<LaneRow, (i64, String)> {
    let Some(id) = params.get("taskId").and_then(Value::as_str) else {
        return Err((code::INVALID_PARAMS, "`taskId` is required".to_owned()));
    };
    load(ctx, id)
}

/// A lane as an MCP task.
fn task(lane: &Lane) -> Value {
    let (status, message) = mcp_task_status(lane);
    json!({
        "taskId": lane.run_id.as_str(),
        "status": status,
        "statusMessage": message,
        "createdAt": lane.created_at,
        "lastUpdatedAt": lane.updated_at,
        "ttl": null,
        "pollInterval": 1000,
    })
}

/// The finished lane as the `tools/call` result `agent-run` would have given, waiting a while for it to finish.
fn task_result(ctx: &Ctx, params: &Value) -> RpcResult {
    let started = std::time::Instant::now();
    loop {
        let lane = task_of(ctx, params)?;
        if !lane.state.is_active() {
            let failed = matches!(lane.state, LaneState::Failed | LaneState::Cancelled);
            let mut result =
                tool_result(serde_json::to_value(lane.to_api()).expect("a lane always serialises"), failed);
            result["_meta"] = json!({"io.modelcontextprotocol/related-task": {"taskId": lane.run_id.as_str()}});
            return Ok(result);
        }
        if started.elapsed() >= RESULT_WAIT {
            return Err((
                code::INTERNAL,
                format!("lane {} is still {}; poll tasks/get", lane.run_id, lane.state.as_str()),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

fn tasks_list(ctx: &Ctx, params: &Value) -> RpcResult {
    let mut args = json!({"limit": 50});
    if let Some(cursor) = params.get("cursor").and_then(Value::as_str) {
        args["cursor"] = json!(cursor);
    }
    let args = serde_json::to_vec(&args).map_err(|e| (code::INTERNAL, e.to_string()))?;
    let page = operations::invoke(ctx, "lane-list", &args).unwrap_or_else(|| Err(ApiError::internal("lane-list")));
    let page = page.map_err(|e| (code::INVALID_PARAMS, format!("{}: {}", e.code.as_str(), e.message)))?;
    let lanes: Vec<Lane> = serde_json::from_value(page["data"].clone())
        .map_err(|e| (code::INTERNAL, format!("lane-list answered: {e}")))?;
    let tasks: Vec<Value> = lanes.iter().map(task).collect();
    let mut result = json!({ "tasks": tasks });
    if let Some(next) = page["next_cursor"].as_str() {
        result["nextCursor"] = json!(next);
    }
    Ok(result)
}

fn task_cancel(ctx: &Ctx, params: &Value) -> RpcResult {
    let lane = task_of(ctx, params)?;
    if !lane.state.is_active() {
        return Err((code::INVALID_PARAMS, format!("task {} is already {}", lane.run_id, lane.state.as_str())));
    }
    let args = serde_json::to_vec(&json!({"run_id": lane.run_id.as_str(), "reason": "cancelled by an MCP client"}))
        .map_err(|e| (code::INTERNAL, e.to_string()))?;
    match operations::invoke(ctx, "agent-cancel", &args) {
        Some(Ok(_)) => {
            let cancelled = task_of(ctx, params)?;
            Ok(task(&cancelled))
        }
        Some(Err(e)) => Err((code::INVALID_PARAMS, format!("{}: {}", e.code.as_str(), e.message))),
        None => Err((code::INTERNAL, "agent-cancel".to_owned())),
    }
}
