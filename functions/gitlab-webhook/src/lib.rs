//! Receive a GitLab webhook for a forge connection (`?connection=`). The edge
//! verifies its signature with the connection's secret before this runs; the
//! delivery is stored once per delivery id, answered and processed.

use switchyard_api::ForgePayload;
use switchyard_edge::forge::{self, GITLAB_HEADERS};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::GITLAB_WEBHOOK;

#[http_component]
fn handle(req: Request) -> Response {
    let header = |name: &str| req.header(name).and_then(|v| v.as_str()).map(str::to_owned);
    let (event, delivery) = (header(GITLAB_HEADERS.event), header(GITLAB_HEADERS.delivery));
    let payload = String::from_utf8_lossy(req.body()).into_owned();
    ENDPOINT.respond(req, move |ctx, _: ForgePayload| forge::receive(ctx, GITLAB_HEADERS, event, delivery, &payload))
}
