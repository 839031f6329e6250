//! The A2A agent card (also at /.well-known/agent-card.json): the JSON-RPC interface at /functions/v1/a2a, bearer auth, streaming, and the lane skill.

use switchyard_api::NoInput;
use switchyard_edge::a2a;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::A2A_AGENT_CARD;

#[http_component]
fn handle(req: Request) -> Response {
    // The interface's URL is this deployment's, as the client reached it.
    let full = req.header("spin-full-url").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let base = full
        .split_once("://")
        .map_or(String::new(), |(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()));
    ENDPOINT.respond(req, |_, _: NoInput| {
        Ok(Reply::json(200, &a2a::card(&base)).header("cache-control", "public, max-age=300"))
    })
}
