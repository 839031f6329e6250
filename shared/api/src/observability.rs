//! `observability-snapshot`: one workspace's health over a window, for a
//! dashboard or an alert rule.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::WorkspaceId;
use crate::valid::Ranged;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservabilityQuery {
    /// The window the rates and totals cover, in hours back from now (default 24).
    #[serde(default)]
    pub window_hours: Option<Ranged<1, 720>>,
}

/// Seconds (or milliseconds) at the 50th and 95th percentile, and the largest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Percentiles {
    pub p50: u64,
    pub p95: u64,
    pub max: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LaneStats {
    /// Every lane of the workspace by its state now.
    pub by_state: BTreeMap<String, u64>,
    /// Lanes dispatched in the window.
    pub dispatched: u64,
    /// Lanes that ended in the window, by how (`completed` includes merged ones).
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// completed / (completed + failed) in the window; none when nothing ended.
    pub success_rate: Option<f64>,
    /// From dispatch to end, for lanes that ended in the window.
    pub duration_seconds: Option<Percentiles>,
    /// Used by lanes dispatched in the window.
    pub tokens_used: u64,
    pub cost_used_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueueStats {
    pub depth: u64,
    pub oldest_wait_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HarnessStats {
    /// Not revoked.
    pub registered: u64,
    /// Holding a live lease.
    pub online: u64,
    /// Registered, but their lease ran out (crashed, or stopped without revoking).
    pub stale: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolStats {
    /// Tool calls in the window, and those that failed or timed out.
    pub calls: u64,
    pub errors: u64,
    pub duration_ms: Option<Percentiles>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookStats {
    /// Outbound deliveries created in the window, by state.
    pub pending: u64,
    pub succeeded: u64,
    pub dead: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Attention {
    /// Agents' questions nobody has answered yet.
    pub questions_pending: u64,
    /// Requests for approval nobody has decided yet.
    pub approvals_pending: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObservabilitySnapshot {
    pub workspace_id: WorkspaceId,
    pub generated_at: String,
    pub window_hours: u64,
    /// The window's start.
    pub since: String,
    pub lanes: LaneStats,
    pub queue: QueueStats,
    pub harnesses: HarnessStats,
    pub tools: ToolStats,
    pub webhooks: WebhookStats,
    pub attention: Attention,
}

impl Percentiles {
    /// Nearest-rank percentiles of `values` (none when empty).
    pub fn of(mut values: Vec<u64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let rank = |p: usize| values[(values.len() * p).div_ceil(100).saturating_sub(1)];
        Some(Self { p50: rank(50), p95: rank(95), max: values[values.len() - 1] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(Percentiles::of(vec![]), None);
        assert_eq!(Percentiles::of(vec![7]), Some(Percentiles { p50: 7, p95: 7, max: 7 }));
        let hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(Percentiles::of(hundred), Some(Percentiles { p50: 50, p95: 95, max: 100 }));
        assert_eq!(Percentiles::of(vec![1, 2, 3, 4]).map(|p| (p.p50, p.p95)), Some((2, 4)));
    }
}
