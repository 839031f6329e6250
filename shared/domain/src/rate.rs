//! Fixed one-minute windows per token and family.

use switchyard_api::{Plan, RateFamily};

pub const WINDOW_SECS: u64 = 60;

/// The window a request at `now` (Unix seconds) falls in.
pub fn window_start(now: u64) -> u64 {
    now - now % WINDOW_SECS
}

pub fn limit(family: RateFamily, plan: Plan) -> u32 {
    family.base_per_minute() * plan.rate_multiplier()
}

/// The outcome for one request, given how many the window already counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets (always ≥ 1).
    pub reset_secs: u64,
}

pub fn decide(already_counted: u32, limit: u32, now: u64) -> Decision {
    let allowed = already_counted < limit;
    let used = if allowed { already_counted + 1 } else { already_counted };
    Decision {
        allowed,
        limit,
        remaining: limit.saturating_sub(used),
        reset_secs: (window_start(now) + WINDOW_SECS - now).max(1),
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
    fn the_request_over_the_limit_is_refused_with_the_reset() {
        let now = 1_000_000_030; // 30 s into a window... plus the offset of the epoch
        let d = decide(29, 30, now);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        let d = decide(30, 30, now);
        assert!(!d.allowed);
        assert_eq!(d.reset_secs, window_start(now) + 60 - now);
        assert!(d.reset_secs >= 1 && d.reset_secs <= 60);
    }
}
