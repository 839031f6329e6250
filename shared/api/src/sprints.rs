//! Goals, sprints through the SDLC, and the planning dashboard (issue 13):
//! a goal weighs its issues in the queue; a sprint takes a goal's issues
//! through `intake → plan → build → review → ship → complete`, one lane per
//! issue, under a token budget, with an event log like a lane's.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{GoalId, IssueId, LaneId, ProjectId, SprintId};
use crate::integrations::PullRequestRef;
use crate::lanes::LaneState;
use crate::planning::IssueStatus;
use crate::valid::{Description, Glob, List, Message, Name, Ranged, Repository, TimeBound, Word};

// ---------------------------------------------------------------- goals

/// Where a goal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    /// Its issues carry its weight in the queue.
    Active,
    Achieved,
    Abandoned,
}

impl GoalStatus {
    pub const ALL: [GoalStatus; 3] = [Self::Active, Self::Achieved, Self::Abandoned];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Achieved => "achieved",
            Self::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// `goal-create`: something measurable to reach by a date.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoal {
    pub title: Description,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// What is measured, e.g. `checkout_error_rate`.
    #[serde(default)]
    pub metric: Option<Name>,
    /// The value to reach.
    #[serde(default)]
    pub target: Option<f64>,
    /// Where the metric stands now.
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub unit: Option<Word>,
    #[serde(default)]
    pub deadline: Option<TimeBound>,
    /// 0–3 (default 1): each point adds 10 to the queue score of the goal's issues while it is active.
    #[serde(default)]
    pub weight: Option<Ranged<0, 3>>,
}

/// `goal-update`: change what is given (`current` as the metric moves).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGoal {
    pub goal_id: GoalId,
    #[serde(default)]
    pub title: Option<Description>,
    #[serde(default)]
    pub target: Option<f64>,
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub deadline: Option<TimeBound>,
    #[serde(default)]
    pub weight: Option<Ranged<0, 3>>,
    #[serde(default)]
    pub status: Option<GoalStatus>,
}

/// `goal-list`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListGoals {
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    #[serde(default)]
    pub status: Option<GoalStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Goal {
    pub id: GoalId,
    pub title: String,
    pub project_id: Option<ProjectId>,
    pub metric: Option<String>,
    pub target: Option<f64>,
    pub current: Option<f64>,
    pub unit: Option<String>,
    /// `current / target` (0–1), when both are known and the target is not zero.
    pub progress: Option<f64>,
    pub deadline: Option<String>,
    pub weight: u32,
    pub status: GoalStatus,
    /// The goal's issues not yet done or cancelled, and those done.
    pub open_issues: u64,
    pub done_issues: u64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoalList {
    pub data: Vec<Goal>,
}

// ---------------------------------------------------------------- sprints

/// A sprint's place in the SDLC. Forward one step at a time; `cancelled`
/// from any state before `complete`; back to `plan`, `build` or `review`
/// with `retry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SprintState {
    /// Planned, not started (a scheduled sprint waits here for its start).
    #[serde(alias = "INTAKE")]
    Intake,
    /// Its issues are held for it.
    #[serde(alias = "PLAN")]
    Plan,
    /// One lane per issue.
    #[serde(alias = "BUILD")]
    Build,
    /// Every lane has ended; checks and verification come in.
    #[serde(alias = "REVIEW")]
    Review,
    /// Every lane merged and verified (or an audited override).
    #[serde(alias = "SHIP")]
    Ship,
    #[serde(alias = "COMPLETE")]
    Complete,
    #[serde(alias = "CANCELLED")]
    Cancelled,
}

impl SprintState {
    pub const ALL: [SprintState; 7] =
        [Self::Intake, Self::Plan, Self::Build, Self::Review, Self::Ship, Self::Complete, Self::Cancelled];
    /// The SDLC in order.
    pub const PHASES: [SprintState; 6] =
        [Self::Intake, Self::Plan, Self::Build, Self::Review, Self::Ship, Self::Complete];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::Plan => "plan",
            Self::Build => "build",
            Self::Review => "review",
            Self::Ship => "ship",
            Self::Complete => "complete",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Complete and cancelled sprints change no more (a cancelled one may be retried).
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Complete | Self::Cancelled)
    }
}

/// `sprint-plan`: a sprint for a goal (its open issues), or for issues named.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSprint {
    /// The goal whose open issues it takes, best queue score first.
    #[serde(default)]
    pub goal_id: Option<GoalId>,
    /// Default: the goal's title.
    #[serde(default)]
    pub title: Option<Description>,
    /// Default: the goal's project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Exactly these issues (instead of the goal's).
    #[serde(default)]
    pub issue_ids: Option<List<IssueId, 1, 50>>,
    /// How many of the goal's issues to take (default 10).
    #[serde(default)]
    pub max_issues: Option<Ranged<1, 50>>,
    /// Which kind of harness runs its lanes.
    pub harness_kind: Word,
    /// Default: the project's repository.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// What a lane claims when its issue has no stack trace (default `**`); issues
    /// whose claims overlap are built one after another.
    #[serde(default)]
    pub claim: Option<List<Glob, 1, 100>>,
    /// Tokens across every lane of the sprint; when spent, its running lanes pause.
    #[serde(default)]
    pub token_budget: Option<Ranged<1, { u64::MAX }>>,
    /// Start it later: `recurring-pipeline-tick` takes it to `build` then.
    #[serde(default)]
    pub starts_at: Option<TimeBound>,
    /// Plan the next sprint of the goal this many hours after each start (needs `goal_id`).
    #[serde(default)]
    pub repeat_every_hours: Option<Ranged<1, 8_760>>,
}

/// How one issue of a sprint stands with its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemDispatch {
    /// Not dispatched yet (before `build`, or waiting for an overlapping claim to end).
    Planned,
    Dispatched,
    /// The dispatch was refused (policy, a closed issue); see `reason`.
    Refused,
}

impl ItemDispatch {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Dispatched => "dispatched",
            Self::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Planned, Self::Dispatched, Self::Refused].into_iter().find(|t| t.as_str() == s)
    }
}

/// One issue of a sprint and its lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SprintItem {
    pub issue_id: IssueId,
    pub number: u64,
    pub title: String,
    pub status: IssueStatus,
    pub claim: Vec<String>,
    pub dispatch: ItemDispatch,
    /// Why it waits or was refused.
    pub reason: Option<String>,
    /// Its current lane (a retry dispatches a new one).
    pub run_id: Option<LaneId>,
    pub lane_state: Option<LaneState>,
    pub pull_request: Option<PullRequestRef>,
    pub verified: Option<bool>,
}

/// One phase of the SDLC as this sprint went through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SprintPhase {
    pub state: SprintState,
    /// `done`, `current` or `pending`.
    pub status: String,
    /// When it was last entered.
    pub entered_at: Option<String>,
}

/// What the next forward transition needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NextStep {
    pub state: SprintState,
    /// Whether `sdlc-transition` to it would pass its guard now.
    pub ready: bool,
    /// What stands in the way, one line each.
    pub blockers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SprintSummary {
    pub id: SprintId,
    pub title: String,
    pub goal_id: Option<GoalId>,
    pub project_id: Option<ProjectId>,
    pub repository: String,
    pub harness_kind: String,
    pub state: SprintState,
    pub token_budget: Option<u64>,
    /// Tokens used by every lane the sprint dispatched.
    pub tokens_used: u64,
    pub starts_at: Option<String>,
    pub repeat_every_hours: Option<u64>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// A sprint with its plan: the phases, the issues and their lanes, and what the next step needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sprint {
    #[serde(flatten)]
    pub sprint: SprintSummary,
    pub phases: Vec<SprintPhase>,
    pub items: Vec<SprintItem>,
    pub next: Option<NextStep>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSprint {
    pub sprint_id: SprintId,
}

/// `sprint-list`: newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSprints {
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    #[serde(default)]
    pub state: Option<SprintState>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

/// `sdlc-transition`: move a sprint to `to`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionSprint {
    pub sprint_id: SprintId,
    pub to: SprintState,
    /// Go back to `plan`, `build` or `review` (also from `cancelled`): `build` dispatches new lanes for issues whose lane failed or was cancelled.
    #[serde(default)]
    pub retry: bool,
    /// Pass a guard that does not hold (e.g. `ship` before every lane is merged and verified), saying why; audited.
    #[serde(rename = "override", default)]
    pub override_reason: Option<Message>,
    /// A new token budget for the sprint (paused lanes resume when it leaves room).
    #[serde(default)]
    pub token_budget: Option<Ranged<1, { u64::MAX }>>,
}

/// `sprint-events`: the sprint's event log (JSON, or SSE with `Accept: text/event-stream`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SprintEventsQuery {
    pub sprint_id: SprintId,
    /// Events after this id.
    #[serde(default)]
    pub since: Option<u64>,
    /// Only this type (`state.transition`, `agent.dispatched`, `lane.state`, …).
    #[serde(rename = "type", default)]
    pub event_type: Option<Name>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 500>>,
}

/// One entry of a sprint's event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SprintEvent {
    pub id: u64,
    pub sprint_id: SprintId,
    /// `sprint.created`, `state.transition`, `agent.dispatched`, `dispatch.waiting`, `dispatch.refused`,
    /// `lane.state`, `budget.exhausted`, `budget.raised`, `guard.overridden`, `sprint.retried`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: serde_json::Value,
    pub actor: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SprintEventPage {
    pub data: Vec<SprintEvent>,
    /// Pass as `since` for the next page.
    pub next_since: Option<u64>,
}

/// What `recurring-pipeline-tick` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PipelineTickReport {
    /// Scheduled sprints taken to `build`.
    pub started: Vec<SprintId>,
    /// Next sprints planned for recurring ones.
    pub scheduled: Vec<SprintId>,
    /// Due sprints with nothing to build (no open issue): cancelled, their schedule kept.
    pub skipped: Vec<SprintId>,
}

// ---------------------------------------------------------------- first run

/// `first-run-dispatch`: from nothing to a running lane in one call — a project
/// for the repository, an issue, and a lane that maps the repository.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstRun {
    pub repository: Repository,
    pub harness_kind: Word,
    /// Default: a tour of the repository written to `docs/FIRST-RUN.md`.
    #[serde(default)]
    pub brief: Option<crate::valid::Brief>,
    /// Default: `docs/FIRST-RUN.md`.
    #[serde(default)]
    pub claim: Option<List<Glob, 1, 100>>,
    #[serde(default)]
    pub token_budget: Option<Ranged<1, { u64::MAX }>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FirstRunDispatched {
    pub project: crate::planning::Project,
    pub issue: crate::planning::Issue,
    pub lane: crate::lanes::Lane,
    /// True when the repository's first run had already been dispatched (nothing new was made).
    pub existing: bool,
}

// ---------------------------------------------------------------- dashboard

/// `dashboard-summary`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Days back, today included (default 14).
    #[serde(default)]
    pub days: Option<Ranged<1, 90>>,
}

/// One UTC day of the funnel from signals to merged lanes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FunnelDay {
    /// `YYYY-MM-DD` (`total` for the sum).
    pub day: String,
    /// Signals received (repeats included).
    pub signals: u64,
    pub issues_opened: u64,
    pub issues_done: u64,
    pub lanes_dispatched: u64,
    /// Lanes that ended completed or merged, and those merged.
    pub lanes_succeeded: u64,
    pub lanes_merged: u64,
    pub lanes_failed: u64,
}

/// Ratios over the window (none when the denominator is zero).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FunnelRates {
    /// Distinct issues the window's signals fell on, per signal (1 means no repeats).
    pub issues_per_signal: Option<f64>,
    /// Lanes dispatched per issue opened.
    pub lanes_per_issue: Option<f64>,
    /// Lanes merged per lane that succeeded or failed (cancelled lanes are not counted).
    pub merge_rate: Option<f64>,
    /// Lanes that succeeded (completed or merged) per lane that succeeded or failed.
    pub success_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QueueHealth {
    /// Issues that may be claimed now.
    pub depth: u64,
    pub blocked: u64,
    pub claimed: u64,
    pub in_progress: u64,
    /// Hours the oldest claimable issue has waited.
    pub oldest_age_hours: Option<u64>,
    /// The median wait of claimable issues, in hours.
    pub median_age_hours: Option<u64>,
}

/// Lane outcomes of one harness kind (lanes created in the window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HarnessOutcomes {
    pub harness_kind: String,
    pub total: u64,
    pub active: u64,
    pub completed: u64,
    pub merged: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// (completed + merged) / (completed + merged + failed).
    pub success_rate: Option<f64>,
}

/// A template's active version and how it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TemplateHealth {
    pub name: String,
    pub active_version: u32,
    pub health: Option<f64>,
    pub reviews: u64,
    /// The active version's health is below the previous reviewed version's.
    pub regressed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DashboardSummary {
    pub days: u64,
    /// Oldest day first.
    pub funnel: Vec<FunnelDay>,
    pub totals: FunnelDay,
    pub rates: FunnelRates,
    pub queue: QueueHealth,
    pub lanes_by_harness: Vec<HarnessOutcomes>,
    pub templates: Vec<TemplateHealth>,
    /// Sprints per state (those not finished, and those finished in the window).
    pub sprints: std::collections::BTreeMap<String, u64>,
}

// ---------------------------------------------------------------- PostHog

/// The body of `posthog-webhook`: PostHog's webhook payload as it sends it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct PosthogPayload(pub serde_json::Map<String, serde_json::Value>);
