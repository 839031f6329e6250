//! health — Liveness of the deployment and its database.
//!
//! Method: GET, POST · Auth: public · Scope: none · Rate family: none

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::{http_component, sqlite};

#[http_component]
fn health(_req: Request) -> impl IntoResponse {
    let database = match sqlite::Connection::open_default().and_then(|db| db.execute("SELECT 1", &[])) {
        Ok(_) => "ok",
        Err(_) => "unavailable",
    };
    let status = if database == "ok" { 200 } else { 503 };
    let body = serde_json::json!({ "status": if status == 200 { "ok" } else { "degraded" }, "database": database });
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(body.to_string())
        .build()
}
