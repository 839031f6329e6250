//! Outbound webhooks: endpoints a workspace registers, the outbox of
//! messages written in the same transaction as the change they report, one
//! delivery per subscribed endpoint with its attempts (retried on a schedule,
//! dead after the last), and the check that keeps targets public.
//!
//! Messages follow the Standard Webhooks specification: the body is
//! `{"type", "timestamp", "data"}`, signed with the endpoint's `whsec_` secret
//! over `<webhook-id>.<webhook-timestamp>.<body>`.

use serde_json::{Value, json};
use switchyard_api::{
    DeliveryAttempt, DeliveryId, DeliveryState, EndpointDeleted, EndpointId, EndpointState, EndpointWithSecret,
    EventFilter, LaneState, MessageId, UpdateEndpoint, WebhookDelivery, WebhookEndpoint, WorkspaceId,
};
use switchyard_domain::{net, webhook};

use crate::clock::{now_rfc3339, random_bytes, rfc3339_after, rfc3339_before};
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::lanes::LaneRow;
use crate::new_id;

const ENDPOINT_COLUMNS: &str =
    "id, url, event_types, description, state, disabled_reason, failing_since, created_at, updated_at";

fn endpoint_from_row(row: &Row) -> Result<WebhookEndpoint, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed webhook endpoint row: {what}"));
    Ok(WebhookEndpoint {
        id: EndpointId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
        url: row.text("url")?,
        event_types: row.json("event_types")?,
        description: row.opt_text("description")?,
        state: EndpointState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
        disabled_reason: row.opt_text("disabled_reason")?,
        failing_since: row.opt_text("failing_since")?,
        created_at: row.text("created_at")?,
        updated_at: row.text("updated_at")?,
    })
}

// ---------------------------------------------------------------- targets

/// `(host, port)` of an `http(s)://` URL; credentials in it are refused.
fn host_and_port(url: &str) -> Result<(String, u16), String> {
    let (scheme, rest) = url.split_once("://").ok_or("is not an http(s) URL")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return Err("must not carry credentials (`user@host`); the signature authenticates the sender".into());
    }
    let default = if scheme.eq_ignore_ascii_case("https") { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => {
            (host, port.parse::<u16>().map_err(|_| format!("has an invalid port `{port}`"))?)
        }
        _ => (authority, default),
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// Targets the deployment lets webhooks reach although they are not public
/// (variable `webhook_private_targets`: `host` or `host:port` entries,
/// comma-separated), e.g. an on-premises receiver.
fn private_target_allowed(host: &str, port: u16) -> bool {
    let listed = spin_sdk::variables::get("webhook_private_targets").unwrap_or_default();
    let with_port = format!("{host}:{port}");
    listed.split(',').map(str::trim).any(|entry| !entry.is_empty() && (entry == host || entry == with_port))
}

/// Refuses a URL no webhook may target, before any name is resolved:
/// loopback, link-local (the metadata address), private, unique-local and
/// other non-public addresses, names of this machine, numeric address forms.
/// The host checks every address a name resolves to again at delivery.
pub fn check_target(url: &str) -> Result<(), String> {
    let (host, port) = host_and_port(url)?;
    match net::host_refusal(&host) {
        Some(why) if !private_target_allowed(&host, port) => {
            Err(format!("is refused: {why}; webhooks reach public addresses only"))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- endpoints

fn filters_json(filters: &[EventFilter]) -> Result<String, ApiError> {
    serde_json::to_string(&filters.iter().map(EventFilter::as_str).collect::<Vec<_>>()).map_err(ApiError::internal)
}

/// Registers an endpoint with a new `whsec_` secret (returned once).
pub fn create(
    tx: &Db,
    workspace: &WorkspaceId,
    url: &str,
    filters: &[EventFilter],
    description: Option<&str>,
    by: &str,
) -> Result<EndpointWithSecret, ApiError> {
    check_target(url).map_err(|why| ApiError::validation("url", why))?;
    let id = new_id!(EndpointId);
    let secret = webhook::standard_secret(&random_bytes());
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO webhook_endpoints (id, workspace_id, url, event_types, description, secret, state,
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9)",
        &[&id.as_str(), &workspace.as_str(), &url, &filters_json(filters)?, &description, &secret, &by, &now, &now],
    )?;
    Ok(EndpointWithSecret { endpoint: load(tx, workspace, &id)?, secret })
}

pub fn list(db: &Db, workspace: &WorkspaceId) -> Result<Vec<WebhookEndpoint>, ApiError> {
    let rows = db.query(
        &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id"),
        &[&workspace.as_str()],
    )?;
    rows.iter().map(endpoint_from_row).collect()
}

/// An endpoint of `workspace`; another workspace's is NOT_FOUND.
pub fn load(db: &Db, workspace: &WorkspaceId, id: &EndpointId) -> Result<WebhookEndpoint, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("webhook endpoint {id}")))?;
    endpoint_from_row(&row)
}

/// Changes what `input` gives; re-enabling clears the failure record.
pub fn update(tx: &Db, workspace: &WorkspaceId, input: &UpdateEndpoint) -> Result<WebhookEndpoint, ApiError> {
    let current = load(tx, workspace, &input.endpoint_id)?;
    if let Some(url) = &input.url {
        check_target(url).map_err(|why| ApiError::validation("url", why))?;
    }
    let url = input.url.as_ref().map_or(current.url.clone(), |u| u.to_string());
    let filters = match &input.event_types {
        Some(f) => filters_json(f)?,
        None => serde_json::to_string(&current.event_types).map_err(ApiError::internal)?,
    };
    let description = input.description.as_ref().map(|d| d.to_string()).or(current.description);
    let (state, reason, failing_since) = match input.enabled {
        Some(true) => (EndpointState::Active, None, None),
        Some(false) => (EndpointState::Disabled, Some("disabled by a member".to_owned()), current.failing_since),
        None => (current.state, current.disabled_reason, current.failing_since),
    };
    tx.exec(
        "UPDATE webhook_endpoints SET url = $1, event_types = $2, description = $3, state = $4, disabled_reason = $5,
         failing_since = $6, updated_at = $7 WHERE id = $8",
        &[&url, &filters, &description, &state.as_str(), &reason, &failing_since, &now_rfc3339(), &current.id.as_str()],
    )?;
    load(tx, workspace, &current.id)
}

/// Deletes an endpoint with its delivery log; returns how many deliveries were still to be made.
pub fn delete(tx: &Db, workspace: &WorkspaceId, id: &EndpointId) -> Result<EndpointDeleted, ApiError> {
    load(tx, workspace, id)?;
    let open = tx
        .query_one(
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND state IN ('pending', 'delivering')",
            &[&id.as_str()],
        )?
        .map(|r| r.int("n"))
        .transpose()?
        .unwrap_or(0);
    tx.exec(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
        &[&id.as_str()],
    )?;
    tx.exec("DELETE FROM webhook_deliveries WHERE endpoint_id = $1", &[&id.as_str()])?;
    tx.exec("DELETE FROM webhook_endpoints WHERE id = $1", &[&id.as_str()])?;
    Ok(EndpointDeleted { id: id.clone(), dropped_deliveries: u32::try_from(open).unwrap_or(u32::MAX) })
}

// ---------------------------------------------------------------- the outbox

/// Queues `event_type` with `data` for every active endpoint of `workspace`
/// that subscribes to it, inside the caller's transaction: the message exists
/// exactly when the change does. Returns the message (none when no endpoint
/// wants it) and how many deliveries were queued.
pub fn emit(
    tx: &Db,
    workspace: &WorkspaceId,
    event_type: &str,
    data: Value,
) -> Result<(Option<MessageId>, u32), ApiError> {
    let endpoints = tx.query(
        "SELECT id, event_types FROM webhook_endpoints WHERE workspace_id = $1 AND state = 'active'",
        &[&workspace.as_str()],
    )?;
    let mut targets = Vec::new();
    for row in &endpoints {
        let filters: Vec<String> = row.json("event_types")?;
        let wanted = filters.is_empty()
            || filters.iter().any(|f| EventFilter::try_from(f.as_str()).is_ok_and(|f| f.matches(event_type)));
        if wanted {
            targets.push(row.text("id")?);
        }
    }
    if targets.is_empty() {
        return Ok((None, 0));
    }
    let id = new_id!(MessageId);
    let now = now_rfc3339();
    let payload = json!({"type": event_type, "timestamp": now, "data": data});
    tx.exec(
        "INSERT INTO webhook_messages (id, workspace_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&id.as_str(), &workspace.as_str(), &event_type, &payload.to_string(), &now],
    )?;
    for endpoint in &targets {
        insert_delivery(tx, workspace, &id, endpoint, &now)?;
    }
    Ok((Some(id), u32::try_from(targets.len()).unwrap_or(u32::MAX)))
}

fn insert_delivery(
    tx: &Db,
    workspace: &WorkspaceId,
    message: &MessageId,
    endpoint: &str,
    now: &str,
) -> Result<DeliveryId, ApiError> {
    let id = new_id!(DeliveryId);
    tx.exec(
        "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, workspace_id, state, attempts, next_attempt_at,
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7)",
        &[&id.as_str(), &message.as_str(), &endpoint, &workspace.as_str(), &now, &now, &now],
    )?;
    Ok(id)
}

/// `lane.<state>` for a lane that was created (`from` none) or moved.
pub fn emit_lane_state(tx: &Db, lane: &LaneRow, from: Option<LaneState>, reason: Option<&str>) -> Result<(), ApiError> {
    let data = json!({
        "run_id": lane.run_id,
        "state": lane.state,
        "previous_state": from,
        "reason": reason,
        "lane": lane.to_api(),
    });
    emit(tx, &lane.workspace_id, &format!("lane.{}", lane.state.as_str()), data).map(drop)
}

/// `lane.<what>` for something a forge or CI reported about a lane.
pub fn emit_lane(tx: &Db, lane: &LaneRow, what: &str, detail: Value) -> Result<(), ApiError> {
    let data = json!({"run_id": lane.run_id, "state": lane.state, "repository": lane.repository, "detail": detail});
    emit(tx, &lane.workspace_id, &format!("lane.{what}"), data).map(drop)
}

// ---------------------------------------------------------------- delivering

/// A delivery whose attempt is due, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery: DeliveryId,
    pub endpoint: EndpointId,
    pub workspace: WorkspaceId,
    pub url: String,
    pub secret: String,
    pub message: MessageId,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// Takes up to `limit` due deliveries (and ones whose attempt was cut off, once
/// their lease ran out) for `lease_secs`: a tick that dies mid-attempt leaves
/// them to the next.
pub fn claim_due(tx: &Db, limit: u32, lease_secs: u64) -> Result<Vec<Due>, ApiError> {
    let now = now_rfc3339();
    let rows = tx.query(
        "SELECT d.id, d.endpoint_id, d.workspace_id, d.attempts, e.url, e.secret, m.id AS message_id, m.payload
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         JOIN webhook_messages m ON m.id = d.message_id
         WHERE e.state = 'active'
           AND ((d.state = 'pending' AND d.next_attempt_at <= $1) OR (d.state = 'delivering' AND d.lease_until <= $2))
         ORDER BY d.next_attempt_at, d.id LIMIT $3",
        &[&now, &now, &i64::from(limit)],
    )?;
    let lease = rfc3339_after(lease_secs);
    let bad = |what: &str| ApiError::internal(format!("malformed webhook delivery row: {what}"));
    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let delivery = DeliveryId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?;
        tx.exec(
            "UPDATE webhook_deliveries SET state = 'delivering', lease_until = $1, updated_at = $2 WHERE id = $3",
            &[&lease, &now, &delivery.as_str()],
        )?;
        due.push(Due {
            delivery,
            endpoint: EndpointId::parse(&row.text("endpoint_id")?).ok_or_else(|| bad("endpoint_id"))?,
            workspace: WorkspaceId::parse(&row.text("workspace_id")?).ok_or_else(|| bad("workspace_id"))?,
            url: row.text("url")?,
            secret: row.text("secret")?,
            message: MessageId::parse(&row.text("message_id")?).ok_or_else(|| bad("message_id"))?,
            payload: row.text("payload")?,
            attempts: u32::try_from(row.int("attempts")?).map_err(|_| bad("attempts"))?,
        });
    }
    Ok(due)
}

/// The headers of an attempt, per the Standard Webhooks specification.
pub fn signed_headers(due: &Due, timestamp: u64) -> Result<Vec<(String, String)>, ApiError> {
    let key = webhook::standard_key(&due.secret).map_err(|e| ApiError::internal(format!("endpoint secret: {e}")))?;
    let signature = webhook::standard_sign(&key, due.message.as_str(), timestamp, due.payload.as_bytes());
    Ok(vec![
        ("content-type".into(), "application/json".into()),
        // Sent with a length rather than chunked: some receivers read only that.
        ("content-length".into(), due.payload.len().to_string()),
        ("user-agent".into(), "Switchyard-Webhooks/1".into()),
        ("webhook-id".into(), due.message.to_string()),
        ("webhook-timestamp".into(), timestamp.to_string()),
        ("webhook-signature".into(), signature),
    ])
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempted {
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

impl Attempted {
    /// A 2xx answer is a delivery; anything else is retried.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What recording an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    Retrying,
    Dead,
}

/// Records an attempt and moves the delivery on: delivered, retried after the
/// schedule's next delay (with jitter), or dead when the schedule is used up.
/// Returns also whether the endpoint was disabled now, for failing since
/// longer than `disable_after_secs`.
pub fn record(
    tx: &Db,
    due: &Due,
    attempted: &Attempted,
    schedule: &[u64],
    disable_after_secs: u64,
) -> Result<(Settled, bool), ApiError> {
    let now = now_rfc3339();
    let attempt = due.attempts + 1;
    tx.exec(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, latency_ms, response_excerpt, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &due.delivery.as_str(),
            &i64::from(attempt),
            &now,
            &attempted.status.map(i64::from),
            &attempted.latency_ms,
            &attempted.response_excerpt,
            &attempted.error,
        ],
    )?;
    if attempted.succeeded() {
        set_delivery(tx, &due.delivery, DeliveryState::Succeeded, attempt, None, &now)?;
        tx.exec(
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
            &[&due.endpoint.as_str()],
        )?;
        return Ok((Settled::Delivered, false));
    }
    let random = u32::from_le_bytes(random_bytes());
    let settled = match webhook::next_delay(schedule, attempt, random) {
        Some(delay) => {
            set_delivery(tx, &due.delivery, DeliveryState::Pending, attempt, Some(&rfc3339_after(delay)), &now)?;
            Settled::Retrying
        }
        None => {
            set_delivery(tx, &due.delivery, DeliveryState::Dead, attempt, None, &now)?;
            Settled::Dead
        }
    };
    tx.exec(
        "UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL",
        &[&now, &due.endpoint.as_str()],
    )?;
    let cutoff = rfc3339_before(disable_after_secs);
    let reason = format!("every delivery failed for more than {disable_after_secs} s; re-enable it once it answers");
    let disabled = tx
        .query_one(
            "UPDATE webhook_endpoints SET state = 'disabled', disabled_reason = $1, updated_at = $2
             WHERE id = $3 AND state = 'active' AND failing_since <= $4 RETURNING id",
            &[&reason, &now, &due.endpoint.as_str(), &cutoff],
        )?
        .is_some();
    if disabled {
        // The notice: to the workspace's other endpoints (this one no longer receives).
        let data = json!({"endpoint_id": due.endpoint, "reason": reason});
        emit(tx, &due.workspace, "webhook.endpoint_disabled", data)?;
    }
    Ok((settled, disabled))
}

fn set_delivery(
    tx: &Db,
    id: &DeliveryId,
    state: DeliveryState,
    attempts: u32,
    next: Option<&str>,
    now: &str,
) -> Result<(), ApiError> {
    tx.exec(
        "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, lease_until = NULL,
         updated_at = $4 WHERE id = $5",
        &[&state.as_str(), &i64::from(attempts), &next, &now, &id.as_str()],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- the log

const DELIVERY_COLUMNS: &str = "d.id, d.message_id, d.endpoint_id, m.event_type, d.state, d.attempts, \
    d.next_attempt_at, d.created_at, d.updated_at";

fn delivery_from_row(db: &Db, row: &Row) -> Result<WebhookDelivery, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed webhook delivery row: {what}"));
    let id = DeliveryId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?;
    let attempts = db.query(
        "SELECT attempt, at, status, latency_ms, response_excerpt, error FROM webhook_attempts
         WHERE delivery_id = $1 ORDER BY attempt",
        &[&id.as_str()],
    )?;
    let attempt_log = attempts
        .iter()
        .map(|a| {
            Ok(DeliveryAttempt {
                attempt: u32::try_from(a.int("attempt")?).map_err(|_| bad("attempt"))?,
                at: a.text("at")?,
                status: a.opt_int("status")?.map(|s| u16::try_from(s).map_err(|_| bad("status"))).transpose()?,
                latency_ms: u64::try_from(a.int("latency_ms")?).map_err(|_| bad("latency_ms"))?,
                response_excerpt: a.opt_text("response_excerpt")?,
                error: a.opt_text("error")?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(WebhookDelivery {
        id,
        message_id: MessageId::parse(&row.text("message_id")?).ok_or_else(|| bad("message_id"))?,
        endpoint_id: EndpointId::parse(&row.text("endpoint_id")?).ok_or_else(|| bad("endpoint_id"))?,
        event_type: row.text("event_type")?,
        state: DeliveryState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
        attempts: u32::try_from(row.int("attempts")?).map_err(|_| bad("attempts"))?,
        next_attempt_at: row.opt_text("next_attempt_at")?,
        created_at: row.text("created_at")?,
        updated_at: row.text("updated_at")?,
        attempt_log,
    })
}

/// A delivery of `workspace` with its attempts.
pub fn load_delivery(db: &Db, workspace: &WorkspaceId, id: &DeliveryId) -> Result<WebhookDelivery, ApiError> {
    let row = db
        .query_one(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
                 WHERE d.id = $1 AND d.workspace_id = $2"
            ),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("webhook delivery {id}")))?;
    delivery_from_row(db, &row)
}

/// A page of `workspace`'s deliveries, newest first, before `(created_at, id)`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    endpoint: Option<&EndpointId>,
    state: Option<DeliveryState>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<WebhookDelivery>, ApiError> {
    let endpoint = endpoint.map(EndpointId::as_str);
    let state = state.map(DeliveryState::as_str);
    let rows = db.query(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
             WHERE d.workspace_id = $1 AND ($2 IS NULL OR d.endpoint_id = $3) AND ($4 IS NULL OR d.state = $5)
               AND (d.created_at < $6 OR (d.created_at = $7 AND d.id < $8))
             ORDER BY d.created_at DESC, d.id DESC LIMIT $9"
        ),
        &[&workspace.as_str(), &endpoint, &endpoint, &state, &state, &before.0, &before.0, &before.1, &limit],
    )?;
    rows.iter().map(|r| delivery_from_row(db, r)).collect()
}

/// Queues the message of delivery `id` to its endpoint once more, as a new
/// delivery with the same `webhook-id` (so a receiver that did get it can
/// tell). A disabled endpoint must be re-enabled first (409).
pub fn redeliver(tx: &Db, workspace: &WorkspaceId, id: &DeliveryId) -> Result<WebhookDelivery, ApiError> {
    let original = load_delivery(tx, workspace, id)?;
    let endpoint = load(tx, workspace, &original.endpoint_id)?;
    if endpoint.state != EndpointState::Active {
        return Err(ApiError::conflict(format!(
            "webhook endpoint {} is disabled; re-enable it with webhook-endpoint-update first",
            endpoint.id
        ))
        .with_details(json!({"endpoint_id": endpoint.id, "state": endpoint.state})));
    }
    let fresh = insert_delivery(tx, workspace, &original.message_id, endpoint.id.as_str(), &now_rfc3339())?;
    load_delivery(tx, workspace, &fresh)
}

/// How long finished deliveries (and forge deliveries) are kept, in seconds.
pub const KEEP_SECS: u64 = 30 * 86_400;

/// Deletes deliveries that succeeded or died more than [`KEEP_SECS`] ago,
/// with their attempts, and messages no delivery needs any more.
pub fn prune(tx: &Db) -> Result<u64, ApiError> {
    let cutoff = rfc3339_before(KEEP_SECS);
    tx.exec(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries
           WHERE state IN ('succeeded', 'dead') AND updated_at < $1)",
        &[&cutoff],
    )?;
    let gone = tx.query(
        "DELETE FROM webhook_deliveries WHERE state IN ('succeeded', 'dead') AND updated_at < $1 RETURNING id",
        &[&cutoff],
    )?;
    tx.exec(
        "DELETE FROM webhook_messages WHERE created_at < $1
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = webhook_messages.id)",
        &[&cutoff],
    )?;
    Ok(gone.len() as u64)
}
