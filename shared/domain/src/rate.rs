//! Sliding-window rate limits per caller and family.
//!
//! Each caller has a counter per one-minute window, incremented atomically.
//! A request is weighed against the current window's count plus the previous
//! window's, scaled by how much of the previous window the last 60 s still
//! cover (rounded up). So no window boundary doubles the allowance: right
//! after a full minute the previous count still weighs almost fully, and the
//! allowance comes back at the limit's own pace (`limit` per 60 s).

use switchyard_api::{Plan, RateFamily};

pub const WINDOW_SECS: u64 = 60;
const WINDOW_MILLIS: u64 = WINDOW_SECS * 1000;

/// The window a request at `now_ms` (Unix milliseconds) falls in.
pub fn window(now_ms: u64) -> u64 {
    now_ms / WINDOW_MILLIS
}

pub fn limit(family: RateFamily, plan: Plan) -> u32 {
    family.base_per_minute() * plan.rate_multiplier()
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until one more request would be allowed (always ≥ 1).
    pub reset_secs: u64,
}

/// Decides one request, given the previous window's count, the current
/// window's count *including this request* (the atomic increment's result)
/// and the time.
pub fn decide(previous: u64, current_with_this: u64, limit: u32, now_ms: u64) -> Decision {
    let into = now_ms % WINDOW_MILLIS;
    // ceil(previous × (1 − into / window)): the share of the last minute it still covers.
    let carried = (previous * (WINDOW_MILLIS - into)).div_ceil(WINDOW_MILLIS);
    let estimated = carried + current_with_this;
    let limit64 = u64::from(limit);
    let allowed = estimated <= limit64;
    let used = if allowed { estimated } else { estimated - 1 };
    // One more is allowed once `excess` requests' worth has slid out, at `limit` per 60 s.
    let excess = (used + 1).saturating_sub(limit64).max(1);
    Decision {
        allowed,
        limit,
        remaining: u32::try_from(limit64.saturating_sub(used)).unwrap_or(0),
        reset_secs: (excess * WINDOW_SECS).div_ceil(limit64.max(1)).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_reference() {
        assert_eq!(limit(RateFamily::Read, Plan::Free), 120);
        assert_eq!(limit(RateFamily::Write, Plan::Team), 150);
        assert_eq!(limit(RateFamily::Bulk, Plan::Enterprise), 120);
    }

    #[test]
    fn a_fresh_window_allows_exactly_the_limit() {
        let now = 1_000_020_000;
        let allowed = (1..=60).filter(|n| decide(0, *n, 30, now).allowed).count();
        assert_eq!(allowed, 30);
        let d = decide(0, 30, 30, now);
        assert_eq!((d.allowed, d.remaining), (true, 0));
        let d = decide(0, 31, 30, now);
        assert!(!d.allowed);
        assert_eq!(d.reset_secs, 2, "one request's worth slides out in 60/30 s");
    }

    #[test]
    fn a_window_boundary_does_not_double_the_allowance() {
        // 120 requests in the last second of one window…
        let boundary = 1_000_020_000 - (1_000_020_000 % WINDOW_MILLIS) + WINDOW_MILLIS;
        // …then requests every 10 ms for 6.4 s after it.
        let mut current = 0;
        let mut allowed = 0;
        for step in 0..640u64 {
            let now = boundary + step * 10;
            if decide(120, current + 1, 120, now).allowed {
                current += 1;
                allowed += 1;
            }
        }
        // At the limit's own pace: 2 per second, 12.8 in 6.4 s.
        assert!(allowed <= 13, "{allowed} allowed after the boundary");
        assert!(allowed >= 11, "{allowed}: the allowance does come back");
    }

    #[test]
    fn the_previous_window_fades_out_over_a_minute() {
        let start = 1_000_020_000 - (1_000_020_000 % WINDOW_MILLIS);
        assert!(!decide(30, 1, 30, start).allowed);
        assert!(decide(30, 1, 30, start + WINDOW_MILLIS / 2).allowed);
        assert_eq!(decide(30, 1, 30, start + WINDOW_MILLIS - 1).remaining, 28);
    }
}
