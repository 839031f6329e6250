//! Rate limits per caller and family, counted in the key-value store so they
//! hold across restarts and instances.
//!
//! Spin's key-value interface has no atomic increment, so two requests racing
//! in the same instant can both read the same count: the limit can be
//! overshot by the number of truly concurrent requests, never undershot.

use spin_sdk::key_value::Store;
use switchyard_api::{Plan, RateFamily};
use switchyard_domain::rate::{self, Decision};

/// Counts one request for `caller_key` in `family` and says whether it may proceed.
pub(crate) fn check(caller_key: &str, family: RateFamily, plan: Plan) -> Decision {
    let now = crate::clock::now_unix();
    let limit = rate::limit(family, plan);
    let window = rate::window_start(now);
    let key = format!("ratelimit:{caller_key}:{}", family.as_str());
    let store = match Store::open_default() {
        Ok(store) => store,
        Err(e) => {
            // Fail open: an unavailable counter must not take the API down.
            eprintln!("rate limit store unavailable: {e:?}");
            return rate::decide(0, limit, now);
        }
    };
    let counted = store
        .get(&key)
        .ok()
        .flatten()
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| {
            let (w, n) = v.split_once(':')?;
            (w.parse::<u64>().ok()? == window).then(|| n.parse::<u32>().ok()).flatten()
        })
        .unwrap_or(0);
    let decision = rate::decide(counted, limit, now);
    if decision.allowed
        && let Err(e) = store.set(&key, format!("{window}:{}", counted + 1).as_bytes())
    {
        eprintln!("rate limit store write failed: {e:?}");
    }
    decision
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
