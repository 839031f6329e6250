//! Tenancy and scopes, driven by the catalog: a function added to spin.toml
//! without an entry here fails the matrix test.

use serde_json::json;
use switchyard_api::{Auth, Endpoint};
use switchyard_tests::{ApiResponse, Tenant, TestApp, spawn_app};

/// What workspace A's token does with workspace B's ids on one endpoint.
enum Crossing {
    /// The request names B's resource; A must get NOT_FOUND and B must be untouched.
    ForeignId,
    /// The endpoint takes no resource id: it only ever acts on the caller's
    /// workspace (checked in `own_workspace_only`).
    OwnWorkspaceOnly,
}

fn crossing(name: &str) -> Option<Crossing> {
    match name {
        "api-token-revoke"
        | "agent-cancel"
        | "agent-pause"
        | "agent-resume"
        | "agent-interrupt"
        | "lane-get"
        | "lane-events"
        | "agent-tool-invoke"
        | "harness-revoke"
        | "harness-event"
        | "harness-action"
        | "lane-approve"
        | "lane-reject"
        | "inbox-get"
        | "inbox-resolve"
        | "member-update"
        | "member-remove"
        | "permission-grant"
        | "permission-revoke"
        | "ci-event-ingest"
        | "forge-connection-rotate"
        | "webhook-endpoint-update"
        | "webhook-endpoint-delete"
        | "webhook-redeliver"
        | "issue-get"
        | "issue-update"
        | "issue-comment"
        | "issue-relate"
        | "template-get"
        | "template-promote"
        | "template-review"
        | "trace-to-fix"
        | "goal-update"
        | "sprint-get"
        | "sprint-events"
        | "sdlc-transition"
        | "context-entry-update"
        | "lane-diff-timeline"
        | "lane-snapshot-compare"
        | "lane-snapshot-restore"
        | "lane-plain-english-summary"
        | "lane-ag-ui" => Some(Crossing::ForeignId),
        "api-token-issue"
        | "sso-config-update"
        | "sso-domain-verify"
        | "agent-run"
        | "harness-register"
        | "tool-register"
        | "lane-list"
        | "tool-list"
        | "harness-dispatch"
        | "harness-heartbeat"
        | "audit-export"
        | "audit-log-export"
        | "audit-proof"
        | "federation-publish-head"
        | "policy-get"
        | "policy-test"
        | "policy-update"
        | "approval-list"
        | "inbox-list"
        | "budget-get"
        | "budget-update"
        | "budget-grant"
        | "cost-summary"
        | "mandate-get"
        | "mandate-update"
        | "mandate-check"
        | "member-list"
        | "send-invite"
        | "changelog-publish"
        | "forge-connection-create"
        | "forge-connection-list"
        | "webhook-delivery-list"
        | "webhook-endpoint-create"
        | "webhook-endpoint-list"
        | "webhook-enqueue"
        | "dispatch-claim"
        | "dispatch-queue"
        | "issue-create"
        | "issue-list"
        | "project-create"
        | "project-list"
        | "signal-ingest"
        | "signal-source-create"
        | "template-create"
        | "goal-create"
        | "goal-list"
        | "sprint-plan"
        | "sprint-list"
        | "recurring-pipeline-tick"
        | "dashboard-summary"
        | "first-run-dispatch"
        | "context-entry-create"
        | "context-entry-list"
        | "bmad-query"
        | "bmad-confidence-decay-tick"
        | "ai-memory-embed"
        | "ai-memory-recall"
        | "bmad-extract-from-repo"
        | "repo-map-extract"
        | "mcp-server"
        | "a2a"
        | "api-token-list"
        | "observability-snapshot"
        | "workspace-export" => Some(Crossing::OwnWorkspaceOnly),
        _ => None,
    }
}

/// Workspace B's resources that A's requests name.
struct Foreign {
    tenant: Tenant,
    run_id: String,
    harness_id: String,
    item_id: String,
    member_id: String,
    connection_id: String,
    endpoint_id: String,
    delivery_id: String,
    issue_id: String,
    goal_id: String,
    sprint_id: String,
    entry_id: String,
}

/// A's credential for `doc`: its admin token, or (harness endpoints) a harness of A.
async fn credential(app: &TestApp, doc: &Endpoint, a: &Tenant) -> String {
    if doc.auth == Auth::Harness {
        app.register_harness(a, "script", &[], 30).await.credential
    } else {
        a.token.clone()
    }
}

async fn cross_call(app: &TestApp, doc: &Endpoint, a: &Tenant, b: &Foreign) -> ApiResponse {
    let run = json!({"run_id": b.run_id});
    let body = match doc.name {
        "api-token-revoke" => json!({"token_id": b.tenant.token_id}),
        "agent-cancel"
        | "agent-pause"
        | "agent-resume"
        | "lane-get"
        | "lane-events"
        | "lane-approve"
        | "lane-reject"
        | "lane-diff-timeline"
        | "lane-plain-english-summary"
        | "lane-ag-ui" => run,
        "lane-snapshot-compare" => json!({"run_id": b.run_id, "from": 0, "to": 1}),
        "lane-snapshot-restore" => json!({"run_id": b.run_id, "seq": 1}),
        "harness-action" => json!({"run_id": b.run_id, "action": {"kind": "commit"}}),
        "inbox-get" => json!({"item_id": b.item_id}),
        "member-update" => json!({"member_id": b.member_id, "role": "viewer"}),
        "member-remove" => json!({"member_id": b.member_id}),
        "permission-grant" | "permission-revoke" => json!({"member_id": b.member_id, "scope": "lanes:read"}),
        "inbox-resolve" => json!({"item_id": b.item_id, "answer": "yes"}),
        "agent-interrupt" => json!({"run_id": b.run_id, "kind": "note", "message": "hi"}),
        "agent-tool-invoke" => json!({"run_id": b.run_id, "tool": "echo", "input": {}}),
        "harness-revoke" => json!({"harness_id": b.harness_id}),
        "harness-event" => json!({"run_id": b.run_id, "events": []}),
        "ci-event-ingest" => json!({"run_id": b.run_id, "job": "test", "status": "failure"}),
        "forge-connection-rotate" => json!({"connection_id": b.connection_id}),
        "webhook-endpoint-update" => json!({"endpoint_id": b.endpoint_id, "enabled": false}),
        "webhook-endpoint-delete" => json!({"endpoint_id": b.endpoint_id}),
        "webhook-redeliver" => json!({"delivery_id": b.delivery_id}),
        "issue-get" => json!({"issue_id": b.issue_id}),
        "issue-update" => json!({"issue_id": b.issue_id, "status": "cancelled"}),
        "issue-comment" => json!({"issue_id": b.issue_id, "body": "hi"}),
        "issue-relate" => json!({"issue_id": b.issue_id, "kind": "blocks", "other_id": b.issue_id}),
        // B's template `bug`: A has none of that name, so A's call finds nothing.
        "template-get" => json!({"name": "bug"}),
        "template-promote" => json!({"name": "bug", "version": 1}),
        "template-review" => json!({"name": "bug", "score": 1}),
        "trace-to-fix" => json!({"issue_id": b.issue_id, "harness_kind": "script", "repository": "shop"}),
        "goal-update" => json!({"goal_id": b.goal_id, "weight": 0}),
        "sprint-get" | "sprint-events" => json!({"sprint_id": b.sprint_id}),
        "sdlc-transition" => json!({"sprint_id": b.sprint_id, "to": "cancelled"}),
        "context-entry-update" => json!({"entry_id": b.entry_id, "retire": true}),
        other => panic!("no cross-workspace request for {other}"),
    };
    let token = credential(app, doc, a).await;
    app.call(&doc.name).token(&token).json(&body).send().await
}

/// Functions that act for a workspace member or harness (the tenancy matrix's rows).
fn tenant_functions() -> Vec<Endpoint> {
    switchyard_tests::http_functions()
        .iter()
        .filter(|d| matches!(d.auth, Auth::Bearer(_) | Auth::Harness))
        .copied()
        .collect()
}

fn bearer_functions() -> Vec<Endpoint> {
    tenant_functions().into_iter().filter(|d| matches!(d.auth, Auth::Bearer(_))).collect()
}

#[tokio::test]
async fn another_workspaces_ids_answer_not_found_on_every_endpoint() {
    let missing: Vec<String> =
        tenant_functions().into_iter().filter(|d| crossing(d.name).is_none()).map(|d| d.name.to_owned()).collect();
    assert!(missing.is_empty(), "add these functions to the cross-workspace matrix: {missing:?}");

    let app = spawn_app().await;
    let a = app.bootstrap("alpha", "us-east-1", "enterprise").await;
    let b = app.bootstrap("bravo", "us-east-1", "enterprise").await;
    let b_harness = app.register_harness(&b, "script", &[], 30).await;
    let b_run = app.run_lane(&b, switchyard_tests::lane_body("shop", &["src/**"])).await;
    let claimed = app.call("harness-dispatch").token(&b_harness.credential).json(&json!({})).send().await;
    assert_eq!(claimed.status, 200);
    // B's agent asks a question; B answers it, so its lane runs on.
    let asked = app
        .call("harness-event")
        .token(&b_harness.credential)
        .json(&json!({"run_id": b_run, "events": [{"type": "question", "question": "Ship it?"}]}))
        .send()
        .await;
    assert_eq!(asked.json()["state"], "input_required", "{}", asked.text());
    let items = app.call("inbox-list").token(&b.token).json(&json!({})).send().await.json();
    let item_id = items["data"][0]["item_id"].as_str().unwrap().to_owned();
    let answered =
        app.call("inbox-resolve").token(&b.token).json(&json!({"item_id": item_id, "answer": "yes"})).send().await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    // B's forge connection, webhook endpoint and a delivery to it.
    let made = app.call("forge-connection-create").token(&b.token).json(&json!({"provider": "github"})).send().await;
    let connection_id = made.json()["id"].as_str().unwrap().to_owned();
    let url = json!({"url": "https://hooks.example.com/b", "event_types": ["webhook.test"]});
    let endpoint = app.call("webhook-endpoint-create").token(&b.token).json(&url).send().await;
    let endpoint_id = endpoint.json()["id"].as_str().unwrap().to_owned();
    let ping = app.call("webhook-enqueue").token(&b.token).json(&json!({"event_type": "webhook.test"})).send().await;
    assert_eq!(ping.status, 202, "{}", ping.text());
    let log = app.call("webhook-delivery-list").token(&b.token).json(&json!({})).send().await.json();
    let delivery_id = log["data"][0]["id"].as_str().unwrap().to_owned();
    // B's issue and prompt template.
    let issue = app.call("issue-create").token(&b.token).json(&json!({"title": "B's issue"})).send().await.json();
    let issue_id = issue["id"].as_str().unwrap().to_owned();
    let template = json!({"name": "bug", "body": "Fix {{issue.title}}"});
    assert_eq!(app.call("template-create").token(&b.token).json(&template).send().await.status, 201);
    // B's goal, and a sprint for B's issue.
    let goal = app.call("goal-create").token(&b.token).json(&json!({"title": "Fewer bugs"})).send().await.json();
    let goal_id = goal["id"].as_str().unwrap().to_owned();
    let plan = json!({"issue_ids": [issue_id], "title": "B's sprint", "harness_kind": "script", "repository": "shop"});
    let sprint = app.call("sprint-plan").token(&b.token).json(&plan).send().await;
    assert_eq!(sprint.status, 201, "{}", sprint.text());
    let sprint_id = sprint.json()["id"].as_str().unwrap().to_owned();
    let entry = json!({"dimension": "style", "title": "B's style", "body": "Tabs."});
    let entry = app.call("context-entry-create").token(&b.token).json(&entry).send().await.json();
    let entry_id = entry["id"].as_str().unwrap().to_owned();
    let audit_before = app.audit_count(&b.workspace_id);
    let members = app.call("member-list").token(&b.token).json(&json!({})).send().await.json();
    let member_id = members["data"][0]["member_id"].as_str().unwrap().to_owned();
    let foreign = Foreign {
        tenant: b.clone(),
        run_id: b_run.clone(),
        harness_id: b_harness.id.clone(),
        item_id,
        member_id,
        connection_id,
        endpoint_id,
        delivery_id,
        issue_id,
        goal_id,
        sprint_id,
        entry_id,
    };
    for doc in tenant_functions() {
        if let Some(Crossing::ForeignId) = crossing(&doc.name) {
            let r = cross_call(&app, &doc, &a, &foreign).await;
            assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"), "{}: {}", doc.name, r.text());
        }
    }
    // B is untouched: its token and harness still work, its lane still runs, its log is unchanged.
    assert_eq!(app.audit_count(&b.workspace_id), audit_before);
    assert_eq!(app.lane(&b, &b_run).await["state"], "running");
    let beat = app.call("harness-heartbeat").token(&b_harness.credential).json(&json!({})).send().await;
    assert_eq!(beat.status, 200);
    let still =
        app.call("api-token-issue").token(&b.token).json(&json!({"name": "ok", "scopes": ["lanes:read"]})).send().await;
    assert_eq!(still.status, 201);
}

#[tokio::test]
async fn own_workspace_only_endpoints_never_reach_another_workspace() {
    let app = spawn_app().await;
    let a = app.bootstrap("alpha", "us-east-1", "free").await;
    let b = app.bootstrap("bravo", "us-east-1", "free").await;

    let issued =
        app.call("api-token-issue").token(&a.token).json(&json!({"name": "x", "scopes": ["lanes:read"]})).send().await;
    assert_eq!(issued.json()["workspace_id"], a.workspace_id.as_str());

    app.verify_sso_domain(&a, "shared.example.com", "okta").await;
    let lookup = app.call("auth-providers-for-email").json(&json!({"email": "x@shared.example.com"})).send().await;
    let listed = lookup.json();
    let handles: Vec<&str> =
        listed["providers"].as_array().unwrap().iter().map(|p| p["workspace_handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ["alpha"]);

    // A's harness never sees B's lanes; A's lists never show B's.
    let b_run = app.run_lane(&b, switchyard_tests::lane_body("shop", &["src/**"])).await;
    let a_harness = app.register_harness(&a, "script", &[], 30).await;
    let none = app.call("harness-dispatch").token(&a_harness.credential).json(&json!({})).send().await;
    assert_eq!(none.status, 204);
    let beat = app.call("harness-heartbeat").token(&a_harness.credential).json(&json!({})).send().await;
    assert!(beat.json()["lanes"].as_array().unwrap().is_empty());
    let lanes = app.call("lane-list").token(&a.token).json(&json!({})).send().await.json();
    assert!(lanes["data"].as_array().unwrap().iter().all(|l| l["run_id"] != b_run.as_str()));
    let tools = app.call("tool-list").token(&a.token).json(&json!({})).send().await;
    assert_eq!(tools.status, 200);
    // A's audit export, proofs and heads cover A's log only.
    let export = app.call("audit-export").token(&a.token).json(&json!({})).send().await;
    let text = export.text();
    assert!(text.lines().all(|l| !l.contains(&b.workspace_id)), "B's entries leaked into A's export");
    assert!(text.lines().count() >= 3);
    let head = app.call("federation-publish-head").token(&a.token).json(&json!({})).send().await.json();
    assert_eq!(head["head"]["workspace_id"], a.workspace_id.as_str());
    let proof = app.call("audit-proof").token(&a.token).json(&json!({"seq": 1})).send().await.json();
    assert_eq!(proof["entry_hash"].as_str().map(str::len), Some(64));
    // A lane of A may claim the same paths as B's: claims are per workspace.
    app.run_lane(&a, switchyard_tests::lane_body("shop", &["src/**"])).await;
    assert_eq!(app.audit_count(&b.workspace_id), 2, "only B's bootstrap and agent-run");
}

#[tokio::test]
async fn every_bearer_function_refuses_a_token_without_its_documented_scope() {
    let app = spawn_app().await;
    // Enterprise: one token is issued per function, more than the free plan's 30 writes a minute.
    let a = app.bootstrap("alpha", "us-east-1", "enterprise").await;
    for doc in bearer_functions() {
        let needed = doc.auth.scope().unwrap();
        // Any scope but the needed one (and not admin, which implies all).
        let other =
            switchyard_api::Scope::ALL.iter().find(|s| **s != needed && **s != switchyard_api::Scope::Admin).unwrap();
        let (token, _) = app.issue(&a, &[other.as_str()]).await;
        let r = app.call(&doc.name).token(&token).json(&json!({})).send().await;
        assert_eq!((r.status, r.code().as_str()), (403, "SCOPE_DENIED"), "{}: {}", doc.name, r.text());
        assert_eq!(r.json()["error"]["scope"], needed.as_str(), "{} documents scope {needed}", doc.name);
    }
}
