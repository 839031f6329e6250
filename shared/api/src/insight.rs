//! Lane insight (issue 14): what a lane did, step by step — diff checkpoints
//! with a snapshot (git commit) each, comparisons between them, a restore
//! into a new lane, and a plain-English summary.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::LaneId;
use crate::lanes::{DiffStat, FileChange, Lane, LaneState};
use crate::valid::{Brief, Glob, List, Ranged};

/// One file of a checkpoint: what happened to it since the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointFile {
    pub path: crate::valid::RelPath,
    pub change: FileChange,
    #[serde(default)]
    pub insertions: u64,
    #[serde(default)]
    pub deletions: u64,
    /// Separate changed regions (`@@` hunks).
    #[serde(default)]
    pub hunks: u64,
    /// Binary content: no line counts.
    #[serde(default)]
    pub binary: bool,
}

/// A checkpoint as stored: a step of the lane's work and its snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiffCheckpoint {
    /// 1, 2, … in the order the harness took them.
    pub seq: u32,
    /// The snapshot: a commit of the worktree as it was, kept by the harness.
    pub commit: String,
    pub at: String,
    /// What changed since the previous checkpoint (or the start).
    pub files: Vec<CheckpointFile>,
    pub stat: DiffStat,
    /// Everything changed since the lane started.
    pub total: DiffStat,
}

/// `lane-diff-timeline`, `lane-plain-english-summary`: one lane.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneInsightQuery {
    pub run_id: LaneId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiffTimeline {
    pub run_id: LaneId,
    pub state: LaneState,
    /// Oldest first; each is a snapshot that `lane-snapshot-restore` can start a new lane from.
    pub checkpoints: Vec<DiffCheckpoint>,
}

/// `lane-snapshot-compare`: what changed between two snapshots of a lane.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareSnapshots {
    pub run_id: LaneId,
    /// A checkpoint's `seq`, or 0 for where the lane started.
    pub from: Ranged<0, 100_000>,
    pub to: Ranged<1, 100_000>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotComparison {
    pub run_id: LaneId,
    pub from: u32,
    pub to: u32,
    /// None for `from: 0` (the start).
    pub from_commit: Option<String>,
    pub to_commit: String,
    /// Every file a step in between changed, with the lines those steps added and deleted.
    pub files: Vec<CheckpointFile>,
    pub stat: DiffStat,
}

/// `lane-snapshot-restore`: a new lane whose worktree starts from a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreSnapshot {
    pub run_id: LaneId,
    pub seq: Ranged<1, 100_000>,
    /// The new lane's brief (default: the old one, saying where it starts).
    #[serde(default)]
    pub brief: Option<Brief>,
    /// The new lane's claim (default: the old one's).
    #[serde(default)]
    pub claim: Option<List<Glob, 1, 100>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RestoredFrom {
    pub run_id: LaneId,
    pub seq: u32,
    pub commit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RestoredLane {
    #[serde(flatten)]
    pub lane: Lane,
    pub restored_from: RestoredFrom,
}

/// A test command the agent ran and how it went, as read from its output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestRun {
    /// The runner recognised (`cargo test`, `pytest`, `npm test`, `go test`, …).
    pub runner: String,
    pub result: TestResult,
    /// The output line that says so.
    pub evidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestResult {
    Passed,
    Failed,
}

/// Something a reviewer should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Risk {
    /// `outside_claim`, `large_deletion`, `many_files`, `tests_failed`, `no_tests`, `sensitive_path`, `mandate_violation`.
    pub kind: String,
    pub message: String,
    pub paths: Vec<String>,
}

/// A file as the summary reports it (its net change since the lane started).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryFile {
    pub path: String,
    pub change: FileChange,
    pub insertions: u64,
    pub deletions: u64,
}

/// `lane-plain-english-summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LaneSummary {
    pub run_id: LaneId,
    pub state: LaneState,
    /// One sentence: what the lane did and how it ended.
    pub headline: String,
    pub changed_files: Vec<SummaryFile>,
    pub tests: Vec<TestRun>,
    pub risks: Vec<Risk>,
    /// Questions its agent asked that are still open, and ones it printed.
    pub open_questions: Vec<String>,
    /// The whole summary as a short paragraph.
    pub text: String,
    /// `rules` (the deterministic summariser), or `model:<name>` when a configured model
    /// rewrote `text` from the same facts (the other fields are always the rules').
    pub written_by: String,
}
