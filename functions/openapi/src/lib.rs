//! This API as an OpenAPI 3.1 document; also served at /openapi.json.
//!
//! The document is `docs/openapi.json`, generated from the endpoint table and
//! the wire types by `cargo run -p switchyard-catalog`; a test keeps it fresh.

use switchyard_api::NoInput;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::OPENAPI;

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |_, _: NoInput| {
        Ok(Reply::bytes(200, "application/json", DOCUMENT.as_bytes().to_vec())
            .header("cache-control", "public, max-age=300"))
    })
}
