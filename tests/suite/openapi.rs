//! The OpenAPI document: served, fresh, and true of every operation.
//!
//! Every response the suite gets through `Call` is already checked against
//! `docs/openapi.json` (see `switchyard_tests::conformance`); this module makes
//! sure each documented operation is called at least with no credentials,
//! with the right credentials and an empty input, and with junk.

use serde_json::{Value, json};
use switchyard_api::Auth;
use switchyard_tests::{SERVICE_ROLE_KEY, spawn_app, workspace_root};

#[tokio::test]
async fn the_served_document_is_the_committed_one_at_both_routes() {
    let app = spawn_app().await;
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(workspace_root().join("docs/openapi.json")).unwrap()).unwrap();
    for path in ["/openapi.json", "/functions/v1/openapi"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let served: Value = r.json().await.unwrap();
        assert!(
            served == committed,
            "{path} serves a stale document: run the catalog, then rebuild the openapi component"
        );
    }
    assert_eq!(committed["openapi"], "3.1.0");
    // Every endpoint of the table is documented, with a request and a success response.
    for e in switchyard_api::endpoints::ALL {
        let item = &committed["paths"][e.route()];
        for verb in e.methods {
            let op = &item[verb.as_str().to_lowercase()];
            assert!(op.is_object(), "{} {} is not documented", verb.as_str(), e.name);
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{}: no success response", e.name);
        }
    }
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let app = spawn_app().await;
    let acme = app.bootstrap("acme", "us-east-1", "enterprise").await;
    let harness = app.register_harness(&acme, "script", &[], 30).await;
    for e in switchyard_api::endpoints::ALL {
        let credential = match e.auth {
            Auth::Public => None,
            Auth::Bearer(_) => Some(acme.token.as_str()),
            Auth::ServiceRole => Some(SERVICE_ROLE_KEY),
            Auth::Harness => Some(harness.credential.as_str()),
            // Signed deliveries are exercised in tests/suite/integrations.rs.
            Auth::ForgeSignature(_) | Auth::SignalSignature(_) => None,
        };
        for verb in e.methods {
            let method = reqwest::Method::from_bytes(verb.as_str().as_bytes()).unwrap();
            // No credentials, the right credentials with no input, and junk.
            let mut calls = vec![app.call(e.name).method(method.clone())];
            if let Some(token) = credential {
                calls.push(app.call(e.name).method(method.clone()).token(token));
                if method == reqwest::Method::POST {
                    calls.push(app.call(e.name).token(token).json(&json!({"unknown_field": 1})));
                    calls.push(app.call(e.name).token(token).raw(b"{\"truncated".to_vec()));
                }
            }
            for call in calls {
                // `send` panics on any answer the document contradicts.
                let r = call.send().await;
                assert!(r.status < 500, "{} {}: {} {}", verb.as_str(), e.name, r.status, r.text());
            }
        }
    }
}
