//! Lanes, scope claims and the harness protocol, spoken over HTTP exactly as
//! a harness would (the reference harness binary is exercised in `harness`).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use switchyard_tests::{ApiResponse, TestApp, TestHarness, lane_body, spawn_app, spawn_app_without_schedules};

async fn harness_call(app: &TestApp, h: &TestHarness, name: &str, body: Value) -> ApiResponse {
    app.call(name).token(&h.credential).json(&body).send().await
}

async fn dispatch(app: &TestApp, h: &TestHarness) -> Option<Value> {
    let r = harness_call(app, h, "harness-dispatch", json!({})).await;
    match r.status {
        200 => Some(r.json()["lane"].clone()),
        204 => None,
        other => panic!("dispatch answered {other}: {}", r.text()),
    }
}

async fn events(app: &TestApp, token: &str, run_id: &str) -> Vec<Value> {
    let r = app.call("lane-events").token(token).json(&json!({"run_id": run_id, "limit": 1000})).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_lane_lives_from_queued_to_completed_through_the_harness_protocol() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let h = app.register_harness(&acme, "script", &["linux"], 30).await;
    let run_id = app
        .run_lane(
            &acme,
            json!({
                "harness_kind": "script", "brief": "Fix billing.", "repository": "shop",
                "claim": ["src/billing/**"], "labels": ["linux"], "token_budget": 10000
            }),
        )
        .await;
    assert_eq!(app.lane(&acme, &run_id).await["state"], "queued");

    // An interrupt queued before dispatch arrives with the lane.
    let note = app
        .call("agent-interrupt")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "kind": "note", "message": "Use the new tax table."}))
        .send()
        .await;
    assert_eq!(note.status, 201, "{}", note.text());
    let lane = dispatch(&app, &h).await.expect("a lane to claim");
    assert_eq!(lane["run_id"], run_id.as_str());
    assert_eq!(lane["lane_id"], run_id.as_str(), "the deprecated alias is still sent during 0.1");
    assert_eq!(lane["brief"], "Fix billing.");
    assert_eq!(lane["claim"], json!(["src/billing/**"]));
    assert_eq!(lane["interrupts"][0]["message"], "Use the new tax table.");
    let first_interrupt = lane["interrupts"][0]["id"].as_u64().unwrap();
    assert!(dispatch(&app, &h).await.is_none(), "nothing else to claim");

    // Pause and resume travel to the harness as signals; interrupts until acked.
    let paused = app.call("agent-pause").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(paused.json()["state"], "paused");
    let redirect = app
        .call("agent-interrupt")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "kind": "redirect", "message": "Stop; fix invoices first."}))
        .send()
        .await;
    let second_interrupt = redirect.json()["interrupt"]["id"].as_u64().unwrap();
    assert!(second_interrupt > first_interrupt);
    let beat = harness_call(&app, &h, "harness-heartbeat", json!({"acks": {run_id.clone(): first_interrupt}})).await;
    assert_eq!(beat.status, 200, "{}", beat.text());
    let mine = &beat.json()["lanes"][0];
    assert_eq!((mine["state"].as_str(), mine["signal"].as_str()), (Some("paused"), Some("pause")));
    let pending: Vec<u64> = mine["interrupts"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!(pending, vec![second_interrupt], "acked interrupts are not sent again; the rest come in order");
    let resumed = app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(resumed.json()["state"], "running", "{}", resumed.text());
    let beat = harness_call(&app, &h, "harness-heartbeat", json!({"acks": {run_id.clone(): second_interrupt}})).await;
    assert_eq!(beat.json()["lanes"][0]["signal"], "run");
    assert!(beat.json()["lanes"][0]["interrupts"].as_array().unwrap().is_empty());

    let report = harness_call(&app, &h, "harness-event", json!({"run_id": run_id, "events": [
        {"type": "output", "stream": "stdout", "line": "running tests"},
        {"type": "file_change", "path": "src/billing/tax.rs", "change": "modified"},
        {"type": "file_change", "path": "README.md", "change": "modified"},
        {"type": "tokens", "used": 1200, "cost_cents": 4},
        {"type": "completed", "exit_code": 0, "summary": "tax fixed", "diff_stat": {"files_changed": 1, "insertions": 3, "deletions": 1}}
    ]})).await;
    assert_eq!(report.status, 200, "{}", report.text());
    assert_eq!(report.json()["state"], "completed");

    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(
        (lane["state"].as_str(), lane["exit_code"].as_i64(), lane["summary"].as_str()),
        (Some("completed"), Some(0), Some("tax fixed"))
    );
    assert_eq!(lane["tokens_used"], 1200);
    let log = events(&app, &acme.token, &run_id).await;
    let kinds: Vec<&str> = log.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for expected in ["state", "interrupt", "interrupt_delivered", "output", "file_change", "tokens", "result"] {
        assert!(kinds.contains(&expected), "missing {expected} in {kinds:?}");
    }
    let ids: Vec<u64> = log.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "event ids increase: {ids:?}");
    let outside: Vec<&Value> =
        log.iter().filter(|e| e["type"] == "file_change" && e["data"]["outside_claim"] == true).collect();
    assert_eq!(outside.len(), 1, "README.md is outside the claim");

    // The claim was released: an overlapping lane is accepted now.
    app.run_lane(&acme, lane_body("shop", &["src/billing/tax.rs"])).await;
    // The finished lane refuses further reports.
    let late = harness_call(
        &app,
        &h,
        "harness-event",
        json!({"run_id": run_id, "events": [{"type": "output", "stream": "stdout", "line": "late"}]}),
    )
    .await;
    assert_eq!((late.status, late.code().as_str()), (409, "CONFLICT"));
}

#[tokio::test]
async fn overlapping_claims_are_refused_naming_the_lane_and_globs() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let first = app.run_lane(&acme, lane_body("shop", &["src/**"])).await;
    let clash = app
        .call("agent-run")
        .token(&acme.token)
        .json(&lane_body("shop", &["docs/*.md", "src/billing/*.rs"]))
        .send()
        .await;
    assert_eq!((clash.status, clash.code().as_str()), (403, "LANE_SCOPE_DENIED"), "{}", clash.text());
    let details = &clash.json()["error"]["details"];
    assert_eq!(details["conflicting_run_id"], first.as_str());
    assert_eq!(details["globs"], json!(["src/billing/*.rs", "src/**"]));
    let message = clash.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains(&first) && message.contains("src/billing/*.rs"), "{message}");

    // Not overlapping, or another repository: accepted.
    app.run_lane(&acme, lane_body("shop", &["docs/*.md"])).await;
    app.run_lane(&acme, lane_body("other-repo", &["src/**"])).await;
    let rs = app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["**/*.rs"])).send().await;
    assert_eq!(rs.status, 403, "**/*.rs overlaps src/**");

    // Cancelling releases the claim in the same transaction.
    let cancelled = app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": first})).send().await;
    assert_eq!(cancelled.json()["state"], "cancelled");
    app.run_lane(&acme, lane_body("shop", &["src/billing/*.rs"])).await;

    let bad = app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["/etc/passwd"])).send().await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("claim[0]")));
}

#[tokio::test]
async fn a_glob_bomb_is_refused_and_heavy_claims_hold_up_no_other_workspace() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let other = app.bootstrap("other", "us-east-1", "free").await;
    let run = |token: &str, claim: Vec<String>| {
        let mut body = lane_body("shop", &[]);
        body["claim"] = json!(claim);
        app.call("agent-run").token(token).json(&body).send()
    };
    // `*a*a*a…`: refused while the request is parsed, naming the glob.
    let bomb = run(&acme.token, vec!["*a".repeat(255); 100]).await;
    assert_eq!((bomb.status, bomb.code().as_str()), (422, "VALIDATION_FAILED"), "{}", bomb.text());
    assert_eq!(bomb.json()["error"]["field"], "claim[0]");
    assert!(bomb.text().contains("wildcards"), "{}", bomb.text());

    // The heaviest legal claims: 100 globs of 16 wildcards against 100 such globs of an active lane.
    let theirs: Vec<String> = (0..100).map(|i| format!("{}{i}", "*b".repeat(8).repeat(2)[..31].to_owned())).collect();
    assert_eq!(run(&acme.token, theirs).await.status, 201);
    let ours: Vec<String> = (0..100).map(|i| format!("{}{i}x", "*a".repeat(16))).collect();
    let started = std::time::Instant::now();
    let heavy = {
        let client = app.client.clone();
        let url = app.url("/functions/v1/agent-run");
        let token = acme.token.clone();
        let mut body = lane_body("shop", &[]);
        body["claim"] = json!(ours);
        tokio::spawn(async move { client.post(url).bearer_auth(token).json(&body).send().await.unwrap().status() })
    };
    // Meanwhile another workspace keeps writing.
    for i in 0..5 {
        let r = run(&other.token, vec![format!("dir{i}/**")]).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let status = heavy.await.unwrap();
    assert_eq!(status, 201);
    eprintln!("100 x 100 heavy globs compared in {:?}", started.elapsed());
}

#[tokio::test]
async fn racing_overlapping_runs_admit_exactly_one() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let calls = (0..10).map(|i| {
        let claim = if i % 2 == 0 { "src/**" } else { "src/net/*" };
        app.call("agent-run").token(&acme.token).json(&lane_body("shop", &[claim])).send()
    });
    let answers = futures::future::join_all(calls).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 403), "{statuses:?}");
}

#[tokio::test]
async fn fifty_racing_harnesses_never_claim_a_lane_twice() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let mut lanes = HashSet::new();
    for i in 0..20 {
        lanes.insert(app.run_lane(&acme, lane_body("shop", &[&format!("part{i}/**")])).await);
    }
    let mut harnesses = Vec::new();
    for _ in 0..50 {
        harnesses.push(app.register_harness(&acme, "script", &[], 30).await);
    }
    let claims = futures::future::join_all(harnesses.iter().map(|h| dispatch(&app, h))).await;
    let claimed: Vec<String> = claims.into_iter().flatten().map(|l| l["run_id"].as_str().unwrap().to_owned()).collect();
    let unique: HashSet<String> = claimed.iter().cloned().collect();
    assert_eq!(claimed.len(), unique.len(), "double claim");
    assert_eq!(unique, lanes, "every lane claimed exactly once");
}

#[tokio::test]
async fn dispatch_respects_kind_and_labels() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let mut body = lane_body("shop", &["a/**"]);
    body["labels"] = json!(["gpu"]);
    let gpu_lane = app.run_lane(&acme, body).await;
    let plain = app.register_harness(&acme, "script", &[], 30).await;
    let other_kind = app.register_harness(&acme, "codex", &["gpu"], 30).await;
    let gpu = app.register_harness(&acme, "script", &["gpu", "linux"], 30).await;
    assert!(dispatch(&app, &plain).await.is_none(), "lacks the label");
    assert!(dispatch(&app, &other_kind).await.is_none(), "another kind");
    assert_eq!(dispatch(&app, &gpu).await.unwrap()["run_id"], gpu_lane.as_str());
}

#[tokio::test]
async fn illegal_transitions_answer_409_naming_the_state() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let run_id = app.run_lane(&acme, lane_body("shop", &["a/**"])).await;
    let pause = app.call("agent-pause").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!((pause.status, pause.code().as_str()), (409, "CONFLICT"));
    assert_eq!(pause.json()["error"]["details"]["state"], "queued");
    assert!(pause.json()["error"]["message"].as_str().unwrap().contains("queued"));
    let resume = app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(resume.status, 409);
    app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    for action in ["agent-cancel", "agent-pause", "agent-resume"] {
        let r = app.call(action).token(&acme.token).json(&json!({"run_id": run_id})).send().await;
        assert_eq!(r.status, 409, "{action}");
        assert_eq!(r.json()["error"]["details"]["state"], "cancelled", "{action}");
    }
    let interrupt = app
        .call("agent-interrupt")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "kind": "note", "message": "hello?"}))
        .send()
        .await;
    assert_eq!(interrupt.status, 409);
    let missing = app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": "lane_nope"})).send().await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn an_expired_lease_requeues_the_lane_then_fails_it_after_the_last_attempt() {
    // A deployment without the cron trigger (as on a platform without Spin's
    // plugin): every tick comes over HTTP, the way a Kubernetes CronJob calls it,
    // and nothing else moves the lane behind the test's back.
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let mut body = lane_body("shop", &["a/**"]);
    body["max_attempts"] = json!(2);
    let run_id = app.run_lane(&acme, body).await;
    let h = app.register_harness(&acme, "script", &[], 5).await;
    assert!(dispatch(&app, &h).await.is_some());
    let nothing =
        json!({"requeued": 0, "failed": 0, "budget_exhausted": 0, "approvals_expired": 0, "questions_expired": 0});
    assert_eq!(app.tick_over_http("dispatch-status-tick").await, nothing);
    assert_eq!(app.lane(&acme, &run_id).await["state"], "running", "the lease has not expired yet");

    tokio::time::sleep(Duration::from_millis(5500)).await;
    let report = app.tick_over_http("dispatch-status-tick").await;
    assert_eq!(
        report,
        json!({"requeued": 1, "failed": 0, "budget_exhausted": 0, "approvals_expired": 0, "questions_expired": 0})
    );
    assert_eq!(app.tick_over_http("dispatch-status-tick").await, nothing, "a second tick finds nothing to do");
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!((lane["state"].as_str(), lane["attempt"].as_u64()), (Some("queued"), Some(2)));
    let log = events(&app, &acme.token, &run_id).await;
    let last = log.iter().rev().find(|e| e["type"] == "state").unwrap();
    assert!(last["data"]["reason"].as_str().unwrap().contains("lease expired"), "{last}");
    // The old harness may no longer report on it.
    // A harness written against 0.1 still names the lane `lane_id`.
    let stale = harness_call(&app, &h, "harness-event", json!({"lane_id": run_id, "events": []})).await;
    assert_eq!(stale.status, 409);

    let h2 = app.register_harness(&acme, "script", &[], 5).await;
    assert_eq!(dispatch(&app, &h2).await.unwrap()["attempt"], 2);
    tokio::time::sleep(Duration::from_millis(5500)).await;
    assert_eq!(
        app.tick_over_http("dispatch-status-tick").await,
        json!({"requeued": 0, "failed": 1, "budget_exhausted": 0, "approvals_expired": 0, "questions_expired": 0})
    );
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(lane["state"], "failed", "no attempts left");
}

#[tokio::test]
async fn an_exhausted_budget_pauses_the_lane_until_it_is_raised() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let mut body = lane_body("shop", &["a/**"]);
    body["token_budget"] = json!(1000);
    let run_id = app.run_lane(&acme, body).await;
    let h = app.register_harness(&acme, "script", &[], 30).await;
    dispatch(&app, &h).await.unwrap();
    let r = harness_call(
        &app,
        &h,
        "harness-event",
        json!({"run_id": run_id, "events": [{"type": "tokens", "used": 1500}]}),
    )
    .await;
    assert_eq!((r.json()["state"].as_str(), r.json()["signal"].as_str()), (Some("paused"), Some("pause")));
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!(lane["pause_reason"], "budget_exhausted");

    let still = app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id})).send().await;
    assert_eq!(still.status, 409, "{}", still.text());
    let too_small =
        app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id, "token_budget": 1200})).send().await;
    assert_eq!((too_small.status, too_small.json()["error"]["field"].as_str()), (422, Some("token_budget")));
    let raised =
        app.call("agent-resume").token(&acme.token).json(&json!({"run_id": run_id, "token_budget": 5000})).send().await;
    assert_eq!(raised.json()["state"], "running", "{}", raised.text());
}

#[tokio::test]
async fn lanes_are_listed_with_filters_and_cursor_pagination() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(app.run_lane(&acme, lane_body(if i % 2 == 0 { "even" } else { "odd" }, &[&format!("p{i}/**")])).await);
    }
    app.call("agent-cancel").token(&acme.token).json(&json!({"run_id": ids[0]})).send().await;

    let mut seen = Vec::new();
    let mut created: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = json!({"limit": 3});
        if let Some(c) = &cursor {
            q["cursor"] = json!(c);
        }
        let page = app.call("lane-list").token(&acme.token).json(&q).send().await.json();
        seen.extend(page["data"].as_array().unwrap().iter().map(|l| l["run_id"].as_str().unwrap().to_owned()));
        created.extend(page["data"].as_array().unwrap().iter().map(|l| l["created_at"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // Newest first; lanes created in the same millisecond tie on `created_at`
    // and are ordered by id, so compare the set and the order of the times.
    assert_eq!(seen.iter().collect::<HashSet<_>>(), ids.iter().collect::<HashSet<_>>(), "every lane");
    assert_eq!(seen.len(), ids.len(), "each lane once");
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first: {created:?}");

    let odd = app.get_with_token("/functions/v1/lane-list?repository=odd&limit=10", &acme.token).await;
    assert_eq!(odd["data"].as_array().unwrap().len(), 3);
    let cancelled = app.call("lane-list").token(&acme.token).json(&json!({"state": "cancelled"})).send().await.json();
    assert_eq!(cancelled["data"][0]["run_id"], ids[0].as_str());
    let bad = app.call("lane-list").token(&acme.token).json(&json!({"state": "sleeping"})).send().await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("state")));
    let bad = app.call("lane-list").token(&acme.token).json(&json!({"cursor": "zz"})).send().await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("cursor")));
}

#[tokio::test]
async fn event_backfill_filters_by_id_and_type() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let run_id = app.run_lane(&acme, lane_body("shop", &["a/**"])).await;
    let h = app.register_harness(&acme, "script", &[], 30).await;
    dispatch(&app, &h).await.unwrap();
    let lines: Vec<Value> =
        (0..5).map(|i| json!({"type": "output", "stream": "stdout", "line": format!("line {i}")})).collect();
    harness_call(&app, &h, "harness-event", json!({"run_id": run_id, "events": lines})).await;
    let all = events(&app, &acme.token, &run_id).await;
    let since = all[1]["id"].as_u64().unwrap();
    let page = app
        .call("lane-events")
        .token(&acme.token)
        .json(&json!({"run_id": run_id, "since": since, "types": ["output"], "limit": 2}))
        .send()
        .await
        .json();
    let got: Vec<&str> = page["data"].as_array().unwrap().iter().map(|e| e["data"]["line"].as_str().unwrap()).collect();
    assert_eq!(got, ["line 0", "line 1"]);
    assert_eq!(page["next_since"], page["data"][1]["id"]);
    let query = app
        .get_with_token(
            &format!("/functions/v1/lane-events?run_id={run_id}&types=output,state&since={since}"),
            &acme.token,
        )
        .await;
    assert!(query["data"].as_array().unwrap().iter().all(|e| e["type"] == "output" || e["type"] == "state"));
    let bad =
        app.call("lane-events").token(&acme.token).json(&json!({"run_id": run_id, "types": ["gossip"]})).send().await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("types[0]")));
}

#[tokio::test]
async fn a_revoked_harness_loses_its_credential_and_its_lanes() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let run_id = app.run_lane(&acme, lane_body("shop", &["a/**"])).await;
    let h = app.register_harness(&acme, "script", &[], 30).await;
    dispatch(&app, &h).await.unwrap();
    // A harness credential is not a workspace token, and a PAT is not a harness credential.
    let as_token = app.call("lane-list").token(&h.credential).json(&json!({})).send().await;
    assert_eq!(as_token.status, 401);
    let as_harness = harness_call(
        &app,
        &TestHarness { id: h.id.clone(), credential: acme.token.clone() },
        "harness-heartbeat",
        json!({}),
    )
    .await;
    assert_eq!(as_harness.status, 401);

    let revoked = app.call("harness-revoke").token(&acme.token).json(&json!({"harness_id": h.id})).send().await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    assert_eq!(revoked.json()["requeued"], json!([run_id]));
    let lane = app.lane(&acme, &run_id).await;
    assert_eq!((lane["state"].as_str(), lane["attempt"].as_u64()), (Some("queued"), Some(2)));
    let refused = harness_call(&app, &h, "harness-heartbeat", json!({})).await;
    assert_eq!((refused.status, refused.code().as_str()), (401, "UNAUTHORIZED"));
    assert!(refused.text().contains("revoked"));
}

/// A safety check fails closed: a stored claim that cannot be read refuses
/// the next claim that could overlap it, instead of reading as "no globs".
#[tokio::test]
async fn a_corrupt_stored_claim_refuses_overlapping_claims_instead_of_ignoring_them() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let held = app.run_lane(&acme, lane_body("shop", &["src/billing/**"])).await;
    app.db().execute("UPDATE lane_claims SET globs = 'not json' WHERE lane_id = ?1", [&held]).unwrap();

    let r = app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["src/**"])).send().await;
    assert_eq!((r.status, r.code().as_str()), (500, "INTERNAL"), "{}", r.text());
    // A claim that cannot overlap it (its literal prefix is unrelated) is still decided.
    let elsewhere = app.call("agent-run").token(&acme.token).json(&lane_body("shop", &["docs/**"])).send().await;
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.text());
}

#[tokio::test]
async fn the_observability_snapshot_counts_a_workspaces_lanes_queue_and_harnesses() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let other = app.bootstrap("globex", "us-east-1", "enterprise").await;
    let snapshot = |tenant: &switchyard_tests::Tenant| {
        let token = tenant.token.clone();
        let app = &app;
        async move { app.call("observability-snapshot").token(&token).json(&json!({"window_hours": 24})).send().await }
    };
    let empty = snapshot(&acme).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(
        (empty.json()["lanes"]["dispatched"].as_u64(), empty.json()["lanes"]["success_rate"].as_f64()),
        (Some(0), None)
    );

    // Two lanes end (one completed with usage, one failed), one waits in the queue; another workspace's lane never counts.
    let h = app.register_harness(&acme, "script", &[], 60).await;
    for (claim, ending) in [
        ("src/a/**", json!({"type": "completed", "exit_code": 0, "summary": "done"})),
        ("src/b/**", json!({"type": "failed", "exit_code": 1, "error": "tests failed"})),
    ] {
        let mut body = lane_body("shop", &[claim]);
        body["max_attempts"] = json!(1);
        let run_id = app.run_lane(&acme, body).await;
        assert_eq!(dispatch(&app, &h).await.unwrap()["run_id"], run_id.as_str());
        let events = json!({"run_id": run_id, "events": [{"type": "tokens", "used": 500, "cost_cents": 2}, ending]});
        assert_eq!(harness_call(&app, &h, "harness-event", events).await.status, 200);
    }
    app.run_lane(&acme, lane_body("shop", &["docs/**"])).await;
    app.run_lane(&other, lane_body("shop", &["docs/**"])).await;

    let s = snapshot(&acme).await.json();
    assert_eq!(s["workspace_id"], acme.workspace_id.as_str());
    let lanes = &s["lanes"];
    assert_eq!(
        (lanes["dispatched"].as_u64(), lanes["completed"].as_u64(), lanes["failed"].as_u64()),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(lanes["success_rate"].as_f64(), Some(0.5));
    assert_eq!((lanes["tokens_used"].as_u64(), lanes["cost_used_cents"].as_u64()), (Some(1000), Some(4)));
    assert_eq!(lanes["by_state"], json!({"completed": 1, "failed": 1, "queued": 1}));
    assert!(lanes["duration_seconds"]["p95"].as_u64().is_some(), "{s}");
    assert_eq!(s["queue"]["depth"], 1);
    assert_eq!((s["harnesses"]["registered"].as_u64(), s["harnesses"]["online"].as_u64()), (Some(1), Some(1)));
    assert_eq!(s["attention"], json!({"questions_pending": 0, "approvals_pending": 0}));
    // The window is bounded and named when wrong.
    let r = app.call("observability-snapshot").token(&acme.token).json(&json!({"window_hours": 0})).send().await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some("window_hours")), "{}", r.text());
}
