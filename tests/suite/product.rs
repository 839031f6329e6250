//! The product manifest (`spin.toml` at the repository root) through the host.

use switchyard_tests::spawn_app;

#[tokio::test]
async fn health_answers_through_the_real_manifest() {
    let app = spawn_app().await;
    let response = app.get("/functions/v1/health").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}
