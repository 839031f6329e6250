//! The product manifest (`spin.toml` at the repository root) through the host.

use switchyard_tests::spawn_app;

#[tokio::test]
async fn every_listed_function_is_served_and_the_data_survives_a_restart() {
    let mut app = spawn_app().await;
    let docs = switchyard_tests::http_functions();
    for doc in docs {
        let r = app.call(&doc.name).send().await;
        assert_ne!(r.status, 404, "{} is not served", doc.name);
    }
    let acme = app.bootstrap("acme", "us-east-1", "free").await;
    app.restart().await;
    let r = app
        .call("api-token-issue")
        .token(&acme.token)
        .json(&serde_json::json!({"name": "x", "scopes": ["lanes:read"]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}
