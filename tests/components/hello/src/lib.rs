//! Answers `ok` to every request, touching no Spin interface, so the same
//! `.wasm` runs under this host, `spin up` and `wasmtime serve` alike.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn hello(_req: Request) -> impl IntoResponse {
    Response::builder().status(200).header("content-type", "text/plain").body("ok").build()
}
