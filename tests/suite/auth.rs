//! Authentication: PATs, JWTs, the service-role key, regions.

use std::time::{SystemTime, UNIX_EPOCH};

use jwt_simple::prelude::*;
use serde_json::json;
use switchyard_tests::{JWT_HS256_SECRET, SERVICE_ROLE_KEY, TestApp, spawn_app};

/// A call any admin token may make and that changes nothing: an SSO lookup needs
/// no token, so use token issue with a validation error, which authenticates first.
async fn probe(app: &TestApp, token: &str) -> switchyard_tests::ApiResponse {
    app.call("api-token-issue").token(token).json(&json!({"name": "", "scopes": ["lanes:read"]})).send().await
}

/// Authenticated callers get past auth (to the 422 on the empty name).
fn authenticated(r: &switchyard_tests::ApiResponse) -> bool {
    r.status == 422 && r.code() == "VALIDATION_FAILED"
}

#[tokio::test]
async fn tokens_missing_malformed_wrong_or_revoked_are_refused() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    assert!(authenticated(&probe(&app, &acme.token).await));

    let none = app.call("api-token-issue").json(&json!({})).send().await;
    assert_eq!((none.status, none.code().as_str()), (401, "UNAUTHORIZED"));
    assert_eq!(none.json()["error"]["request_id"], none.header("x-request-id").unwrap());

    let mut wrong_secret = acme.token.clone();
    let last = wrong_secret.pop().unwrap();
    wrong_secret.push(if last == 'a' { 'b' } else { 'a' });
    for bad in ["garbage", "sl_pat_", "sl_pat_abc_def", wrong_secret.as_str(), "a.b.c"] {
        let r = probe(&app, bad).await;
        assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHORIZED"), "{bad}: {}", r.text());
    }
    let basic = app.call("api-token-issue").header("authorization", "Basic Zm9vOmJhcg==").send().await;
    assert_eq!(basic.status, 401);

    // Revocation takes effect on the very next request.
    let (token, id) = app.issue(&acme, &["tokens:write"]).await;
    assert!(authenticated(&probe(&app, &token).await));
    let revoked = app.call("api-token-revoke").token(&acme.token).json(&json!({"token_id": id})).send().await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    let after = probe(&app, &token).await;
    assert_eq!(after.status, 401);
    assert!(after.json()["error"]["message"].as_str().unwrap().contains("revoked"));
}

#[tokio::test]
async fn revoking_a_token_revokes_every_token_minted_with_it() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "team").await;
    let issue_with = |token: String| {
        let app = &app;
        async move {
            let r = app
                .call("api-token-issue")
                .token(&token)
                .json(&json!({"name": "child", "scopes": ["tokens:write"]}))
                .send()
                .await;
            assert_eq!(r.status, 201, "{}", r.text());
            (r.json()["token"].as_str().unwrap().to_owned(), r.json()["id"].as_str().unwrap().to_owned())
        }
    };
    let (parent, parent_id) = app.issue(&acme, &["tokens:write"]).await;
    let (child, child_id) = issue_with(parent.clone()).await;
    let (grandchild, grandchild_id) = issue_with(child.clone()).await;
    let (sibling, _) = app.issue(&acme, &["tokens:write"]).await;
    let revoked = app.call("api-token-revoke").token(&acme.token).json(&json!({"token_id": parent_id})).send().await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    let mut also: Vec<String> =
        revoked.json()["also_revoked"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    also.sort();
    let mut expected = vec![child_id, grandchild_id];
    expected.sort();
    assert_eq!(also, expected);
    for token in [&parent, &child, &grandchild] {
        assert_eq!(probe(&app, token).await.status, 401, "a token minted by a revoked token must stop working");
    }
    assert!(authenticated(&probe(&app, &sibling).await), "a token not minted by it keeps working");
    assert!(authenticated(&probe(&app, &acme.token).await), "nor does revocation climb up the chain");
}

#[tokio::test]
async fn an_expired_token_is_refused_and_last_use_is_recorded() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let (token, id) = app.issue(&acme, &["tokens:write"]).await;
    assert!(authenticated(&probe(&app, &token).await));
    let last_used = || -> Option<String> {
        app.db().query_row("SELECT last_used_at FROM api_tokens WHERE id = ?1", [&id], |r| r.get(0)).unwrap()
    };
    // The use is noted off the request's transaction and written back in a batch.
    assert_eq!(last_used(), None);
    let report = app.tick_over_http("maintenance-tick").await;
    assert!(report["last_used_written"].as_u64().unwrap() >= 1, "{report}");
    assert!(last_used().is_some());
    assert_eq!(app.tick_over_http("maintenance-tick").await["last_used_written"], 0, "each note is written once");

    app.db().execute("UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1", [&id]).unwrap();
    let r = probe(&app, &token).await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("expired"));
}

#[tokio::test]
async fn tokens_carry_no_more_than_the_minting_token() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let (writer, _) = app.issue(&acme, &["tokens:write"]).await;
    let r = app
        .call("api-token-issue")
        .token(&writer)
        .json(&json!({"name": "escalate", "scopes": ["tokens:write", "audit:export"]}))
        .send()
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "SCOPE_DENIED"));
    assert_eq!(r.json()["error"]["scope"], "audit:export");
    let unknown =
        app.call("api-token-issue").token(&writer).json(&json!({"name": "x", "scopes": ["lanes:delete"]})).send().await;
    assert_eq!((unknown.status, unknown.json()["error"]["field"].as_str()), (422, Some("scopes[0]")));
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[derive(Serialize, Deserialize)]
struct WorkspaceClaims {
    workspace_id: String,
    #[serde(default)]
    roles: Vec<String>,
}

fn claims(workspace_id: &str, valid_for_secs: i64) -> JWTClaims<WorkspaceClaims> {
    let mut c = Claims::with_custom_claims(
        WorkspaceClaims { workspace_id: workspace_id.to_owned(), roles: vec!["admin".into()] },
        Duration::from_secs(valid_for_secs.unsigned_abs()),
    )
    .with_issuer("switchyard")
    .with_audience("switchyard")
    .with_subject("ada@acme.example.com");
    if valid_for_secs < 0 {
        c.expires_at = Some(UnixTimeStamp::from_secs(now() - valid_for_secs.unsigned_abs()));
        c.issued_at = Some(UnixTimeStamp::from_secs(now() - 600));
        c.invalid_before = Some(UnixTimeStamp::from_secs(now() - 600));
    }
    c
}

fn b64(bytes: &[u8]) -> String {
    use jwt_simple::reexports::ct_codecs::{Base64UrlSafeNoPadding, Encoder};
    Base64UrlSafeNoPadding::encode_to_string(bytes).unwrap()
}

#[tokio::test]
async fn jwts_are_verified_strictly() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let hs = HS256Key::from_bytes(JWT_HS256_SECRET.as_bytes());
    let ed = app.ed25519.as_ref().unwrap();

    let good = hs.authenticate(claims(&acme.workspace_id, 300)).unwrap();
    assert!(authenticated(&probe(&app, &good).await), "HS256");
    let good_ed = ed.sign(claims(&acme.workspace_id, 300)).unwrap();
    assert!(authenticated(&probe(&app, &good_ed).await), "EdDSA");
    // Expired 30 s ago: inside the 60 s tolerance.
    let skewed = hs.authenticate(claims(&acme.workspace_id, -30)).unwrap();
    assert!(authenticated(&probe(&app, &skewed).await), "within tolerance");

    let expired = hs.authenticate(claims(&acme.workspace_id, -300)).unwrap();
    let mut future = claims(&acme.workspace_id, 600);
    future.invalid_before = Some(UnixTimeStamp::from_secs(now() + 300));
    let not_yet = hs.authenticate(future).unwrap();
    let other_key = HS256Key::generate().authenticate(claims(&acme.workspace_id, 300)).unwrap();
    let other_alg =
        HS512Key::from_bytes(JWT_HS256_SECRET.as_bytes()).authenticate(claims(&acme.workspace_id, 300)).unwrap();
    let other_ed = Ed25519KeyPair::generate().sign(claims(&acme.workspace_id, 300)).unwrap();
    let mut wrong_audience = claims(&acme.workspace_id, 300);
    wrong_audience.audiences = Some(Audiences::AsString("someone-else".into()));
    let wrong_audience = hs.authenticate(wrong_audience).unwrap();
    let unknown_ws = hs.authenticate(claims("ws_doesnotexist", 300)).unwrap();
    let payload = good.split('.').nth(1).unwrap();
    let alg_none = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let forged =
            b64(format!(r#"{{"workspace_id":"{}","roles":["owner"],"exp":{}}}"#, acme.workspace_id, now() + 9999)
                .as_bytes());
        format!("{}.{forged}.{}", parts[0], parts[2])
    };
    let mut huge = claims(&acme.workspace_id, 300);
    huge.jwt_id = Some("x".repeat(9000));
    let oversized = hs.authenticate(huge).unwrap();
    let no_exp = {
        let mut c = claims(&acme.workspace_id, 300);
        c.expires_at = None;
        hs.authenticate(c).unwrap()
    };

    for (what, token) in [
        ("expired", expired),
        ("not yet valid", not_yet),
        ("another key", other_key),
        ("another algorithm", other_alg),
        ("another Ed25519 key", other_ed),
        ("wrong audience", wrong_audience),
        ("unknown workspace", unknown_ws),
        ("alg=none", alg_none),
        ("tampered", tampered),
        ("oversized", oversized),
        ("no exp", no_exp),
    ] {
        let r = probe(&app, &token).await;
        assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHORIZED"), "{what}: {}", r.text());
    }
}

#[tokio::test]
async fn service_role_functions_take_only_the_service_role_key() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let body = json!({"handle": "other", "region": "us-east-1", "admin_email": "a@other.example.com"});
    for token in ["wrong-key", acme.token.as_str()] {
        let r = app.call("workspace-bootstrap").token(token).json(&body).send().await;
        assert_eq!(r.status, 401, "{token}");
    }
    // Every service-role function (ticks included) refuses anything but the key.
    let service = switchyard_tests::http_functions()
        .iter()
        .filter(|d| d.auth == switchyard_api::Auth::ServiceRole)
        .collect::<Vec<_>>();
    assert!(service.iter().any(|d| d.name == "dispatch-status-tick"));
    for doc in &service {
        for token in [None, Some("wrong-key"), Some(acme.token.as_str())] {
            let mut call = app.call(&doc.name).json(&json!({}));
            if let Some(token) = token {
                call = call.token(token);
            }
            let r = call.send().await;
            assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHORIZED"), "{} with {token:?}", doc.name);
        }
    }
    // And the service-role key is not a workspace token.
    let r = probe(&app, SERVICE_ROLE_KEY).await;
    assert_eq!(r.status, 401);
    let taken = app
        .call("workspace-bootstrap")
        .token(SERVICE_ROLE_KEY)
        .json(&json!({
            "handle": "acme", "region": "us-east-1", "admin_email": "b@acme.example.com"
        }))
        .send()
        .await;
    assert_eq!((taken.status, taken.code().as_str()), (409, "CONFLICT"));
}

#[tokio::test]
async fn a_workspace_of_another_region_is_refused_naming_its_region() {
    let app = spawn_app().await;
    let europe = app.bootstrap("euro", "eu-west-1", "free").await;
    let r = probe(&app, &europe.token).await;
    assert_eq!((r.status, r.code().as_str()), (421, "WRONG_REGION"), "{}", r.text());
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("eu-west-1"));
}

/// Seconds into the current minute.
fn into_minute() -> f64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    (now.as_millis() % 60_000) as f64 / 1000.0
}

/// Sleeps until `at` seconds into a minute (the next one if already past it).
async fn wait_until_second(at: f64) {
    let now = into_minute();
    let wait = if now < at { at - now } else { 60.0 - now + at };
    tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
}

#[tokio::test]
async fn sixty_concurrent_writes_pass_exactly_thirty() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    if into_minute() > 50.0 {
        wait_until_second(1.0).await;
    }
    let calls = (0..60).map(|_| probe(&app, &acme.token));
    let responses = futures::future::join_all(calls).await;
    let passed = responses.iter().filter(|r| authenticated(r)).count();
    let limited = responses.iter().filter(|r| r.status == 429).count();
    assert_eq!((passed, limited), (30, 30), "the free plan's 30 writes per minute, exactly");
}

#[tokio::test]
async fn a_minute_boundary_does_not_double_the_read_allowance() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let read = || app.call("lane-list").token(&acme.token).send();
    // 240 reads from two seconds before a minute boundary on.
    wait_until_second(58.0).await;
    let started = std::time::Instant::now();
    let mut passed = 0;
    for _ in 0..30 {
        let batch = futures::future::join_all((0..8).map(|_| read())).await;
        for r in &batch {
            match r.status {
                200 => passed += 1,
                429 => assert!(r.header("retry-after").is_some()),
                other => panic!("unexpected {other}: {}", r.text()),
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The limit (120) plus what comes back at its own pace (2 per second).
    let bound = 120 + (2.0 * elapsed).ceil() as usize + 1;
    eprintln!("{passed} of 240 reads passed in {elapsed:.1} s across a minute boundary (bound {bound})");
    assert!(passed <= bound, "{passed} reads passed in {elapsed:.1} s");
    assert!(passed >= 120, "{passed}: the first 120 are allowed");
}

#[tokio::test]
async fn the_same_user_in_two_workspaces_has_two_buckets() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let other = app.bootstrap("other", "us-east-1", "free").await;
    if into_minute() > 50.0 {
        wait_until_second(1.0).await;
    }
    let hs = HS256Key::from_bytes(JWT_HS256_SECRET.as_bytes());
    let in_acme = hs.authenticate(claims(&acme.workspace_id, 300)).unwrap();
    let in_other = hs.authenticate(claims(&other.workspace_id, 300)).unwrap();
    for _ in 0..30 {
        assert!(authenticated(&probe(&app, &in_acme).await));
    }
    assert_eq!(probe(&app, &in_acme).await.status, 429, "acme's bucket is empty");
    let r = probe(&app, &in_other).await;
    assert!(authenticated(&r), "the same `sub` in another workspace is not limited: {}", r.text());
    assert_eq!(r.header("ratelimit-remaining"), Some("29"));
}
