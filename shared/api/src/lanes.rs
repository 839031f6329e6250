//! Lanes, harnesses, tools and events.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::governance::{ApprovalState, ApprovalSubject, ChangedFile, Priority, Violation};
use crate::ids::{ApprovalId, HarnessId, InboxId, LaneId, ToolCallId, ToolId};
use crate::valid::{Brief, Description, Glob, HttpUrl, List, Message, Name, Ranged, Repository, ToolName, Word};

/// Accepts `["a","b"]` (an item that does not parse is named by its index,
/// `types[1]`) or `"a,b"` (query strings), each item parsed as `T`.
pub fn list_or_csv<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    struct ListOrCsv<T>(std::marker::PhantomData<T>);

    impl<'de, T: serde::de::DeserializeOwned> serde::de::Visitor<'de> for ListOrCsv<T> {
        type Value = Option<Vec<T>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list, or a comma-separated string")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<T>()? {
                items.push(item);
            }
            Ok(Some(items))
        }

        fn visit_str<E: serde::de::Error>(self, csv: &str) -> Result<Self::Value, E> {
            csv.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .enumerate()
                .map(|(i, item)| {
                    serde_json::from_value(serde_json::Value::String(item.to_owned()))
                        .map_err(|e| E::custom(format!("item {i}: {e}")))
                })
                .collect::<Result<Vec<T>, E>>()
                .map(Some)
        }
    }

    d.deserialize_any(ListOrCsv(std::marker::PhantomData))
}

// ---------------------------------------------------------------- lanes

/// Where a lane is in its life. Queued, running and paused lanes are active:
/// they hold their scope claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LaneState {
    Queued,
    Running,
    Paused,
    /// Waiting for a member to approve or reject a request (`lane-approve`, `lane-reject`).
    AwaitingApproval,
    /// Its agent asked a question and waits for the answer (`inbox-resolve`).
    InputRequired,
    Completed,
    /// Its pull request merged after it completed (a forge webhook said so).
    Merged,
    Failed,
    Cancelled,
}

impl LaneState {
    pub const ALL: [LaneState; 9] = [
        LaneState::Queued,
        LaneState::Running,
        LaneState::Paused,
        LaneState::AwaitingApproval,
        LaneState::InputRequired,
        LaneState::Completed,
        LaneState::Merged,
        LaneState::Failed,
        LaneState::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::AwaitingApproval => "awaiting_approval",
            Self::InputRequired => "input_required",
            Self::Completed => "completed",
            Self::Merged => "merged",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Queued, running, paused and waiting lanes hold their scope claim.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running | Self::Paused | Self::AwaitingApproval | Self::InputRequired)
    }

    /// The states in which a harness may hold the lane (and renews its lease).
    pub const HELD: [LaneState; 4] =
        [LaneState::Running, LaneState::Paused, LaneState::AwaitingApproval, LaneState::InputRequired];

    /// The control signal a harness applies to a lane in this state.
    pub const fn signal(self) -> Signal {
        match self {
            // A waiting agent is blocked on its request, not stopped.
            Self::Running | Self::Queued | Self::AwaitingApproval | Self::InputRequired => Signal::Run,
            Self::Paused => Signal::Pause,
            Self::Completed | Self::Merged | Self::Failed | Self::Cancelled => Signal::Cancel,
        }
    }
}

/// What a harness should do with a lane it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Run,
    Pause,
    Cancel,
}

impl Signal {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Pause => "pause",
            Self::Cancel => "cancel",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunAgent {
    /// Which kind of harness runs it, e.g. `claude-code`, `codex`, `script`.
    pub harness_kind: Word,
    /// What the agent is asked to do.
    pub brief: Brief,
    /// The repository the harness works in (a name it resolves locally).
    pub repository: Repository,
    /// Path globs this lane may edit; no other active lane in the repository may overlap them.
    pub claim: List<Glob, 1, 100>,
    #[serde(default)]
    pub token_budget: Option<Ranged<1, { u64::MAX }>>,
    #[serde(default)]
    pub cost_budget_cents: Option<Ranged<1, { u64::MAX }>>,
    /// Only a harness holding every one of these labels may run the lane.
    #[serde(default)]
    pub labels: List<Word, 0, 20>,
    /// Dispatch attempts before the lane fails (1..=10, default 3).
    #[serde(default)]
    pub max_attempts: Option<Ranged<1, 10>>,
    /// The issue this lane works on (one claimed with `dispatch-claim`, or open): it moves to
    /// `in_progress`, then `done` when the lane completes or merges, or back to `open` when it fails.
    #[serde(default)]
    pub issue_id: Option<crate::ids::IssueId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lane {
    pub run_id: LaneId,
    pub state: LaneState,
    pub harness_kind: String,
    pub brief: String,
    pub repository: String,
    pub claim: Vec<String>,
    pub labels: Vec<String>,
    pub token_budget: Option<u64>,
    pub cost_budget_cents: Option<u64>,
    pub tokens_used: u64,
    pub cost_used_cents: u64,
    pub attempt: u32,
    pub max_attempts: u32,
    pub harness_id: Option<HarnessId>,
    pub pause_reason: Option<String>,
    pub exit_code: Option<i64>,
    pub summary: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    /// The branch its harness pushed (or the forge reported) for its work.
    #[serde(default)]
    pub branch: Option<String>,
    /// The pull (merge) request its work is in, once a forge reported one.
    #[serde(default)]
    pub pull_request: Option<crate::integrations::PullRequestRef>,
    /// Whether its result is verified (every required check green), once `verify-lane` decided.
    #[serde(default)]
    pub verified: Option<bool>,
}

/// `{"run_id": …}` plus an optional reason.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneAction {
    pub run_id: LaneId,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeLane {
    pub run_id: LaneId,
    /// Raise the token budget (e.g. after `budget_exhausted`).
    #[serde(default)]
    pub token_budget: Option<u64>,
    #[serde(default)]
    pub cost_budget_cents: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterruptKind {
    /// Extra information for the agent.
    Note,
    /// A change of direction the agent must follow.
    Redirect,
    /// The answer to a question the agent asked (`in_reply_to` names it); sent by `inbox-resolve`.
    Answer,
}

impl InterruptKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Redirect => "redirect",
            Self::Answer => "answer",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptLane {
    pub run_id: LaneId,
    pub kind: SentInterruptKind,
    pub message: Message,
}

/// The interrupts a client sends (answers come from `inbox-resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SentInterruptKind {
    Note,
    Redirect,
}

impl From<SentInterruptKind> for InterruptKind {
    fn from(kind: SentInterruptKind) -> Self {
        match kind {
            SentInterruptKind::Note => Self::Note,
            SentInterruptKind::Redirect => Self::Redirect,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interrupt {
    pub id: u64,
    pub kind: InterruptKind,
    pub message: String,
    pub created_at: String,
    /// For an `answer`: the question it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<InboxId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InterruptQueued {
    pub run_id: LaneId,
    pub interrupt: Interrupt,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLane {
    pub run_id: LaneId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLanes {
    #[serde(default)]
    pub state: Option<LaneState>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub harness_kind: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A lane with its tool log (for `lane-get`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LaneDetail {
    #[serde(flatten)]
    pub lane: Lane,
    pub tool_calls: Vec<ToolCall>,
    pub pending_interrupts: Vec<Interrupt>,
    /// The latest status of each CI check reported for it.
    #[serde(default)]
    pub checks: Vec<crate::integrations::LaneCheck>,
    /// The context entries its agent was given with the brief, best first.
    #[serde(default)]
    pub context: Vec<crate::context::BriefEntry>,
}

// ---------------------------------------------------------------- events

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneEventsQuery {
    pub run_id: LaneId,
    /// Only events with a larger id (like `Last-Event-ID`).
    #[serde(default, deserialize_with = "crate::valid::optional_at_least::<_, 0>")]
    #[schemars(with = "Option<crate::valid::Ranged<0, { u64::MAX }>>")]
    pub since: Option<u64>,
    /// Only events of these types (a list, or comma-separated in a query string).
    #[serde(default, deserialize_with = "list_or_csv")]
    pub types: Option<Vec<LaneEventType>>,
    /// Page size (default 100).
    #[serde(default)]
    pub limit: Option<Ranged<1, 1000>>,
}

/// One entry of a lane's event log: `type` says what happened, `data` the details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LaneEvent {
    pub id: u64,
    pub run_id: LaneId,
    #[serde(flatten)]
    pub event: LaneEventData,
    pub at: String,
}

/// What a lane event records, by `type`; `data` holds the variant's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum LaneEventData {
    /// The lane moved between states (`from` is null when it was created).
    State { from: Option<LaneState>, to: LaneState, reason: Option<String>, attempt: u32 },
    /// A client sent an interrupt.
    Interrupt { interrupt_id: u64, kind: InterruptKind, message: String },
    /// The harness handed an interrupt to its agent.
    InterruptDelivered { interrupt_id: u64 },
    /// A line the agent printed.
    Output { stream: Stream, line: String },
    /// The agent changed a file; `outside_claim` when no claimed glob matches it.
    FileChange { path: String, change: FileChange, outside_claim: bool },
    /// Tokens and cost used by one step, and the lane's totals after it.
    Tokens { used: u64, cost_cents: u64, tokens_used: u64, cost_used_cents: u64 },
    /// A tool call made for the lane (`status` is `ok` or `error`).
    ToolCall { call_id: ToolCallId, tool: String, status: String, duration_ms: u64 },
    /// How the agent finished.
    Result(LaneResult),
    /// Something the lane does needs a member's decision; the lane waits in `awaiting_approval`.
    ApprovalRequested {
        approval_id: ApprovalId,
        subject: ApprovalSubject,
        /// The rule that asked for it; none for the built-in commit / push gate.
        rule: Option<String>,
        reason: String,
    },
    /// A request was approved, rejected, expired or withdrawn.
    ApprovalDecided { approval_id: ApprovalId, state: ApprovalState, by: String, note: Option<String> },
    /// Its agent asked a question (see `inbox-get`).
    QuestionAsked { item_id: InboxId, question: String, options: Vec<String>, priority: Priority },
    /// A question was answered (`by`: a member, or `system` for a default answer at expiry), expired or withdrawn.
    QuestionSettled { item_id: InboxId, state: crate::governance::InboxState, by: String },
    /// Its changes broke mandates (`blocking` of them block its completion).
    MandateViolations { violations: Vec<Violation>, blocking: u32 },
    /// The lane met a `warn` rule; what it did went ahead.
    PolicyWarning { rule: String, message: Option<String>, subject: ApprovalSubject },
    /// Its pull (merge) request was opened, merged, closed or reopened on the forge.
    PullRequest {
        forge: crate::integrations::Forge,
        number: u64,
        state: crate::integrations::PullRequestState,
        url: Option<String>,
        title: Option<String>,
    },
    /// Commits were pushed to its branch.
    Push { forge: crate::integrations::Forge, branch: String, head_commit: Option<String>, commits: u32 },
    /// A CI job (check) reported a status.
    Check(crate::integrations::LaneCheck),
    /// `verify-lane` decided whether its result is verified.
    Verification { verified: bool, failing: Vec<String>, missing: Vec<String>, pending: Vec<String> },
    /// The context entries handed to its agent with the brief (see `lane-get`'s `context`).
    ContextGiven { entry_ids: Vec<crate::ids::ContextId>, tokens: u64 },
    /// Its extraction job's findings were folded into the context engine.
    ContextExtracted { job: crate::context::ExtractJob, commit: String, counts: crate::context::ExtractionCounts },
    /// The harness took a snapshot of its worktree (see `lane-diff-timeline`).
    Checkpoint { seq: u32, commit: String, files: u64, insertions: u64, deletions: u64 },
}

impl LaneEventData {
    pub const fn kind(&self) -> LaneEventType {
        match self {
            Self::State { .. } => LaneEventType::State,
            Self::Interrupt { .. } => LaneEventType::Interrupt,
            Self::InterruptDelivered { .. } => LaneEventType::InterruptDelivered,
            Self::Output { .. } => LaneEventType::Output,
            Self::FileChange { .. } => LaneEventType::FileChange,
            Self::Tokens { .. } => LaneEventType::Tokens,
            Self::ToolCall { .. } => LaneEventType::ToolCall,
            Self::Result(_) => LaneEventType::Result,
            Self::ApprovalRequested { .. } => LaneEventType::ApprovalRequested,
            Self::ApprovalDecided { .. } => LaneEventType::ApprovalDecided,
            Self::PolicyWarning { .. } => LaneEventType::PolicyWarning,
            Self::QuestionAsked { .. } => LaneEventType::QuestionAsked,
            Self::QuestionSettled { .. } => LaneEventType::QuestionSettled,
            Self::MandateViolations { .. } => LaneEventType::MandateViolations,
            Self::PullRequest { .. } => LaneEventType::PullRequest,
            Self::Push { .. } => LaneEventType::Push,
            Self::Check(_) => LaneEventType::Check,
            Self::Verification { .. } => LaneEventType::Verification,
            Self::ContextGiven { .. } => LaneEventType::ContextGiven,
            Self::ContextExtracted { .. } => LaneEventType::ContextExtracted,
            Self::Checkpoint { .. } => LaneEventType::Checkpoint,
        }
    }

    /// The `data` object alone (as stored).
    pub fn data(&self) -> serde_json::Value {
        // An adjacently tagged enum of plain fields always serialises to {"type", "data"}.
        let mut tagged = serde_json::to_value(self).expect("a lane event always serialises");
        tagged["data"].take()
    }

    /// Rebuilds an event from its stored type and data; `None` when they do not fit.
    pub fn from_stored(kind: &str, data: serde_json::Value) -> Option<Self> {
        serde_json::from_value(serde_json::json!({"type": kind, "data": data})).ok()
    }
}

/// How an agent finished, by `outcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LaneResult {
    Completed { exit_code: i64, summary: Option<String>, diff_stat: Option<DiffStat> },
    Failed { exit_code: Option<i64>, error: String },
}

/// The types of lane events (for filtering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LaneEventType {
    State,
    Interrupt,
    InterruptDelivered,
    Output,
    FileChange,
    Tokens,
    ToolCall,
    Result,
    ApprovalRequested,
    ApprovalDecided,
    PolicyWarning,
    QuestionAsked,
    QuestionSettled,
    MandateViolations,
    PullRequest,
    Push,
    Check,
    Verification,
    ContextGiven,
    ContextExtracted,
    Checkpoint,
}

impl LaneEventType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Interrupt => "interrupt",
            Self::InterruptDelivered => "interrupt_delivered",
            Self::Output => "output",
            Self::FileChange => "file_change",
            Self::Tokens => "tokens",
            Self::ToolCall => "tool_call",
            Self::Result => "result",
            Self::ApprovalRequested => "approval_requested",
            Self::ApprovalDecided => "approval_decided",
            Self::PolicyWarning => "policy_warning",
            Self::QuestionAsked => "question_asked",
            Self::QuestionSettled => "question_settled",
            Self::MandateViolations => "mandate_violations",
            Self::PullRequest => "pull_request",
            Self::Push => "push",
            Self::Check => "check",
            Self::Verification => "verification",
            Self::ContextGiven => "context_given",
            Self::ContextExtracted => "context_extracted",
            Self::Checkpoint => "checkpoint",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EventPage {
    pub data: Vec<LaneEvent>,
    /// Pass as `since` to continue.
    pub next_since: Option<u64>,
}

// ---------------------------------------------------------------- harness protocol

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterHarness {
    /// The kind of agent it runs; it is dispatched lanes of this `harness_kind`.
    pub kind: Word,
    pub name: Name,
    #[serde(default)]
    pub capabilities: List<Word, 0, 50>,
    /// It is dispatched only lanes whose labels it all holds.
    #[serde(default)]
    pub labels: List<Word, 0, 50>,
    /// How long its lease lasts without a heartbeat (default 30).
    #[serde(default)]
    pub lease_seconds: Option<Ranged<5, 300>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegisteredHarness {
    pub harness_id: HarnessId,
    /// `sl_hns_…`: good only for harness calls; shown once.
    pub credential: String,
    pub kind: String,
    pub name: String,
    pub lease_seconds: u64,
    pub heartbeat_interval_seconds: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// Per lane, the highest interrupt id the harness has handed to its agent.
    #[serde(default)]
    pub acks: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HeartbeatLane {
    pub run_id: LaneId,
    /// Deprecated: the same id as `run_id`, kept for harnesses written against 0.1; removed in 0.2.
    #[schemars(extend("deprecated" = true))]
    pub lane_id: LaneId,
    pub state: LaneState,
    pub signal: Signal,
    pub interrupts: Vec<Interrupt>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HeartbeatAnswer {
    pub lease_expires_at: String,
    pub lanes: Vec<HeartbeatLane>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DispatchedLane {
    pub run_id: LaneId,
    /// Deprecated: the same id as `run_id`, kept for harnesses written against 0.1; removed in 0.2.
    #[schemars(extend("deprecated" = true))]
    pub lane_id: LaneId,
    pub brief: String,
    pub repository: String,
    pub claim: Vec<String>,
    pub labels: Vec<String>,
    pub token_budget: Option<u64>,
    pub cost_budget_cents: Option<u64>,
    pub attempt: u32,
    pub interrupts: Vec<Interrupt>,
    /// The context entries for its brief and claim, best first (the harness hands them to the agent).
    #[serde(default)]
    pub context: Vec<crate::context::BriefEntry>,
    /// Set for an extraction job: the harness reads the repository itself and runs no agent.
    #[serde(default)]
    pub job: Option<crate::context::ExtractJob>,
    /// Start the worktree from this commit instead of the repository's HEAD (a restored snapshot).
    #[serde(default)]
    pub start_commit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Dispatched {
    pub lane: DispatchedLane,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffStat {
    pub files_changed: u64,
    pub insertions: u64,
    pub deletions: u64,
}

/// One report from a harness about a lane it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HarnessReport {
    Output {
        stream: Stream,
        line: String,
    },
    FileChange {
        path: String,
        change: FileChange,
    },
    Tokens {
        used: u64,
        #[serde(default)]
        cost_cents: u64,
    },
    /// The agent asks a person something; the lane waits in `input_required`
    /// until the answer arrives as an interrupt of kind `answer`.
    Question {
        question: Message,
        /// The answers to choose from (none: free text).
        #[serde(default)]
        options: List<Name, 0, 20>,
        #[serde(default)]
        priority: Option<Priority>,
        /// How long it may wait (default 86 400 s).
        #[serde(default)]
        expires_in_seconds: Option<Ranged<1, 2_592_000>>,
        /// Given when nobody answers in time; without one the lane is paused instead.
        #[serde(default)]
        default_answer: Option<Message>,
    },
    Completed {
        exit_code: i64,
        #[serde(default)]
        summary: Option<String>,
        #[serde(default)]
        diff_stat: Option<DiffStat>,
        /// The files it changed and the lines it added, checked against the workspace's mandates.
        #[serde(default)]
        changes: Option<List<ChangedFile, 0, 2000>>,
        /// The branch it pushed its work to (forge events for that branch then reach the lane).
        #[serde(default)]
        branch: Option<Name>,
    },
    Failed {
        #[serde(default)]
        exit_code: Option<i64>,
        error: String,
    },
    /// The lane's work was pushed to `branch`: forge events for it (pull
    /// request, pushes, checks) reach the lane from now on.
    Branch {
        branch: Name,
    },
    /// An extraction job's findings, read at `commit`: folded into the context
    /// engine (created, confirmed, updated, or — when no longer found — retired).
    Context {
        job: crate::context::ExtractJob,
        commit: Word,
        entries: List<crate::context::FoundEntry, 0, 500>,
    },
    /// A snapshot of the worktree (a git commit kept by the harness) and what
    /// changed since the previous one.
    Checkpoint {
        seq: Ranged<1, 100_000>,
        commit: Word,
        /// The files changed since the previous checkpoint (or the start).
        files: List<crate::insight::CheckpointFile, 0, 2000>,
        /// Everything changed since the lane started.
        total: DiffStat,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HarnessEvents {
    /// The lane the reports are about (`lane_id` is accepted as a deprecated alias).
    #[serde(alias = "lane_id")]
    pub run_id: LaneId,
    pub events: Vec<HarnessReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HarnessEventsAccepted {
    pub run_id: LaneId,
    /// Deprecated: the same id as `run_id`, kept for harnesses written against 0.1; removed in 0.2.
    #[schemars(extend("deprecated" = true))]
    pub lane_id: LaneId,
    pub state: LaneState,
    pub signal: Signal,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeHarness {
    pub harness_id: HarnessId,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HarnessRevoked {
    pub harness_id: HarnessId,
    pub revoked_at: String,
    /// Lanes it held, now queued again.
    pub requeued: Vec<LaneId>,
}

// ---------------------------------------------------------------- tools

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTool {
    pub name: ToolName,
    pub description: Description,
    /// JSON Schema of the tool's input.
    pub input_schema: crate::valid::InputSchema,
    /// The MCP server (Streamable HTTP transport) that serves the tool.
    pub mcp_url: HttpUrl,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub id: ToolId,
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
    pub mcp_url: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTools {
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeTool {
    pub run_id: LaneId,
    pub tool: String,
    #[serde(default)]
    pub input: serde_json::Value,
    /// An approved request for exactly this call (after `403 APPROVAL_REQUIRED`); good once.
    #[serde(default)]
    pub approval_id: Option<ApprovalId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolCall {
    pub call_id: ToolCallId,
    pub tool: String,
    /// `ok`, `error` (the tool or its server failed) or `timeout` (no answer within the deadline).
    pub status: String,
    pub input_digest: String,
    /// The tool's `result` (or the error). Over 64 KiB, `{"truncated": true, "bytes": n, "preview": "…"}`.
    pub output: serde_json::Value,
    pub duration_ms: u64,
    pub at: String,
}

/// What one `maintenance-tick` pass did (its answer over HTTP).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MaintenanceReport {
    /// Idempotency records older than 24 h, deleted.
    pub idempotency_pruned: u64,
    /// Tokens whose noted last use was written back to `last_used_at`.
    pub last_used_written: u64,
    /// Rate-limit counters of windows that no longer count, deleted.
    pub rate_counters_pruned: u64,
    /// Finished outbound webhook deliveries (and their messages) older than 30 days, deleted.
    #[serde(default)]
    pub webhook_deliveries_pruned: u64,
    /// Forge deliveries handled more than 30 days ago, deleted (a redelivery after that is new).
    #[serde(default)]
    pub forge_deliveries_pruned: u64,
    /// MCP sessions idle for more than a day, deleted.
    #[serde(default)]
    pub mcp_sessions_pruned: u64,
}

/// What one `dispatch-status-tick` pass changed (its answer over HTTP).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DispatchTickReport {
    /// Lanes whose harness lease expired, put back in the queue.
    pub requeued: u32,
    /// Lanes whose lease expired on their last attempt.
    pub failed: u32,
    /// Running lanes over their token budget, paused with reason `budget_exhausted`.
    pub budget_exhausted: u32,
    /// Requests for approval nobody decided in time: rejected, their lanes
    /// paused (or, for a held dispatch, cancelled).
    #[serde(default)]
    pub approvals_expired: u32,
    /// Questions nobody answered in time: given their default answer, or their lanes paused.
    #[serde(default)]
    pub questions_expired: u32,
}
