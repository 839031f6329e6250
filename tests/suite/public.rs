//! Public endpoints: health, badge, SSO provider lookup, the status snapshot.

use serde_json::json;
use switchyard_tests::spawn_app;

#[tokio::test]
async fn badges_are_valid_cacheable_svg_and_unknown_workspaces_get_an_unknown_badge() {
    let app = spawn_app().await;
    app.bootstrap("acme", "us-east-1", "free").await;
    for (query, expected) in [
        ("workspace=acme", "active"),
        ("workspace=acme&kind=status", "active"),
        ("workspace=acme&kind=build", "unknown"),
        ("workspace=acme&kind=coverage", "unknown"),
        ("workspace=nobody-here", "unknown"),
    ] {
        let r = app.get(&format!("/functions/v1/badge?{query}")).await;
        assert_eq!(r.status(), 200, "{query}");
        assert_eq!(r.headers()["content-type"], "image/svg+xml; charset=utf-8");
        assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age=300"));
        let svg = r.text().await.unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{query}: invalid SVG ({e}): {svg}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert_eq!(doc.root_element().tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
        let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
        assert!(texts.contains(&expected), "{query}: {texts:?}");
    }
    let posted = app.call("badge").json(&json!({"workspace": "acme", "kind": "build"})).send().await;
    assert_eq!(posted.status, 200);
    let bad = app.get("/functions/v1/badge?workspace=acme&kind=velocity").await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "kind");
}

#[tokio::test]
async fn auth_providers_for_email_lists_the_domains_providers() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    let none = app.call("auth-providers-for-email").json(&json!({"email": "ada@acme.example.com"})).send().await;
    assert_eq!(none.status, 200);
    assert_eq!(none.json(), json!({"domain": "acme.example.com", "providers": []}));

    for provider in ["okta", "google"] {
        let r = app
            .call("sso-config-update")
            .token(&acme.token)
            .json(&json!({"domain": "ACME.example.com", "provider": provider, "display_name": format!("Acme {provider}")}))
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Not offered until the workspace proves it owns the domain.
    let listed = app.call("auth-providers-for-email").json(&json!({"email": "Ada@Acme.Example.com"})).send().await;
    assert_eq!(listed.json()["providers"], json!([]));
    app.verify_sso_config(
        &acme,
        json!({"domain": "acme.example.com", "provider": "okta", "display_name": "Acme okta"}),
    )
    .await;
    let listed = app.call("auth-providers-for-email").json(&json!({"email": "Ada@Acme.Example.com"})).send().await;
    let providers = listed.json()["providers"].clone();
    assert_eq!(providers.as_array().unwrap().len(), 2);
    assert_eq!(providers[0]["provider"], "google");
    assert_eq!(providers[1]["display_name"], "Acme okta");
    assert!(providers[0]["id"].as_str().unwrap().starts_with("sso_"));

    let removed = app
        .call("sso-config-update")
        .token(&acme.token)
        .json(&json!({"domain": "acme.example.com", "provider": "google", "enabled": false}))
        .send()
        .await;
    assert_eq!(removed.status, 200);
    let listed = app.call("auth-providers-for-email").json(&json!({"email": "ada@acme.example.com"})).send().await;
    assert_eq!(listed.json()["providers"].as_array().unwrap().len(), 1);

    let bad = app.call("auth-providers-for-email").json(&json!({"email": "not-an-email"})).send().await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (422, Some("email")));
}

#[tokio::test]
async fn no_workspace_can_offer_sign_in_for_a_domain_it_does_not_own() {
    let app = spawn_app().await;
    let victim = app.bootstrap("victim", "us-east-1", "free").await;
    let attacker = app.bootstrap("attacker", "us-east-1", "free").await;
    // The attacker configures a provider for the victim's domain: it gets a challenge, not a listing.
    let configured = app
        .call("sso-config-update")
        .token(&attacker.token)
        .json(&json!({"domain": "victim.example.com", "provider": "okta", "display_name": "Victim SSO"}))
        .send()
        .await;
    assert_eq!(configured.status, 200);
    assert_eq!(configured.json()["domain_verified"], false);
    let challenge = configured.json()["verification"].clone();
    assert!(challenge["body"].as_str().unwrap().starts_with("switchyard-domain-verification="));
    let lookup = || app.call("auth-providers-for-email").json(&json!({"email": "ceo@victim.example.com"})).send();
    assert_eq!(lookup().await.json()["providers"], json!([]), "an unproven domain lists no provider");

    // It cannot verify: the domain does not serve its challenge.
    let verify =
        |token: &str| app.call("sso-domain-verify").token(token).json(&json!({"domain": "victim.example.com"})).send();
    let denied = verify(&attacker.token).await;
    assert_eq!((denied.status, denied.code().as_str()), (422, "VALIDATION_FAILED"), "{}", denied.text());
    assert_eq!(denied.json()["error"]["field"], "domain");
    assert_eq!(denied.json()["error"]["details"]["status"], 404);

    // The owner proves it; only the owner's provider is offered.
    app.verify_sso_domain(&victim, "victim.example.com", "google").await;
    let providers = lookup().await.json()["providers"].clone();
    let handles: Vec<&str> =
        providers.as_array().unwrap().iter().map(|p| p["workspace_handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ["victim"]);

    // Even serving its own challenge later, the attacker cannot take a verified domain.
    switchyard_tests::challenges().publish(challenge["url"].as_str().unwrap(), challenge["body"].as_str().unwrap());
    let taken = verify(&attacker.token).await;
    assert_eq!((taken.status, taken.code().as_str()), (409, "CONFLICT"), "{}", taken.text());
    assert_eq!(lookup().await.json()["providers"].as_array().unwrap().len(), 1);

    // Verifying again is harmless; a domain with no provider configured is 404.
    app.verify_sso_domain(&victim, "victim.example.com", "google").await;
    let unknown =
        app.call("sso-domain-verify").token(&victim.token).json(&json!({"domain": "other.example.com"})).send().await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn health_reports_the_database_and_region() {
    let app = spawn_app().await;
    let r = app.call("health").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["database"], "ok");
    assert_eq!(r.json()["region"], "us-east-1");
    assert!(r.header("x-request-id").unwrap().starts_with("req_"));
}

#[tokio::test]
async fn the_status_snapshot_shows_load_over_every_workspace_and_no_tenant_data() {
    let app = spawn_app().await;
    let empty = app.call("status-snapshot").send().await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    let s = empty.json();
    assert_eq!((s["status"].as_str(), s["database"].as_str()), (Some("ok"), Some("ok")));
    assert_eq!(s["queue_depth"], 0);
    assert_eq!(s["oldest_queued_seconds"], serde_json::Value::Null);
    assert_eq!(s["lanes"]["running"], 0);

    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let globex = app.bootstrap("globex", "us-east-1", "free").await;
    app.run_lane(&acme, switchyard_tests::lane_body("acme/shop", &["src/**"])).await;
    app.run_lane(&globex, switchyard_tests::lane_body("globex/site", &["docs/**"])).await;
    let harness = app.register_harness(&acme, "script", &[], 60).await;
    let dispatched = app.call("harness-dispatch").token(&harness.credential).json(&json!({})).send().await;
    assert_eq!(dispatched.status, 200);

    let r = app.get("/functions/v1/status-snapshot").await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let s: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((s["queue_depth"].as_u64(), s["lanes"]["running"].as_u64()), (Some(1), Some(1)), "{s}");
    assert_eq!(s["harnesses_online"], 1);
    assert!(s["oldest_queued_seconds"].as_u64().is_some());
    // Totals only: no workspace, lane, repository or harness is named.
    for secret in ["acme", "globex", "shop", "site", &acme.workspace_id, &harness.id] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}
