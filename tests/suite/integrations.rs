//! Integrations (issue 12), spoken to as a forge, a CI system and a webhook
//! receiver would: signed GitHub and GitLab deliveries (bad signatures,
//! redeliveries, unknown events), lanes that learn their pull request,
//! checks and verification, outbound webhooks verified by an independent
//! Standard Webhooks implementation (retries, dead letter, redelivery,
//! auto-disable, refused targets, a hanging receiver) and the changelog.

use std::time::Duration;

use serde_json::{Value, json};
use switchyard_tests::receiver::{Answer, Receiver};
use switchyard_tests::{
    ApiResponse, SERVICE_ROLE_KEY, Tenant, TestApp, github_signature, lane_body, spawn_app_without_schedules,
    spawn_app_without_schedules_with,
};

const SECRET: &str = "a-forge-secret-of-some-length";

/// A GitHub delivery signed with `secret`.
async fn github(
    app: &TestApp,
    connection: &str,
    secret: &str,
    event: &str,
    delivery: &str,
    body: &Value,
) -> ApiResponse {
    let raw = serde_json::to_vec(body).unwrap();
    app.call(&format!("github-webhook?connection={connection}"))
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", &github_signature(secret, &raw))
        .header("content-type", "application/json")
        .raw(raw)
        .send()
        .await
}

async fn gitlab(app: &TestApp, connection: &str, token: &str, event: &str, uuid: &str, body: &Value) -> ApiResponse {
    app.call(&format!("gitlab-webhook?connection={connection}"))
        .header("x-gitlab-event", event)
        .header("x-gitlab-event-uuid", uuid)
        .header("x-gitlab-token", token)
        .json(body)
        .send()
        .await
}

async fn connect(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let made = app.call("forge-connection-create").token(&tenant.token).json(&body).send().await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()
}

/// A lane a harness ran and completed, its work pushed to `branch`.
async fn completed_lane(app: &TestApp, tenant: &Tenant, repository: &str, branch: &str) -> String {
    let harness = app.register_harness(tenant, "script", &[], 60).await;
    let run_id = app.run_lane(tenant, lane_body(repository, &["src/**"])).await;
    let dispatched = app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.text());
    let done = json!({"run_id": run_id, "events": [{"type": "completed", "exit_code": 0, "branch": branch}]});
    let r = app.call("harness-event").token(&harness.credential).json(&done).send().await;
    assert_eq!(r.json()["state"], "completed", "{}", r.text());
    run_id
}

async fn events_of(app: &TestApp, tenant: &Tenant, run_id: &str, kind: &str) -> Vec<Value> {
    let page = app.call("lane-events").token(&tenant.token).json(&json!({"run_id": run_id})).send().await.json();
    page["data"].as_array().unwrap().iter().filter(|e| e["type"] == kind).cloned().collect()
}

fn pull_request(action: &str, merged: bool, branch: &str, labels: &[&str]) -> Value {
    json!({
        "action": action,
        "number": 42,
        "repository": {"full_name": "acme/shop", "html_url": "https://github.com/acme/shop"},
        "sender": {"login": "octocat"},
        "pull_request": {
            "number": 42, "state": if action == "closed" { "closed" } else { "open" }, "merged": merged,
            "title": "Fix the checkout <total>", "body": "Totals were off by one.\n\nMore detail.",
            "html_url": "https://github.com/acme/shop/pull/42", "user": {"login": "octocat"},
            "head": {"ref": branch, "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
            "base": {"ref": "main"}, "merge_commit_sha": if merged { json!("e5bd3914e2e596debea16f433f57875b5b90bcd6") } else { Value::Null },
            "labels": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()
        }
    })
}

#[tokio::test]
async fn github_deliveries_are_verified_stored_once_and_move_their_lane() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let connection =
        connect(&app, &acme, json!({"provider": "github", "secret": SECRET, "auto_changelog": true})).await;
    let id = connection["id"].as_str().unwrap();
    assert_eq!(connection["secret"], SECRET);
    assert_eq!(connection["webhook_path"], format!("/functions/v1/github-webhook?connection={id}"));
    let run_id = completed_lane(&app, &acme, "acme/shop", "switchyard/checkout").await;
    let stored = || app.db().query_row("SELECT COUNT(*) FROM forge_deliveries", [], |r| r.get::<_, i64>(0)).unwrap();

    // A wrong signature, none at all, another connection's id: 401, nothing stored.
    let opened = pull_request("opened", false, "switchyard/checkout", &["bug"]);
    let wrong = github(&app, id, "not-the-secret-at-all", "pull_request", "d-1", &opened).await;
    assert_eq!((wrong.status, wrong.code().as_str()), (401, "UNAUTHORIZED"), "{}", wrong.text());
    let unsigned = app
        .call(&format!("github-webhook?connection={id}"))
        .header("x-github-event", "pull_request")
        .header("x-github-delivery", "d-1")
        .json(&opened)
        .send()
        .await;
    assert_eq!(unsigned.status, 401);
    let stranger = github(&app, "conn_nosuchconnection", SECRET, "pull_request", "d-1", &opened).await;
    assert_eq!(stranger.status, 401);
    let no_connection = app.call("github-webhook").header("x-github-event", "ping").json(&json!({})).send().await;
    assert_eq!(no_connection.status, 401);
    assert_eq!(stored(), 0);

    // GitHub's ping, then the pull request opened on the lane's branch.
    let ping = github(&app, id, SECRET, "ping", "d-0", &json!({"zen": "Keep it logically awesome."})).await;
    assert_eq!((ping.status, ping.json()["outcome"].as_str()), (202, Some("pong")), "{}", ping.text());
    let first = github(&app, id, SECRET, "pull_request", "d-1", &opened).await;
    assert_eq!(first.status, 202, "{}", first.text());
    assert_eq!(first.json()["state"], "processed");
    assert_eq!(first.json()["duplicate"], false);
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(lane["branch"], "switchyard/checkout");
    assert_eq!(
        lane["pull_request"],
        json!({"number": 42, "url": "https://github.com/acme/shop/pull/42", "state": "open"})
    );

    // A redelivery is acknowledged and does nothing again.
    let again = github(&app, id, SECRET, "pull_request", "d-1", &opened).await;
    assert_eq!((again.status, again.json()["duplicate"].as_bool()), (200, Some(true)), "{}", again.text());
    assert_eq!(events_of(&app, &acme, &run_id, "pull_request").await.len(), 1);

    // A failing check run on the pull request reaches the lane.
    let check = json!({"action": "completed", "repository": {"full_name": "acme/shop"}, "check_run": {
        "name": "test", "status": "completed", "conclusion": "failure",
        "html_url": "https://github.com/acme/shop/runs/4", "check_suite": {"head_branch": "switchyard/checkout"},
        "pull_requests": [{"number": 42}], "output": {"title": "1 failing", "summary": "checkout::total failed"}}});
    let r = github(&app, id, SECRET, "check_run", "d-2", &check).await;
    assert_eq!(r.json()["state"], "processed", "{}", r.text());
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(lane["checks"][0]["name"], "test");
    assert_eq!(lane["checks"][0]["status"], "failure");
    assert_eq!(lane["checks"][0]["summary"], "checkout::total failed");
    assert_eq!(events_of(&app, &acme, &run_id, "check").await.len(), 1);

    // Events Switchyard does not act on are acknowledged and kept as ignored.
    let star = github(&app, id, SECRET, "star", "d-3", &json!({"action": "created"})).await;
    assert_eq!((star.status, star.json()["state"].as_str()), (202, Some("ignored")));
    let broken = github(&app, id, SECRET, "pull_request", "d-4", &json!({"action": "opened"})).await;
    assert_eq!((broken.status, broken.json()["state"].as_str()), (202, Some("failed")), "{}", broken.text());

    // Merged: the lane is merged and the changelog has the entry.
    let merged =
        github(&app, id, SECRET, "pull_request", "d-5", &pull_request("closed", true, "switchyard/checkout", &["bug"]))
            .await;
    assert!(merged.json()["outcome"].as_str().unwrap().contains("lane merged"), "{}", merged.text());
    assert_eq!(app.lane(&acme, &run_id).await["state"], "merged");
    let changelog = app.client_get("/functions/v1/changelog?workspace=acme").await;
    assert_eq!(changelog["entries"][0]["category"], "Fixes");
    assert_eq!(changelog["entries"][0]["summary"], "Totals were off by one.");
    assert_eq!(changelog["entries"][0]["pr_number"], 42);

    // Every verified delivery is in the audit log; refused ones are not.
    let received: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'github-webhook:received'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(received, 6);
}

#[tokio::test]
async fn a_rotated_secret_keeps_working_for_its_overlap_only() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let made = connect(&app, &acme, json!({"provider": "github"})).await;
    let (id, old) = (made["id"].as_str().unwrap(), made["secret"].as_str().unwrap().to_owned());
    assert_eq!(old.len(), 64, "a generated secret is 32 random bytes in hex");
    let listed = app.call("forge-connection-list").token(&acme.token).json(&json!({})).send().await.json();
    assert!(listed["data"][0].get("secret").is_none(), "a listing never shows the secret");

    let rotate = |overlap: u64| json!({"connection_id": id, "overlap_seconds": overlap});
    let rotated = app.call("forge-connection-rotate").token(&acme.token).json(&rotate(3600)).send().await.json();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_valid_until"].is_string());
    for (n, secret) in [&old, &new].into_iter().enumerate() {
        let r = github(&app, id, secret, "ping", &format!("p-{n}"), &json!({})).await;
        assert_eq!(r.status, 202, "secret {n}: {}", r.text());
    }
    // Without an overlap the secret before is refused at once.
    let newest = app.call("forge-connection-rotate").token(&acme.token).json(&rotate(0)).send().await.json();
    let r = github(&app, id, &new, "ping", "p-3", &json!({})).await;
    assert_eq!(r.status, 401);
    let r = github(&app, id, newest["secret"].as_str().unwrap(), "ping", "p-4", &json!({})).await;
    assert_eq!(r.status, 202);
}

#[tokio::test]
async fn gitlab_notes_dispatch_lanes_and_pipelines_follow_up() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let body = json!({"provider": "gitlab", "secret": SECRET, "bot_handle": "switchyard",
        "dispatch_harness_kind": "script", "dispatch_claim": ["src/**"], "ci_follow_up": true});
    let id = connect(&app, &acme, body).await["id"].as_str().unwrap().to_owned();

    let wrong = gitlab(&app, &id, "nope-nope-nope-nope", "Note Hook", "u-1", &json!({})).await;
    assert_eq!(wrong.status, 401);
    let unnamed = app
        .call(&format!("gitlab-webhook?connection={id}"))
        .header("x-gitlab-event", "Note Hook")
        .header("x-gitlab-token", SECRET)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!((unnamed.status, unnamed.json()["error"]["field"].as_str()), (422, Some("x-gitlab-event-uuid")));

    // A note that mentions the bot dispatches a lane with the rest as its brief.
    let note = json!({"object_kind": "note", "user": {"username": "ana"},
        "project": {"path_with_namespace": "acme/shop"},
        "object_attributes": {"note": "@switchyard please fix the flaky checkout test",
            "url": "https://gitlab.example.com/acme/shop/-/merge_requests/7#note_1"},
        "merge_request": {"iid": 7}});
    let r = gitlab(&app, &id, SECRET, "Note Hook", "u-2", &note).await;
    let outcome = r.json()["outcome"].as_str().unwrap().to_owned();
    assert!(outcome.contains("dispatched"), "{}", r.text());
    let lanes = app.call("lane-list").token(&acme.token).json(&json!({})).send().await.json();
    let lane = &lanes["data"][0];
    assert!(lane["brief"].as_str().unwrap().starts_with("please fix the flaky checkout test"));
    assert!(lane["brief"].as_str().unwrap().contains("@ana"));
    assert_eq!(lane["labels"], json!([]), "labels restrict dispatch; the forge's user is in the audit log");
    let audited: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE actor = 'forge:gitlab:ana'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 1);
    // A note that does not mention the bot does nothing.
    let mut other = note.clone();
    other["object_attributes"]["note"] = json!("thanks @switchyard-fan");
    let r = gitlab(&app, &id, SECRET, "Note Hook", "u-3", &other).await;
    assert!(r.json()["outcome"].as_str().unwrap().starts_with("ignored"), "{}", r.text());

    // The dispatched lane runs and reports its branch; a failed pipeline interrupts it.
    let run_id = lane["run_id"].as_str().unwrap().to_owned();
    let harness = app.register_harness(&acme, "script", &[], 60).await;
    app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    let push = json!({"object_kind": "push", "ref": "refs/heads/fix-checkout", "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        "total_commits_count": 2, "project": {"path_with_namespace": "acme/shop"}});
    let r = gitlab(&app, &id, SECRET, "Push Hook", "u-4", &push).await;
    assert!(r.json()["outcome"].as_str().unwrap().starts_with("no lane"), "the branch is not known yet");
    let mr = json!({"object_kind": "merge_request", "user": {"username": "ana"},
        "project": {"path_with_namespace": "acme/shop"}, "labels": [{"title": "feature"}],
        "object_attributes": {"iid": 7, "action": "open", "source_branch": "fix-checkout", "title": "Fix checkout",
            "url": "https://gitlab.example.com/acme/shop/-/merge_requests/7"}});
    let r = gitlab(&app, &id, SECRET, "Merge Request Hook", "u-5", &mr).await;
    assert!(r.json()["outcome"].as_str().unwrap().starts_with("no lane"));
    // Once the harness reports the branch it pushed, the forge's events find the lane.
    let pushed = json!({"run_id": run_id, "events": [{"type": "branch", "branch": "fix-checkout"}]});
    let r = app.call("harness-event").token(&harness.credential).json(&pushed).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app.lane(&acme, &run_id).await["branch"], "fix-checkout");
    let r = gitlab(&app, &id, SECRET, "Push Hook", "u-4b", &push).await;
    assert!(r.json()["outcome"].as_str().unwrap().starts_with("push recorded"), "{}", r.text());
    let r = gitlab(&app, &id, SECRET, "Merge Request Hook", "u-6", &mr).await;
    assert!(r.json()["outcome"].as_str().unwrap().contains("#7 open"), "{}", r.text());
    let pipeline = json!({"object_kind": "pipeline", "project": {"path_with_namespace": "acme/shop"},
        "object_attributes": {"id": 31, "status": "failed", "ref": "fix-checkout",
            "url": "https://gitlab.example.com/acme/shop/-/pipelines/31"},
        "merge_request": {"iid": 7},
        "builds": [{"name": "lint", "status": "success"}, {"name": "test", "status": "failed"}]});
    let r = gitlab(&app, &id, SECRET, "Pipeline Hook", "u-7", &pipeline).await;
    assert!(r.json()["outcome"].as_str().unwrap().contains("follow-up interrupt"), "{}", r.text());
    let beat = app.call("harness-heartbeat").token(&harness.credential).json(&json!({})).send().await.json();
    let interrupts = &beat["lanes"][0]["interrupts"];
    let message = interrupts[0]["message"].as_str().unwrap();
    assert!(message.contains("CI check `pipeline` failed") && message.contains("job `test` failed"), "{message}");
}

#[tokio::test]
async fn ci_events_and_verification_reach_the_lane_and_the_badge() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let run_id = completed_lane(&app, &acme, "acme/shop", "feature/x").await;
    let ingest = |body: Value| app.call("ci-event-ingest").token(&acme.token).json(&body).send();

    let neither = ingest(json!({"job": "test", "status": "success"})).await;
    assert_eq!((neither.status, neither.json()["error"]["field"].as_str()), (422, Some("run_id")));
    let bad_status = ingest(json!({"run_id": run_id, "job": "test", "status": "green"})).await;
    assert_eq!(bad_status.json()["error"]["field"], "status");
    let elsewhere = ingest(json!({"repository": "acme/shop", "branch": "nope", "job": "t", "status": "success"})).await;
    assert_eq!(elsewhere.status, 404);
    // By branch; a long log keeps its end.
    let log = format!("{}\nFAILED: checkout::total", "x".repeat(10_000));
    let failed = ingest(json!({"repository": "acme/shop", "branch": "feature/x", "job": "test", "status": "failure",
        "url": "https://ci.example.com/builds/9", "log_excerpt": log, "follow_up": true}))
    .await;
    assert_eq!(failed.status, 200, "{}", failed.text());
    let summary = failed.json()["check"]["summary"].as_str().unwrap().to_owned();
    assert!(summary.ends_with("FAILED: checkout::total") && summary.chars().count() == 4_000);
    assert!(failed.json()["follow_up_interrupt_id"].is_null(), "a completed lane has no agent to interrupt");

    let verify = |body: Value| app.call("verify-lane").token(SERVICE_ROLE_KEY).json(&body).send();
    let member = app.call("verify-lane").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(member.status, 401, "verify-lane is for the deployment (service-role)");
    let unknown = verify(json!({"run_id": "lane_nosuchlane"})).await;
    assert_eq!(unknown.status, 404);
    let v = verify(json!({"run_id": run_id, "required_checks": ["test", "lint"]})).await.json();
    assert_eq!(
        (v["verified"].as_bool(), v["failing"].clone(), v["missing"].clone()),
        (Some(false), json!(["test"]), json!(["lint"]))
    );
    let badge = app.client_get_text("/functions/v1/badge?workspace=acme&kind=build").await;
    assert!(badge.contains("failing"), "{badge}");

    for job in ["test", "lint"] {
        let r = ingest(json!({"run_id": run_id, "job": job, "status": "success"})).await;
        assert_eq!(r.status, 200);
    }
    let v = verify(json!({"run_id": run_id, "required_checks": ["test", "lint"]})).await.json();
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(app.lane(&acme, &run_id).await["verified"], true);
    assert!(app.client_get_text("/functions/v1/badge?workspace=acme&kind=build").await.contains("passing"));
    assert_eq!(events_of(&app, &acme, &run_id, "verification").await.len(), 2);
    let audited: i64 = app
        .db()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'verify-lane' AND workspace_id = ?1",
            [&acme.workspace_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn the_changelog_is_published_and_read_as_json_and_atom() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let publish = |body: Value| app.call("changelog-publish").token(&acme.token).json(&body).send();
    let pr = json!({"repository": "acme/shop", "pr_number": 7, "title": "Speed up <search> & sort",
        "body": "<!-- template -->\n## Changelog\nSearch is twice as fast.\n", "labels": ["performance", "Breaking Change"],
        "author": "ana", "merge_commit": "abc123", "url": "https://github.com/acme/shop/pull/7"});
    let first = publish(pr.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["category"], "Breaking changes");
    assert_eq!(first.json()["summary"], "Search is twice as fast.");
    let again = publish(pr.clone()).await;
    assert_eq!((again.status, again.json()["id"].clone()), (200, first.json()["id"].clone()), "one entry per PR");
    let bad = publish(json!({"repository": "acme/shop", "pr_number": 0, "title": "x"})).await;
    assert_eq!(bad.json()["error"]["field"], "pr_number");

    let feed = app.client_get("/functions/v1/changelog?workspace=acme").await;
    assert_eq!(feed["entries"].as_array().unwrap().len(), 1);
    let r = app.get("/functions/v1/changelog?workspace=acme&format=atom").await;
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let atom = r.text().await.unwrap();
    let doc = roxmltree::Document::parse(&atom).expect("the feed is well-formed XML");
    let title = doc.descendants().find(|n| n.has_tag_name("entry")).unwrap();
    let title = title.children().find(|n| n.has_tag_name("title")).unwrap().text().unwrap();
    assert_eq!(title, "[Breaking changes] Speed up <search> & sort (#7)");
    let none = app.client_get("/functions/v1/changelog?workspace=nobody").await;
    assert_eq!(none["entries"], json!([]));
}

/// The product with a webhook receiver it may reach on loopback (named at
/// both checks: the deployment's variable and the host's exception).
async fn app_for(receivers: &[&Receiver], extra: &[(&str, &str)]) -> TestApp {
    let targets: Vec<String> = receivers.iter().map(|r| format!("127.0.0.1:{}", r.port)).collect();
    let targets = targets.join(",");
    let mut env = vec![
        ("SPIN_VARIABLE_WEBHOOK_PRIVATE_TARGETS", targets.as_str()),
        ("SWITCHYARD_OUTBOUND_PRIVATE", targets.as_str()),
    ];
    env.extend_from_slice(extra);
    spawn_app_without_schedules_with(&env).await
}

async fn endpoint(app: &TestApp, tenant: &Tenant, url: &str, events: &[&str]) -> Value {
    let r = app
        .call("webhook-endpoint-create")
        .token(&tenant.token)
        .json(&json!({"url": url, "event_types": events}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn deliveries(app: &TestApp, tenant: &Tenant) -> Vec<Value> {
    let page = app.call("webhook-delivery-list").token(&tenant.token).json(&json!({})).send().await.json();
    page["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn outbound_webhooks_are_signed_retried_dead_lettered_and_redelivered() {
    let receiver = Receiver::start();
    let app = app_for(&[&receiver], &[("SPIN_VARIABLE_WEBHOOK_RETRY_SCHEDULE", "0,1,1")]).await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let made = endpoint(&app, &acme, &receiver.url("/hooks/switchyard"), &["lane.queued"]).await;
    let secret = made["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    receiver.set_secret(secret);
    let listed = app.call("webhook-endpoint-list").token(&acme.token).json(&json!({})).send().await.json();
    assert!(listed["data"][0].get("secret").is_none());

    // Three attempts fail, then the delivery is dead.
    receiver.script(&[Answer::Status(500), Answer::Status(503), Answer::Status(500)], Some(Answer::Status(204)));
    let run_id = app.run_lane(&acme, lane_body("acme/shop", &["src/**"])).await;
    let queued = deliveries(&app, &acme).await;
    assert_eq!((queued.len(), queued[0]["state"].as_str()), (1, Some("pending")), "the outbox row came with the lane");
    for attempt in 1..=3 {
        let report = app.tick_over_http("outbound-webhook-tick").await;
        assert_eq!(report["delivered"], 0, "attempt {attempt}: {report}");
        tokio::time::sleep(Duration::from_millis(1_300)).await;
    }
    let dead = &deliveries(&app, &acme).await[0];
    assert_eq!(dead["state"], "dead", "{dead}");
    let statuses: Vec<u64> =
        dead["attempt_log"].as_array().unwrap().iter().map(|a| a["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [500, 503, 500]);
    assert_eq!(dead["attempt_log"][1]["response_excerpt"], "status 503");
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert_eq!(r.verified, Ok(()), "the signature verifies independently");
        assert_eq!(
            r.header("webhook-id"),
            Some(dead["message_id"].as_str().unwrap()),
            "one message id for every attempt"
        );
        assert_eq!(r.json()["type"], "lane.queued");
        assert_eq!(r.json()["data"]["run_id"], run_id.as_str());
        assert_eq!(r.path, "/hooks/switchyard");
    }

    // A redelivery goes through, with the same webhook-id.
    let again = app.call("webhook-redeliver").token(&acme.token).json(&json!({"delivery_id": dead["id"]})).send().await;
    assert_eq!(again.status, 201, "{}", again.text());
    let report = app.tick_over_http("outbound-webhook-tick").await;
    assert_eq!(report["delivered"], 1, "{report}");
    let got = receiver.wait_for(4);
    assert_eq!(got[3].verified, Ok(()));
    assert_eq!(got[3].header("webhook-id"), got[0].header("webhook-id"));
    let log = deliveries(&app, &acme).await;
    assert_eq!(log[0]["state"], "succeeded");
    assert_eq!(log[0]["attempt_log"][0]["status"], 204);

    // Only subscribed events go out: a cancellation is not `lane.queued`.
    app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(deliveries(&app, &acme).await.len(), 2);

    // Finished deliveries are kept 30 days; the message stays while a delivery needs it.
    app.db()
        .execute("UPDATE webhook_deliveries SET updated_at = '2000-01-01T00:00:00.000Z' WHERE state = 'dead'", [])
        .unwrap();
    let report = app.tick_over_http("maintenance-tick").await;
    assert_eq!(report["webhook_deliveries_pruned"], 1, "{report}");
    let left = deliveries(&app, &acme).await;
    assert_eq!((left.len(), left[0]["state"].as_str()), (1, Some("succeeded")));
}

#[tokio::test]
async fn webhook_targets_must_be_public_at_registration_and_after_resolution() {
    let receiver = Receiver::start();
    let internal = Receiver::start();
    let app = app_for(&[&receiver], &[]).await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.8/hook".to_owned(),
        "http://[::1]/hook".to_owned(),
        "http://[fd00::1]/hook".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://localhost:8080/".to_owned(),
        "http://127.1/".to_owned(),
        "http://2130706433/".to_owned(),
        format!("http://127.0.0.1:{}/", internal.port),
        "http://user:pass@hooks.example.com/".to_owned(),
        "ftp://hooks.example.com/".to_owned(),
    ] {
        let r = app.call("webhook-endpoint-create").token(&acme.token).json(&json!({"url": url})).send().await;
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some("url")), "{url}: {}", r.text());
    }
    // A name that resolves to loopback passes registration, and is refused when it resolves.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_owned();
    let resolved: Vec<std::net::SocketAddr> =
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), internal.port)).unwrap().collect();
    assert!(
        resolved.iter().all(|a| a.ip().is_loopback() || switchyard_domain::net::refusal(a.ip()).is_some()),
        "this test needs the machine's name to resolve to a private address: {resolved:?}"
    );
    endpoint(&app, &acme, &format!("http://{host}:{}/hook", internal.port), &["webhook.test"]).await;
    let ping = app.call("webhook-enqueue").token(&acme.token).json(&json!({"event_type": "webhook.test"})).send().await;
    assert_eq!(ping.status, 202, "{}", ping.text());
    app.tick_over_http("outbound-webhook-tick").await;
    let log = deliveries(&app, &acme).await;
    let error = log[0]["attempt_log"][0]["error"].as_str().unwrap();
    assert!(error.contains("not public"), "{error}");
    assert!(internal.received().is_empty(), "the internal service was never reached");
    // An updated URL is checked the same way.
    let id = log[0]["endpoint_id"].clone();
    let r = app
        .call("webhook-endpoint-update")
        .token(&acme.token)
        .json(&json!({"endpoint_id": id, "url": "http://0x7f.1/"}))
        .send()
        .await;
    assert_eq!(r.json()["error"]["field"], "url");
}

#[tokio::test]
async fn a_hanging_receiver_does_not_hold_up_the_others() {
    let hanging = Receiver::start();
    let fast = Receiver::start();
    let app = app_for(&[&hanging, &fast], &[("SPIN_VARIABLE_WEBHOOK_TIMEOUT_SECONDS", "3")]).await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    hanging.script(&[], Some(Answer::Hang));
    hanging
        .set_secret(endpoint(&app, &acme, &hanging.url("/slow"), &["webhook.test"]).await["secret"].as_str().unwrap());
    fast.set_secret(endpoint(&app, &acme, &fast.url("/fast"), &["webhook.test"]).await["secret"].as_str().unwrap());
    let ping = app
        .call("webhook-enqueue")
        .token(&acme.token)
        .json(&json!({"event_type": "webhook.test", "data": {"n": 1}}))
        .send()
        .await;
    assert_eq!(ping.json()["deliveries"], 2);
    let report = app.tick_over_http("outbound-webhook-tick").await;
    assert_eq!((report["delivered"].as_u64(), report["retrying"].as_u64()), (Some(1), Some(1)), "{report}");
    let slow = &hanging.wait_for(1)[0];
    let quick = &fast.wait_for(1)[0];
    // Both were sent at once: the fast receiver had its request while the hanging one still held its connection.
    assert!(quick.at < slow.closed_at.unwrap_or_else(std::time::Instant::now));
    assert_eq!(quick.json()["data"], json!({"n": 1}));
    let log = deliveries(&app, &acme).await;
    let timed_out = log.iter().find(|d| d["state"] == "pending").unwrap();
    assert!(timed_out["attempt_log"][0]["error"].as_str().unwrap().contains("deadline"), "{timed_out}");
}

#[tokio::test]
async fn an_endpoint_failing_too_long_is_disabled_with_a_notice() {
    let failing = Receiver::start();
    let watcher = Receiver::start();
    let app = app_for(&[&failing, &watcher], &[("SPIN_VARIABLE_WEBHOOK_DISABLE_AFTER_SECONDS", "0")]).await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    failing.script(&[], Some(Answer::Status(500)));
    let bad = endpoint(&app, &acme, &failing.url("/"), &["webhook.test"]).await;
    watcher.set_secret(
        endpoint(&app, &acme, &watcher.url("/"), &["webhook.endpoint_disabled"]).await["secret"].as_str().unwrap(),
    );
    app.call("webhook-enqueue").token(&acme.token).json(&json!({"event_type": "webhook.test"})).send().await;
    let report = app.tick_over_http("outbound-webhook-tick").await;
    assert_eq!(report["disabled"], 1, "{report}");
    let listed = app.call("webhook-endpoint-list").token(&acme.token).json(&json!({})).send().await.json();
    let disabled = listed["data"].as_array().unwrap().iter().find(|e| e["id"] == bad["id"]).unwrap().clone();
    assert_eq!(disabled["state"], "disabled");
    assert!(disabled["disabled_reason"].as_str().unwrap().contains("failed"));
    // The notice reaches the workspace's other endpoint, and the audit log.
    app.tick_over_http("outbound-webhook-tick").await;
    let notice = &watcher.wait_for(1)[0];
    assert_eq!((notice.json()["type"].as_str(), notice.verified.clone()), (Some("webhook.endpoint_disabled"), Ok(())));
    assert_eq!(notice.json()["data"]["endpoint_id"], bad["id"]);
    let audited: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'outbound-webhook-tick:endpoint_disabled'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(audited, 1);
    // Nothing goes to a disabled endpoint; redelivering asks to re-enable it first.
    let log = deliveries(&app, &acme).await;
    let failed = log.iter().find(|d| d["endpoint_id"] == bad["id"]).unwrap();
    let r = app.call("webhook-redeliver").token(&acme.token).json(&json!({"delivery_id": failed["id"]})).send().await;
    assert_eq!((r.status, r.code().as_str()), (409, "CONFLICT"));
    let r = app
        .call("webhook-endpoint-update")
        .token(&acme.token)
        .json(&json!({"endpoint_id": bad["id"], "enabled": true}))
        .send()
        .await;
    assert_eq!((r.json()["state"].as_str(), r.json()["failing_since"].clone()), (Some("active"), Value::Null));
    let own =
        app.call("webhook-enqueue").token(&acme.token).json(&json!({"event_type": "lane.completed"})).send().await;
    assert_eq!(own.json()["error"]["field"], "event_type", "Switchyard's own events cannot be forged");
    let deleted =
        app.call("webhook-endpoint-delete").token(&acme.token).json(&json!({"endpoint_id": bad["id"]})).send().await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
}
