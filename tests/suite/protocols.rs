//! Lanes through the open agent protocols, driven by their official client
//! libraries (installed by `scripts/test` into `target/mcp-venv`): A2A 1.0
//! tasks with the `a2a-sdk` client, and a lane's AG-UI event stream checked
//! against the `ag-ui-protocol` models (`tests/a2a/client.py`).

use serde_json::{Value, json};
use switchyard_tests::spawn_app;

use crate::harness::{Harness, repos};

#[tokio::test]
async fn an_a2a_client_sends_follows_answers_and_cancels_lane_tasks_and_a_ui_follows_a_lane() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let dir = repos();
    let (harness_token, _) = app.issue(&acme, &["lanes:write", "lanes:read"]).await;
    let _harness = Harness::start(&app, &harness_token, dir.path(), "h1");

    let seen = switchyard_tests::run_client_script(&app, "tests/a2a/client.py", &[&app.address, &acme.token]);
    let has = |key: &str, needle: &str| seen[key].as_str().is_some_and(|s| s.contains(needle));

    // The card names this deployment's JSON-RPC endpoint.
    assert_eq!(seen["card_url"], format!("{}/functions/v1/a2a", app.address));
    assert_eq!(seen["card_streaming"], true);
    // SendMessage → a lane; blocking, it comes back finished with its summary as an artifact.
    assert!(seen["sent_task_id"].as_str().unwrap().starts_with("lane_"));
    assert_eq!(seen["sent_state"], "TASK_STATE_COMPLETED", "{seen}");
    assert_eq!(seen["sent_artifacts"], json!(["agent: done quickly"]));
    assert_eq!(
        (seen["got_state"].as_str(), seen["got_brief"].as_str()),
        (Some("TASK_STATE_COMPLETED"), Some("Do it.\nmode: quick\n"))
    );
    assert!(seen["listed"].as_array().unwrap().iter().any(|t| t == &seen["sent_task_id"]));
    // Streamed: the task first (submitted), then updates, ending completed.
    let stream: Vec<&str> = seen["stream"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(stream.first(), Some(&"task:TASK_STATE_SUBMITTED"), "{seen}");
    assert!(stream.contains(&"statusUpdate:TASK_STATE_WORKING"), "{seen}");
    assert!(stream.contains(&"artifactUpdate:output") && stream.contains(&"artifactUpdate:summary"), "{seen}");
    assert_eq!(stream.last(), Some(&"statusUpdate:TASK_STATE_COMPLETED"), "{seen}");
    // input-required is the inbox: the stream stops there, a message to the task answers it.
    let ask: Vec<&str> = seen["ask_stream"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(ask.last(), Some(&"statusUpdate:TASK_STATE_INPUT_REQUIRED"), "{seen}");
    assert_eq!(seen["answered_state"], "TASK_STATE_COMPLETED", "{seen}");
    assert_eq!(seen["answered_artifacts"], json!(["agent: the answer is blue"]));
    // Cancel while subscribed: the subscriber sees it and the stream ends.
    let cancel: Vec<&str> = seen["cancel_stream"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(cancel[0].starts_with("task:"), "the subscription starts with the task: {seen}");
    assert_eq!(cancel.last(), Some(&"statusUpdate:TASK_STATE_CANCELED"), "{seen}");
    assert_eq!(seen["cancelled_state"], "TASK_STATE_CANCELED");
    // Errors as the SDK's own types.
    assert!(has("unknown_task", "TaskNotFound"), "{seen}");
    assert!(has("cancel_twice", "TaskNotCancelable"), "{seen}");
    assert!(has("no_repository", "repository"), "the missing field is named: {seen}");
    assert!(has("subscribe_finished", "terminal"), "{seen}");

    // AG-UI: every event valid against the official models, a run from start to success.
    assert!(seen["agui_content_type"].as_str().unwrap().starts_with("text/event-stream"));
    let types: Vec<&str> = seen["agui_types"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(&types[..2], ["RUN_STARTED", "STATE_SNAPSHOT"], "{seen}");
    assert!(types.contains(&"TEXT_MESSAGE_START") && types.contains(&"TEXT_MESSAGE_END"), "{seen}");
    assert!(types.contains(&"STATE_DELTA"), "{seen}");
    assert!(seen["agui_text"].as_str().unwrap().contains("agent: done quickly"), "{seen}");
    assert_eq!(seen["agui_last"]["type"], "RUN_FINISHED");
    assert_eq!(
        (seen["agui_last"]["runId"].as_str(), seen["agui_last"]["outcome"]["type"].as_str()),
        (Some("ui-1"), Some("success"))
    );

    // Each action was audited as its endpoint.
    let count = |action: &str| -> i64 {
        app.db()
            .query_row(
                "SELECT COUNT(*) FROM audit_log WHERE workspace_id = ?1 AND action = ?2",
                [acme.workspace_id.as_str(), action],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!((count("agent-run"), count("inbox-resolve"), count("agent-cancel")), (4, 1, 1));
}

#[tokio::test]
async fn the_a2a_endpoint_refuses_what_its_binding_does_not_allow() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let call = |body: Value| app.call("a2a").token(&acme.token).header("a2a-version", "1.0").json(&body);
    // The card is public; the endpoint is not.
    let card = app.call("a2a-agent-card").method(reqwest::Method::GET).send().await;
    assert_eq!(card.status, 200);
    assert_eq!(card.json()["supportedInterfaces"][0]["protocolBinding"], "JSONRPC");
    let r = app.get("/.well-known/agent-card.json").await;
    assert_eq!(r.status(), 200);
    let r = app
        .call("a2a")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}))
        .send()
        .await;
    assert_eq!(r.status, 401);
    // Old method names, an unsupported version, malformed requests: JSON-RPC errors.
    let r = call(json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {}})).send().await;
    assert_eq!(r.json()["error"]["code"], -32601);
    let r = app
        .call("a2a")
        .token(&acme.token)
        .header("a2a-version", "0.3")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "GetTask", "params": {"id": "x"}}))
        .send()
        .await;
    assert_eq!(r.json()["error"]["code"], -32009);
    let r = call(json!({"id": 3, "method": "GetTask"})).send().await;
    assert_eq!(r.json()["error"]["code"], -32600);
    let r = call(json!({"jsonrpc": "2.0", "id": 4, "method": "CreateTaskPushNotificationConfig", "params": {}}))
        .send()
        .await;
    assert_eq!(r.json()["error"]["code"], -32003);
    // A task of another workspace is not found.
    let globex = app.bootstrap("globex", "us-east-1", "enterprise").await;
    let run_id = app.run_lane(&globex, switchyard_tests::lane_body("shop", &["src/**"])).await;
    let r = call(json!({"jsonrpc": "2.0", "id": 5, "method": "GetTask", "params": {"id": run_id}})).send().await;
    assert_eq!(r.json()["error"]["code"], -32001);
    // A read-only token may read but not send: the scope error, as the binding's error.
    let (reader, _) = app.issue(&acme, &["lanes:read"]).await;
    let send = json!({"jsonrpc": "2.0", "id": 6, "method": "SendMessage", "params": {"message": {
        "messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "x"}],
        "metadata": {"repository": "shop", "claim": ["src/**"], "harnessKind": "script"}}}});
    let r = app.call("a2a").token(&reader).json(&send).send().await;
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("SCOPE_DENIED"), "{}", r.text());
    // AG-UI of an unknown lane: the envelope's 404 before any stream.
    let r =
        app.call("lane-ag-ui").token(&acme.token).json(&json!({"threadId": "lane_nosuchlane00000000"})).send().await;
    assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"));
}
