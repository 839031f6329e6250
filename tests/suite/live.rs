//! What clients watch and drive live: Server-Sent Events and MCP tools.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use switchyard_tests::{Tenant, TestApp, TestHarness, lane_body, spawn_app};

/// A lane claimed by a fresh harness.
async fn running_lane(app: &TestApp, acme: &Tenant) -> (String, TestHarness) {
    let run_id = app.run_lane(acme, lane_body("shop", &["src/**"])).await;
    let h = app.register_harness(acme, "script", &[], 30).await;
    let r = app.call("harness-dispatch").token(&h.credential).json(&json!({})).send().await;
    assert_eq!(r.status, 200);
    (run_id, h)
}

async fn output(app: &TestApp, h: &TestHarness, run_id: &str, lines: std::ops::Range<u32>) {
    let events: Vec<Value> =
        lines.map(|i| json!({"type": "output", "stream": "stdout", "line": format!("line {i}")})).collect();
    for chunk in events.chunks(100) {
        let r = app
            .call("harness-event")
            .token(&h.credential)
            .json(&json!({"run_id": run_id, "events": chunk}))
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

/// One parsed SSE frame (a comment has only `comment`).
#[derive(Debug, Default, Clone)]
struct Frame {
    id: Option<u64>,
    event: Option<String>,
    data: Option<Value>,
    comment: Option<String>,
}

/// Opens the SSE stream and collects frames until `stop` says so or the stream ends.
async fn read_sse(
    app: &TestApp,
    token: &str,
    run_id: &str,
    last_event_id: Option<u64>,
    stop: impl Fn(&[Frame]) -> bool,
) -> (Vec<Frame>, reqwest::header::HeaderMap) {
    let mut req = app
        .client
        .get(app.url(&format!("/functions/v1/lane-events?run_id={run_id}")))
        .bearer_auth(token)
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let response = req.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut frames = Vec::new();
    while let Ok(Some(chunk)) = tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buffer.find("\n\n") {
            let raw: String = buffer.drain(..end + 2).collect();
            let mut frame = Frame::default();
            for line in raw.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    frame.id = v.parse().ok();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    frame.event = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    frame.data = serde_json::from_str(v).ok();
                } else if let Some(v) = line.strip_prefix(':') {
                    frame.comment = Some(v.trim().to_owned());
                }
            }
            frames.push(frame);
        }
        if stop(&frames) {
            break;
        }
    }
    (frames, headers)
}

fn ids(frames: &[Frame]) -> Vec<u64> {
    frames.iter().filter_map(|f| f.id).collect()
}

#[tokio::test]
async fn sse_replays_after_last_event_id_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (run_id, h) = running_lane(&app, &acme).await;
    output(&app, &h, &run_id, 0..10).await;

    let (first, headers) = read_sse(&app, &acme.token, &run_id, None, |f| ids(f).len() >= 5).await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert!(headers["x-request-id"].to_str().unwrap().starts_with("req_"));
    let first_ids = ids(&first);
    let frame = first.iter().find(|f| f.id.is_some()).unwrap();
    assert_eq!(frame.data.as_ref().unwrap()["id"].as_u64(), frame.id, "data carries the event");
    assert_eq!(frame.event.as_deref(), frame.data.as_ref().unwrap()["type"].as_str());
    let resume_from = first_ids[4];

    output(&app, &h, &run_id, 10..15).await;
    let (second, _) = read_sse(&app, &acme.token, &run_id, Some(resume_from), |f| {
        f.iter().any(|x| x.data.as_ref().is_some_and(|d| d["data"]["line"] == "line 14"))
    })
    .await;
    let all: Vec<u64> =
        app.call("lane-events").token(&acme.token).json(&json!({"run_id": run_id, "limit": 1000})).send().await.json()
            ["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect();
    let mut seen = first_ids[..5].to_vec();
    seen.extend(ids(&second));
    assert_eq!(seen, all, "replay after Last-Event-ID has no gap and no duplicate");

    // A finished lane ends the stream with `event: end`.
    let done = app
        .call("harness-event")
        .token(&h.credential)
        .json(&json!({"run_id": run_id, "events": [{"type": "completed", "exit_code": 0}]}))
        .send()
        .await;
    assert_eq!(done.status, 200);
    let (tail, _) = read_sse(&app, &acme.token, &run_id, all.last().copied(), |_| false).await;
    let end = tail.iter().find(|f| f.event.as_deref() == Some("end")).expect("an end event");
    assert_eq!(end.data.as_ref().unwrap()["state"], "completed");
}

#[tokio::test]
async fn sse_sends_keep_alives_and_bounds_each_stream() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (run_id, h) = running_lane(&app, &acme).await;
    // Quiet lane: a keep-alive comment comes within ~5 s.
    let (quiet, _) =
        read_sse(&app, &acme.token, &run_id, None, |f| f.iter().any(|x| x.comment.as_deref() == Some("keep-alive")))
            .await;
    assert!(quiet.iter().any(|x| x.comment.as_deref() == Some("keep-alive")));

    // A long backlog: one stream stops at 1000 events; the client reconnects for the rest.
    output(&app, &h, &run_id, 0..1100).await;
    let (bounded, _) = read_sse(&app, &acme.token, &run_id, None, |_| false).await;
    assert_eq!(ids(&bounded).len(), 1000);
    assert!(bounded.last().unwrap().comment.as_deref().unwrap_or_default().contains("reconnect"));
    let last = *ids(&bounded).last().unwrap();
    let (rest, _) = read_sse(&app, &acme.token, &run_id, Some(last), |f| {
        f.iter().any(|x| x.data.as_ref().is_some_and(|d| d["data"]["line"] == "line 1099"))
    })
    .await;
    assert_eq!(ids(&rest).first().copied(), Some(last + 1));
}

#[tokio::test]
async fn streams_have_their_own_limit_and_never_starve_short_requests() {
    let app = switchyard_tests::spawn_app_with(&["--max-streams", "1", "--max-concurrent", "2"]).await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (run_id, _h) = running_lane(&app, &acme).await;
    let open = || {
        app.client
            .get(app.url(&format!("/functions/v1/lane-events?run_id={run_id}")))
            .bearer_auth(&acme.token)
            .header("accept", "text/event-stream")
            .send()
    };
    let first = open().await.unwrap();
    assert_eq!(first.status(), 200);
    // The one stream slot is taken: a second stream is refused, short requests are not.
    let second = open().await.unwrap();
    assert_eq!(second.status(), 503);
    assert_eq!(second.headers()["retry-after"], "1");
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"]["code"], "OVERLOADED");
    for _ in 0..5 {
        let r = app.call("lane-get").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Closing the stream frees its slot.
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        let r = open().await.unwrap();
        if r.status() == 200 {
            reopened = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "the stream slot came back after the client left");
}

#[tokio::test]
async fn sse_refuses_like_any_endpoint() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let other = app.bootstrap("other", "us-east-1", "free").await;
    let (run_id, _) = running_lane(&app, &acme).await;
    for (token, status) in [("nope", 401), (other.token.as_str(), 404)] {
        let r = app
            .client
            .get(app.url(&format!("/functions/v1/lane-events?run_id={run_id}")))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["code"].is_string());
    }
}

/// A minimal MCP server (Streamable HTTP): JSON for `initialize`, 202 for
/// notifications, an SSE stream for `tools/call`; it insists on the session id.
pub(crate) async fn mcp_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let session = req.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let msg: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let reply = |status: u16, ct: &str, body: String| {
                        let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
                        *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        r.headers_mut().insert("content-type", ct.parse().unwrap());
                        r.headers_mut().insert("mcp-session-id", "sess-42".parse().unwrap());
                        Ok::<_, Infallible>(r)
                    };
                    match msg["method"].as_str() {
                        Some("initialize") => reply(200, "application/json", json!({"jsonrpc": "2.0", "id": msg["id"], "result": {
                            "protocolVersion": "2025-06-18", "capabilities": {"tools": {}}, "serverInfo": {"name": "test", "version": "1"}
                        }}).to_string()),
                        _ if session.as_deref() != Some("sess-42") => reply(400, "text/plain", "missing session".into()),
                        Some("notifications/initialized") => reply(202, "text/plain", String::new()),
                        Some("tools/call") => {
                            let name = msg["params"]["name"].as_str().unwrap_or_default();
                            let text = msg["params"]["arguments"]["message"].as_str().unwrap_or_default();
                            let result = json!({"content": [{"type": "text", "text": format!("echo: {text}")}], "isError": name == "fail"});
                            let frame = json!({"jsonrpc": "2.0", "id": msg["id"], "result": result});
                            reply(200, "text/event-stream", format!("event: message\ndata: {frame}\n\n"))
                        }
                        _ => reply(200, "application/json", json!({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "no such method"}}).to_string()),
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}/mcp")
}

#[tokio::test]
async fn tools_are_registered_validated_invoked_over_mcp_and_logged() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let url = mcp_server().await;
    let schema = json!({"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"], "additionalProperties": false});
    for name in ["echo", "fail"] {
        let r = app
            .call("tool-register")
            .token(&acme.token)
            .json(&json!({"name": name, "description": "Echo a message.", "input_schema": schema, "mcp_url": url}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let dup = app
        .call("tool-register")
        .token(&acme.token)
        .json(&json!({"name": "echo", "description": "again", "input_schema": schema, "mcp_url": url}))
        .send()
        .await;
    assert_eq!(dup.status, 409);
    let bad_schema = app
        .call("tool-register")
        .token(&acme.token)
        .json(&json!({"name": "x", "description": "d", "input_schema": {"type": 5}, "mcp_url": url}))
        .send()
        .await;
    assert_eq!((bad_schema.status, bad_schema.json()["error"]["field"].as_str()), (422, Some("input_schema")));
    let listed = app.call("tool-list").token(&acme.token).json(&json!({})).send().await.json();
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo", "fail"]);

    let mut waiting = lane_body("other", &["x/**"]);
    waiting["harness_kind"] = json!("codex"); // no codex harness: it stays queued
    let queued = app.run_lane(&acme, waiting).await;
    let r = app
        .call("agent-tool-invoke")
        .token(&acme.token)
        .json(&json!({"run_id": queued, "tool": "echo", "input": {"message": "hi"}}))
        .send()
        .await;
    assert_eq!((r.status, r.json()["error"]["details"]["state"].as_str()), (409, Some("queued")));

    let (run_id, _) = running_lane(&app, &acme).await;
    let invalid = app
        .call("agent-tool-invoke")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "tool": "echo", "input": {"message": 5}}))
        .send()
        .await;
    assert_eq!(
        (invalid.status, invalid.json()["error"]["field"].as_str()),
        (422, Some("input.message")),
        "{}",
        invalid.text()
    );
    let missing = app
        .call("agent-tool-invoke")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "tool": "nope", "input": {}}))
        .send()
        .await;
    assert_eq!(missing.status, 404);

    let ok = app
        .call("agent-tool-invoke")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "tool": "echo", "input": {"message": "hi"}}))
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let call = ok.json();
    assert_eq!(call["status"], "ok", "{call}");
    assert_eq!(call["output"]["content"][0]["text"], "echo: hi");
    let failed = app
        .call("agent-tool-invoke")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "tool": "fail", "input": {"message": "x"}}))
        .send()
        .await;
    assert_eq!(failed.json()["status"], "error");

    let lane = app.lane(&acme, &run_id).await;
    let log: Vec<(&str, &str)> = lane["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["tool"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(log, [("echo", "ok"), ("fail", "error")]);
    assert_eq!(
        lane["tool_calls"][0]["input_digest"],
        switchyard_domain::sha256_hex(json!({"message": "hi"}).to_string().as_bytes())
    );
    let events = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "types": ["tool_call"]}))
        .send()
        .await
        .json();
    assert_eq!(events["data"].as_array().unwrap().len(), 2);
}
