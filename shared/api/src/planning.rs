//! Planning and intake wire types (issue 13): projects, issues with comments
//! and relations, signals folded into issues by fingerprint, the priority
//! queue workers claim from, and versioned prompt templates with reviews.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::governance::Priority;
use crate::ids::{GoalId, IssueId, LaneId, ProjectId, SignalSourceId, TemplateId};
use crate::valid::{Brief, Description, List, Message, Name, Ranged, Repository, Word};

// ---------------------------------------------------------------- projects

/// `project-create`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    pub name: Name,
    /// The repository its lanes work in (as the harness names it, e.g. `acme/shop`).
    pub repository: Repository,
    #[serde(default)]
    pub default_branch: Option<Word>,
    /// What the project is for; prompt templates can quote it (`{{project.goal}}`).
    #[serde(default)]
    pub goal: Option<Description>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub repository: String,
    pub default_branch: String,
    pub goal: Option<String>,
    /// Issues of the project not yet done or cancelled.
    pub open_issues: u64,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectList {
    pub data: Vec<Project>,
}

// ---------------------------------------------------------------- issues

/// What kind of work an issue is (it picks the prompt template of that name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueType {
    Bug,
    Feature,
    Task,
    Incident,
}

impl IssueType {
    pub const ALL: [IssueType; 4] = [Self::Bug, Self::Feature, Self::Task, Self::Incident];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bug => "bug",
            Self::Feature => "feature",
            Self::Task => "task",
            Self::Incident => "incident",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Where an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// In the queue (unless something open blocks it).
    Open,
    /// A worker claimed it (`dispatch-claim`); back in the queue if the claim's lease runs out.
    Claimed,
    /// A lane works on it; it follows the lane's outcome.
    InProgress,
    Done,
    Cancelled,
}

impl IssueStatus {
    pub const ALL: [IssueStatus; 5] = [Self::Open, Self::Claimed, Self::InProgress, Self::Done, Self::Cancelled];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Claimed => "claimed",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Done and cancelled issues block nothing and are never claimed.
    pub const fn is_closed(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled)
    }
}

/// How one issue relates to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// This issue must be done before the other can be claimed.
    Blocks,
    /// The other issue cannot be claimed until this one is done.
    BlockedBy,
    /// This issue repeats the other (it is cancelled as a duplicate).
    DuplicateOf,
    ParentOf,
    ChildOf,
}

impl RelationKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Blocks => "blocks",
            Self::BlockedBy => "blocked_by",
            Self::DuplicateOf => "duplicate_of",
            Self::ParentOf => "parent_of",
            Self::ChildOf => "child_of",
        }
    }

    /// Every relation is stored one way: `(from, stored kind, to)`.
    pub const fn stored(self) -> (&'static str, bool) {
        match self {
            Self::Blocks => ("blocks", false),
            Self::BlockedBy => ("blocks", true),
            Self::DuplicateOf => ("duplicate_of", false),
            Self::ParentOf => ("parent_of", false),
            Self::ChildOf => ("parent_of", true),
        }
    }
}

/// `issue-create`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIssue {
    pub title: Description,
    #[serde(default)]
    pub body: Option<Brief>,
    #[serde(rename = "type", default)]
    pub issue_type: Option<IssueType>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// The goal it serves (its weight counts in the queue score).
    #[serde(default)]
    pub goal_id: Option<GoalId>,
    #[serde(default)]
    pub labels: List<Word, 0, 20>,
}

/// `issue-update`: change what is given.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIssue {
    pub issue_id: IssueId,
    #[serde(default)]
    pub title: Option<Description>,
    #[serde(default)]
    pub body: Option<Brief>,
    #[serde(rename = "type", default)]
    pub issue_type: Option<IssueType>,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// `open` (reopen, or release a claim), `done` or `cancelled`; `claimed` and `in_progress` come from the queue and lanes.
    #[serde(default)]
    pub status: Option<IssueStatus>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    #[serde(default)]
    pub goal_id: Option<GoalId>,
    #[serde(default)]
    pub labels: Option<List<Word, 0, 20>>,
}

/// One relation as an issue sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IssueRelation {
    pub kind: RelationKind,
    pub issue_id: IssueId,
    pub number: u64,
    pub title: String,
    pub status: IssueStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IssueComment {
    pub id: u64,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Issue {
    pub id: IssueId,
    /// The workspace's running number (`#12`).
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    #[serde(rename = "type")]
    pub issue_type: IssueType,
    pub priority: Priority,
    pub status: IssueStatus,
    pub project_id: Option<ProjectId>,
    pub goal_id: Option<GoalId>,
    pub labels: Vec<String>,
    /// `manual`, `signal`, `sentry`, `posthog`, `first-run`.
    pub source: String,
    /// Signals folded into it (repeats of the same fingerprint).
    pub signal_count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Whether an issue not yet done or cancelled blocks it.
    pub blocked: bool,
    pub claimed_by: Option<String>,
    pub claim_expires_at: Option<String>,
    /// The lane working on it (or that last did).
    pub run_id: Option<LaneId>,
    /// The application's own files in its stack trace, innermost first (Sentry signals): `trace-to-fix` claims them.
    pub trace_files: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `issue-get`: an issue with its comments and relations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IssueDetail {
    #[serde(flatten)]
    pub issue: Issue,
    pub comments: Vec<IssueComment>,
    pub relations: Vec<IssueRelation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetIssue {
    pub issue_id: IssueId,
}

/// `issue-list`: newest first, filtered.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListIssues {
    #[serde(default)]
    pub status: Option<IssueStatus>,
    #[serde(rename = "type", default)]
    pub issue_type: Option<IssueType>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Only issues carrying this label.
    #[serde(default)]
    pub label: Option<Word>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 200>>,
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

/// `issue-comment`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIssue {
    pub issue_id: IssueId,
    pub body: Message,
}

/// `issue-relate`: `issue_id` `kind` `other_id` (e.g. #3 blocks #5).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelateIssues {
    pub issue_id: IssueId,
    pub kind: RelationKind,
    pub other_id: IssueId,
}

// ---------------------------------------------------------------- signals

/// `signal-ingest`: something observed (an error, an alert, a user report).
/// Signals with the same fingerprint fold into one open issue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestSignal {
    pub title: Description,
    #[serde(default)]
    pub body: Option<Brief>,
    /// What makes two signals the same; default: the title.
    #[serde(default)]
    pub fingerprint: Option<Name>,
    /// Where it came from (`generic` by default).
    #[serde(default)]
    pub source: Option<Word>,
    #[serde(rename = "type", default)]
    pub issue_type: Option<IssueType>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    #[serde(default)]
    pub labels: List<Word, 0, 20>,
}

/// What a signal became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignalIngested {
    pub issue: Issue,
    /// Whether it opened a new issue (false: it repeated an open one's fingerprint).
    pub new_issue: bool,
}

/// `signal-source-create`: a provider (Sentry) that sends signed signals.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSignalSource {
    pub provider: SignalProvider,
    /// The integration's client secret the provider signs with.
    pub secret: crate::valid::WebhookSecret,
    /// Issues it opens belong to this project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalProvider {
    Sentry,
    Posthog,
}

impl SignalProvider {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sentry => "sentry",
            Self::Posthog => "posthog",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Sentry, Self::Posthog].into_iter().find(|p| p.as_str() == s)
    }
}

/// The body of `sentry-webhook`: Sentry's payload as it sends it (the source comes in `?source=`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SentryPayload(pub serde_json::Map<String, serde_json::Value>);

/// A provider delivery Switchyard does not act on (another resource or action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalIgnored {
    pub ignored: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignalSource {
    pub id: SignalSourceId,
    pub provider: SignalProvider,
    /// Where the provider sends its webhooks (a path on this deployment).
    pub webhook_path: String,
    pub project_id: Option<ProjectId>,
    pub created_at: String,
}

// ---------------------------------------------------------------- the queue

/// How an issue's place in the queue is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QueueScore {
    /// urgent 400, high 300, normal 200, low 100.
    pub priority: u32,
    /// One per hour waiting, at most 48.
    pub age: u32,
    /// Two per repeated signal, at most 20.
    pub signals: u32,
    /// Ten per point of its goal's weight (0–3) while the goal is active, at most 30.
    pub goal: u32,
    /// The sum; the queue is in descending order of it (ties: the older issue first).
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueuedIssue {
    pub issue: Issue,
    pub score: QueueScore,
}

/// `dispatch-queue`: the next issues in order (blocked ones left out).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewQueue {
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Only the issues of this goal.
    #[serde(default)]
    pub goal_id: Option<GoalId>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueuePreview {
    pub data: Vec<QueuedIssue>,
    /// Issues waiting but blocked by one not yet done.
    pub blocked: u64,
}

/// `dispatch-claim`: take the next unblocked issue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimIssue {
    /// Who claims (a worker's name); default: the caller.
    #[serde(default)]
    pub worker: Option<Name>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// How long the claim holds without a lane (30 s to a day, default 600 s); then the issue returns to the queue.
    #[serde(default)]
    pub lease_seconds: Option<Ranged<30, 86_400>>,
}

/// A claimed issue with its hydrated prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimedIssue {
    pub issue: Issue,
    pub score: QueueScore,
    /// The prompt: the issue's template filled from the issue and its project.
    pub prompt: String,
    /// The template version it came from (none: the built-in default).
    pub template: Option<TemplateRef>,
    /// Where to run it: the issue's project's repository, if any.
    pub repository: Option<String>,
    /// The context entries for the prompt and the files of its stack trace, best first.
    #[serde(default)]
    pub context: Vec<crate::context::BriefEntry>,
}

/// `trace-to-fix`: dispatch a lane for an issue that came with a stack trace,
/// claiming the files in the trace, its brief the issue's prompt.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceToFix {
    pub issue_id: IssueId,
    pub harness_kind: Word,
    /// Default: the issue's project's repository.
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub token_budget: Option<Ranged<1, { u64::MAX }>>,
}

/// The lane `trace-to-fix` dispatched and the issue it now works on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FixDispatched {
    pub issue: Issue,
    pub lane: crate::lanes::Lane,
}

// ---------------------------------------------------------------- prompt templates

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TemplateRef {
    pub template_id: TemplateId,
    pub name: String,
    pub version: u32,
}

/// `template-create`: a new template, or a new version of the one named.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// An issue type (`bug`, `feature`, …) or `default`; the queue picks the template named after the issue's type.
    pub name: Word,
    /// The prompt, with `{{issue.title}}`, `{{issue.body}}`, `{{issue.number}}`, `{{issue.type}}`,
    /// `{{issue.priority}}`, `{{issue.labels}}`, `{{issue.signal_count}}`, `{{project.name}}`,
    /// `{{project.repository}}`, `{{project.goal}}`.
    pub body: Brief,
    /// Make this version the active one at once (the first version always is).
    #[serde(default)]
    pub activate: bool,
}

/// `template-promote`: make a version the active one.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteTemplate {
    pub name: Word,
    pub version: Ranged<1, 100_000>,
}

/// `template-review`: how well a version's prompt served (from an agent or a person).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewTemplate {
    pub name: Word,
    /// Default: the active version.
    #[serde(default)]
    pub version: Option<Ranged<1, 100_000>>,
    pub score: Ranged<1, 5>,
    #[serde(default)]
    pub notes: Option<Message>,
    /// The lane whose prompt it was.
    #[serde(default)]
    pub run_id: Option<LaneId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTemplate {
    pub name: Word,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TemplateVersion {
    pub version: u32,
    pub body: String,
    pub active: bool,
    pub reviews: u64,
    /// Exponentially weighted moving average of review scores (α = 0.3); none before the first review.
    pub health: Option<f64>,
    /// Its health is below the previous version's.
    pub regressed: bool,
    pub created_by: String,
    pub created_at: String,
}

/// A template with every version, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub active_version: u32,
    pub versions: Vec<TemplateVersion>,
}
