//! The public keys (JWKS) that verify audit exports and signed heads; also served at /.well-known/jwks.json.

use switchyard_api::NoInput;
use switchyard_edge::audit::signing_key;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::JWKS;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.respond(req, |_, _: NoInput| {
        let key = signing_key()?;
        let body = serde_json::json!({"keys": [key.jwk()]});
        Ok(Reply::json(200, &body).header("cache-control", "public, max-age=3600"))
    })
}
