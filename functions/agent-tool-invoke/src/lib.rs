//! Invoke a registered MCP tool for a running lane; the call is validated against the tool's schema and kept in the lane's tool log.
//!
//! The MCP server is called over the Streamable HTTP transport: `initialize`,
//! `notifications/initialized`, `tools/call` (each a JSON-RPC POST whose
//! answer may be plain JSON or an event stream), then `DELETE` to end the
//! session. The calls happen before the write transaction opens, within a
//! deadline below the request's and a cap on each reply's size.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_api::{
    ApprovalId, ApprovalState, ErrorCode, InvokeTool, PolicyEffect, PolicySubject, ToolCall, ToolCallId, ToolName,
};
use switchyard_domain::lane::{Event, LaneState};
use switchyard_domain::policy::Action;
use switchyard_domain::{sha256_hex, sse};
use switchyard_edge::governance::{self, Decision};
use switchyard_edge::lanes::{self, LaneRow, load_lane};
use switchyard_edge::outbound::{self, Failure};
use switchyard_edge::prelude::*;
use switchyard_edge::tools;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::AGENT_TOOL_INVOKE;

const PROTOCOL_VERSION: &str = "2025-06-18";
/// The whole exchange with the MCP server, well inside the host's 30 s request deadline.
const TOOL_DEADLINE: Duration = Duration::from_secs(20);
/// Largest reply read from the MCP server.
const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;
/// Largest output kept whole in the tool log; a larger one is kept as a preview.
const MAX_LOGGED_OUTPUT: usize = 64 * 1024;
const PREVIEW_BYTES: usize = 4 * 1024;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, prepare, commit)
}

/// What the outbound call produced, carried into the transaction.
struct Called {
    lane: LaneRow,
    tool: String,
    input_digest: String,
    status: &'static str,
    output: Value,
    duration_ms: u64,
    /// The policy's verdict, for its warnings.
    decision: Decision,
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
    let decision = governance::decide(
        &ctx.db,
        ctx.workspace_id()?,
        &Action::ToolCall { tool: &input.tool, arguments: &input.input },
    )?;
    match decision.outcome() {
        PolicyEffect::Deny => {
            return Err(governance::refuse(
                ctx,
                ctx.workspace_id()?,
                "agent-tool-invoke:policy_denied",
                &decision,
                "Tool call",
            ));
        }
        PolicyEffect::RequireApproval => match &input.approval_id {
            None => return Err(hold_for_approval(ctx, &input, &decision)),
            Some(id) => use_approval(ctx, &input, id)?,
        },
        PolicyEffect::Allow | PolicyEffect::Warn => {}
    }
    let started = Instant::now();
    let outcome = call_tool(&tool.mcp_url, &input.tool, &input.input, started + TOOL_DEADLINE);
    let (status, output) = match outcome {
        Ok(result) => {
            (if result.get("isError").and_then(Value::as_bool) == Some(true) { "error" } else { "ok" }, result)
        }
        Err(Failure::Denied) => {
            return Err(ApiError::new(
                ErrorCode::PolicyDenied,
                format!("the deployment's outbound allow-list (mcp_outbound_hosts) does not permit {}", tool.mcp_url),
            )
            .with_details(json!({"mcp_url": tool.mcp_url})));
        }
        Err(Failure::Timeout) => {
            ("timeout", json!({"error": format!("the MCP server did not answer within {} s", TOOL_DEADLINE.as_secs())}))
        }
        Err(problem) => ("error", json!({"error": problem.to_string()})),
    };
    let called = Called {
        lane,
        tool: input.tool,
        input_digest: sha256_hex(input.input.to_string().as_bytes()),
        status,
        output: bounded(output),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        decision,
    };
    if status == "timeout" {
        // Logged (the tool may have run), then answered as the deadline it is.
        let call = ctx.db.transaction(|tx| {
            let call = log_call(tx, called)?;
            ctx.audit_in(tx, ctx.workspace_id()?, ENDPOINT.name, Some(call.call_id.as_str()))?;
            Ok::<_, ApiError>(call)
        })?;
        return Err(ApiError::new(
            ErrorCode::DeadlineExceeded,
            format!(
                "tool `{}` did not answer within {} s; the call is in the tool log",
                call.tool,
                TOOL_DEADLINE.as_secs()
            ),
        )
        .with_details(json!({"call_id": call.call_id})));
    }
    Ok(called)
}

/// An output the tool log keeps: whole up to 64 KiB, else a preview.
fn bounded(output: Value) -> Value {
    let text = output.to_string();
    if text.len() <= MAX_LOGGED_OUTPUT {
        return output;
    }
    let mut cut = PREVIEW_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    json!({"truncated": true, "bytes": text.len(), "preview": &text[..cut]})
}

/// Makes a request for approval of exactly this call, moves the lane to
/// `awaiting_approval`, and answers 403 `APPROVAL_REQUIRED` naming it.
fn hold_for_approval(ctx: &Ctx, input: &InvokeTool, decision: &Decision) -> ApiError {
    let held = ctx.db.transaction(|tx| {
        let workspace = ctx.workspace_id()?;
        let mut lane = load_lane(tx, workspace, &input.run_id)?;
        if lane.state != LaneState::Running {
            return Err(not_running(&lane));
        }
        let tool = ToolName::try_from(input.tool.as_str()).map_err(|e| ApiError::validation("tool", e))?;
        let subject = PolicySubject::ToolCall { tool, arguments: input.input.clone() };
        let approval = governance::request(tx, &lane, &subject, decision, &ctx.caller.actor())?;
        lanes::apply(tx, &mut lane, Event::AwaitApproval, Some(&approval.reason))?;
        ctx.audit_in(tx, workspace, "agent-tool-invoke:approval_requested", Some(approval.approval_id.as_str()))?;
        Ok::<_, ApiError>(approval)
    });
    match held {
        Ok(approval) => ApiError::new(
            ErrorCode::ApprovalRequired,
            format!(
                "Tool call held for approval ({}); call again with approval_id {} once a member approves it.",
                approval.reason, approval.approval_id
            ),
        )
        .with_details(json!({
            "approval_id": approval.approval_id,
            "rule": approval.rule,
            "expires_at": approval.expires_at,
        })),
        Err(e) => e,
    }
}

/// Spends an approval of exactly this call (before the call, so two calls
/// cannot share it); a pending, refused, foreign or different one is refused.
fn use_approval(ctx: &Ctx, input: &InvokeTool, id: &ApprovalId) -> Result<(), ApiError> {
    ctx.db.transaction(|tx| {
        let approval = governance::load(tx, ctx.workspace_id()?, id)?;
        let same_call = matches!(&approval.action, PolicySubject::ToolCall { tool, arguments }
            if tool.as_str() == input.tool && *arguments == input.input);
        if approval.run_id != input.run_id || !same_call {
            return Err(ApiError::validation("approval_id", "approves another call; the tool and input must match"));
        }
        if approval.state != ApprovalState::Approved {
            return Err(ApiError::new(
                ErrorCode::ApprovalRequired,
                format!("approval {id} is {}, not approved", approval.state.as_str()),
            )
            .with_details(json!({"approval_id": id, "state": approval.state.as_str()})));
        }
        governance::consume(tx, &approval)
    })
}

fn commit(_ctx: &Ctx, tx: &Db, called: Called) -> Result<Change<ToolCall>, ApiError> {
    governance::note_warnings(tx, &called.lane, &called.decision, switchyard_api::ApprovalSubject::ToolCall)?;
    let call = log_call(tx, called)?;
    Ok(Change::ok(call.call_id.clone(), call))
}

fn log_call(tx: &Db, called: Called) -> Result<ToolCall, ApiError> {
    let call = ToolCall {
        call_id: new_id!(ToolCallId),
        tool: called.tool,
        status: called.status.to_owned(),
        input_digest: called.input_digest,
        output: called.output,
        duration_ms: called.duration_ms,
        at: now_rfc3339(),
    };
    lanes::record_tool_call(tx, &called.lane, &call)?;
    Ok(call)
}

/// One JSON-RPC exchange; returns the response message (for a request) and the session id.
fn rpc(
    url: &str,
    session: Option<&str>,
    message: &Value,
    deadline: Instant,
) -> Result<(Option<Value>, Option<String>), Failure> {
    let body = message.to_string();
    let mut headers = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", PROTOCOL_VERSION),
    ];
    if let Some(session) = session {
        headers.push(("mcp-session-id", session));
    }
    let call = outbound::Call {
        method: "POST",
        url,
        headers: &headers,
        body: body.as_bytes(),
        deadline,
        max_reply: MAX_REPLY_BYTES,
    };
    let reply = outbound::send(&call)?;
    let session = reply.header("mcp-session-id").map(str::to_owned);
    if reply.status == 202 || message.get("id").is_none() {
        return Ok((None, session));
    }
    if !(200..300).contains(&reply.status) {
        return Err(Failure::Other(format!("the MCP server answered HTTP {}", reply.status)));
    }
    let sse = reply
        .header("content-type")
        .is_some_and(|c| c.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
    let text = String::from_utf8_lossy(&reply.body);
    let id = &message["id"];
    // An event stream may carry notifications (progress, logs) before the response.
    let parsed = if sse {
        sse::parse(&text)
            .into_iter()
            .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
            .find(|m| &m["id"] == id)
    } else {
        serde_json::from_str::<Value>(&text).ok()
    };
    let answer =
        parsed.ok_or_else(|| Failure::Other("the MCP server's answer is not a JSON-RPC response".to_owned()))?;
    Ok((Some(answer), session))
}

/// Ends the session (best effort: a server may not support it, or be gone).
fn end_session(url: &str, session: &str) {
    let headers = [("mcp-session-id", session), ("mcp-protocol-version", PROTOCOL_VERSION)];
    let deadline = Instant::now() + Duration::from_secs(2);
    let call = outbound::Call { method: "DELETE", url, headers: &headers, body: &[], deadline, max_reply: 64 * 1024 };
    if let Err(e) = outbound::send(&call) {
        eprintln!("ending MCP session at {url}: {e}");
    }
}

/// `initialize` → `notifications/initialized` → `tools/call` → `DELETE`; the `result` of the call.
fn call_tool(url: &str, tool: &str, arguments: &Value, deadline: Instant) -> Result<Value, Failure> {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "switchyard", "version": env!("CARGO_PKG_VERSION")}
    }});
    let (answer, session) = rpc(url, None, &init, deadline)?;
    if let Some(error) = answer.as_ref().and_then(|a| a.get("error")) {
        return Err(Failure::Other(format!("initialize failed: {error}")));
    }
    let called = rpc(url, session.as_deref(), &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), deadline)
        .and_then(|_| {
            let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
            rpc(url, session.as_deref(), &call, deadline)
        });
    if let Some(session) = &session {
        end_session(url, session);
    }
    let answer = called?.0.ok_or_else(|| Failure::Other("tools/call got no answer".to_owned()))?;
    if let Some(error) = answer.get("error") {
        return Ok(json!({"isError": true, "error": error}));
    }
    answer.get("result").cloned().ok_or_else(|| Failure::Other("tools/call answer has no result".to_owned()))
}
