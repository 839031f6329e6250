//! Rate limits per workspace, caller and family, counted in the key-value
//! store so they hold across restarts and instances. The count is the store's
//! atomic increment (`wasi:keyvalue/atomics`), so concurrent requests never
//! share a count; the sliding window is `switchyard_domain::rate`.

use spin_sdk::wit::wasi::keyvalue::{atomics, store};
use switchyard_api::{Plan, RateFamily};
use switchyard_domain::rate::{self, Decision};

/// Key prefix of every counter (`maintenance-tick` deletes stale ones).
pub const KEY_PREFIX: &str = "ratelimit:";

fn key(caller_key: &str, family: RateFamily, window: u64) -> String {
    format!("{KEY_PREFIX}{caller_key}:{}:{window}", family.as_str())
}

/// Counts one request for `caller_key` in `family` and says whether it may
/// proceed. A refused request is taken back off the count, so a client that
/// keeps retrying does not lock itself out for longer.
pub(crate) fn check(caller_key: &str, family: RateFamily, plan: Plan) -> Decision {
    let now = crate::clock::now_millis();
    let limit = rate::limit(family, plan);
    let window = rate::window(now);
    let bucket = match store::open("default") {
        Ok(bucket) => bucket,
        Err(e) => {
            // Fail open: an unavailable counter must not take the API down.
            eprintln!("rate limit store unavailable: {e:?}");
            return rate::decide(0, 1, limit, now);
        }
    };
    let current_key = key(caller_key, family, window);
    let current = match atomics::increment(&bucket, &current_key, 1) {
        Ok(n) => u64::try_from(n).unwrap_or(0),
        Err(e) => {
            eprintln!("rate limit counter unavailable: {e:?}");
            return rate::decide(0, 1, limit, now);
        }
    };
    let previous = bucket
        .get(&key(caller_key, family, window.saturating_sub(1)))
        .ok()
        .flatten()
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let decision = rate::decide(previous, current, limit, now);
    if !decision.allowed
        && let Err(e) = atomics::increment(&bucket, &current_key, -1)
    {
        eprintln!("rate limit counter not taken back: {e:?}");
    }
    decision
}

/// Deletes counters of windows that no longer weigh in; says how many.
pub fn prune_counters() -> Result<u64, String> {
    let bucket = store::open("default").map_err(|e| format!("{e:?}"))?;
    let current = rate::window(crate::clock::now_millis());
    let mut pruned = 0;
    let mut cursor = None;
    loop {
        let page = bucket.list_keys(cursor.as_deref()).map_err(|e| format!("{e:?}"))?;
        for k in page.keys.iter().filter(|k| k.starts_with(KEY_PREFIX)) {
            let window = k.rsplit(':').next().and_then(|w| w.parse::<u64>().ok());
            if window.is_none_or(|w| w + 1 < current) && bucket.delete(k).is_ok() {
                pruned += 1;
            }
        }
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(pruned),
        }
    }
}

/// The `RateLimit-*` headers for a decision (plus `Retry-After` when refused).
pub(crate) fn headers(d: &Decision) -> Vec<(String, String)> {
    let mut h = vec![
        ("ratelimit-limit".to_owned(), d.limit.to_string()),
        ("ratelimit-remaining".to_owned(), d.remaining.to_string()),
        ("ratelimit-reset".to_owned(), d.reset_secs.to_string()),
    ];
    if !d.allowed {
        h.push(("retry-after".to_owned(), d.reset_secs.to_string()));
    }
    h
}
