//! `agent-tool-invoke` against servers built with the official MCP Python SDK
//! (`tests/mcp/server.py`, installed by `scripts/test` into
//! `target/mcp-venv`), in both Streamable HTTP response modes.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_tests::{ChildGuard, Tenant, TestApp, lane_body, spawn_app, workspace_root};

/// A running SDK server; stopped when dropped.
struct SdkServer {
    _child: ChildGuard,
    url: String,
}

async fn sdk_server(json_mode: bool) -> SdkServer {
    let python = switchyard_tests::venv_python();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(python);
    cmd.arg(workspace_root().join("tests/mcp/server.py")).arg(port.to_string());
    if json_mode {
        cmd.arg("--json");
    }
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut child = ChildGuard::spawn(cmd).unwrap();
    // Python starts in about a second; a busy machine may take far longer.
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(child.try_wait().is_none(), "the MCP SDK server exited at start");
        assert!(started.elapsed() < Duration::from_secs(300), "the MCP SDK server never listened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    SdkServer { _child: child, url: format!("http://127.0.0.1:{port}/mcp") }
}

async fn register(app: &TestApp, tenant: &Tenant, name: &str, schema: Value, url: &str) {
    let r = app
        .call("tool-register")
        .token(&tenant.token)
        .json(&json!({"name": name, "description": "SDK test tool.", "input_schema": schema, "mcp_url": url}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

fn object(property: &str, kind: &str) -> Value {
    json!({"type": "object", "properties": {property: {"type": kind}}, "required": [property]})
}

async fn running_lane(app: &TestApp, tenant: &Tenant) -> String {
    let run_id = app.run_lane(tenant, lane_body("shop", &["src/**"])).await;
    let h = app.register_harness(tenant, "script", &[], 60).await;
    assert_eq!(app.call("harness-dispatch").token(&h.credential).json(&json!({})).send().await.status, 200);
    run_id
}

async fn invoke(
    app: &TestApp,
    tenant: &Tenant,
    run_id: &str,
    tool: &str,
    input: Value,
) -> switchyard_tests::ApiResponse {
    app.call("agent-tool-invoke")
        .token(&tenant.token)
        .json(&json!({"run_id": run_id, "tool": tool, "input": input}))
        .send()
        .await
}

#[tokio::test]
async fn tools_run_on_official_sdk_servers_in_both_response_modes() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let run_id = running_lane(&app, &acme).await;
    for (mode, json_mode) in [("sse", false), ("json", true)] {
        let server = sdk_server(json_mode).await;
        register(&app, &acme, "echo", object("message", "string"), &server.url).await;
        register(&app, &acme, "progress", object("steps", "integer"), &server.url).await;
        register(&app, &acme, "big", object("mib", "integer"), &server.url).await;

        // Six calls to a server that allows three open sessions: each call ends its session.
        for i in 0..6 {
            let r = invoke(&app, &acme, &run_id, "echo", json!({"message": format!("hi {i}")})).await;
            assert_eq!(r.status, 200, "{mode} call {i}: {}", r.text());
            assert_eq!(r.json()["status"], "ok", "{mode} call {i}: {}", r.text());
            assert_eq!(r.json()["output"]["content"][0]["text"], format!("echo: hi {i}"));
        }
        // Progress notifications and log lines arrive (CRLF-framed) before the answer.
        let r = invoke(&app, &acme, &run_id, "progress", json!({"steps": 3})).await;
        assert_eq!(r.json()["status"], "ok", "{mode}: {}", r.text());
        assert_eq!(r.json()["output"]["content"][0]["text"], "3 steps done");
        // A 5 MiB reply passes the 4 MiB cap: a clear error, logged, the guest unharmed.
        let r = invoke(&app, &acme, &run_id, "big", json!({"mib": 5})).await;
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        assert_eq!(r.json()["status"], "error");
        assert!(r.json()["output"]["error"].as_str().unwrap().contains("passed"), "{}", r.text());
        // The next mode's server registers the same tool names.
        app.db().execute("DELETE FROM tools WHERE name IN ('echo', 'progress', 'big')", []).unwrap();
    }
    // An 80 MiB reply: refused as it streams in; the host and the next call are fine.
    let server = sdk_server(false).await;
    register(&app, &acme, "big", object("mib", "integer"), &server.url).await;
    register(&app, &acme, "echo", object("message", "string"), &server.url).await;
    let r = invoke(&app, &acme, &run_id, "big", json!({"mib": 80})).await;
    assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("error")), "{}", r.text());
    assert_eq!(invoke(&app, &acme, &run_id, "echo", json!({"message": "still here"})).await.status, 200);

    // Every call is in the tool log, each entry bounded.
    let lane = app.lane(&acme, &run_id).await;
    let calls = lane["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2 * 8 + 2);
    assert!(calls.iter().all(|c| c["output"].to_string().len() <= 64 * 1024));
}

#[tokio::test]
async fn a_slow_tool_ends_in_the_envelope_and_a_timeout_entry() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let run_id = running_lane(&app, &acme).await;
    let server = sdk_server(false).await;
    register(&app, &acme, "slow", object("seconds", "number"), &server.url).await;
    let started = Instant::now();
    let r = invoke(&app, &acme, &run_id, "slow", json!({"seconds": 40})).await;
    assert_eq!((r.status, r.code().as_str()), (504, "DEADLINE_EXCEEDED"), "{}\n{}", r.text(), app.output());
    assert!(started.elapsed() < Duration::from_secs(30), "answered before the host's request deadline");
    let call_id = r.json()["error"]["details"]["call_id"].as_str().unwrap().to_owned();
    let lane = app.lane(&acme, &run_id).await;
    let entry = lane["tool_calls"].as_array().unwrap().iter().find(|c| c["call_id"] == call_id.as_str()).cloned();
    assert_eq!(entry.expect("the timed-out call is logged")["status"], "timeout");
}

#[tokio::test]
async fn unreachable_and_forbidden_destinations_are_refused_with_their_reason() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    // The allow-list (`http://127.0.0.1:*` in tests) never reaches this: refused at registration.
    let r = app
        .call("tool-register")
        .token(&acme.token)
        .json(&json!({"name": "far", "description": "d", "input_schema": {"type": "object"}, "mcp_url": "https://tools.example.com/mcp"}))
        .send()
        .await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some("mcp_url")), "{}", r.text());
    assert!(r.text().contains("http://127.0.0.1:*"), "the message names the pattern: {}", r.text());

    // The deployment's own API is never a tool destination, whatever the allow-list says.
    let own = app.url("/functions/v1/health");
    register(&app, &acme, "own", json!({"type": "object"}), &own).await;
    let run_id = running_lane(&app, &acme).await;
    let r = invoke(&app, &acme, &run_id, "own", json!({})).await;
    assert_eq!((r.status, r.code().as_str()), (403, "POLICY_DENIED"), "{}", r.text());
    assert!(r.text().contains("allow-list"), "{}", r.text());
    assert!(app.lane(&acme, &run_id).await["tool_calls"].as_array().unwrap().is_empty(), "nothing ran");
}

/// Runs `tests/mcp/client.py` (the official SDK as a client) against `mcp-server`.
fn sdk_client(app: &TestApp, admin: &str, reader: &str) -> Value {
    let url = app.url("/functions/v1/mcp-server");
    switchyard_tests::run_client_script(app, "tests/mcp/client.py", &[&url, admin, reader])
}

#[tokio::test]
async fn an_official_mcp_client_lists_calls_and_follows_a_lane_to_completion() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = crate::harness::repos();
    let (harness_token, _) = app.issue(&acme, &["lanes:write", "lanes:read"]).await;
    let _harness = crate::harness::Harness::start(&app, &harness_token, dir.path(), "h1");
    let (reader, _) = app.issue(&acme, &["lanes:read"]).await;

    let seen = sdk_client(&app, &acme.token, &reader);
    assert_eq!(seen["protocol_version"], "2025-11-25");
    assert_eq!((seen["server_name"].as_str(), seen["tasks_capability"].as_bool()), (Some("switchyard"), Some(true)));
    assert_eq!(seen["session_id_given"], true);
    // The tools are the table's endpoints, under their own names, with their schemas.
    let expected: Vec<&str> = {
        let mut names: Vec<&str> = switchyard_api::mcp::TOOLS.iter().map(|t| t.endpoint.name).collect();
        names.sort_unstable();
        names
    };
    assert_eq!(seen["tools"], json!(expected));
    assert_eq!(seen["agent_run_task_support"], "optional");
    assert_eq!(seen["agent_run_required"], json!(["brief", "claim", "harness_kind", "repository"]));
    // The task is the lane: followed to completion, its result the finished lane.
    let task_id = seen["task_id"].as_str().unwrap();
    assert!(task_id.starts_with("lane_"), "{seen}");
    assert_eq!(seen["task_first_status"], "working");
    assert_eq!(seen["task_final_status"], "completed", "{seen}");
    assert_eq!(seen["task_final_message"], "agent: done quickly");
    assert_eq!(
        (seen["task_result_state"].as_str(), seen["task_result_is_error"].as_bool()),
        (Some("completed"), Some(false))
    );
    assert!(seen["tasks_listed"].as_array().unwrap().iter().any(|t| t == task_id), "{seen}");
    assert!(seen["event_types"].as_array().unwrap().iter().any(|t| t == "output"), "{seen}");
    assert!(seen["outputs"].as_array().unwrap().iter().any(|l| l == "agent: done quickly"), "{seen}");
    // A question shows as input_required and is answered through the inbox tools.
    assert_eq!(seen["ask_status"], "input_required");
    assert_eq!(seen["question"], "Which colour should the button be?");
    assert_eq!(seen["ask_summary"], "agent: the answer is blue", "{seen}");
    // Steering.
    assert_eq!((seen["paused"].as_str(), seen["resumed"].as_str()), (Some("paused"), Some("running")));
    assert_eq!(seen["interrupt_queued"], true);
    assert_eq!(seen["cancelled"], "cancelled");
    assert!(seen["cancel_twice"].as_str().unwrap().contains("already cancelled"), "{seen}");
    // Errors: the envelope a direct call gives, as the tool's answer; unknown tools are protocol errors.
    assert_eq!(seen["bad_is_error"], true);
    assert_eq!(seen["bad_error"]["field"], "claim[0]", "{seen}");
    assert_eq!(seen["bad_error"]["code"], "VALIDATION_FAILED", "{seen}");
    assert!(seen["unknown_tool"].as_str().unwrap().contains("unknown tool"), "{seen}");
    assert_eq!(seen["missing_error"], "NOT_FOUND");
    assert!(seen["head_tree_size"].as_u64().unwrap() > 5, "{seen}");
    // A read-only token sees the read tools only, and a write is refused with its scope.
    let readers = seen["reader_tools"].as_array().unwrap();
    assert!(readers.iter().any(|t| t == "lane-get") && !readers.iter().any(|t| t == "agent-run"), "{seen}");
    assert_eq!(
        (seen["reader_run_is_error"].as_bool(), seen["reader_run_error"].as_str()),
        (Some(true), Some("SCOPE_DENIED"))
    );

    // Every tool call is audited under its endpoint's name, by the token that made it.
    let db = app.db();
    let audited = |action: &str| -> i64 {
        db.query_row(
            "SELECT COUNT(*) FROM audit_log WHERE workspace_id = ?1 AND action = ?2 AND actor LIKE 'tok_%'",
            [acme.workspace_id.as_str(), action],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(audited("agent-run"), 3);
    assert_eq!((audited("agent-pause"), audited("agent-resume"), audited("agent-cancel")), (1, 1, 1));
    assert_eq!(audited("inbox-resolve"), 1);
}

#[tokio::test]
async fn the_mcp_transport_refuses_what_the_protocol_does_not_allow() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let globex = app.bootstrap("globex", "us-east-1", "enterprise").await;
    let rpc =
        |id: u64, method: &str, params: Value| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let call = |token: &str, body: Value| app.call("mcp-server").token(token).json(&body);
    let init = rpc(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    );

    // No token: 401 with the envelope, before any protocol.
    let r = app.call("mcp-server").json(&init).send().await;
    assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHORIZED"));
    // An older revision the server speaks is kept; an unknown one gets the newest.
    let r = call(&acme.token, init.clone()).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-06-18");
    let session = r.header("mcp-session-id").expect("initialize answers a session").to_owned();
    let mut odd = init.clone();
    odd["params"]["protocolVersion"] = json!("1999-01-01");
    assert_eq!(call(&acme.token, odd).send().await.json()["result"]["protocolVersion"], "2025-11-25");

    let list = rpc(2, "tools/list", json!({}));
    // Without the session header; with one nobody opened; with another workspace's member's.
    let r = call(&acme.token, list.clone()).send().await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("Mcp-Session-Id"));
    let r = call(&acme.token, list.clone()).header("mcp-session-id", "nope").send().await;
    assert_eq!(r.status, 404);
    let r = call(&globex.token, list.clone()).header("mcp-session-id", &session).send().await;
    assert_eq!(r.status, 404, "a session is bound to the member that opened it");
    // An unsupported protocol version header.
    let r = call(&acme.token, list.clone())
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2020-01-01")
        .send()
        .await;
    assert_eq!(r.status, 400);
    // The session works; unknown methods and batches are JSON-RPC errors; notifications get 202.
    let r = call(&acme.token, list).header("mcp-session-id", &session).send().await;
    assert_eq!(r.json()["result"]["tools"].as_array().unwrap().len(), switchyard_api::mcp::TOOLS.len());
    let r = call(&acme.token, rpc(3, "resources/list", json!({}))).header("mcp-session-id", &session).send().await;
    assert_eq!(r.json()["error"]["code"], -32601);
    // A batch (removed in 2025-06-18) is not one JSON object: the envelope names the body.
    let batch = json!([rpc(4, "ping", json!({}))]);
    let r = call(&acme.token, batch).header("mcp-session-id", &session).send().await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some("body")), "{}", r.text());
    let r = call(&acme.token, json!({"id": 5, "method": "ping"})).header("mcp-session-id", &session).send().await;
    assert_eq!((r.status, r.json()["error"]["code"].as_i64()), (400, Some(-32600)), "not JSON-RPC 2.0");
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(call(&acme.token, note).header("mcp-session-id", &session).send().await.status, 202);
    // A task id that is another workspace's lane is not found.
    let run_id = app.run_lane(&globex, lane_body("shop", &["src/**"])).await;
    let r = call(&acme.token, rpc(5, "tasks/get", json!({"taskId": run_id})))
        .header("mcp-session-id", &session)
        .send()
        .await;
    assert_eq!(r.json()["error"]["code"], -32602, "{}", r.text());
    // GET describes the server; asking it for an event stream is 405.
    let r = app.call("mcp-server").method(reqwest::Method::GET).token(&acme.token).send().await;
    assert_eq!((r.status, r.json()["transport"].as_str()), (200, Some("streamable-http")));
    let r = app
        .call("mcp-server")
        .method(reqwest::Method::GET)
        .token(&acme.token)
        .header("accept", "text/event-stream")
        .send()
        .await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
}
