//! Invoke a registered MCP tool for a running lane; the call is validated against the tool's schema and kept in the lane's tool log.
//!
//! The MCP server is called over the Streamable HTTP transport: `initialize`,
//! `notifications/initialized`, then `tools/call`, each a JSON-RPC POST whose
//! answer may be plain JSON or an SSE stream. The outbound calls happen
//! before the write transaction opens.

use std::time::Instant;

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request as OutRequest, Response as InResponse};
use switchyard_api::{InvokeTool, ToolCall, ToolCallId};
use switchyard_domain::lane::LaneState;
use switchyard_domain::sha256_hex;
use switchyard_edge::lanes::{self, LaneRow, load_lane};
use switchyard_edge::prelude::*;
use switchyard_edge::tools;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::AGENT_TOOL_INVOKE;

const PROTOCOL_VERSION: &str = "2025-06-18";

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, prepare, commit)
}

/// What the outbound call produced, carried into the transaction.
struct Called {
    lane: LaneRow,
    tool: String,
    input_digest: String,
    ok: bool,
    output: Value,
    duration_ms: u64,
}

fn not_running(lane: &LaneRow) -> ApiError {
    ApiError::conflict(format!("lane {} is {}; tools run only for running lanes", lane.run_id, lane.state.as_str()))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str()}))
}

/// `/a/0/b` → `.a[0].b` (how the API names fields).
fn pointer_to_field(pointer: &str) -> String {
    pointer
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| if p.bytes().all(|b| b.is_ascii_digit()) { format!("[{p}]") } else { format!(".{p}") })
        .collect()
}

fn prepare(ctx: &Ctx, input: InvokeTool) -> Result<Called, ApiError> {
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    if lane.state != LaneState::Running {
        return Err(not_running(&lane));
    }
    let tool = tools::find(&ctx.db, ctx.workspace_id()?, &input.tool)?;
    let validator =
        jsonschema::validator_for(&tool.input_schema).map_err(|e| ApiError::internal(format!("stored schema: {e}")))?;
    if let Some(error) = validator.iter_errors(&input.input).next() {
        return Err(ApiError::validation(
            format!("input{}", pointer_to_field(error.instance_path().as_str())),
            error.to_string(),
        ));
    }
    let started = Instant::now();
    let (ok, output) = match call_tool(&tool.mcp_url, &input.tool, &input.input) {
        Ok(result) => (!result.get("isError").and_then(Value::as_bool).unwrap_or(false), result),
        Err(problem) => (false, json!({"error": problem})),
    };
    Ok(Called {
        lane,
        tool: input.tool,
        input_digest: sha256_hex(input.input.to_string().as_bytes()),
        ok,
        output,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

fn commit(_ctx: &Ctx, tx: &Db, called: Called) -> Result<Change<ToolCall>, ApiError> {
    let call = ToolCall {
        call_id: new_id!(ToolCallId),
        tool: called.tool,
        status: if called.ok { "ok" } else { "error" }.to_owned(),
        input_digest: called.input_digest,
        output: called.output,
        duration_ms: called.duration_ms,
        at: now_rfc3339(),
    };
    lanes::record_tool_call(tx, &called.lane, &call)?;
    Ok(Change::ok(call.call_id.clone(), call))
}

/// One JSON-RPC exchange; returns the response message and the session id.
fn rpc(url: &str, session: Option<&str>, message: &Value) -> Result<(Option<Value>, Option<String>), String> {
    let mut builder = OutRequest::builder();
    builder
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL_VERSION);
    if let Some(session) = session {
        builder.header("mcp-session-id", session);
    }
    let request = builder.body(message.to_string()).build();
    let response: InResponse = spin_sdk::http::run(spin_sdk::http::send(request))
        .map_err(|e| format!("cannot reach the MCP server at {url}: {e}"))?;
    let status = *response.status();
    let session = response.header("mcp-session-id").and_then(|v| v.as_str()).map(str::to_owned);
    if status == 202 || message.get("id").is_none() {
        return Ok((None, session));
    }
    if !(200..300).contains(&status) {
        return Err(format!("the MCP server answered HTTP {status}"));
    }
    let sse =
        response.header("content-type").and_then(|v| v.as_str()).is_some_and(|c| c.starts_with("text/event-stream"));
    let body = String::from_utf8_lossy(response.body()).into_owned();
    let id = &message["id"];
    let parsed = if sse {
        body.split("\n\n")
            .filter_map(|frame| {
                let data: Vec<&str> =
                    frame.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
                serde_json::from_str::<Value>(&data.join("\n")).ok()
            })
            .find(|m| &m["id"] == id)
    } else {
        serde_json::from_str::<Value>(&body).ok()
    };
    let reply = parsed.ok_or_else(|| "the MCP server's answer is not a JSON-RPC response".to_owned())?;
    Ok((Some(reply), session))
}

/// `initialize` → `notifications/initialized` → `tools/call`; the `result` of the last.
fn call_tool(url: &str, tool: &str, arguments: &Value) -> Result<Value, String> {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "switchyard", "version": env!("CARGO_PKG_VERSION")}
    }});
    let (answer, session) = rpc(url, None, &init)?;
    if let Some(error) = answer.as_ref().and_then(|a| a.get("error")) {
        return Err(format!("initialize failed: {error}"));
    }
    rpc(url, session.as_deref(), &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
    let call =
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
    let (answer, _) = rpc(url, session.as_deref(), &call)?;
    let answer = answer.ok_or_else(|| "tools/call got no answer".to_owned())?;
    if let Some(error) = answer.get("error") {
        return Ok(json!({"isError": true, "error": error}));
    }
    answer.get("result").cloned().ok_or_else(|| "tools/call answer has no result".to_owned())
}
