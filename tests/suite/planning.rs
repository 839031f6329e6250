//! Planning and intake (issue 13): projects, issues and their relations,
//! signals folded by fingerprint (generic and Sentry-signed), the priority
//! queue and its atomic claim, prompt templates with versions and reviews,
//! and issues that follow their lanes.

use std::collections::HashSet;

use serde_json::{Value, json};
use switchyard_tests::{ApiResponse, Tenant, TestApp, lane_body, spawn_app_without_schedules};

async fn post(app: &TestApp, tenant: &Tenant, name: &str, body: Value) -> ApiResponse {
    app.call(name).token(&tenant.token).json(&body).send().await
}

async fn issue(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let r = post(app, tenant, "issue-create", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn issues_relate_and_the_queue_claims_the_best_unblocked_one() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let project =
        post(&app, &acme, "project-create", json!({"name": "Shop", "repository": "acme/shop", "goal": "Sell more"}))
            .await;
    assert_eq!(project.status, 201, "{}", project.text());
    let project_id = project.json()["id"].as_str().unwrap().to_owned();
    let again = post(&app, &acme, "project-create", json!({"name": "Shop", "repository": "acme/other"})).await;
    assert_eq!((again.status, again.code().as_str()), (409, "CONFLICT"));

    let low = issue(&app, &acme, json!({"title": "Tidy the README", "priority": "low", "type": "task"})).await;
    let urgent = issue(
        &app,
        &acme,
        json!({"title": "Checkout is down", "priority": "urgent", "type": "incident", "project_id": project_id}),
    )
    .await;
    let normal = issue(
        &app,
        &acme,
        json!({"title": "Add a coupon field", "type": "feature", "labels": ["checkout"], "project_id": project_id}),
    )
    .await;
    assert_eq!((low["number"].as_u64(), normal["number"].as_u64()), (Some(1), Some(3)), "numbers run per workspace");
    let bad = post(&app, &acme, "issue-create", json!({"title": "x", "project_id": "prj_nosuchproject"})).await;
    assert_eq!(bad.json()["error"]["field"], "project_id");

    // The urgent one waits for the normal one.
    let relate = |a: &Value, kind: &str, b: &Value| json!({"issue_id": a["id"], "kind": kind, "other_id": b["id"]});
    let r = post(&app, &acme, "issue-relate", relate(&urgent, "blocked_by", &normal)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["relations"][0]["kind"], "blocked_by");
    assert_eq!(r.json()["blocked"], true);
    let cycle = post(&app, &acme, "issue-relate", relate(&urgent, "blocks", &normal)).await;
    assert_eq!((cycle.status, cycle.code().as_str()), (409, "CONFLICT"), "{}", cycle.text());
    let itself = post(&app, &acme, "issue-relate", relate(&low, "blocks", &low)).await;
    assert_eq!(itself.json()["error"]["field"], "other_id");

    // Two signals of one problem are one issue, counted twice.
    let signal = |title: &str| json!({"title": title, "priority": "normal", "source": "support"});
    let first = post(&app, &acme, "signal-ingest", signal("Timeout after 3000 ms on order 81")).await;
    assert_eq!((first.status, first.json()["new_issue"].as_bool()), (201, Some(true)));
    let second = post(&app, &acme, "signal-ingest", signal("Timeout after 45 ms on order 7")).await;
    assert_eq!((second.status, second.json()["new_issue"].as_bool()), (200, Some(false)));
    let repeated = second.json()["issue"].clone();
    assert_eq!(
        (repeated["signal_count"].as_u64(), repeated["id"].clone()),
        (Some(2), first.json()["issue"]["id"].clone())
    );

    // The queue: normal priority with a repeat, then normal, then low; the urgent one is blocked.
    let queue = post(&app, &acme, "dispatch-queue", json!({})).await.json();
    let order: Vec<&str> =
        queue["data"].as_array().unwrap().iter().map(|q| q["issue"]["title"].as_str().unwrap()).collect();
    assert_eq!(order, ["Timeout after 3000 ms on order 81", "Add a coupon field", "Tidy the README"]);
    assert_eq!(queue["blocked"], 1);
    let top = &queue["data"][0]["score"];
    assert_eq!(
        (top["priority"].as_u64(), top["signals"].as_u64(), top["total"].as_u64()),
        (Some(200), Some(2), Some(202))
    );

    // Claims take the queue in order; the template for its type fills the prompt.
    let template = json!({"name": "feature", "body": "Build #{{issue.number}} {{issue.title}} in {{project.repository}} ({{project.goal}})."});
    assert_eq!(post(&app, &acme, "template-create", template).await.status, 201);
    let claim = |worker: &str| json!({"worker": worker, "lease_seconds": 60});
    let c1 = post(&app, &acme, "dispatch-claim", claim("w1")).await;
    assert_eq!(c1.json()["issue"]["signal_count"], 2, "{}", c1.text());
    assert!(c1.json()["template"].is_null(), "no `bug` or `default` template: the built-in prompt");
    let c2 = post(&app, &acme, "dispatch-claim", claim("w2")).await.json();
    assert_eq!(c2["prompt"], "Build #3 Add a coupon field in acme/shop (Sell more).");
    assert_eq!((c2["template"]["name"].as_str(), c2["template"]["version"].as_u64()), (Some("feature"), Some(1)));
    assert_eq!((c2["issue"]["status"].as_str(), c2["issue"]["claimed_by"].as_str()), (Some("claimed"), Some("w2")));
    assert_eq!(c2["repository"], "acme/shop");
    let c3 = post(&app, &acme, "dispatch-claim", claim("w3")).await.json();
    assert_eq!(c3["issue"]["title"], "Tidy the README");
    let none = post(&app, &acme, "dispatch-claim", claim("w4")).await;
    assert_eq!(none.status, 204, "the urgent issue is still blocked: {}", none.text());

    // A silent claimer's issue returns to the queue when its lease runs out.
    app.db()
        .execute(
            "UPDATE issues SET claim_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
            [c3["issue"]["id"].as_str().unwrap()],
        )
        .unwrap();
    let retaken = post(&app, &acme, "dispatch-claim", claim("w5")).await.json();
    assert_eq!(
        (retaken["issue"]["id"].clone(), retaken["issue"]["claimed_by"].as_str()),
        (c3["issue"]["id"].clone(), Some("w5"))
    );

    // Closing the blocker unblocks the urgent issue, which goes first.
    let wrong = post(&app, &acme, "issue-update", json!({"issue_id": normal["id"], "status": "claimed"})).await;
    assert_eq!(wrong.json()["error"]["field"], "status");
    let done = post(&app, &acme, "issue-update", json!({"issue_id": normal["id"], "status": "done"})).await;
    assert_eq!(done.json()["status"], "done");
    let next = post(&app, &acme, "dispatch-claim", claim("w6")).await.json();
    assert_eq!(next["issue"]["title"], "Checkout is down");
    assert!(
        next["prompt"].as_str().unwrap().starts_with("Work on issue #2 (incident, urgent priority): Checkout is down")
    );

    // Comments, relations both ways, filters and pages.
    let said = post(&app, &acme, "issue-comment", json!({"issue_id": urgent["id"], "body": "On it."})).await;
    assert_eq!(said.status, 201);
    let detail = post(&app, &acme, "issue-get", json!({"issue_id": normal["id"]})).await.json();
    assert_eq!(detail["relations"][0]["kind"], "blocks");
    let detail = post(&app, &acme, "issue-get", json!({"issue_id": urgent["id"]})).await.json();
    assert_eq!(detail["comments"][0]["body"], "On it.");
    assert_eq!(detail["blocked"], false);
    let labelled = post(&app, &acme, "issue-list", json!({"label": "checkout"})).await.json();
    assert_eq!(labelled["data"].as_array().unwrap().len(), 1);
    let page = post(&app, &acme, "issue-list", json!({"limit": 2})).await.json();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let rest = post(&app, &acme, "issue-list", json!({"limit": 2, "cursor": page["next_cursor"]})).await.json();
    assert_eq!(rest["data"].as_array().unwrap().len(), 2);
    assert!(rest["next_cursor"].is_null());
    let projects = post(&app, &acme, "project-list", json!({})).await.json();
    assert_eq!(projects["data"][0]["open_issues"], 1, "the coupon issue is done; the outage is claimed");

    // A duplicate is cancelled.
    let dup = issue(&app, &acme, json!({"title": "Checkout down again"})).await;
    post(&app, &acme, "issue-relate", relate(&dup, "duplicate_of", &urgent)).await;
    let dup = post(&app, &acme, "issue-get", json!({"issue_id": dup["id"]})).await.json();
    assert_eq!(dup["status"], "cancelled");
}

#[tokio::test]
async fn an_issue_follows_its_lane() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let harness = app.register_harness(&acme, "script", &[], 60).await;
    for (outcome, status) in [("completed", "done"), ("failed", "open")] {
        let made = issue(&app, &acme, json!({"title": format!("will be {outcome}")})).await;
        let claimed = post(&app, &acme, "dispatch-claim", json!({})).await.json();
        assert_eq!(claimed["issue"]["id"], made["id"]);
        let mut body = lane_body("acme/shop", &["src/**"]);
        body["issue_id"] = made["id"].clone();
        body["brief"] = claimed["prompt"].clone();
        let run_id = app.run_lane(&acme, body).await;
        let working = post(&app, &acme, "issue-get", json!({"issue_id": made["id"]})).await.json();
        assert_eq!(
            (working["status"].as_str(), working["run_id"].as_str()),
            (Some("in_progress"), Some(run_id.as_str()))
        );
        app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
        let report = if outcome == "completed" {
            json!({"type": "completed", "exit_code": 0})
        } else {
            json!({"type": "failed", "exit_code": 1, "error": "tests failed"})
        };
        let r = app
            .call("harness-event")
            .token(&harness.credential)
            .json(&json!({"run_id": run_id, "events": [report]}))
            .send()
            .await;
        assert_eq!(r.json()["state"], outcome, "{}", r.text());
        let after = post(&app, &acme, "issue-get", json!({"issue_id": made["id"]})).await.json();
        assert_eq!(after["status"], status, "a lane {outcome}: the issue is {status}");
    }
    // A lane cannot take an issue that is done.
    let done = post(&app, &acme, "issue-list", json!({"status": "done"})).await.json();
    let mut body = lane_body("acme/shop", &["docs/**"]);
    body["issue_id"] = done["data"][0]["id"].clone();
    let r = app.call("agent-run").token(&acme.token).json(&body).send().await;
    assert_eq!((r.status, r.code().as_str()), (409, "CONFLICT"), "{}", r.text());
}

#[tokio::test]
async fn fifty_racing_claimers_never_get_the_same_issue() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    // 1 000 issues, set up directly (the API would take the plan's write budget).
    switchyard_tests::seed_issues(&app, &acme.workspace_id, 1000, false);
    let mut tokens = Vec::new();
    for _ in 0..50 {
        tokens.push(app.issue(&acme, &["issues:write"]).await.0);
    }
    let claimers = tokens.into_iter().enumerate().map(|(i, token)| {
        let app = &app;
        async move {
            let mut got = Vec::new();
            loop {
                let r = app.call("dispatch-claim").token(&token).json(&json!({"worker": format!("w{i}")})).send().await;
                match r.status {
                    200 => got.push(r.json()["issue"]["id"].as_str().unwrap().to_owned()),
                    204 => return got,
                    other => panic!("claimer {i}: {other} {}", r.text()),
                }
            }
        }
    });
    let all: Vec<String> = futures::future::join_all(claimers).await.into_iter().flatten().collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (1000, 1000), "every issue claimed exactly once");
}

#[tokio::test]
async fn templates_keep_versions_and_their_health() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let create = |body: &str, activate: bool| json!({"name": "bug", "body": body, "activate": activate});
    let v1 = post(&app, &acme, "template-create", create("Fix {{issue.title}}.", false)).await.json();
    assert_eq!((v1["active_version"].as_u64(), v1["versions"][0]["active"].as_bool()), (Some(1), Some(true)));
    let unknown = post(&app, &acme, "template-create", create("Fix {{issue.secret}}", false)).await;
    assert_eq!((unknown.json()["error"]["field"].as_str(), unknown.status), (Some("body"), 422));
    assert!(unknown.text().contains("issue.secret"));
    let v2 = post(&app, &acme, "template-create", create("Fix {{issue.title}}; add a test.", false)).await.json();
    assert_eq!(
        (v2["active_version"].as_u64(), v2["versions"][0]["version"].as_u64()),
        (Some(1), Some(2)),
        "a new version waits for promotion"
    );

    let review = |version: u64, score: u64| json!({"name": "bug", "version": version, "score": score, "notes": "ok"});
    post(&app, &acme, "template-review", review(1, 5)).await;
    let t = post(&app, &acme, "template-review", review(1, 3)).await.json();
    let v1 = &t["versions"][1];
    assert!((v1["health"].as_f64().unwrap() - 4.4).abs() < 1e-9, "{v1}");
    assert_eq!(v1["reviews"], 2);
    let out_of_range = post(&app, &acme, "template-review", review(1, 6)).await;
    assert_eq!(out_of_range.json()["error"]["field"], "score");

    let promoted = post(&app, &acme, "template-promote", json!({"name": "bug", "version": 2})).await.json();
    assert_eq!(promoted["active_version"], 2);
    // Reviews of the active version by default; a worse one is flagged.
    let t = post(&app, &acme, "template-review", json!({"name": "bug", "score": 2})).await.json();
    assert_eq!((t["versions"][0]["health"].as_f64(), t["versions"][0]["regressed"].as_bool()), (Some(2.0), Some(true)));
    let got = post(&app, &acme, "template-get", json!({"name": "bug"})).await.json();
    assert_eq!(got, t);
    let missing = post(&app, &acme, "template-promote", json!({"name": "bug", "version": 9})).await;
    assert_eq!(missing.status, 404);
    let none = post(&app, &acme, "template-get", json!({"name": "feature"})).await;
    assert_eq!(none.status, 404);
}

fn sentry_error(issue_id: &str, title: &str) -> Value {
    json!({"action": "created", "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"}, "data": {"error": {
        "issue_id": issue_id, "title": title, "level": "error", "culprit": "billing.totals in compute",
        "web_url": format!("https://sentry.io/organizations/acme/issues/{issue_id}/"),
        "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero", "stacktrace": {"frames": [
            {"filename": "src/billing/handlers.py", "function": "invoice", "lineno": 40, "in_app": true},
            {"filename": "src/billing/totals.py", "function": "compute", "lineno": 12, "in_app": true}]}}]}}}})
}

#[tokio::test]
async fn sentry_signals_are_verified_and_fold_by_sentry_issue() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let secret = "sentry-client-secret-0123456789";
    let source = post(&app, &acme, "signal-source-create", json!({"provider": "sentry", "secret": secret})).await;
    assert_eq!(source.status, 201, "{}", source.text());
    let path = source.json()["webhook_path"].as_str().unwrap().trim_start_matches("/functions/v1/").to_owned();
    let send = |resource: &str, body: &Value, key: &str| {
        let raw = serde_json::to_vec(body).unwrap();
        let signature = switchyard_tests::github_signature(key, &raw).trim_start_matches("sha256=").to_owned();
        app.call(&path)
            .header("sentry-hook-resource", resource)
            .header("sentry-hook-signature", &signature)
            .header("request-id", "ab2ae6d1-1a5d-4bd0-9fea-5a0d2b3d8ac6")
            .raw(raw)
            .send()
    };
    let error = sentry_error("1170820242", "ZeroDivisionError: division by zero");
    let wrong = send("error", &error, "not-the-secret-at-all").await;
    assert_eq!(wrong.status, 401);
    let first = send("error", &error, secret).await;
    assert_eq!((first.status, first.json()["new_issue"].as_bool()), (202, Some(true)), "{}", first.text());
    let issue = first.json()["issue"].clone();
    assert_eq!(
        (issue["priority"].as_str(), issue["type"].as_str(), issue["source"].as_str()),
        (Some("high"), Some("bug"), Some("sentry"))
    );
    assert!(issue["body"].as_str().unwrap().contains("at compute (src/billing/totals.py:12)"));
    assert_eq!(issue["trace_files"], json!(["src/billing/totals.py", "src/billing/handlers.py"]));
    let again = send("error", &error, secret).await;
    assert_eq!(
        (again.json()["new_issue"].as_bool(), again.json()["issue"]["signal_count"].as_u64()),
        (Some(false), Some(2))
    );
    let other = send("error", &sentry_error("99", "KeyError: 'sku'"), secret).await;
    assert_eq!(other.json()["new_issue"], true);
    let ignored = send("installation", &json!({"action": "created"}), secret).await;
    assert_eq!((ignored.status, ignored.json()["ignored"].is_string()), (200, true));
    let broken = send("error", &json!({"action": "created", "data": {}}), secret).await;
    assert_eq!(broken.status, 422);
    let audited: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'sentry-webhook:signal'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 3);

    // Trace to fix: a lane claiming exactly the files in the trace, its brief the issue's prompt.
    let fix = json!({"issue_id": issue["id"], "harness_kind": "script", "repository": "acme/shop"});
    let r = post(&app, &acme, "trace-to-fix", fix.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let lane = r.json()["lane"].clone();
    assert_eq!(lane["claim"], json!(["src/billing/totals.py", "src/billing/handlers.py"]));
    assert!(lane["brief"].as_str().unwrap().starts_with("Work on issue #1 (bug, high priority): ZeroDivisionError"));
    assert_eq!(
        (r.json()["issue"]["status"].as_str(), r.json()["issue"]["run_id"].clone()),
        (Some("in_progress"), lane["run_id"].clone())
    );
    // A second fix would claim the same files as the first lane.
    let twice = post(&app, &acme, "trace-to-fix", fix).await;
    assert_eq!(twice.code(), "LANE_SCOPE_DENIED", "{}", twice.text());
    let plain = post(&app, &acme, "issue-create", json!({"title": "No trace here"})).await.json();
    let r = post(
        &app,
        &acme,
        "trace-to-fix",
        json!({"issue_id": plain["id"], "harness_kind": "script", "repository": "acme/shop"}),
    )
    .await;
    assert_eq!(r.json()["error"]["field"], "issue_id");
    let r =
        post(&app, &acme, "trace-to-fix", json!({"issue_id": other.json()["issue"]["id"], "harness_kind": "script"}))
            .await;
    assert_eq!(r.json()["error"]["field"], "repository", "no project: the repository must be named");
}
