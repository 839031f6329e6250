//! Streams a workspace's signed archive (`workspace-export`): its
//! configuration (workspace, members, tokens without secrets, policy,
//! mandates, budget, webhook endpoints and forge connections without
//! secrets), every lane with its events, and the audit log, in pages, so
//! memory stays flat however large the workspace.

use serde_json::json;
use switchyard_domain::archive::ArchiveWriter;
use switchyard_domain::export::SigningKey;

use crate::auth::WorkspaceRef;
use crate::db::Db;
use crate::error::ApiError;
use crate::lanes::{self, LaneFilter, LaneRow};
use crate::{audit, budgets, forge, governance, mandates, members, tokens, webhooks};

const PAGE: u64 = 500;

/// The configuration records, in one batch (small: bounded per workspace).
fn configuration(db: &Db, ws: &WorkspaceRef, w: &mut ArchiveWriter) -> Result<Vec<u8>, ApiError> {
    let id = &ws.id;
    let mut out =
        w.record("workspace", &json!({"id": id.as_str(), "handle": ws.handle, "region": ws.region, "plan": ws.plan}));
    for member in members::list(db, id)? {
        out.extend(w.record("member", &member));
    }
    let mut before = crate::cursor::start(None, "api-token-list")?;
    loop {
        let page = tokens::page(db, id, true, &before, PAGE)?;
        for token in &page {
            out.extend(w.record("token", token));
        }
        match page.last() {
            Some(last) if page.len() as u64 == PAGE => before = (last.created_at.clone(), last.id.to_string()),
            _ => break,
        }
    }
    out.extend(w.record("policy", &governance::current(db, id)?));
    out.extend(w.record("mandates", &mandates::current(db, id)?));
    out.extend(w.record("budget", &budgets::status(db, id)?));
    for endpoint in webhooks::list(db, id)? {
        out.extend(w.record("webhook_endpoint", &endpoint));
    }
    for connection in forge::list(db, id)? {
        out.extend(w.record("forge_connection", &connection));
    }
    Ok(out)
}

/// One lane and its events, in pages.
async fn lane<E: std::fmt::Debug>(
    db: &Db,
    lane: &LaneRow,
    w: &mut ArchiveWriter,
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
) -> Result<bool, ApiError> {
    let mut chunk = w.record("lane", &lane.to_api());
    let mut since = 0;
    loop {
        let events = lanes::events_after(db, &lane.run_id, since, &[], PAGE)?;
        for event in &events {
            chunk.extend(w.record("event", event));
            since = event.id;
        }
        if !crate::stream::write(body, std::mem::take(&mut chunk)).await {
            return Ok(false);
        }
        if (events.len() as u64) < PAGE {
            return Ok(true);
        }
    }
}

/// Writes the whole archive; a read that fails stops it before the trailer,
/// so a cut archive never verifies.
pub async fn stream<E: std::fmt::Debug>(
    db: &Db,
    ws: &WorkspaceRef,
    key: &SigningKey,
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
) {
    if let Err(e) = write_all(db, ws, key, body).await {
        eprintln!("workspace export of {} stopped: {} {:?}", ws.id, e.message, e.cause);
    }
}

async fn write_all<E: std::fmt::Debug>(
    db: &Db,
    ws: &WorkspaceRef,
    key: &SigningKey,
    body: &mut (impl futures::Sink<Vec<u8>, Error = E> + Unpin),
) -> Result<(), ApiError> {
    let mut w = ArchiveWriter::new();
    let mut head = w.header(ws.id.as_str(), &crate::now_rfc3339(), key);
    head.extend(configuration(db, ws, &mut w)?);
    if !crate::stream::write(body, head).await {
        return Ok(());
    }
    let filter = LaneFilter { state: None, repository: None, harness_kind: None, label: None };
    let mut before = crate::cursor::start(None, "lane-list")?;
    loop {
        let page = lanes::page(db, &ws.id, &filter, &before, PAGE)?;
        for row in &page {
            if !lane(db, row, &mut w, body).await? {
                return Ok(());
            }
        }
        match page.last() {
            Some(last) if page.len() as u64 == PAGE => before = (last.created_at.clone(), last.run_id.to_string()),
            _ => break,
        }
    }
    let (last, mut after) = (audit::log_size(db, ws.id.as_str())?, 0);
    while after < last {
        let entries = audit::entries_between(db, ws.id.as_str(), after, last, PAGE)?;
        if entries.is_empty() {
            break;
        }
        let mut chunk = Vec::new();
        for entry in entries {
            after = entry.seq;
            chunk.extend(w.record("audit", &entry));
        }
        if !crate::stream::write(body, chunk).await {
            return Ok(());
        }
    }
    crate::stream::write(body, w.trailer(key)).await;
    Ok(())
}
