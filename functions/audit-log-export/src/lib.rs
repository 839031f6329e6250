//! Stream the audit log for a date range as signed NDJSON (the same format audit-export writes).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::ExportLogRange;
use switchyard_edge::audit::{resolve_range, signing_key, stream_export};
use switchyard_edge::prelude::*;
use switchyard_edge::stream;

const ENDPOINT: Endpoint = endpoints::AUDIT_LOG_EXPORT;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let opened = ENDPOINT.open_stream(&req, |ctx, input: &ExportLogRange| {
        let workspace = ctx.workspace_id()?.to_string();
        let range = resolve_range(&ctx.db, &workspace, None, None, Some(&input.from), Some(&input.to))?;
        Ok((workspace, range, signing_key()?))
    });
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let (workspace, range, key) = &open.checked;
    let Some(mut body) = stream::start(out, "application/x-ndjson", &open.headers) else { return };
    stream_export(&open.ctx.db, workspace, *range, key, &mut body).await;
}
