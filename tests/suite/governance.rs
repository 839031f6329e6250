//! Governance (issue 11): policies decide dispatches, tool calls and agent
//! actions; requests for approval hold a lane until exactly one member
//! decision, or fail closed at their deadline; every decision is audited.

use serde_json::{Value, json};
use switchyard_tests::{
    SERVICE_ROLE_KEY, Tenant, TestApp, TestHarness, lane_body, spawn_app, spawn_app_without_schedules,
};

/// Sets `tenant`'s rules; returns the new version.
async fn set_policy(app: &TestApp, tenant: &Tenant, rules: Value) -> u64 {
    let r = app.call("policy-update").token(&tenant.token).json(&json!({"rules": rules})).send().await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["version"].as_u64().unwrap()
}

/// A lane of `tenant`, dispatched to a fresh harness (running).
async fn running_lane(app: &TestApp, tenant: &Tenant, claim: &[&str]) -> (String, TestHarness) {
    let harness = app.register_harness(tenant, "script", &[], 60).await;
    let run_id = app.run_lane(tenant, lane_body("shop", claim)).await;
    let claimed = app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    assert_eq!(claimed.status, 200, "{}", claimed.text());
    assert_eq!(claimed.json()["lane"]["run_id"], run_id.as_str());
    (run_id, harness)
}

async fn act(app: &TestApp, harness: &TestHarness, run_id: &str, action: Value) -> switchyard_tests::ApiResponse {
    app.call("harness-action")
        .token(&harness.credential)
        .json(&json!({"run_id": run_id, "action": action}))
        .send()
        .await
}

async fn poll(app: &TestApp, harness: &TestHarness, run_id: &str, approval_id: &str) -> Value {
    let r = app
        .call("harness-action")
        .token(&harness.credential)
        .json(&json!({"run_id": run_id, "approval_id": approval_id}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

async fn event_types(app: &TestApp, tenant: &Tenant, run_id: &str) -> Vec<Value> {
    let r = app.call("lane-events").token(&tenant.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"].as_array().unwrap().clone()
}

/// `(actor, action, target)` of every entry in `tenant`'s signed export.
async fn audited(app: &TestApp, tenant: &Tenant) -> Vec<(String, String, Option<String>)> {
    let r = app.call("audit-export").token(&tenant.token).json(&json!({})).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "entry")
        .map(|l| {
            (
                l["actor"].as_str().unwrap().to_owned(),
                l["action"].as_str().unwrap().to_owned(),
                l["target"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_policy_denies_a_dispatch_by_name_and_every_version_is_kept() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let empty = app.call("policy-get").token(&acme.token).json(&json!({})).send().await.json();
    assert_eq!((empty["version"].as_u64(), empty["rules"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let v1 = set_policy(
        &app,
        &acme,
        json!([{
            "name": "no-direct-billing-edits", "effect": "deny",
            "message": "Billing changes go through the payments team.",
            "when": {"on": "dispatch", "paths": ["billing/**"]}
        }]),
    )
    .await;
    assert_eq!(v1, 1);
    let denied =
        app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["billing/invoice.rs"])).send().await;
    assert_eq!((denied.status, denied.code().as_str()), (403, "POLICY_DENIED"), "{}", denied.text());
    let error = &denied.json()["error"];
    assert!(error["message"].as_str().unwrap().contains("policy rule 'no-direct-billing-edits'"), "{error}");
    assert_eq!(error["details"]["rule"], "no-direct-billing-edits");
    assert_eq!(error["details"]["policy_version"], 1);
    // A claim that merely overlaps (`**`) is denied too; one elsewhere is not.
    let broad = app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["**"])).send().await;
    assert_eq!(broad.status, 403);
    app.run_lane(&acme, lane_body("shop", &["src/**"])).await;

    // A lost update is refused; the current version is named.
    let stale =
        app.call("policy-update").token(&acme.token).json(&json!({"rules": [], "expected_version": 0})).send().await;
    assert_eq!((stale.status, stale.json()["error"]["details"]["version"].as_u64()), (409, Some(1)));
    let warn = json!([{"name": "watch-docs", "effect": "warn", "when": {"on": "dispatch", "paths": ["docs/**"]}}]);
    let r =
        app.call("policy-update").token(&acme.token).json(&json!({"rules": warn, "expected_version": 1})).send().await;
    assert_eq!((r.status, r.json()["version"].as_u64()), (201, Some(2)), "{}", r.text());

    // Version 1 is still readable; version 2 is in force.
    let old = app.call("policy-get").token(&acme.token).json(&json!({"version": 1})).send().await.json();
    assert_eq!(old["rules"][0]["name"], "no-direct-billing-edits");
    let missing = app.call("policy-get").token(&acme.token).json(&json!({"version": 9})).send().await;
    assert_eq!(missing.status, 404);
    let billing = app.run_lane(&acme, lane_body("shop", &["billing/**"])).await;
    assert!(!billing.is_empty());

    // policy-test: the policy in force, or a draft, without doing anything.
    let action = json!({"on": "dispatch", "repository": "shop", "claim": ["billing/x.rs"], "harness_kind": "script"});
    let tested = app.call("policy-test").token(&acme.token).json(&json!({"action": action})).send().await.json();
    assert_eq!((tested["outcome"].as_str(), tested["policy_version"].as_u64()), (Some("allow"), Some(2)));
    let draft = app
        .call("policy-test")
        .token(&acme.token)
        .json(&json!({"action": action, "rules": old["rules"]}))
        .send()
        .await
        .json();
    assert_eq!(
        (draft["outcome"].as_str(), draft["decided_by"].as_str()),
        (Some("deny"), Some("no-direct-billing-edits"))
    );
    assert!(draft["policy_version"].is_null());

    // A warning lets the lane through and is recorded on it.
    let docs = app.run_lane(&acme, lane_body("shop", &["docs/**"])).await;
    let events = event_types(&app, &acme, &docs).await;
    let warning = events.iter().find(|e| e["type"] == "policy_warning").expect("a policy_warning event");
    assert_eq!(
        (warning["data"]["rule"].as_str(), warning["data"]["subject"].as_str()),
        (Some("watch-docs"), Some("dispatch"))
    );

    // Bad rules name the field.
    for (rules, field) in [
        (
            json!([{"name": "a", "effect": "deny", "when": {"on": "dispatch"}}, {"name": "a", "effect": "warn", "when": {"on": "dispatch"}}]),
            "rules[1].name",
        ),
        (json!([{"name": "a", "effect": "maybe", "when": {"on": "dispatch"}}]), "rules"),
        (json!([{"name": "a", "effect": "deny", "when": {"on": "dispatch", "paths": ["/abs"]}}]), "rules"),
    ] {
        let r = app.call("policy-update").token(&acme.token).json(&json!({"rules": rules})).send().await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.json()["error"]["field"].as_str().unwrap().starts_with(field), "{}", r.text());
    }
    let current = app.call("policy-get").token(&acme.token).json(&json!({})).send().await.json();
    assert_eq!(current["version"], 2, "a refused update writes nothing");

    let log = audited(&app, &acme).await;
    let actions: Vec<(&str, Option<&str>)> = log.iter().map(|(_, a, t)| (a.as_str(), t.as_deref())).collect();
    assert_eq!(actions.iter().filter(|(a, _)| *a == "agent-run:policy_denied").count(), 2);
    assert!(actions.contains(&("agent-run:policy_denied", Some("no-direct-billing-edits"))));
    assert!(
        actions.contains(&("policy-update", Some("policy:v1")))
            && actions.contains(&("policy-update", Some("policy:v2")))
    );
}

#[tokio::test]
async fn a_push_waits_for_a_member_while_a_waived_commit_goes_ahead() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    set_policy(&app, &acme, json!([
        {"name": "trusted-commits", "effect": "allow", "when": {"on": "action", "kinds": ["commit"]}},
        {"name": "review-pushes", "effect": "require_approval", "message": "Pushes need a reviewer.",
         "when": {"on": "action", "kinds": ["push"]}},
        {"name": "no-force", "effect": "deny", "when": {"on": "action", "kinds": ["command"], "commands": ["git push*--force*"]}},
    ]))
    .await;
    let (run_id, harness) = running_lane(&app, &acme, &["src/**"]).await;

    let commit =
        act(&app, &harness, &run_id, json!({"kind": "commit", "paths": ["src/lib.rs"], "summary": "Fix the bug"}))
            .await;
    assert_eq!((commit.status, commit.json()["outcome"].as_str()), (200, Some("allow")), "{}", commit.text());
    assert_eq!(commit.json()["decided_by"], "trusted-commits");
    let force =
        act(&app, &harness, &run_id, json!({"kind": "command", "command": "git push origin main --force"})).await;
    assert_eq!((force.status, force.json()["error"]["details"]["rule"].as_str()), (403, Some("no-force")));

    let push = act(&app, &harness, &run_id, json!({"kind": "push", "summary": "main -> origin/agent/fix"})).await;
    assert_eq!(push.status, 202, "{}", push.text());
    let answer = push.json();
    assert_eq!(
        (answer["outcome"].as_str(), answer["state"].as_str()),
        (Some("require_approval"), Some("awaiting_approval"))
    );
    let approval = &answer["approval"];
    assert_eq!((approval["state"].as_str(), approval["rule"].as_str()), (Some("pending"), Some("review-pushes")));
    assert_eq!(approval["reason"], "Pushes need a reviewer.");
    assert_eq!(approval["action"]["summary"], "main -> origin/agent/fix");
    let approval_id = approval["approval_id"].as_str().unwrap().to_owned();
    assert_eq!(app.lane(&acme, &run_id).await["state"], "awaiting_approval");
    assert_eq!(poll(&app, &harness, &run_id, &approval_id).await["outcome"], "require_approval");
    // The harness keeps its lease while it waits; the agent is not stopped.
    let beat = app.call("harness-heartbeat").token(&harness.credential).json(&json!({})).send().await.json();
    assert_eq!(
        (beat["lanes"][0]["state"].as_str(), beat["lanes"][0]["signal"].as_str()),
        (Some("awaiting_approval"), Some("run"))
    );
    let again = act(&app, &harness, &run_id, json!({"kind": "push"})).await;
    assert_eq!(again.status, 409, "one request at a time: {}", again.text());

    // A viewer may look but not decide.
    let (viewer, _) = app.issue(&acme, &["lanes:read"]).await;
    let listed = app.call("approval-list").token(&viewer).json(&json!({"state": "pending"})).send().await.json();
    assert_eq!(listed["data"][0]["approval_id"], approval_id.as_str());
    let refused = app.call("lane-approve").token(&viewer).json(&json!({"run_id": run_id})).send().await;
    assert_eq!((refused.status, refused.json()["error"]["scope"].as_str()), (403, Some("approvals:write")));

    let (approver, approver_id) = app.issue(&acme, &["approvals:write", "lanes:read"]).await;
    let decided =
        app.call("lane-approve").token(&approver).json(&json!({"run_id": run_id, "note": "Looks good."})).send().await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    let decided = decided.json();
    assert_eq!(
        (decided["approval"]["state"].as_str(), decided["lane"]["state"].as_str()),
        (Some("approved"), Some("running"))
    );
    let polled = poll(&app, &harness, &run_id, &approval_id).await;
    assert_eq!((polled["outcome"].as_str(), polled["approval"]["note"].as_str()), (Some("allow"), Some("Looks good.")));
    assert_eq!(polled["approval"]["decided_by"], approver_id.as_str());
    let twice = app
        .call("lane-approve")
        .token(&approver)
        .json(&json!({"run_id": run_id, "approval_id": approval_id}))
        .send()
        .await;
    assert_eq!(twice.status, 409);
    assert!(twice.json()["error"]["message"].as_str().unwrap().contains("already approved by"), "{}", twice.text());

    // A second push is rejected: the agent hears no and the lane goes on.
    let push = act(&app, &harness, &run_id, json!({"kind": "push"})).await;
    let second = push.json()["approval"]["approval_id"].as_str().unwrap().to_owned();
    let rejected =
        app.call("lane-reject").token(&approver).json(&json!({"run_id": run_id, "note": "Not yet."})).send().await;
    assert_eq!(rejected.json()["lane"]["state"], "running", "{}", rejected.text());
    assert_eq!(poll(&app, &harness, &run_id, &second).await["outcome"], "deny");
    let none = app.call("lane-reject").token(&approver).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(none.status, 409, "no pending request: {}", none.text());

    // The lane's events show each request and decision, with who decided.
    let events = event_types(&app, &acme, &run_id).await;
    let decisions: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "approval_decided")
        .map(|e| (e["data"]["state"].as_str().unwrap(), e["data"]["by"].as_str().unwrap()))
        .collect();
    assert_eq!(decisions, [("approved", approver_id.as_str()), ("rejected", approver_id.as_str())]);
    assert_eq!(events.iter().filter(|e| e["type"] == "approval_requested").count(), 2);

    let log = audited(&app, &acme).await;
    for (actor, action) in [
        (harness.id.as_str(), "harness-action:policy_denied"),
        (harness.id.as_str(), "harness-action:approval_requested"),
        (approver_id.as_str(), "lane-approve"),
        (approver_id.as_str(), "lane-reject"),
    ] {
        assert!(log.iter().any(|(a, act, _)| a == actor && act == action), "no {action} by {actor} in {log:?}");
    }
}

#[tokio::test]
async fn fifty_racing_approvers_produce_exactly_one_decision() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (run_id, harness) = running_lane(&app, &acme, &["src/**"]).await;
    // No rule: a push needs approval by default.
    let push = act(&app, &harness, &run_id, json!({"kind": "push"})).await;
    assert_eq!((push.status, push.json()["approval"]["rule"].clone()), (202, Value::Null), "{}", push.text());
    let approval_id = push.json()["approval"]["approval_id"].as_str().unwrap().to_owned();

    let racers = (0..50).map(|i| {
        let app = &app;
        let (token, run_id) = (acme.token.clone(), run_id.clone());
        async move {
            let name = if i % 2 == 0 { "lane-approve" } else { "lane-reject" };
            app.call(name).token(&token).json(&json!({"run_id": run_id, "note": format!("racer {i}")})).send().await
        }
    });
    let answers = futures::future::join_all(racers).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");

    let settled = poll(&app, &harness, &run_id, &approval_id).await;
    let events = event_types(&app, &acme, &run_id).await;
    assert_eq!(events.iter().filter(|e| e["type"] == "approval_decided").count(), 1);
    let log = audited(&app, &acme).await;
    assert_eq!(log.iter().filter(|(_, a, _)| a == "lane-approve" || a == "lane-reject").count(), 1);
    assert!(matches!(settled["approval"]["state"].as_str(), Some("approved" | "rejected")));
    assert_eq!(app.lane(&acme, &run_id).await["state"], "running");
}

#[tokio::test]
async fn a_held_dispatch_starts_only_when_approved_and_an_unanswered_request_fails_closed() {
    // Ticks only over HTTP, so each report counts what this test caused.
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    set_policy(&app, &acme, json!([
        {"name": "payments-need-a-nod", "effect": "require_approval", "when": {"on": "dispatch", "repositories": ["payments-*"]}},
        {"name": "quick-schema-review", "effect": "require_approval", "approval_timeout_seconds": 1,
         "when": {"on": "action", "kinds": ["write"], "paths": ["db/schema/**"]}},
        {"name": "quick-infra-review", "effect": "require_approval", "approval_timeout_seconds": 1,
         "when": {"on": "dispatch", "repositories": ["infra"]}},
    ]))
    .await;
    let harness = app.register_harness(&acme, "script", &[], 60).await;
    let held = app.call("agent-run").token(&acme.token).json(&lane_body("payments-api", &["src/**"])).send().await;
    assert_eq!((held.status, held.json()["state"].as_str()), (201, Some("awaiting_approval")), "{}", held.text());
    let run_id = held.json()["run_id"].as_str().unwrap().to_owned();
    let nothing = app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    assert_eq!(nothing.status, 204, "a lane waiting for approval is not dispatched");
    // Its claim is held meanwhile.
    let overlap = app.call("agent-run").token(&acme.token).json(&lane_body("payments-api", &["src/**"])).send().await;
    assert_eq!(overlap.code(), "LANE_SCOPE_DENIED");
    let approved = app.call("lane-approve").token(&acme.token).json(&json!({"run_id": run_id})).send().await.json();
    assert_eq!(approved["lane"]["state"], "queued");
    let claimed = app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    assert_eq!(claimed.json()["lane"]["run_id"], run_id.as_str());

    // A write under db/schema waits one second, then fails closed: rejected, lane paused.
    let write = act(&app, &harness, &run_id, json!({"kind": "write", "paths": ["db/schema/0001.sql"]})).await;
    assert_eq!(write.status, 202, "{}", write.text());
    let write_id = write.json()["approval"]["approval_id"].as_str().unwrap().to_owned();
    // A held dispatch nobody approves is cancelled: it never started.
    let infra = app.call("agent-run").token(&acme.token).json(&lane_body("infra", &["**"])).send().await.json();
    let infra_id = infra["run_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let report = app.tick_over_http("dispatch-status-tick").await;
    assert_eq!(report["approvals_expired"], 2, "{report}");
    let polled = poll(&app, &harness, &run_id, &write_id).await;
    assert_eq!((polled["outcome"].as_str(), polled["approval"]["state"].as_str()), (Some("deny"), Some("expired")));
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!((lane["state"].as_str(), lane["pause_reason"].as_str()), (Some("paused"), Some("approval_expired")));
    assert_eq!(app.lane(&acme, &infra_id).await["state"], "cancelled");
    let late = app
        .call("lane-approve")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "approval_id": write_id}))
        .send()
        .await;
    assert!(late.status == 409 && late.text().contains("already expired"), "{}", late.text());
    let log = audited(&app, &acme).await;
    let expired: Vec<_> = log.iter().filter(|(_, a, _)| a == "dispatch-status-tick:approval_expired").collect();
    assert_eq!(expired.len(), 2, "{log:?}");
    assert!(expired.iter().all(|(actor, _, _)| actor.starts_with("system:")));

    // Cancelling a waiting lane withdraws its request.
    let resumed = app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    let again = act(&app, &harness, &run_id, json!({"kind": "push"})).await;
    let again_id = again.json()["approval"]["approval_id"].as_str().unwrap().to_owned();
    app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    let listed = app.call("approval-list").token(&acme.token).json(&json!({"run_id": run_id})).send().await.json();
    let states: Vec<(&str, &str)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["approval_id"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert!(states.contains(&(again_id.as_str(), "withdrawn")), "{states:?}");
}

#[tokio::test]
async fn tool_call_rules_deny_a_call_or_hold_it_for_one_approved_use() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let url = crate::live::mcp_server().await;
    let schema = json!({"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]});
    let r = app
        .call("tool-register")
        .token(&acme.token)
        .json(&json!({"name": "echo", "description": "Echo.", "input_schema": schema, "mcp_url": url}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    set_policy(&app, &acme, json!([
        {"name": "no-prod", "effect": "deny", "when": {"on": "tool_call", "tools": ["echo"], "arguments": {"/message": "prod*"}}},
        {"name": "echo-needs-a-nod", "effect": "require_approval", "when": {"on": "tool_call", "tools": ["echo"]}},
    ]))
    .await;
    let (run_id, _harness) = running_lane(&app, &acme, &["src/**"]).await;
    let invoke = |input: Value, approval: Option<&str>| {
        let mut body = json!({"run_id": run_id, "tool": "echo", "input": input});
        if let Some(a) = approval {
            body["approval_id"] = json!(a);
        }
        app.call("agent-tool-invoke").token(&acme.token).json(&body).send()
    };
    let denied = invoke(json!({"message": "prod-db"}), None).await;
    assert_eq!((denied.status, denied.code().as_str()), (403, "POLICY_DENIED"));
    let held = invoke(json!({"message": "hi"}), None).await;
    assert_eq!((held.status, held.code().as_str()), (403, "APPROVAL_REQUIRED"), "{}", held.text());
    let approval_id = held.json()["error"]["details"]["approval_id"].as_str().unwrap().to_owned();
    assert_eq!(app.lane(&acme, &run_id).await["state"], "awaiting_approval");
    let early = invoke(json!({"message": "hi"}), Some(&approval_id)).await;
    assert_eq!(early.status, 409, "the lane waits: {}", early.text());
    app.call("lane-approve").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    let other = invoke(json!({"message": "something else"}), Some(&approval_id)).await;
    assert_eq!((other.status, other.json()["error"]["field"].as_str()), (422, Some("approval_id")));
    let ran = invoke(json!({"message": "hi"}), Some(&approval_id)).await;
    assert_eq!((ran.status, ran.json()["status"].as_str()), (200, Some("ok")), "{}", ran.text());
    let reused = invoke(json!({"message": "hi"}), Some(&approval_id)).await;
    assert_eq!(reused.status, 409, "an approval is good once: {}", reused.text());
}

#[tokio::test]
async fn governance_stays_inside_its_workspace() {
    let app = spawn_app().await;
    let a = app.bootstrap("alpha", "us-east-1", "enterprise").await;
    let b = app.bootstrap("bravo", "us-east-1", "enterprise").await;
    let (b_run, b_harness) = running_lane(&app, &b, &["src/**"]).await;
    set_policy(&app, &b, json!([{"name": "b-only", "effect": "deny", "when": {"on": "dispatch"}}])).await;
    let push = act(&app, &b_harness, &b_run, json!({"kind": "push"})).await;
    let b_approval = push.json()["approval"]["approval_id"].as_str().unwrap().to_owned();

    // A sees version 0 and no requests; B's rules never apply to A.
    let policy = app.call("policy-get").token(&a.token).json(&json!({})).send().await.json();
    assert_eq!(policy["version"], 0);
    let old = app.call("policy-get").token(&a.token).json(&json!({"version": 1})).send().await;
    assert_eq!(old.status, 404);
    let listed = app.call("approval-list").token(&a.token).json(&json!({})).send().await.json();
    assert!(listed["data"].as_array().unwrap().is_empty());
    let by_lane = app.call("approval-list").token(&a.token).json(&json!({"run_id": b_run})).send().await.json();
    assert!(by_lane["data"].as_array().unwrap().is_empty());
    // Naming B's request from A's side: not found, and B's request stays pending.
    let a_run = app.run_lane(&a, lane_body("shop", &["src/**"])).await;
    let cross = app
        .call("lane-approve")
        .token(&a.token)
        .json(&json!({"run_id": a_run, "approval_id": b_approval}))
        .send()
        .await;
    assert_eq!((cross.status, cross.code().as_str()), (404, "NOT_FOUND"), "{}", cross.text());
    let a_harness = app.register_harness(&a, "script", &[], 60).await;
    app.call("harness-dispatch").token(&a_harness.credential).json(&json!({})).send().await;
    let peek = app
        .call("harness-action")
        .token(&a_harness.credential)
        .json(&json!({"run_id": a_run, "approval_id": b_approval}))
        .send()
        .await;
    assert_eq!(peek.status, 404, "{}", peek.text());
    assert_eq!(poll(&app, &b_harness, &b_run, &b_approval).await["approval"]["state"], "pending");
    // A PAT cannot ask harness questions.
    let pat = app
        .call("harness-action")
        .token(&a.token)
        .json(&json!({"run_id": a_run, "action": {"kind": "push"}}))
        .send()
        .await;
    assert_eq!(pat.status, 401);
    let service = app.call("policy-get").token(SERVICE_ROLE_KEY).json(&json!({})).send().await;
    assert_eq!(service.status, 401);
}

#[tokio::test]
async fn harness_action_refuses_malformed_questions_by_field() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (run_id, harness) = running_lane(&app, &acme, &["src/**"]).await;
    for (body, field) in [
        (json!({"run_id": run_id}), "action"),
        (json!({"run_id": run_id, "action": {"kind": "push"}, "approval_id": "apr_x"}), "action"),
        (json!({"run_id": run_id, "action": {"kind": "delete-everything"}}), "action.kind"),
        (json!({"run_id": run_id, "action": {"kind": "write", "paths": ["/etc/passwd"]}}), "action.paths"),
        (json!({"run_id": run_id, "action": {"kind": "write", "paths": ["ok"], "extra": 1}}), "action"),
        (json!({"run_id": run_id, "approval_id": "lane_nope"}), "approval_id"),
    ] {
        let r = app.call("harness-action").token(&harness.credential).json(&body).send().await;
        assert_eq!(r.status, 422, "{body}: {}", r.text());
        let named = r.json()["error"]["field"].as_str().unwrap_or_default().to_owned();
        assert!(named.starts_with(field), "{body}: field {named}, wanted {field}");
    }
    let unknown = app
        .call("harness-action")
        .token(&harness.credential)
        .json(&json!({"run_id": run_id, "approval_id": "apr_00000000000000000000000000"}))
        .send()
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
}

async fn ask(app: &TestApp, harness: &TestHarness, run_id: &str, question: Value) -> switchyard_tests::ApiResponse {
    let body = json!({"run_id": run_id, "events": [question]});
    app.call("harness-event").token(&harness.credential).json(&body).send().await
}

#[tokio::test]
async fn an_agents_question_waits_in_the_inbox_until_exactly_one_answer_reaches_it() {
    // Ticks only over HTTP, so each report counts what this test caused.
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (run_id, harness) = running_lane(&app, &acme, &["src/**"]).await;
    let asked = ask(
        &app,
        &harness,
        &run_id,
        json!({"type": "question", "question": "Which region?",
        "options": ["eu", "us"], "priority": "high"}),
    )
    .await;
    assert_eq!((asked.status, asked.json()["state"].as_str()), (200, Some("input_required")), "{}", asked.text());
    // A question's default answer must be one of its options.
    let bad = ask(
        &app,
        &harness,
        &run_id,
        json!({"type": "question", "question": "?", "options": ["a"], "default_answer": "b"}),
    )
    .await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("events.default_answer")));

    // Listed (filters work as a query string too) and readable; a viewer may look, not answer.
    let (viewer, _) = app.issue(&acme, &["lanes:read"]).await;
    let listed = app
        .get_with_token(&format!("/functions/v1/inbox-list?resolved=false&priority=high&run_id={run_id}"), &viewer)
        .await;
    let item_id = listed["data"][0]["item_id"].as_str().unwrap().to_owned();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let none = app.get_with_token("/functions/v1/inbox-list?resolved=true", &viewer).await;
    assert!(none["data"].as_array().unwrap().is_empty());
    let low = app.get_with_token("/functions/v1/inbox-list?priority=low", &viewer).await;
    assert!(low["data"].as_array().unwrap().is_empty());
    let item = app.call("inbox-get").token(&viewer).json(&json!({"item_id": item_id})).send().await.json();
    assert_eq!((item["question"].as_str(), item["state"].as_str()), (Some("Which region?"), Some("pending")));
    let refused =
        app.call("inbox-resolve").token(&viewer).json(&json!({"item_id": item_id, "answer": "eu"})).send().await;
    assert_eq!((refused.status, refused.json()["error"]["scope"].as_str()), (403, Some("lanes:write")));
    let off_menu =
        app.call("inbox-resolve").token(&acme.token).json(&json!({"item_id": item_id, "answer": "mars"})).send().await;
    assert_eq!((off_menu.status, off_menu.json()["error"]["field"].as_str()), (422, Some("answer")));

    // Racing answers: exactly one is taken.
    let racers = (0..20).map(|i| {
        let (app, token, item_id) = (&app, acme.token.clone(), item_id.clone());
        async move {
            let answer = if i % 2 == 0 { "eu" } else { "us" };
            app.call("inbox-resolve").token(&token).json(&json!({"item_id": item_id, "answer": answer})).send().await
        }
    });
    let answers = futures::future::join_all(racers).await;
    let won: Vec<&switchyard_tests::ApiResponse> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(answers.iter().all(|r| r.status == 200 || r.status == 409));
    let resolved = won[0].json();
    let answer = resolved["item"]["answer"].as_str().unwrap().to_owned();
    assert_eq!(
        (resolved["interrupt"]["kind"].as_str(), resolved["interrupt"]["in_reply_to"].as_str()),
        (Some("answer"), Some(item_id.as_str()))
    );
    assert_eq!(resolved["lane"]["state"], "running");

    // The answer reaches the harness like any interrupt: once, in order.
    let beat = app.call("harness-heartbeat").token(&harness.credential).json(&json!({})).send().await.json();
    let delivered = &beat["lanes"][0]["interrupts"];
    assert_eq!(
        (delivered[0]["kind"].as_str(), delivered[0]["message"].as_str()),
        (Some("answer"), Some(answer.as_str()))
    );
    let id = delivered[0]["id"].as_u64().unwrap();
    let acked = app
        .call("harness-heartbeat")
        .token(&harness.credential)
        .json(&json!({"acks": {run_id.clone(): id}}))
        .send()
        .await;
    let again = app.call("harness-heartbeat").token(&harness.credential).json(&json!({})).send().await.json();
    assert_eq!(acked.status, 200);
    assert!(again["lanes"][0]["interrupts"].as_array().unwrap().is_empty());

    // Nobody answers: a default answer is given, or else the lane is paused.
    ask(
        &app,
        &harness,
        &run_id,
        json!({"type": "question", "question": "Proceed?", "options": ["yes", "no"],
        "default_answer": "no", "expires_in_seconds": 1}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let report = app.tick_over_http("dispatch-status-tick").await;
    assert_eq!(report["questions_expired"], 1, "{report}");
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(lane["state"], "running");
    assert_eq!(lane["pending_interrupts"][0]["message"], "no");
    ask(&app, &harness, &run_id, json!({"type": "question", "question": "Anything else?", "expires_in_seconds": 1}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.tick_over_http("dispatch-status-tick").await;
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!((lane["state"].as_str(), lane["pause_reason"].as_str()), (Some("paused"), Some("question_expired")));

    // A lane that ends withdraws what it still asks.
    app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    ask(&app, &harness, &run_id, json!({"type": "question", "question": "Last one?"})).await;
    app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    let all = app.call("inbox-list").token(&acme.token).json(&json!({"run_id": run_id})).send().await.json();
    let states: Vec<&str> = all["data"].as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["withdrawn", "expired", "answered", "answered"]);
    let log = audited(&app, &acme).await;
    for action in [
        "harness-event:question",
        "inbox-resolve",
        "dispatch-status-tick:question_default_answer",
        "dispatch-status-tick:question_expired",
    ] {
        assert!(log.iter().any(|(_, a, _)| a == action), "no {action} in {log:?}");
    }
}

async fn report_tokens(app: &TestApp, harness: &TestHarness, run_id: &str, used: u64, cost_cents: u64) {
    let body = json!({"run_id": run_id, "events": [{"type": "tokens", "used": used, "cost_cents": cost_cents}]});
    let r = app.call("harness-event").token(&harness.credential).json(&body).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn a_workspace_budget_pauses_running_lanes_and_grant_more_resumes_them() {
    // Ticks only over HTTP, so each report counts what this test caused.
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let (first, first_harness) = running_lane(&app, &acme, &["src/**"]).await;
    let (second, second_harness) = running_lane(&app, &acme, &["docs/**"]).await;
    let set = app.call("budget-update").token(&acme.token).json(&json!({"daily_tokens": 1000})).send().await;
    assert_eq!((set.status, set.json()["remaining_tokens"].as_u64()), (200, Some(1000)), "{}", set.text());

    report_tokens(&app, &first_harness, &first, 600, 30).await;
    report_tokens(&app, &second_harness, &second, 500, 20).await;
    let budget = app.get_with_token("/functions/v1/budget-get", &acme.token).await;
    assert_eq!((budget["used_tokens"].as_u64(), budget["remaining_tokens"].as_u64()), (Some(1100), Some(0)));
    assert_eq!(budget["exhausted"], true);
    let refused = app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["lib/**"])).send().await;
    assert_eq!((refused.status, refused.code().as_str()), (429, "BUDGET_EXHAUSTED"), "{}", refused.text());

    let report = app.tick_over_http("cost-ceiling-tick").await;
    assert_eq!(report, json!({"paused": 2, "resumed": 0}));
    for run_id in [&first, &second] {
        let lane = app.lane(&acme, run_id).await;
        assert_eq!(
            (lane["state"].as_str(), lane["pause_reason"].as_str()),
            (Some("paused"), Some("workspace_budget_exhausted"))
        );
    }
    let resume = app.call("agent-resume").token(&acme.token).json(&json!({"run_id": first})).send().await;
    assert_eq!((resume.status, resume.code().as_str()), (429, "BUDGET_EXHAUSTED"));

    // Granting is a decision: a viewer cannot, an owner can, and the lanes run again.
    let (viewer, _) = app.issue(&acme, &["lanes:read"]).await;
    let denied = app.call("budget-grant").token(&viewer).json(&json!({"tokens": 500})).send().await;
    assert_eq!((denied.status, denied.json()["error"]["scope"].as_str()), (403, Some("budgets:write")));
    let granted =
        app.call("budget-grant").token(&acme.token).json(&json!({"tokens": 500, "note": "release day"})).send().await;
    assert_eq!(granted.status, 200, "{}", granted.text());
    let granted = granted.json();
    assert_eq!(granted["resumed"], json!([first, second]));
    assert_eq!(
        (granted["budget"]["granted_tokens"].as_u64(), granted["budget"]["remaining_tokens"].as_u64()),
        (Some(500), Some(400))
    );
    assert_eq!(app.lane(&acme, &first).await["state"], "running");
    assert_eq!(app.tick_over_http("cost-ceiling-tick").await, json!({"paused": 0, "resumed": 0}));

    // Where it went, by lane, repository, harness kind and day.
    let by_lane = app.call("cost-summary").token(&viewer).json(&json!({"group_by": "lane"})).send().await.json();
    assert_eq!((by_lane["total_tokens"].as_u64(), by_lane["total_cost_cents"].as_u64()), (Some(1100), Some(50)));
    assert_eq!(by_lane["rows"][0], json!({"key": first, "tokens": 600, "cost_cents": 30}));
    let by_repo = app.get_with_token("/functions/v1/cost-summary?group_by=repository", &viewer).await;
    assert_eq!(by_repo["rows"], json!([{"key": "shop", "tokens": 1100, "cost_cents": 50}]));
    let by_kind =
        app.call("cost-summary").token(&viewer).json(&json!({"group_by": "harness_kind"})).send().await.json();
    assert_eq!(by_kind["rows"][0]["key"], "script");
    let by_day = app.call("cost-summary").token(&viewer).json(&json!({})).send().await.json();
    assert_eq!((by_day["group_by"].as_str(), by_day["rows"].as_array().map(Vec::len)), (Some("day"), Some(1)));
    for (body, field) in [
        (json!({"from": "2026-12-31", "to": "2026-01-01"}), "from"),
        (json!({"from": "2026-13-01"}), "from"),
        (json!({"group_by": "planet"}), "group_by"),
    ] {
        let r = app.call("cost-summary").token(&viewer).json(&body).send().await;
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{body}: {}", r.text());
    }

    // Removing the ceiling: nothing is exhausted any more.
    let cleared = app.call("budget-update").token(&acme.token).json(&json!({"daily_tokens": null})).send().await.json();
    assert_eq!((cleared["exhausted"].as_bool(), cleared["remaining_tokens"].clone()), (Some(false), Value::Null));
    let log = audited(&app, &acme).await;
    for (actor, action) in [
        (Some("system:cost-ceiling-tick"), "cost-ceiling-tick:paused"),
        (None, "budget-grant"),
        (None, "budget-update"),
    ] {
        assert!(log.iter().any(|(a, act, _)| act == action && actor.is_none_or(|x| a == x)), "no {action} in {log:?}");
    }
}

async fn complete_with(
    app: &TestApp,
    harness: &TestHarness,
    run_id: &str,
    changes: Value,
) -> switchyard_tests::ApiResponse {
    let body = json!({"run_id": run_id, "events": [{"type": "completed", "exit_code": 0, "summary": "done", "changes": changes}]});
    app.call("harness-event").token(&harness.credential).json(&body).send().await
}

#[tokio::test]
async fn mandates_check_code_by_rule_file_and_line_and_hold_a_completion_that_breaks_one() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let start = app.get_with_token("/functions/v1/mandate-get", &acme.token).await;
    assert_eq!((start["version"].as_u64(), start["builtins"].as_array().map(Vec::len)), (Some(0), Some(3)));

    // A snapshot: rule, file and line, never the secret itself.
    let files = json!({"files": [
        {"path": "src/config.py", "content": "import os\nKEY = \"AKIAABCDEFGHIJKLMNOP\"\n"},
        {"path": ".github/workflows/ci.yml", "content": "on: push\n"},
        {"path": "src/db.py", "content": "cur.execute(\"SELECT * FROM t WHERE id = \" + i)\n"},
    ]});
    let r = app.call("mandate-check").token(&acme.token).json(&files).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json();
    assert_eq!(
        (report["passed"].as_bool(), report["blocking"].as_u64(), report["warnings"].as_u64()),
        (Some(false), Some(2), Some(1))
    );
    let first = &report["violations"][0];
    assert_eq!(
        (first["rule"].as_str(), first["path"].as_str(), first["line"].as_u64()),
        (Some("no-committed-secrets"), Some("src/config.py"), Some(2))
    );
    assert!(!r.text().contains("AKIA"));

    // The workspace's own rules; bad ones name the field.
    for (body, field) in [
        (
            json!({"rules": [{"name": "x", "severity": "warning", "message": "m", "check": {"kind": "pattern", "pattern": "(oops"}}]}),
            "rules[0].check.pattern",
        ),
        (
            json!({"rules": [{"name": "protected-paths", "severity": "warning", "message": "m", "check": {"kind": "path", "paths": ["a"]}}]}),
            "rules[0].name",
        ),
        (json!({"disabled_builtins": ["no-such-rule"]}), "disabled_builtins[0]"),
        (json!({"on_violation": "shrug"}), "on_violation"),
    ] {
        let r = app.call("mandate-update").token(&acme.token).json(&body).send().await;
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{body}: {}", r.text());
    }
    let (viewer, _) = app.issue(&acme, &["lanes:read"]).await;
    let denied = app.call("mandate-update").token(&viewer).json(&json!({})).send().await;
    assert_eq!((denied.status, denied.json()["error"]["scope"].as_str()), (403, Some("policies:write")));
    let updated = app
        .call("mandate-update")
        .token(&acme.token)
        .json(
            &json!({"rules": [{"name": "no-todo-in-billing", "severity": "blocking", "message": "Finish billing code.",
            "check": {"kind": "pattern", "pattern": "TODO", "paths": ["billing/**"]}}],
            "disabled_builtins": ["no-raw-sql-building"]}),
        )
        .send()
        .await;
    assert_eq!((updated.status, updated.json()["version"].as_u64()), (201, Some(1)), "{}", updated.text());
    let report = app.call("mandate-check").token(&acme.token).json(&files).send().await.json();
    assert_eq!((report["warnings"].as_u64(), report["mandates_version"].as_u64()), (Some(0), Some(1)));

    // A completion that adds a secret waits for a person; approved, it completes.
    let secret =
        json!([{"path": "src/settings.toml", "added": [{"line": 7, "text": "key = \"AKIAABCDEFGHIJKLMNOP\""}]}]);
    let (run_id, harness) = running_lane(&app, &acme, &["src/**"]).await;
    let held = complete_with(&app, &harness, &run_id, secret.clone()).await;
    assert_eq!((held.status, held.code().as_str()), (409, "MANDATE_VIOLATION"), "{}", held.text());
    let details = &held.json()["error"]["details"];
    assert_eq!((details["violations"][0]["line"].as_u64(), details["approval_id"].is_string()), (Some(7), true));
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!((lane["state"].as_str(), lane["harness_id"].clone()), (Some("awaiting_approval"), Value::Null));
    let approved =
        app.call("lane-approve").token(&acme.token).json(&json!({"run_id": run_id, "note": "test key"})).send().await;
    assert_eq!(approved.json()["lane"]["state"], "completed", "{}", approved.text());

    // A workspace that fails instead; a warning alone lets the lane complete.
    app.call("mandate-update").token(&acme.token).json(&json!({"on_violation": "fail"})).send().await;
    let (run_id, harness) = running_lane(&app, &acme, &["lib/**"]).await;
    let failed = complete_with(&app, &harness, &run_id, secret).await;
    assert_eq!(failed.code(), "MANDATE_VIOLATION");
    assert_eq!(app.lane(&acme, &run_id).await["state"], "failed");
    app.call("mandate-update").token(&acme.token).json(&json!({})).send().await;
    let (run_id, harness) = running_lane(&app, &acme, &["docs/**"]).await;
    let sql = json!([{"path": "docs/app.py", "added": [{"line": 1, "text": "q = f\"SELECT * FROM users WHERE id = {uid}\""}]}]);
    let fine = complete_with(&app, &harness, &run_id, sql).await;
    assert_eq!((fine.status, fine.json()["state"].as_str()), (200, Some("completed")), "{}", fine.text());
    let events = event_types(&app, &acme, &run_id).await;
    assert!(events.iter().any(|e| e["type"] == "mandate_violations" && e["data"]["blocking"] == 0), "{events:?}");

    let log = audited(&app, &acme).await;
    assert_eq!(log.iter().filter(|(_, a, _)| a == "harness-event:mandate_violation").count(), 2, "{log:?}");
    assert!(log.iter().any(|(_, a, t)| a == "mandate-update" && t.as_deref() == Some("mandates:v1")));
}

/// An HS256 JWT for `email` in `workspace_id` with `roles`.
fn jwt_for(workspace_id: &str, email: &str, roles: &[&str]) -> String {
    use jwt_simple::prelude::*;
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Custom {
        workspace_id: String,
        roles: Vec<String>,
        email: String,
    }
    let custom = Custom {
        workspace_id: workspace_id.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        email: email.to_owned(),
    };
    let claims = Claims::with_custom_claims(custom, Duration::from_secs(300))
        .with_issuer("switchyard")
        .with_audience("switchyard")
        .with_subject(email);
    HS256Key::from_bytes(switchyard_tests::JWT_HS256_SECRET.as_bytes()).authenticate(claims).unwrap()
}

#[tokio::test]
async fn roles_bound_what_a_members_tokens_may_do_and_the_last_owner_stays() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let members = app.get_with_token("/functions/v1/member-list", &acme.token).await;
    let owner = &members["data"][0];
    assert_eq!((owner["role"].as_str(), owner["scopes"].clone()), (Some("owner"), json!(["admin"])));
    let owner_id = owner["member_id"].as_str().unwrap().to_owned();

    // Invite; a caller with members:write but not admin cannot make admins.
    let invited = app
        .call("send-invite")
        .token(&acme.token)
        .json(&json!({"email": "ada@acme.dev", "role": "admin"}))
        .send()
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    let ada = invited.json()["member_id"].as_str().unwrap().to_owned();
    let again = app.call("send-invite").token(&acme.token).json(&json!({"email": "ada@acme.dev"})).send().await;
    assert_eq!((again.status, again.json()["error"]["field"].as_str()), (409, Some("email")));
    let (manager, _) = app.issue(&acme, &["members:write", "lanes:read"]).await;
    let no_admins =
        app.call("send-invite").token(&manager).json(&json!({"email": "bo@acme.dev", "role": "admin"})).send().await;
    assert_eq!((no_admins.status, no_admins.json()["error"]["scope"].as_str()), (403, Some("admin")));
    let bo =
        app.call("send-invite").token(&manager).json(&json!({"email": "bo@acme.dev", "role": "viewer"})).send().await;
    assert_eq!(bo.json()["scopes"], json!(["lanes:read", "audit:read", "context:read", "issues:read"]));

    // Ada signs in (JWT with her email) and mints a PAT with everything she may.
    let ada_jwt = jwt_for(&acme.workspace_id, "ada@acme.dev", &["admin"]);
    let ada_pat =
        app.call("api-token-issue").token(&ada_jwt).json(&json!({"name": "ada", "scopes": ["admin"]})).send().await;
    assert_eq!(ada_pat.status, 201, "{}", ada_pat.text());
    let ada_pat = ada_pat.json()["token"].as_str().unwrap().to_owned();
    let rules = json!({"rules": []});
    assert_eq!(app.call("policy-update").token(&ada_pat).json(&rules).send().await.status, 201);

    // Demoted to viewer: her admin PAT is a viewer's on the very next request.
    let demoted =
        app.call("member-update").token(&acme.token).json(&json!({"member_id": ada, "role": "viewer"})).send().await;
    assert_eq!(demoted.json()["role"], "viewer", "{}", demoted.text());
    let refused = app.call("policy-update").token(&ada_pat).json(&rules).send().await;
    assert_eq!((refused.status, refused.json()["error"]["scope"].as_str()), (403, Some("policies:write")));
    assert_eq!(app.call("lane-list").token(&ada_pat).json(&json!({})).send().await.status, 200);
    let jwt_says_admin = jwt_for(&acme.workspace_id, "ada@acme.dev", &["admin"]);
    let beyond = app
        .call("api-token-issue")
        .token(&jwt_says_admin)
        .json(&json!({"name": "x", "scopes": ["tokens:write"]}))
        .send()
        .await;
    assert_eq!(
        (beyond.status, beyond.json()["error"]["scope"].as_str()),
        (403, Some("tokens:write")),
        "a JWT cannot lift a member either"
    );

    // One scope granted, then revoked; a role's own scope cannot be revoked alone.
    let granted = app
        .call("permission-grant")
        .token(&acme.token)
        .json(&json!({"member_id": ada, "scope": "approvals:write"}))
        .send()
        .await;
    assert_eq!(granted.json()["grants"], json!(["approvals:write"]), "{}", granted.text());
    let (run_id, harness) = running_lane(&app, &acme, &["src/**"]).await;
    act(&app, &harness, &run_id, json!({"kind": "push"})).await;
    let approved = app.call("lane-approve").token(&ada_pat).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(approved.status, 200, "the grant reaches her token: {}", approved.text());
    let (no_tokens, _) = app.issue(&acme, &["members:write"]).await;
    let overreach = app
        .call("permission-grant")
        .token(&no_tokens)
        .json(&json!({"member_id": ada, "scope": "tokens:write"}))
        .send()
        .await;
    assert_eq!(
        (overreach.status, overreach.json()["error"]["scope"].as_str()),
        (403, Some("tokens:write")),
        "grant only what you hold"
    );
    let revoked = app
        .call("permission-revoke")
        .token(&acme.token)
        .json(&json!({"member_id": ada, "scope": "approvals:write"}))
        .send()
        .await;
    assert_eq!(revoked.json()["grants"], json!([]));
    let role_scope = app
        .call("permission-revoke")
        .token(&acme.token)
        .json(&json!({"member_id": ada, "scope": "lanes:read"}))
        .send()
        .await;
    assert_eq!((role_scope.status, role_scope.json()["error"]["field"].as_str()), (422, Some("scope")));

    // The last owner can be neither demoted nor removed.
    for (name, body) in [
        ("member-update", json!({"member_id": owner_id, "role": "admin"})),
        ("member-remove", json!({"member_id": owner_id})),
    ] {
        let r = app.call(name).token(&acme.token).json(&body).send().await;
        assert_eq!(r.status, 409, "{name}: {}", r.text());
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("last owner"));
    }
    // Removing Ada revokes the tokens acting for her.
    let removed = app.call("member-remove").token(&acme.token).json(&json!({"member_id": ada})).send().await;
    assert_eq!(removed.json()["revoked_tokens"].as_array().map(Vec::len), Some(1), "{}", removed.text());
    assert_eq!(app.call("lane-list").token(&ada_pat).json(&json!({})).send().await.status, 401);
    let log = audited(&app, &acme).await;
    for action in ["send-invite", "member-update", "permission-grant", "permission-revoke", "member-remove"] {
        assert!(log.iter().any(|(_, a, _)| a == action), "no {action} in {log:?}");
    }
}
