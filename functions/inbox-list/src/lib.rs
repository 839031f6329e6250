//! The workspace's inbox: questions agents asked, newest first, filtered by resolved, priority or lane.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::INBOX_LIST;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, operations::list_inbox)
}
