//! The promises every endpoint keeps: errors, headers, rate limits,
//! idempotency and audit.

use serde_json::json;
use switchyard_domain::audit::{GENESIS_HASH, verify_chain};
use switchyard_tests::spawn_app;

fn issue_body(name: &str) -> serde_json::Value {
    json!({"name": name, "scopes": ["lanes:read"]})
}

#[tokio::test]
async fn bad_input_names_the_field_and_never_answers_500() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let cases: &[(&[u8], &str)] = &[
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (br#"{"scopes": ["lanes:read"]}"#, "name"),
        (br#"{"name": 7, "scopes": ["lanes:read"]}"#, "name"),
        (br#"{"name": "x", "scopes": "lanes:read"}"#, "scopes"),
        (br#"{"name": "x", "scopes": ["lanes:read"], "workspace_id": "ws_other"}"#, "workspace_id"),
        (br#"{"name": "x", "scopes": ["lanes:read"], "expires_in_seconds": -5}"#, "expires_in_seconds"),
        (br#"{"name": "x", "scopes": ["lanes:read"], "expires_in_seconds": 5}"#, "expires_in_seconds"),
        (br#"{"name": "x", "scopes": []}"#, "scopes"),
    ];
    for (body, field) in cases {
        let r = app.call("api-token-issue").token(&acme.token).raw(body.to_vec()).send().await;
        assert_eq!(r.status, 422, "{}: {}", String::from_utf8_lossy(body), r.text());
        assert_eq!(r.code(), "VALIDATION_FAILED");
        assert_eq!(r.json()["error"]["field"], *field, "{}", r.text());
    }
    // Every endpoint, fed junk, answers 4xx.
    let docs = switchyard_tests::http_functions();
    for doc in docs {
        for body in [&b"\x00\xff"[..], b"{\"a\":", b"null", b"{\"handle\": {\"$gt\": 1}}", b"\"str\""] {
            let r = app.call(&doc.name).token(&acme.token).raw(body.to_vec()).send().await;
            assert!(r.status < 500, "{} answered {} to {:?}: {}", doc.name, r.status, body, r.text());
        }
    }
}

#[tokio::test]
async fn oversized_bodies_wrong_methods_and_problem_json() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let big = app.call("api-token-issue").token(&acme.token).raw(vec![b' '; 1024 * 1024 + 1]).send().await;
    assert_eq!((big.status, big.code().as_str()), (413, "PAYLOAD_TOO_LARGE"));

    let get = app.call("api-token-issue").method(reqwest::Method::GET).token(&acme.token).send().await;
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));
    assert_eq!(get.code(), "METHOD_NOT_ALLOWED");

    let problem = app
        .call("api-token-issue")
        .token(&acme.token)
        .header("accept", "application/problem+json")
        .json(&json!({"name": 7}))
        .send()
        .await;
    assert_eq!(problem.status, 422);
    assert_eq!(problem.header("content-type"), Some("application/problem+json"));
    let doc = problem.json();
    assert_eq!(doc["status"], 422);
    assert_eq!(doc["code"], "VALIDATION_FAILED");
    assert_eq!(doc["field"], "name");
    assert_eq!(doc["instance"], "/functions/v1/api-token-issue");
    assert_eq!(doc["request_id"], problem.header("x-request-id").unwrap());
    assert!(doc["title"].is_string() && doc["detail"].is_string() && doc["type"].is_string());
}

#[tokio::test]
async fn every_response_has_a_request_id_and_echoes_the_correlation_id() {
    let app = spawn_app().await;
    let docs = switchyard_tests::http_functions();
    let mut seen = std::collections::HashSet::new();
    for doc in docs {
        let r = app.call(&doc.name).header("x-correlation-id", "corr-42").json(&json!({})).send().await;
        let id = r.header("x-request-id").unwrap_or_else(|| panic!("{} has no x-request-id", doc.name));
        assert!(id.starts_with("req_"), "{id}");
        assert!(seen.insert(id.to_owned()), "request ids repeat");
        assert_eq!(r.header("x-correlation-id"), Some("corr-42"), "{}", doc.name);
    }
    assert!(app.output().contains("correlation_id=corr-42"), "the access log names the correlation id");
}

#[tokio::test]
async fn write_family_allows_30_per_minute_then_429_and_the_count_survives_a_restart() {
    let mut app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    // Keep the 31 requests and the restart inside one one-minute window.
    let into_minute = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if into_minute > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - into_minute)).await;
    }
    let mut last = None;
    for i in 0..30 {
        let r = app.call("api-token-revoke").token(&acme.token).json(&json!({"token_id": "tok_nothing"})).send().await;
        assert_eq!(r.status, 404, "request {i}: {}", r.text());
        assert_eq!(r.header("ratelimit-limit"), Some("30"));
        assert_eq!(r.header("ratelimit-remaining"), Some((29 - i).to_string().as_str()));
        last = Some(r);
    }
    drop(last);
    let audit_before = app.audit_count(&acme.workspace_id);
    let limited = app.call("api-token-issue").token(&acme.token).json(&issue_body("one-too-many")).send().await;
    assert_eq!((limited.status, limited.code().as_str()), (429, "RATE_LIMITED"));
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    assert_eq!(limited.header("ratelimit-reset"), Some(retry_after.to_string().as_str()));
    assert_eq!(app.audit_count(&acme.workspace_id), audit_before, "the 429 path wrote nothing");
    let tokens: i64 = app.db().query_row("SELECT count(*) FROM api_tokens", [], |r| r.get(0)).unwrap();
    assert_eq!(tokens, 1, "no token was minted by the refused request");

    app.restart().await;
    let still = app.call("api-token-issue").token(&acme.token).json(&issue_body("after-restart")).send().await;
    assert_eq!(still.status, 429, "limits hold across restarts: {}", still.text());
}

#[tokio::test]
async fn paid_plans_get_higher_limits() {
    let app = spawn_app().await;
    let team = app.bootstrap("team", "us-east-1", "team").await;
    let r = app.call("api-token-revoke").token(&team.token).json(&json!({"token_id": "tok_nothing"})).send().await;
    assert_eq!(r.header("ratelimit-limit"), Some("150"));
    let big = app.bootstrap("bigco", "us-east-1", "enterprise").await;
    let r = app.call("api-token-revoke").token(&big.token).json(&json!({"token_id": "tok_nothing"})).send().await;
    assert_eq!(r.header("ratelimit-limit"), Some("600"));
    let public = app.call("auth-providers-for-email").json(&json!({"email": "a@b.example.com"})).send().await;
    assert_eq!(public.header("ratelimit-limit"), Some("120"));
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_reuse_and_bound_their_length() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    // A response without a secret is replayed byte for byte.
    let run = |key: &str| {
        app.call("agent-run")
            .token(&acme.token)
            .header("idempotency-key", key)
            .json(&switchyard_tests::lane_body("shop", &["src/**"]))
            .send()
    };
    let first = run("lane-1").await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotency-replayed"), None);
    let audit = app.audit_count(&acme.workspace_id);
    let replay = run("lane-1").await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body, "byte-identical replay");
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    assert_ne!(replay.header("x-request-id"), first.header("x-request-id"));
    assert_eq!(app.audit_count(&acme.workspace_id), audit, "a replay changes nothing");

    let send = |key: &str, name: &str| {
        app.call("api-token-issue").token(&acme.token).header("idempotency-key", key).json(&issue_body(name)).send()
    };
    assert_eq!(send("key-1", "ci").await.status, 201);
    let reused = send("key-1", "something-else").await;
    assert_eq!((reused.status, reused.code().as_str()), (422, "IDEMPOTENCY_KEY_REUSED"));

    let long = send(&"k".repeat(256), "ci").await;
    assert_eq!((long.status, long.code().as_str()), (400, "BAD_REQUEST"));
    assert_eq!(send(&"k".repeat(255), "ci").await.status, 201);

    // A duplicate that arrives while the first is still running.
    let body = issue_body("in-flight").to_string();
    let digest = switchyard_domain::sha256_hex(format!("POST /functions/v1/api-token-issue\n{body}").as_bytes());
    let now = "9999-01-01T00:00:00.000Z";
    app.db()
        .execute(
            "INSERT INTO idempotency_keys (workspace_id, actor, key, request_digest, state, created_at)
             VALUES (?1, ?2, 'busy', ?3, 'running', ?4)",
            [&acme.workspace_id, &acme.token_id, &digest, &now.to_owned()],
        )
        .unwrap();
    let busy = app
        .call("api-token-issue")
        .token(&acme.token)
        .header("idempotency-key", "busy")
        .raw(body.into_bytes())
        .send()
        .await;
    assert_eq!((busy.status, busy.code().as_str()), (409, "CONFLICT"), "{}", busy.text());

    // Records are kept 24 h: maintenance-tick deletes older ones, and only those.
    let keys = || -> i64 { app.db().query_row("SELECT count(*) FROM idempotency_keys", [], |r| r.get(0)).unwrap() };
    let before = keys();
    app.db()
        .execute(
            "INSERT INTO idempotency_keys (workspace_id, actor, key, request_digest, state, created_at)
             VALUES (?1, ?2, 'ancient', 'x', 'done', '2020-01-01T00:00:00.000Z')",
            [&acme.workspace_id, &acme.token_id],
        )
        .unwrap();
    let report = app.tick_over_http("maintenance-tick").await;
    assert_eq!(report["idempotency_pruned"], 1, "{report}");
    assert_eq!(keys(), before, "the fresh records stay");
}

#[tokio::test]
async fn a_replay_never_shows_a_secret_again_and_no_table_keeps_one() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let issue = || {
        app.call("api-token-issue").token(&acme.token).header("idempotency-key", "once").json(&issue_body("ci")).send()
    };
    let first = issue().await;
    assert_eq!(first.status, 201);
    let secret = first.json()["token"].as_str().unwrap().to_owned();
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let replay = issue().await;
    assert_eq!((replay.status, replay.code().as_str()), (409, "CONFLICT"), "{}", replay.text());
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    let details = &replay.json()["error"]["details"];
    assert_eq!(details["secret_withheld"], "/token");
    assert_eq!(details["response"]["id"], id.as_str(), "the caller learns what to revoke");
    assert!(details["response"]["token"].is_null());

    let register = || {
        app.call("harness-register")
            .token(&acme.token)
            .header("idempotency-key", "harness-once")
            .json(&json!({"kind": "script", "name": "h1"}))
            .send()
    };
    let harness = register().await;
    assert_eq!(harness.status, 201, "{}", harness.text());
    let credential = harness.json()["credential"].as_str().unwrap().to_owned();
    let again = register().await;
    assert_eq!(again.status, 409);
    assert!(again.json()["error"]["details"]["response"]["credential"].is_null());

    // No byte of any database file (tables, WAL, key-value store) holds a secret.
    let secrets = [secret.as_str(), credential.as_str(), acme.token.as_str()];
    let mut files = 0;
    for entry in walk(app.data.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        files += 1;
        for s in secrets {
            let tail = &s[s.len() - 24..];
            assert!(!bytes.windows(tail.len()).any(|w| w == tail.as_bytes()), "{} holds a secret", entry.display());
        }
    }
    assert!(files >= 2, "the scan saw the databases");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[tokio::test]
async fn racing_duplicates_create_exactly_one_token() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let calls = (0..10).map(|_| {
        app.call("api-token-issue")
            .token(&acme.token)
            .header("idempotency-key", "race")
            .json(&issue_body("race"))
            .send()
    });
    let responses = futures::future::join_all(calls).await;
    let created: Vec<_> = responses.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|r| r.body == created[0].body), "every 201 is the same token");
    assert!(responses.iter().all(|r| r.status == 201 || r.status == 409), "only 201 or 409");
    let tokens: i64 =
        app.db().query_row("SELECT count(*) FROM api_tokens WHERE name = 'race'", [], |r| r.get(0)).unwrap();
    assert_eq!(tokens, 1);
}

#[tokio::test]
async fn every_mutation_appends_to_a_verifiable_hash_chain() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let (_, id) = app.issue(&acme, &["lanes:read"]).await;
    let revoke = app.call("api-token-revoke").token(&acme.token).json(&json!({"token_id": id})).send().await;
    let failed = app.call("api-token-revoke").token(&acme.token).json(&json!({"token_id": "tok_missing"})).send().await;
    assert_eq!(failed.status, 404);

    let entries = app.audit_entries(&acme.workspace_id);
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["workspace-bootstrap", "api-token-issue", "api-token-revoke"],
        "a failed mutation leaves no entry"
    );
    assert_eq!(entries[0].actor, "service-role");
    assert_eq!(entries[1].actor, acme.token_id);
    assert_eq!(entries[2].target.as_deref(), Some(id.as_str()));
    assert_eq!(entries[2].request_id, revoke.header("x-request-id").unwrap());
    assert_eq!(entries[2].input_digest, switchyard_domain::sha256_hex(json!({"token_id": id}).to_string().as_bytes()));
    verify_chain(&entries, GENESIS_HASH).unwrap();

    // There is no update or delete path, not even for the database owner.
    let db = app.db();
    assert!(db.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1", []).is_err());
    assert!(db.execute("DELETE FROM audit_log", []).is_err());
}

#[tokio::test]
async fn parallel_mutations_leave_a_gapless_chain() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let calls =
        (0..25).map(|i| app.call("api-token-issue").token(&acme.token).json(&issue_body(&format!("p{i}"))).send());
    let responses = futures::future::join_all(calls).await;
    assert!(responses.iter().all(|r| r.status == 201), "{:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());
    let entries = app.audit_entries(&acme.workspace_id);
    assert_eq!(entries.len(), 26);
    verify_chain(&entries, GENESIS_HASH).unwrap();
}

#[tokio::test]
async fn a_locked_database_answers_503_for_writes_serves_reads_and_health_says_degraded() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    // Another process holds the write lock for 8 s.
    let db = app.db();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let locked_at = std::time::Instant::now();

    let write = app.call("api-token-issue").token(&acme.token).json(&issue_body("while-locked")).send().await;
    assert_eq!((write.status, write.code().as_str()), (503, "STORAGE_UNAVAILABLE"), "{}", write.text());
    assert_eq!(write.header("retry-after"), Some("2"));
    let read = app.call("lane-list").token(&acme.token).send().await;
    assert_eq!(read.status, 200, "reads are served while writes wait: {}", read.text());
    let health = app.call("health").send().await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "degraded", "{}", health.text());
    assert_eq!(health.json()["database"], "read-only");

    let held = locked_at.elapsed();
    if held < std::time::Duration::from_secs(8) {
        tokio::time::sleep(std::time::Duration::from_secs(8) - held).await;
    }
    db.execute_batch("COMMIT").unwrap();
    let write = app.call("api-token-issue").token(&acme.token).json(&issue_body("after")).send().await;
    assert_eq!(write.status, 201, "{}", write.text());
    assert_eq!(app.call("health").send().await.json()["status"], "ok");
    let tokens: i64 = app.db().query_row("SELECT count(*) FROM api_tokens", [], |r| r.get(0)).unwrap();
    assert_eq!(tokens, 2, "nothing was half-written while locked");
    assert!(!app.output().contains("panicked"), "no panic in the host or a guest");
}
