//! Deliver due outbound webhooks. Every due delivery of a pass is sent at
//! once, each with its own deadline, so a receiver that hangs or is slow
//! costs only its own attempt; failures are retried on the schedule (with
//! jitter) and go dead after the last attempt; an endpoint failing for too
//! long is disabled, with a notice to the workspace's other endpoints.
//!
//! Deployment variables: `webhook_retry_schedule` (seconds between attempts,
//! comma-separated; default the Standard Webhooks reference schedule),
//! `webhook_timeout_seconds` (default 10), `webhook_disable_after_seconds`
//! (default five days). Runs on the `[[trigger.cron]]` schedule and, for
//! schedulers without Spin's cron trigger, as a `POST` with the service-role key.

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use std::time::{Duration, Instant};

use switchyard_api::{NoInput, RequestId, WebhookTickReport};
use switchyard_domain::webhook;
use switchyard_edge::audit::append_system;
use switchyard_edge::outbound::{self, Call};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks::{self, Attempted, Due, Settled};
use switchyard_edge::{now_unix, random_bytes};

const ENDPOINT: Endpoint = endpoints::OUTBOUND_WEBHOOK_TICK;

/// Deliveries sent at once (bounded concurrency).
const BATCH: u32 = 32;
/// The most of a receiver's answer kept in the delivery log.
const EXCERPT_CHARS: usize = 1_000;

/// Not `Endpoint::mutate`: the caller is the deployment; each disabled
/// endpoint is audited in its workspace.
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| sweep(&ctx.db, &ctx.request_id))
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let report = sweep(&db, &RequestId::from_random(&random_bytes()))
            .map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if report != WebhookTickReport::default() {
            println!(
                "outbound-webhook-tick: {} delivered, {} retrying, {} dead, {} endpoints disabled",
                report.delivered, report.retrying, report.dead, report.disabled
            );
        }
        Ok(())
    }
}

fn number(name: &str, default: u64) -> u64 {
    spin_sdk::variables::get(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

fn schedule() -> Vec<u64> {
    spin_sdk::variables::get("webhook_retry_schedule")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| webhook::parse_schedule(&s).ok())
        .unwrap_or_else(|| webhook::DEFAULT_SCHEDULE.to_vec())
}

/// One pass: claim what is due, send it all at once, record every attempt.
fn sweep(db: &Db, request_id: &RequestId) -> Result<WebhookTickReport, ApiError> {
    let timeout = Duration::from_secs(number("webhook_timeout_seconds", 10).clamp(1, 60));
    let disable_after = number("webhook_disable_after_seconds", 5 * 86_400);
    let schedule = schedule();
    // The lease outlives the attempt, so only a dead tick's deliveries are taken again.
    let due = db.transaction(|tx| webhooks::claim_due(tx, BATCH, timeout.as_secs() * 3 + 30))?;
    let attempts = attempt_all(&due, timeout);
    let mut report = WebhookTickReport::default();
    db.transaction(|tx| {
        for (due, attempted) in due.iter().zip(&attempts) {
            let (settled, disabled) = webhooks::record(tx, due, attempted, &schedule, disable_after)?;
            match settled {
                Settled::Delivered => report.delivered += 1,
                Settled::Retrying => report.retrying += 1,
                Settled::Dead => report.dead += 1,
            }
            if disabled {
                report.disabled += 1;
                append_system(
                    tx,
                    ENDPOINT.name,
                    &due.workspace,
                    "endpoint_disabled",
                    due.endpoint.as_str(),
                    request_id,
                )?;
            }
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(report)
}

/// Sends every due delivery at once; a target the checks refuse is a failed attempt, never sent.
fn attempt_all(due: &[Due], timeout: Duration) -> Vec<Attempted> {
    let started = Instant::now();
    let deadline = started + timeout;
    let timestamp = now_unix();
    let prepared: Vec<Result<Vec<(String, String)>, String>> = due
        .iter()
        .map(|d| {
            webhooks::check_target(&d.url).map_err(|why| format!("target {why}"))?;
            webhooks::signed_headers(d, timestamp).map_err(|e| e.message)
        })
        .collect();
    let headers: Vec<Vec<(&str, &str)>> = prepared
        .iter()
        .map(|p| p.as_ref().map(|h| h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()).unwrap_or_default())
        .collect();
    let sendable: Vec<usize> = (0..due.len()).filter(|i| prepared[*i].is_ok()).collect();
    let calls: Vec<Call<'_>> = sendable
        .iter()
        .map(|&i| Call {
            method: "POST",
            url: &due[i].url,
            headers: &headers[i],
            body: due[i].payload.as_bytes(),
            deadline,
            max_reply: 64 * 1024,
        })
        .collect();
    let mut replies = outbound::send_all(&calls).into_iter();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    prepared
        .into_iter()
        .map(|p| match p {
            Err(error) => Attempted { status: None, latency_ms: 0, response_excerpt: None, error: Some(error) },
            Ok(_) => match replies.next() {
                Some(Ok(reply)) => Attempted {
                    status: Some(reply.status),
                    latency_ms: millis(reply.elapsed),
                    response_excerpt: excerpt(&reply.body),
                    error: None,
                },
                Some(Err(failure)) => {
                    Attempted { status: None, latency_ms, response_excerpt: None, error: Some(failure.to_string()) }
                }
                None => Attempted { status: None, latency_ms, response_excerpt: None, error: Some("not sent".into()) },
            },
        })
        .collect()
}

fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(EXCERPT_CHARS).collect();
    (!text.is_empty()).then_some(text)
}

export!(Tick);
