//! Public endpoints: health, badge, SSO provider lookup.

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
async fn health_reports_the_database_and_region() {
    let app = spawn_app().await;
    let r = app.call("health").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["database"], "ok");
    assert_eq!(r.json()["region"], "us-east-1");
    assert!(r.header("x-request-id").unwrap().starts_with("req_"));
}
