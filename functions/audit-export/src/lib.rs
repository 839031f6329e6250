//! Export a workspace audit log range (signed JSON or NDJSON); NDJSON streams with flat memory.
//!
//! - method: GET, POST
//! - auth: bearer
//! - scope: audit:export
//! - rate: bulk

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::{ExportAudit, ExportFormat};
use switchyard_domain::export::{ExportDocument, ExportWriter};
use switchyard_edge::audit::{entries_between, export_header, resolve_range, signing_key, stream_export};
use switchyard_edge::prelude::*;
use switchyard_edge::stream;

const ENDPOINT: Endpoint =
    Endpoint::new("audit-export", &[Verb::Get, Verb::Post], Auth::Bearer(Scope::AuditExport), Some(RateFamily::Bulk));

/// The JSON form holds the whole range in memory; larger ranges use NDJSON.
const MAX_JSON_ENTRIES: u64 = 10_000;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let opened = ENDPOINT.open_stream(&req, |ctx, input: &ExportAudit| {
        let workspace = ctx.workspace_id()?.to_string();
        let range = resolve_range(
            &ctx.db,
            &workspace,
            input.from_seq,
            input.to_seq,
            input.from.as_deref(),
            input.to.as_deref(),
        )?;
        let count = range.map_or(0, |(f, l)| l - f + 1);
        if input.format == ExportFormat::Json && count > MAX_JSON_ENTRIES {
            return Err(ApiError::validation(
                "format",
                format!("JSON exports hold at most {MAX_JSON_ENTRIES} entries; use ndjson"),
            ));
        }
        Ok((workspace, range, signing_key()?))
    });
    let open = match opened {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let (workspace, range, key) = &open.checked;
    match open.input.format {
        ExportFormat::Ndjson => {
            let Some(mut body) = stream::start(out, "application/x-ndjson", &open.headers) else { return };
            stream_export(&open.ctx.db, workspace, *range, key, &mut body).await;
        }
        ExportFormat::Json => {
            let document = (|| -> Result<ExportDocument, ApiError> {
                let (first, last) = range.unwrap_or((1, 0));
                let mut writer = ExportWriter::new();
                let header = export_header(&open.ctx.db, workspace, first, key)?;
                writer.header(header.clone());
                let entries = if last >= first {
                    entries_between(&open.ctx.db, workspace, first - 1, last, MAX_JSON_ENTRIES)?
                } else {
                    Vec::new()
                };
                for e in &entries {
                    writer.entry(e.clone());
                }
                Ok(ExportDocument { header, entries, trailer: writer.trailer_value(key) })
            })();
            let mut response = Response::builder();
            response.status(200).header("content-type", "application/json");
            for (k, v) in &open.headers {
                response.header(k.as_str(), v.as_str());
            }
            let response = match document {
                Ok(doc) => response.body(serde_json::to_vec(&doc).unwrap_or_default()).build(),
                Err(e) => {
                    eprintln!("audit-export: {:?}", e.cause);
                    Response::new(500, "export failed")
                }
            };
            stream::send(out, response).await;
        }
    }
}
