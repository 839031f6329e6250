//! Admission control: what stands between a connection and the instance pool.
//!
//! A request body is read by the host, within a deadline and a size limit,
//! before the request may take an instance, so a slow or huge upload holds a
//! few bytes of buffer instead of a guest. Requests then queue for one of a
//! fixed number of slots; a full queue or a long wait answers `503
//! OVERLOADED` with `Retry-After` instead of exhausting the pool. A response
//! that turns out to be a stream (SSE, NDJSON) moves to its own, separate
//! limit, so long streams cannot starve short requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits; each is a `switchyard-host` flag (see `docs/SECURITY.md`).
#[derive(Debug, Clone)]
pub struct AdmissionLimits {
    /// Requests that may run in a guest at once (streams not counted).
    pub max_concurrent: usize,
    /// Requests that may wait for a slot; one more is refused at once.
    pub max_waiting: usize,
    /// How long a request may wait for a slot.
    pub queue_wait: Duration,
    /// Streaming responses (SSE, NDJSON) that may be open at once.
    pub max_streams: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Bytes of request bodies the host may hold at once, all requests together.
    pub max_body_in_flight: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
    /// Open connections; more wait in the listen backlog.
    pub max_connections: usize,
}

/// Why the host answered instead of a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooLarge { limit: usize },
    SlowBody { after: Duration },
    Overloaded { why: &'static str },
    BadBody,
}

/// The shared counters behind [`AdmissionLimits`].
pub struct Admission {
    pub limits: AdmissionLimits,
    slots: Arc<Semaphore>,
    streams: Arc<Semaphore>,
    body_bytes: Arc<Semaphore>,
    waiting: AtomicUsize,
    pub connections: Arc<Semaphore>,
}

/// A request's right to run, held until its response body ends (dropping it frees the slot).
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// A buffered body and its share of the body-memory budget.
pub struct Body {
    pub bytes: Bytes,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Permits are `u32`; a larger body could never be admitted anyway.
fn permits(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl Admission {
    pub fn new(limits: AdmissionLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            streams: Arc::new(Semaphore::new(limits.max_streams.max(1))),
            body_bytes: Arc::new(Semaphore::new(limits.max_body_in_flight.max(limits.max_body).min(u32::MAX as usize))),
            waiting: AtomicUsize::new(0),
            connections: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
        }
    }

    /// Refuses a declared `Content-Length` over the limit before a byte is read.
    pub fn check_length(&self, declared: Option<u64>) -> Result<(), Refusal> {
        match declared {
            Some(n) if n > self.limits.max_body as u64 => Err(Refusal::TooLarge { limit: self.limits.max_body }),
            _ => Ok(()),
        }
    }

    /// Reads the whole body within the body timeout and the size limit,
    /// reserving its bytes from the shared budget as they arrive.
    pub async fn read_body(&self, body: &mut Incoming, declared: Option<u64>) -> Result<Body, Refusal> {
        let limit = self.limits.max_body;
        let budget_full = Refusal::Overloaded { why: "too many request bodies are being received" };
        let mut budget: Option<OwnedSemaphorePermit> = None;
        let reserve = |n: usize, budget: &mut Option<OwnedSemaphorePermit>| -> Result<(), Refusal> {
            if n == 0 {
                return Ok(());
            }
            let permit =
                Arc::clone(&self.body_bytes).try_acquire_many_owned(permits(n)).map_err(|_| budget_full.clone())?;
            match budget {
                Some(held) => held.merge(permit),
                None => *budget = Some(permit),
            }
            Ok(())
        };
        // A declared length is reserved whole, so the reading below never waits on the budget.
        let declared = declared.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        if let Some(n) = declared {
            reserve(n, &mut budget)?;
        }
        let mut buffer = BytesMut::with_capacity(declared.unwrap_or(0));
        let deadline = tokio::time::Instant::now() + self.limits.body_timeout;
        loop {
            let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
                Err(_) => return Err(Refusal::SlowBody { after: self.limits.body_timeout }),
                Ok(None) => break,
                Ok(Some(Err(_))) => return Err(Refusal::BadBody),
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            if buffer.len() + data.len() > limit {
                return Err(Refusal::TooLarge { limit });
            }
            if declared.is_none() {
                reserve(data.len(), &mut budget)?;
            }
            buffer.extend_from_slice(&data);
        }
        Ok(Body { bytes: buffer.freeze(), _budget: budget })
    }

    /// Waits for a slot: at once when one is free, up to the queue wait when
    /// fewer than `max_waiting` requests are already waiting, else never.
    pub async fn slot(&self) -> Result<Slot, Refusal> {
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Overloaded { why: "too many requests are waiting" });
        }
        let waited = tokio::time::timeout(self.limits.queue_wait, Arc::clone(&self.slots).acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match waited {
            Ok(Ok(permit)) => Ok(Slot { _permit: permit }),
            _ => Err(Refusal::Overloaded { why: "no request slot became free in time" }),
        }
    }

    /// Trades a request slot for a stream slot, when the response is a stream.
    pub fn stream(&self, slot: Slot) -> Result<Slot, Refusal> {
        let stream = Arc::clone(&self.streams)
            .try_acquire_owned()
            .map_err(|_| Refusal::Overloaded { why: "too many streams are open" })?;
        drop(slot);
        Ok(Slot { _permit: stream })
    }
}

/// Bytes of a refused body the host reads and throws away, so a client still
/// sending it sees the refusal instead of a broken pipe.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;

/// Reads and discards what is left of a refused request's body (never
/// buffered), up to [`DRAIN_BYTES`] and the body timeout, after the refusal
/// has been answered; then the connection closes.
pub fn drain(mut body: Incoming, within: Duration) {
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + within;
        let mut seen = 0usize;
        while seen < DRAIN_BYTES {
            match tokio::time::timeout_at(deadline, body.frame()).await {
                Ok(Some(Ok(frame))) => seen += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
    });
}

/// Whether a response's content type makes it a long-lived stream.
pub fn is_stream(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        let t = t.trim_start().to_ascii_lowercase();
        t.starts_with("text/event-stream") || t.starts_with("application/x-ndjson")
    })
}
