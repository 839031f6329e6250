//! Goals, sprints and the dashboard (issue 13): goals weigh in the queue; a
//! sprint holds a goal's issues, builds one lane per issue (overlapping
//! claims one after another), pauses its lanes when its token budget is
//! spent, is cancelled and retried; scheduled sprints start on the tick;
//! PostHog signals are verified and folded; a first run goes from nothing to
//! a lane once per repository; the dashboard counts what happened.

use std::time::Duration;

use serde_json::{Value, json};
use switchyard_tests::{ApiResponse, Tenant, TestApp, spawn_app_without_schedules};

async fn post(app: &TestApp, tenant: &Tenant, name: &str, body: Value) -> ApiResponse {
    app.call(name).token(&tenant.token).json(&body).send().await
}

async fn made(app: &TestApp, tenant: &Tenant, name: &str, body: Value) -> Value {
    let r = post(app, tenant, name, body).await;
    assert_eq!(r.status, 201, "{name}: {}", r.text());
    r.json()
}

async fn sprint(app: &TestApp, tenant: &Tenant, id: &str) -> Value {
    let r = post(app, tenant, "sprint-get", json!({"sprint_id": id})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

async fn move_to(app: &TestApp, tenant: &Tenant, body: Value) -> ApiResponse {
    app.call("sdlc-transition").token(&tenant.token).json(&body).send().await
}

async fn report(app: &TestApp, credential: &str, run_id: &str, event: Value) -> Value {
    let r =
        app.call("harness-event").token(credential).json(&json!({"run_id": run_id, "events": [event]})).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn dispatches(sprint: &Value) -> Vec<String> {
    sprint["items"].as_array().unwrap().iter().map(|i| i["dispatch"].as_str().unwrap().to_owned()).collect()
}

/// The sprint's events as Server-Sent Events, read to the stream's end.
async fn sse(app: &TestApp, tenant: &Tenant, sprint_id: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/functions/v1/sprint-events?sprint_id={sprint_id}")))
        .bearer_auth(&tenant.token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    tokio::time::timeout(Duration::from_secs(30), response.text()).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_sprint_builds_its_goals_issues_under_one_budget_and_is_cancelled_and_retried() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let project = made(&app, &acme, "project-create", json!({"name": "Shop", "repository": "acme/shop"})).await;
    let goal = made(
        &app,
        &acme,
        "goal-create",
        json!({"title": "Checkout never fails", "project_id": project["id"], "metric": "checkout_errors",
            "target": 100.0, "current": 25.0, "unit": "percent", "deadline": "2027-03-31", "weight": 2}),
    )
    .await;
    assert_eq!((goal["progress"].as_f64(), goal["weight"].as_u64()), (Some(0.25), Some(2)));
    let bad = post(&app, &acme, "goal-create", json!({"title": "x", "weight": 4})).await;
    assert_eq!(bad.json()["error"]["field"], "weight", "{}", bad.text());
    let mut ids = Vec::new();
    for (title, priority, with_goal) in [
        ("Cart total is wrong", "normal", true),
        ("Payment times out", "high", true),
        ("Coupon field overflows", "normal", true),
        ("Unrelated chore", "normal", false),
    ] {
        let mut body = json!({"title": title, "priority": priority, "project_id": project["id"]});
        if with_goal {
            body["goal_id"] = goal["id"].clone();
        }
        ids.push(made(&app, &acme, "issue-create", body).await["id"].as_str().unwrap().to_owned());
    }
    // Goal issues carry 2 × 10 in the queue; the other none.
    let queue = post(&app, &acme, "dispatch-queue", json!({})).await.json();
    let scores: Vec<(String, u64)> = queue["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["issue"]["title"].as_str().unwrap().to_owned(), q["score"]["goal"].as_u64().unwrap()))
        .collect();
    assert_eq!(scores[0], ("Payment times out".to_owned(), 20));
    assert!(scores.contains(&("Unrelated chore".to_owned(), 0)), "{scores:?}");

    // Refusals name their field.
    for (body, field) in [
        (json!({"harness_kind": "script", "repository": "acme/shop"}), "goal_id"),
        (json!({"goal_id": "goal_nosuchgoal", "harness_kind": "script"}), "goal_id"),
        (
            json!({"issue_ids": [ids[0]], "harness_kind": "script", "repository": "acme/shop", "title": "x",
            "repeat_every_hours": 24}),
            "repeat_every_hours",
        ),
        (
            json!({"issue_ids": [ids[0], ids[0]], "harness_kind": "script", "repository": "acme/shop", "title": "x"}),
            "issue_ids[1]",
        ),
    ] {
        let r = post(&app, &acme, "sprint-plan", body).await;
        assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some(field)), "{}", r.text());
    }

    // The sprint takes the goal's issues, best first; every lane claims `src/**`.
    let planned = made(
        &app,
        &acme,
        "sprint-plan",
        json!({"goal_id": goal["id"], "harness_kind": "script", "claim": ["src/**"], "token_budget": 100}),
    )
    .await;
    let sprint_id = planned["id"].as_str().unwrap().to_owned();
    let titles: Vec<&str> = planned["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Payment times out", "Cart total is wrong", "Coupon field overflows"]);
    assert_eq!((planned["state"].as_str(), planned["repository"].as_str()), (Some("intake"), Some("acme/shop")));
    assert_eq!(planned["next"], json!({"state": "plan", "ready": true, "blockers": []}));

    // One step at a time.
    let early = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "build"})).await;
    assert_eq!((early.status, early.code().as_str()), (409, "CONFLICT"), "{}", early.text());
    assert!(early.text().contains("moves to plan next"), "{}", early.text());
    let r = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "PLAN"})).await;
    assert_eq!((r.status, r.json()["state"].as_str()), (200, Some("plan")), "{}", r.text());
    // The sprint holds its issues: a worker claiming from the queue gets the other one.
    let claimed = post(&app, &acme, "dispatch-claim", json!({})).await.json();
    assert_eq!(claimed["issue"]["title"], "Unrelated chore");
    // Another sprint cannot take what a worker holds.
    let other = json!({"issue_ids": [claimed["issue"]["id"]], "title": "Chores", "harness_kind": "script", "repository": "acme/shop"});
    let other = made(&app, &acme, "sprint-plan", other).await;
    let held = move_to(&app, &acme, json!({"sprint_id": other["id"], "to": "plan"})).await.json();
    assert_eq!(held["items"][0]["dispatch"], "refused");
    assert!(held["items"][0]["reason"].as_str().unwrap().contains("claimed by"), "{held}");

    // Build: one lane; the others wait for its claim.
    let built = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "build"})).await.json();
    assert_eq!(dispatches(&built), ["dispatched", "planned", "planned"]);
    assert!(built["items"][1]["reason"].as_str().unwrap().contains("overlap"), "{}", built["items"][1]);
    assert_eq!(built["next"]["ready"], false);
    let first = built["items"][0]["run_id"].as_str().unwrap().to_owned();
    let lane = app.lane(&acme, &first).await;
    assert_eq!((lane["claim"][0].as_str(), lane["harness_kind"].as_str()), (Some("src/**"), Some("script")));
    let harness = app.register_harness(&acme, "script", &[], 60).await;
    app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    report(&app, &harness.credential, &first, json!({"type": "tokens", "used": 60})).await;
    let done = report(&app, &harness.credential, &first, json!({"type": "completed", "exit_code": 0})).await;
    assert_eq!(done["state"], "completed");
    // The first lane ended: the second issue is dispatched.
    let now = sprint(&app, &acme, &sprint_id).await;
    assert_eq!(dispatches(&now), ["dispatched", "dispatched", "planned"]);
    assert_eq!(now["items"][0]["status"], "done");
    let second = now["items"][1]["run_id"].as_str().unwrap().to_owned();

    // The sprint's budget runs out: its running lane pauses.
    app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    let spent = report(&app, &harness.credential, &second, json!({"type": "tokens", "used": 50})).await;
    assert_eq!(spent["state"], "paused");
    let lane = app.lane(&acme, &second).await;
    assert_eq!(lane["pause_reason"], "sprint_budget_exhausted");
    assert_eq!(sprint(&app, &acme, &sprint_id).await["tokens_used"], 110);
    let blocked = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "review"})).await;
    assert_eq!(blocked.status, 409);
    let blockers = blocked.json()["error"]["details"]["blockers"].clone();
    assert_eq!(blockers, json!(["#1's lane is paused", "#3 is not dispatched yet"]), "{}", blocked.text());
    // Raising the budget resumes it.
    let raised =
        move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "build", "retry": true, "token_budget": 500})).await;
    assert_eq!(raised.status, 200, "{}", raised.text());
    assert_ne!(app.lane(&acme, &second).await["state"], "paused");

    // Cancel: its lane is cancelled, its issues go back to the queue.
    let cancelled = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "cancelled"})).await.json();
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(app.lane(&acme, &second).await["state"], "cancelled");
    let statuses: Vec<&str> =
        cancelled["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["done", "open", "open"]);
    let phases: Vec<(&str, &str)> = cancelled["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["state"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(phases[2], ("build", "cancelled"));
    assert_eq!(phases[3], ("review", "pending"));
    let again = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "review"})).await;
    assert!(again.text().contains("cancelled"), "{}", again.text());

    // The stream of a finished sprint replays its log and ends.
    let stream = sse(&app, &acme, &sprint_id).await;
    for needle in ["event: sprint.created", "event: agent.dispatched", "event: budget.exhausted", "event: lane.state"] {
        assert!(stream.contains(needle), "{needle} in {stream}");
    }
    let end = stream.split("event: end\ndata: ").nth(1).expect("the stream ends with `event: end`");
    let end: Value = serde_json::from_str(end.trim()).unwrap();
    assert_eq!((end["sprint_id"].as_str(), end["state"].as_str()), (Some(sprint_id.as_str()), Some("cancelled")));

    // Retried from build: the cancelled issue gets a new lane, the third waits again.
    let retried = move_to(&app, &acme, json!({"sprint_id": sprint_id, "to": "build", "retry": true})).await.json();
    assert_eq!(retried["state"], "build");
    assert_eq!(dispatches(&retried), ["dispatched", "dispatched", "planned"]);
    assert_ne!(retried["items"][1]["run_id"].as_str(), Some(second.as_str()));
    let transitions =
        post(&app, &acme, "sprint-events", json!({"sprint_id": sprint_id, "type": "state.transition"})).await.json();
    let moves: Vec<String> = transitions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}>{}", e["data"]["from"].as_str().unwrap(), e["data"]["to"].as_str().unwrap()))
        .collect();
    assert_eq!(moves, ["intake>plan", "plan>build", "build>build", "build>cancelled", "cancelled>build"]);
    let actions: Vec<String> = app.audit_entries(&acme.workspace_id).into_iter().map(|e| e.action).collect();
    for action in [
        "sprint-plan",
        "sdlc-transition",
        "sdlc-transition:dispatched",
        "sdlc-transition:cancelled",
        "harness-event:sprint_budget_exhausted",
        "sprint:dispatched",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
    }

    // The dashboard counts it.
    let board = post(&app, &acme, "dashboard-summary", json!({"days": 7})).await.json();
    assert_eq!(board["funnel"].as_array().unwrap().len(), 7);
    assert_eq!(
        (board["totals"]["issues_opened"].as_u64(), board["totals"]["lanes_dispatched"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(board["totals"]["lanes_succeeded"], 1);
    let script = &board["lanes_by_harness"][0];
    assert_eq!(
        (script["harness_kind"].as_str(), script["completed"].as_u64(), script["cancelled"].as_u64()),
        (Some("script"), Some(1), Some(1))
    );
    assert_eq!(board["queue"]["claimed"], 2, "the chore's claim and the sprint's third issue");
    assert_eq!(board["sprints"]["build"], 1);

    // Label filters take a label's `_` literally (issues and lanes alike).
    made(&app, &acme, "issue-create", json!({"title": "Labelled", "labels": ["needs_review"]})).await;
    let mut lane = switchyard_tests::lane_body("acme/other", &["docs/**"]);
    lane["labels"] = json!(["needs_review"]);
    app.run_lane(&acme, lane).await;
    for name in ["issue-list", "lane-list"] {
        let found = post(&app, &acme, name, json!({"label": "needs_review"})).await.json();
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{name}: {found}");
        let none = post(&app, &acme, name, json!({"label": "needsxreview"})).await.json();
        assert!(none["data"].as_array().unwrap().is_empty(), "{name}: `_` is no wildcard");
    }
}

#[tokio::test]
async fn scheduled_sprints_start_on_the_tick_and_recurring_ones_plan_the_next() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let goal = made(&app, &acme, "goal-create", json!({"title": "Nightly upkeep"})).await;
    let idle = made(&app, &acme, "goal-create", json!({"title": "Nothing to do"})).await;
    let chore = made(&app, &acme, "issue-create", json!({"title": "Bump dependencies", "goal_id": goal["id"]})).await;
    let plan = |goal: &Value, starts_at: &str| {
        json!({"goal_id": goal["id"], "harness_kind": "script", "repository": "acme/ops", "starts_at": starts_at,
            "repeat_every_hours": 24})
    };
    let recurring = made(&app, &acme, "sprint-plan", plan(&goal, "2026-01-01T02:00:00Z")).await;
    assert!(recurring["items"].as_array().unwrap().is_empty(), "a scheduled sprint takes its issues when it starts");
    let empty = made(&app, &acme, "sprint-plan", plan(&idle, "2026-01-01")).await;
    let later = made(&app, &acme, "sprint-plan", plan(&goal, "2099-01-01")).await;

    let tick = post(&app, &acme, "recurring-pipeline-tick", json!({})).await;
    assert_eq!(tick.status, 200, "{}", tick.text());
    let report = tick.json();
    assert_eq!(report["started"], json!([recurring["id"]]));
    assert_eq!(report["skipped"], json!([empty["id"]]));
    assert_eq!(report["scheduled"].as_array().unwrap().len(), 2, "each recurring sprint plans its successor");
    let started = sprint(&app, &acme, recurring["id"].as_str().unwrap()).await;
    assert_eq!(
        (started["state"].as_str(), started["items"][0]["issue_id"].as_str()),
        (Some("build"), chore["id"].as_str())
    );
    let lane = app.lane(&acme, started["items"][0]["run_id"].as_str().unwrap()).await;
    assert_eq!((lane["state"].as_str(), lane["repository"].as_str()), (Some("queued"), Some("acme/ops")));
    assert_eq!(sprint(&app, &acme, empty["id"].as_str().unwrap()).await["state"], "cancelled");
    assert_eq!(sprint(&app, &acme, later["id"].as_str().unwrap()).await["state"], "intake", "not due yet");
    // The successor starts a day after the first start that is not past (due sprints start oldest first).
    let next = sprint(&app, &acme, report["scheduled"][1].as_str().unwrap()).await;
    let starts_at = next["starts_at"].as_str().unwrap();
    assert!(starts_at.ends_with("T02:00:00.000Z") && starts_at > "2026-12-01", "{starts_at}");
    assert_eq!(next["repeat_every_hours"], 24);
    // A skipped (empty) sprint has nothing to retry; a closed goal plans no more sprints.
    let retry =
        post(&app, &acme, "sdlc-transition", json!({"sprint_id": empty["id"], "to": "build", "retry": true})).await;
    assert_eq!(retry.status, 409, "{}", retry.text());
    post(&app, &acme, "goal-update", json!({"goal_id": idle["id"], "status": "achieved"})).await;
    let closed = post(&app, &acme, "sprint-plan", plan(&idle, "2027-01-01")).await;
    assert_eq!((closed.status, closed.json()["error"]["field"].as_str()), (422, Some("goal_id")), "{}", closed.text());
    // Nothing more is due.
    let again = post(&app, &acme, "recurring-pipeline-tick", json!({})).await.json();
    assert_eq!(again, json!({"started": [], "scheduled": [], "skipped": []}));
    let listed = post(&app, &acme, "sprint-list", json!({"state": "intake"})).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 3, "the later one and the two successors");
    // Another workspace's tick starts nothing of acme's.
    let other = app.bootstrap("other", "us-east-1", "free").await;
    let theirs = post(&app, &other, "recurring-pipeline-tick", json!({})).await.json();
    assert_eq!(theirs["started"], json!([]));
}

#[tokio::test]
async fn posthog_signals_are_verified_and_fold_by_fingerprint() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let secret = "posthog-secret-0123456789abcdef";
    let source = made(&app, &acme, "signal-source-create", json!({"provider": "posthog", "secret": secret})).await;
    let path = source["webhook_path"].as_str().unwrap().trim_start_matches("/functions/v1/").to_owned();
    assert!(path.starts_with("posthog-webhook?source=src_"), "{path}");
    let sentry = made(&app, &acme, "signal-source-create", json!({"provider": "sentry", "secret": secret})).await;
    let event = |n: u32| {
        json!({"event": {"uuid": format!("e-{n}"), "event": "$exception", "distinct_id": "user-7",
            "properties": {"$exception_type": "TypeError", "$exception_message": format!("cart is undefined (render {n})"),
                "$current_url": "https://shop.example/cart"}}})
    };
    let send = |path: String, body: Vec<u8>, signature: Option<String>| {
        let mut call = app.call(&path).raw(body);
        if let Some(s) = signature {
            call = call.header("x-posthog-signature", &s);
        }
        call.send()
    };
    let mut issue_id = None;
    for n in [1, 2] {
        let raw = serde_json::to_vec(&event(n)).unwrap();
        let signature = switchyard_tests::github_signature(secret, &raw);
        let r = send(path.clone(), raw, Some(signature)).await;
        assert_eq!(r.status, 202, "{}", r.text());
        let ingested = r.json();
        assert_eq!(ingested["new_issue"], n == 1);
        assert_eq!(ingested["issue"]["source"], "posthog");
        issue_id.get_or_insert(ingested["issue"]["id"].clone());
        assert_eq!(ingested["issue"]["id"], *issue_id.as_ref().unwrap());
    }
    let issue = post(&app, &acme, "issue-get", json!({"issue_id": issue_id.unwrap()})).await.json();
    assert_eq!(
        (issue["signal_count"].as_u64(), issue["type"].as_str(), issue["priority"].as_str()),
        (Some(2), Some("bug"), Some("high"))
    );
    // A bare hex signature is accepted too; a wrong one, none, or another provider's source is 401.
    let raw = serde_json::to_vec(&event(3)).unwrap();
    let bare = switchyard_tests::github_signature(secret, &raw).trim_start_matches("sha256=").to_owned();
    assert_eq!(send(path.clone(), raw.clone(), Some(bare)).await.status, 202);
    let wrong = switchyard_tests::github_signature("another-secret-0123456789", &raw);
    assert_eq!(send(path.clone(), raw.clone(), Some(wrong)).await.status, 401);
    assert_eq!(send(path.clone(), raw.clone(), None).await.status, 401);
    let sentry_path = format!("posthog-webhook?source={}", sentry["id"].as_str().unwrap());
    let signed = switchyard_tests::github_signature(secret, &raw);
    assert_eq!(send(sentry_path, raw, Some(signed)).await.status, 401);
    // A signed payload that is not a PostHog event names the field.
    let junk = serde_json::to_vec(&json!({"hello": "world"})).unwrap();
    let signed = switchyard_tests::github_signature(secret, &junk);
    let r = send(path, junk, Some(signed)).await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (422, Some("body")), "{}", r.text());
    let actions: Vec<String> = app.audit_entries(&acme.workspace_id).into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "posthog-webhook:signal").count(), 3);
    let board = post(&app, &acme, "dashboard-summary", json!({})).await.json();
    assert_eq!((board["totals"]["signals"].as_u64(), board["totals"]["issues_opened"].as_u64()), (Some(3), Some(1)));
    assert_eq!(board["rates"]["issues_per_signal"].as_f64(), Some(0.333));
}

#[tokio::test]
async fn a_first_run_goes_from_nothing_to_a_lane_once_per_repository() {
    let app = spawn_app_without_schedules().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let body = json!({"repository": "acme/shop", "harness_kind": "script"});
    let first = made(&app, &acme, "first-run-dispatch", body.clone()).await;
    assert_eq!(first["existing"], false);
    assert_eq!(
        (first["project"]["name"].as_str(), first["project"]["repository"].as_str()),
        (Some("acme/shop"), Some("acme/shop"))
    );
    assert_eq!(
        (first["issue"]["status"].as_str(), first["issue"]["source"].as_str()),
        (Some("in_progress"), Some("first-run"))
    );
    assert_eq!(first["lane"]["claim"], json!(["docs/FIRST-RUN.md"]));
    assert!(first["lane"]["brief"].as_str().unwrap().contains("docs/FIRST-RUN.md"));
    let again = post(&app, &acme, "first-run-dispatch", body).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        (again.json()["existing"].as_bool(), &again.json()["lane"]["run_id"]),
        (Some(true), &first["lane"]["run_id"])
    );
    // Another repository uses its existing project.
    let project = made(&app, &acme, "project-create", json!({"name": "Ops", "repository": "acme/ops"})).await;
    let ops = made(
        &app,
        &acme,
        "first-run-dispatch",
        json!({"repository": "acme/ops", "harness_kind": "script",
        "brief": "Map the runbooks.", "claim": ["runbooks/**"]}),
    )
    .await;
    assert_eq!(
        (ops["project"]["id"].as_str(), ops["lane"]["claim"][0].as_str()),
        (project["id"].as_str(), Some("runbooks/**"))
    );
    let bad =
        post(&app, &acme, "first-run-dispatch", json!({"repository": "acme/x", "harness_kind": "script", "claim": []}))
            .await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("claim")), "{}", bad.text());
    let projects = post(&app, &acme, "project-list", json!({})).await.json();
    assert_eq!(projects["data"].as_array().unwrap().len(), 2);
}
