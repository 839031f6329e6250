//! Export a workspace audit log range (signed JSON or NDJSON); NDJSON streams with flat memory.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::{ExportAudit, ExportFormat};
use switchyard_domain::export::{ExportDocument, ExportWriter, SigningKey};
use switchyard_edge::audit::{entries_between, export_header, resolve_range, signing_key, stream_export};
use switchyard_edge::prelude::*;
use switchyard_edge::stream;

const ENDPOINT: Endpoint = endpoints::AUDIT_EXPORT;

/// The JSON form holds the whole range in memory; larger ranges use NDJSON.
const MAX_JSON_ENTRIES: u64 = 10_000;

/// What the checks produced: the NDJSON range to stream, or the whole JSON document.
enum Export {
    Ndjson { workspace: String, range: Option<(u64, u64)>, key: SigningKey },
    Json(ExportDocument),
}

/// Runs inside the edge's checks, so a failure here is answered with the usual error envelope.
fn prepare(ctx: &Ctx, input: &ExportAudit) -> Result<Export, ApiError> {
    let workspace = ctx.workspace_id()?.to_string();
    let range =
        resolve_range(&ctx.db, &workspace, input.from_seq, input.to_seq, input.from.as_ref(), input.to.as_ref())?;
    let key = signing_key()?;
    if input.format == ExportFormat::Ndjson {
        return Ok(Export::Ndjson { workspace, range, key });
    }
    let (first, last) = range.unwrap_or((1, 0));
    if last + 1 - first > MAX_JSON_ENTRIES {
        return Err(ApiError::validation(
            "format",
            format!("JSON exports hold at most {MAX_JSON_ENTRIES} entries; use ndjson"),
        ));
    }
    let mut writer = ExportWriter::new();
    let header = export_header(&ctx.db, &workspace, first, &key)?;
    writer.header(header.clone());
    let entries = if last >= first {
        entries_between(&ctx.db, &workspace, first - 1, last, MAX_JSON_ENTRIES)?
    } else {
        Vec::new()
    };
    for e in &entries {
        writer.entry(e.clone());
    }
    Ok(Export::Json(ExportDocument { header, entries, trailer: writer.trailer_value(&key) }))
}

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let open = match ENDPOINT.open_stream(&req, prepare) {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    match &open.checked {
        Export::Ndjson { workspace, range, key } => {
            let Some(mut body) = stream::start(out, "application/x-ndjson", &open.headers) else { return };
            stream_export(&open.ctx.db, workspace, *range, key, &mut body).await;
        }
        Export::Json(document) => {
            let Some(mut body) = stream::start(out, "application/json", &open.headers) else { return };
            stream::write(&mut body, serde_json::to_vec(document).expect("an export document always serialises")).await;
        }
    }
}
