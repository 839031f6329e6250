//! Tenancy and scopes, driven by the catalog: a function added to spin.toml
//! without an entry here fails the matrix test.

use serde_json::json;
use switchyard_catalog::{AuthKind, FunctionDoc};
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
        "api-token-revoke" => Some(Crossing::ForeignId),
        "api-token-issue" | "sso-config-update" => Some(Crossing::OwnWorkspaceOnly),
        _ => None,
    }
}

async fn cross_call(app: &TestApp, name: &str, a: &Tenant, b: &Tenant) -> ApiResponse {
    match name {
        "api-token-revoke" => app.call(name).token(&a.token).json(&json!({"token_id": b.token_id})).send().await,
        other => panic!("no cross-workspace request for {other}"),
    }
}

fn bearer_functions() -> Vec<FunctionDoc> {
    switchyard_catalog::load(&switchyard_tests::workspace_root())
        .unwrap()
        .into_iter()
        .filter(|d| d.auth == AuthKind::Bearer)
        .collect()
}

#[tokio::test]
async fn another_workspaces_ids_answer_not_found_on_every_endpoint() {
    let missing: Vec<String> = bearer_functions().into_iter().filter(|d| crossing(&d.name).is_none()).map(|d| d.name).collect();
    assert!(missing.is_empty(), "add these functions to the cross-workspace matrix: {missing:?}");

    let app = spawn_app().await;
    let a = app.bootstrap("alpha", "us-east-1", "free").await;
    let b = app.bootstrap("bravo", "us-east-1", "free").await;
    for doc in bearer_functions() {
        if let Some(Crossing::ForeignId) = crossing(&doc.name) {
            let r = cross_call(&app, &doc.name, &a, &b).await;
            assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"), "{}: {}", doc.name, r.text());
        }
    }
    // B is untouched: its token still works and its log has only its own entries.
    let still = app.call("api-token-issue").token(&b.token).json(&json!({"name": "ok", "scopes": ["lanes:read"]})).send().await;
    assert_eq!(still.status, 201);
    assert_eq!(app.audit_count(&b.workspace_id), 2);
}

#[tokio::test]
async fn own_workspace_only_endpoints_never_reach_another_workspace() {
    let app = spawn_app().await;
    let a = app.bootstrap("alpha", "us-east-1", "free").await;
    let b = app.bootstrap("bravo", "us-east-1", "free").await;

    let issued = app.call("api-token-issue").token(&a.token).json(&json!({"name": "x", "scopes": ["lanes:read"]})).send().await;
    assert_eq!(issued.json()["workspace_id"], a.workspace_id.as_str());

    let sso = app
        .call("sso-config-update")
        .token(&a.token)
        .json(&json!({"domain": "shared.example.com", "provider": "okta"}))
        .send()
        .await;
    assert_eq!(sso.status, 200, "{}", sso.text());
    let lookup = app.call("auth-providers-for-email").json(&json!({"email": "x@shared.example.com"})).send().await;
    let listed = lookup.json();
    let handles: Vec<&str> =
        listed["providers"].as_array().unwrap().iter().map(|p| p["workspace_handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ["alpha"]);
    assert_eq!(app.audit_count(&b.workspace_id), 1, "only B's bootstrap");
}

#[tokio::test]
async fn every_bearer_function_refuses_a_token_without_its_documented_scope() {
    let app = spawn_app().await;
    let a = app.bootstrap("alpha", "us-east-1", "free").await;
    for doc in bearer_functions() {
        let needed = doc.scope.unwrap();
        // Any scope but the needed one (and not admin, which implies all).
        let other = switchyard_api::Scope::ALL
            .iter()
            .find(|s| **s != needed && **s != switchyard_api::Scope::Admin)
            .unwrap();
        let (token, _) = app.issue(&a, &[other.as_str()]).await;
        let r = app.call(&doc.name).token(&token).json(&json!({})).send().await;
        assert_eq!((r.status, r.code().as_str()), (403, "SCOPE_DENIED"), "{}: {}", doc.name, r.text());
        assert_eq!(r.json()["error"]["scope"], needed.as_str(), "{} documents scope {needed}", doc.name);
    }
}
