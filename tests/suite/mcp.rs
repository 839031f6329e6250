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
    let python = workspace_root().join("target/mcp-venv/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/test, which installs the MCP SDK", python.display());
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
