//! Stream the workspace as a signed archive: configuration, lanes with their events, and the audit log, signed in a trailer.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::NoInput;
use switchyard_edge::audit::signing_key;
use switchyard_edge::prelude::*;
use switchyard_edge::{archive, stream};

const ENDPOINT: Endpoint = endpoints::WORKSPACE_EXPORT;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let opened =
        ENDPOINT.open_stream(&req, |ctx, _: &NoInput| Ok((ctx.principal()?.workspace.clone(), signing_key()?)));
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let (workspace, key) = &open.checked;
    let Some(mut body) = stream::start(out, "application/x-ndjson", &open.headers) else { return };
    archive::stream(&open.ctx.db, workspace, key, &mut body).await;
}
