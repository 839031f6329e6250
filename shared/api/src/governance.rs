//! Governance wire types (issue 11): workspace policy rules — what each one
//! governs, what it matches and what it does — and the verdict an action meets.
//! Evaluation lives in `switchyard_domain::policy`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{ApprovalId, InboxId, LaneId};
use crate::lanes::{Lane, LaneState, Signal};
use crate::valid::{Description, Glob, List, Message, Name, Ranged, RelPath, Repository, ToolName, Word};

/// What a rule does to an action it matches, from the most to the least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEffect {
    /// Refuse the action: `403 POLICY_DENIED` naming the rule.
    Deny,
    /// Hold the action until a member approves it (the lane waits in `awaiting_approval`).
    RequireApproval,
    /// Let it through without the approval `git commit` / `git push` need by default.
    Allow,
    /// Let it through, recording a warning on the lane.
    Warn,
}

/// What an agent did, as its harness reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentActionKind {
    /// Wrote (created, changed or deleted) files.
    Write,
    /// Ran a shell command.
    Command,
    /// `git commit`.
    Commit,
    /// `git push`.
    Push,
}

/// What a rule governs and which of those actions it matches. Every listed
/// condition must hold; a condition left empty matches anything; within one
/// list, any entry may match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicyMatch {
    /// Dispatching a lane (`agent-run`).
    Dispatch {
        /// Repository names (`*` wildcards).
        #[serde(default)]
        repositories: List<Glob, 0, 50>,
        /// Matches when one of these globs overlaps one of the lane's claim globs.
        #[serde(default)]
        paths: List<Glob, 0, 50>,
        #[serde(default)]
        harness_kinds: List<Word, 0, 20>,
        /// Matches when the lane carries one of these labels.
        #[serde(default)]
        labels: List<Word, 0, 20>,
        /// Matches a lane whose token budget is at least this, or that has none.
        #[serde(default)]
        token_budget_at_least: Option<u64>,
    },
    /// Invoking a registered tool (`agent-tool-invoke`).
    ToolCall {
        #[serde(default)]
        tools: List<ToolName, 0, 50>,
        /// JSON pointer into the tool's input → `*` wildcard pattern its string value must match.
        #[serde(default)]
        arguments: std::collections::BTreeMap<String, String>,
    },
    /// Something the agent did, reported by its harness.
    Action {
        #[serde(default)]
        kinds: List<AgentActionKind, 0, 4>,
        /// Matches when the action touched a path one of these globs matches.
        #[serde(default)]
        paths: List<Glob, 0, 50>,
        /// `*` wildcard patterns a command must match (`Command` actions).
        #[serde(default)]
        commands: List<Name, 0, 20>,
    },
}

/// One rule of a workspace's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Unique within the workspace, e.g. `no-direct-billing-edits`; named in denials.
    pub name: Word,
    pub effect: PolicyEffect,
    /// Shown with a denial, a request for approval or a warning.
    #[serde(default)]
    pub message: Option<Description>,
    /// What the rule governs (`on`) and the conditions it matches.
    pub when: PolicyMatch,
    /// For `require_approval`: how long a request waits before it fails closed (default 3600).
    #[serde(default)]
    pub approval_timeout_seconds: Option<Ranged<1, 604_800>>,
}

/// A rule an action met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MetRule {
    pub name: String,
    pub effect: PolicyEffect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What an action meets: the outcome, the rule that decided it, and every rule it met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyVerdict {
    /// `allow`, `warn`, `require_approval` or `deny`.
    pub outcome: PolicyEffect,
    /// The rule that decided the outcome; none when no rule decided it (a default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    pub met: Vec<MetRule>,
}

/// A workspace's policy: its ordered rules at one version. Version 0 is the
/// empty policy a workspace starts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    pub version: u64,
    pub rules: Vec<PolicyRule>,
    /// Who wrote this version (none for version 0).
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// Replaces the workspace's rules with a new version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    /// Checked in order; names must be unique.
    pub rules: List<PolicyRule, 0, 200>,
    /// The version this update was written against; a different current version is a 409.
    #[serde(default)]
    pub expected_version: Option<Ranged<0, { u64::MAX }>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPolicy {
    /// An earlier version (default: the current one).
    #[serde(default)]
    pub version: Option<Ranged<0, { u64::MAX }>>,
}

/// What an agent did or is about to do, as its harness reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentAction {
    pub kind: AgentActionKind,
    /// Paths it touches, relative to the repository root.
    #[serde(default)]
    pub paths: List<RelPath, 0, 1000>,
    /// The command line (`command` actions).
    #[serde(default)]
    pub command: Option<Message>,
    /// Shown to approvers: the commit message, the diff summary, the branch pushed.
    #[serde(default)]
    pub summary: Option<Message>,
}

/// An action to decide, by what it is (`on`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicySubject {
    Dispatch {
        repository: Repository,
        claim: List<Glob, 1, 100>,
        harness_kind: Word,
        #[serde(default)]
        labels: List<Word, 0, 20>,
        #[serde(default)]
        token_budget: Option<u64>,
    },
    ToolCall {
        tool: ToolName,
        #[serde(default)]
        arguments: serde_json::Value,
    },
    Action(AgentAction),
    /// Completing a lane whose changes break a blocking mandate (no policy rule matches it).
    Completion {
        #[serde(default)]
        violations: Vec<Violation>,
    },
}

impl PolicySubject {
    pub const fn kind(&self) -> ApprovalSubject {
        match self {
            Self::Dispatch { .. } => ApprovalSubject::Dispatch,
            Self::ToolCall { .. } => ApprovalSubject::ToolCall,
            Self::Action(_) => ApprovalSubject::Action,
            Self::Completion { .. } => ApprovalSubject::Completion,
        }
    }
}

/// Asks what an action would meet, without doing it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestPolicy {
    pub action: PolicySubject,
    /// Rules to try instead of the current policy (a draft).
    #[serde(default)]
    pub rules: Option<List<PolicyRule, 0, 200>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyTested {
    /// The version decided under; none for a draft.
    pub policy_version: Option<u64>,
    #[serde(flatten)]
    pub verdict: PolicyVerdict,
}

// ---------------------------------------------------------------- approvals

/// What an approval request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalSubject {
    /// Starting the lane at all.
    Dispatch,
    ToolCall,
    /// Something its agent is about to do (commit, push, write, command).
    Action,
    /// Completing the lane despite a blocking mandate violation.
    Completion,
}

impl ApprovalSubject {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Dispatch => "dispatch",
            Self::ToolCall => "tool_call",
            Self::Action => "action",
            Self::Completion => "completion",
        }
    }
}

/// Where a request for approval is: `pending` until exactly one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Rejected,
    /// Nobody decided before `expires_at`: it failed closed.
    Expired,
    /// The lane moved on (cancelled, paused, finished) before anyone decided.
    Withdrawn,
}

impl ApprovalState {
    pub const ALL: [ApprovalState; 5] = [Self::Pending, Self::Approved, Self::Rejected, Self::Expired, Self::Withdrawn];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A request for a member's decision, and the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Approval {
    pub approval_id: ApprovalId,
    pub run_id: LaneId,
    pub state: ApprovalState,
    /// What waits for the decision.
    pub action: PolicySubject,
    /// Why it waits: the rule's message, or the built-in gate's.
    pub reason: String,
    /// The rule that asked; none for the built-in commit / push gate.
    pub rule: Option<String>,
    pub policy_version: u64,
    pub requested_by: String,
    pub requested_at: String,
    /// After this, a pending request fails closed.
    pub expires_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
}

/// Approves or rejects a lane's pending request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideApproval {
    pub run_id: LaneId,
    /// Which request (default: the lane's pending one).
    #[serde(default)]
    pub approval_id: Option<ApprovalId>,
    /// Told to the agent with the decision.
    #[serde(default)]
    pub note: Option<Message>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApprovals {
    #[serde(default)]
    pub state: Option<ApprovalState>,
    #[serde(default)]
    pub run_id: Option<LaneId>,
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

/// A request just decided, and its lane after the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LaneDecision {
    pub approval: Approval,
    pub lane: Lane,
}

/// A harness asks whether its agent may do something now, or how a request it made was decided.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HarnessAction {
    pub run_id: LaneId,
    /// The action to decide (exactly one of `action` and `approval_id`).
    #[serde(default)]
    pub action: Option<AgentAction>,
    /// A request made earlier, to read its decision.
    #[serde(default)]
    pub approval_id: Option<ApprovalId>,
}

/// Whether the agent may go ahead: `allow` / `warn` yes, `require_approval`
/// wait for `approval`, `deny` no.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionAnswer {
    pub run_id: LaneId,
    pub outcome: PolicyEffect,
    pub decided_by: Option<String>,
    pub met: Vec<MetRule>,
    pub approval: Option<Approval>,
    pub state: LaneState,
    pub signal: Signal,
}

// ---------------------------------------------------------------- the inbox

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    Pending,
    /// By a member, or with the item's default answer when it expired.
    Answered,
    /// Nobody answered in time and there was no default answer: the lane was paused.
    Expired,
    /// The lane ended before anyone answered.
    Withdrawn,
}

impl InboxState {
    pub const ALL: [InboxState; 4] = [Self::Pending, Self::Answered, Self::Expired, Self::Withdrawn];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A question an agent asked through its harness, and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InboxItem {
    pub item_id: InboxId,
    pub run_id: LaneId,
    pub state: InboxState,
    pub question: String,
    /// The answers to choose from (empty: free text).
    pub options: Vec<String>,
    pub priority: Priority,
    /// Given at `expires_at` when nobody answered; none: the lane is paused then.
    pub default_answer: Option<String>,
    pub asked_at: String,
    pub expires_at: String,
    pub answer: Option<String>,
    /// A member, or `system` for the default answer.
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInbox {
    /// `false`: only pending items; `true`: only settled ones; absent: all.
    #[serde(default, deserialize_with = "crate::valid::optional_bool")]
    #[schemars(with = "Option<bool>")]
    pub resolved: Option<bool>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub run_id: Option<LaneId>,
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<Ranged<1, 100>>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetInboxItem {
    pub item_id: InboxId,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInboxItem {
    pub item_id: InboxId,
    /// One of the item's `options`, when it has any.
    pub answer: Message,
}

/// An answered item and the interrupt that carries the answer to the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InboxResolved {
    pub item: InboxItem,
    pub interrupt: crate::lanes::Interrupt,
    pub lane: Lane,
}

// ---------------------------------------------------------------- budgets

/// A workspace's daily ceilings and where today (UTC) stands against them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WorkspaceBudget {
    /// Tokens all lanes may use per UTC day (none: no ceiling).
    pub daily_tokens: Option<u64>,
    pub daily_cost_cents: Option<u64>,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub used_tokens: u64,
    pub used_cost_cents: u64,
    /// Granted on top of the ceilings for today (`budget-grant`).
    pub granted_tokens: u64,
    pub granted_cost_cents: u64,
    /// What is left today; none where there is no ceiling.
    pub remaining_tokens: Option<u64>,
    pub remaining_cost_cents: Option<u64>,
    /// A ceiling is reached: new lanes are refused (429 `BUDGET_EXHAUSTED`), running ones paused.
    pub exhausted: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// Sets (or, with `null`, removes) the workspace's daily ceilings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBudget {
    #[serde(default)]
    pub daily_tokens: Option<Ranged<1, { u64::MAX }>>,
    #[serde(default)]
    pub daily_cost_cents: Option<Ranged<1, { u64::MAX }>>,
}

/// "Grant more": extra allowance for today; lanes the ceiling paused resume.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBudget {
    #[serde(default)]
    pub tokens: Option<Ranged<1, { u64::MAX }>>,
    #[serde(default)]
    pub cost_cents: Option<Ranged<1, { u64::MAX }>>,
    #[serde(default)]
    pub note: Option<Message>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BudgetGranted {
    pub budget: WorkspaceBudget,
    /// Lanes the ceiling had paused that run (or queue) again.
    pub resumed: Vec<LaneId>,
}

/// How `cost-summary` groups usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostGroup {
    Lane,
    Repository,
    HarnessKind,
    Day,
}

impl CostGroup {
    /// The `lane_usage` column rows are grouped by.
    pub const fn column(self) -> &'static str {
        match self {
            Self::Lane => "lane_id",
            Self::Repository => "repository",
            Self::HarnessKind => "harness_kind",
            Self::Day => "day",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostSummaryQuery {
    /// Default `day`.
    #[serde(default)]
    pub group_by: Option<CostGroup>,
    /// First UTC day counted, `YYYY-MM-DD` (default: 30 days ago).
    #[serde(default)]
    pub from: Option<crate::valid::Day>,
    /// Last UTC day counted (default: today).
    #[serde(default)]
    pub to: Option<crate::valid::Day>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CostRow {
    /// The lane id, repository, harness kind or day.
    pub key: String,
    pub tokens: u64,
    pub cost_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CostSummary {
    pub group_by: CostGroup,
    pub from: String,
    pub to: String,
    /// Most expensive first.
    pub rows: Vec<CostRow>,
    pub total_tokens: u64,
    pub total_cost_cents: u64,
}

/// What one `cost-ceiling-tick` pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CeilingTickReport {
    /// Running lanes paused (`workspace_budget_exhausted`) in workspaces over a ceiling.
    pub paused: u32,
    /// Lanes it had paused that run again (a new day, a grant, a raised ceiling).
    pub resumed: u32,
}

// ---------------------------------------------------------------- mandates

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stops the lane from completing.
    Blocking,
    /// Reported; the lane completes.
    Warning,
}

/// What a mandate rule looks for, by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MandateCheck {
    /// A regular expression (Rust `regex` syntax, linear time) no added line may match.
    Pattern {
        #[schemars(length(min = 1, max = 1000))]
        pattern: String,
        /// Only in files these globs match (empty: every file).
        #[serde(default)]
        paths: List<Glob, 0, 50>,
    },
    /// No change to a file these globs match (a protected path).
    Path { paths: List<Glob, 1, 50> },
}

/// One rule checked against the code a lane changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateRule {
    pub name: Word,
    pub severity: Severity,
    pub message: Description,
    pub check: MandateCheck,
}

/// What a blocking violation does to a lane that reports completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnViolation {
    /// The lane waits in `awaiting_approval`: approved, it completes; rejected, it fails.
    #[default]
    RequireApproval,
    /// The lane fails.
    Fail,
}

/// A workspace's mandates: the built-in pack (less what it disabled) and its own rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Mandates {
    pub version: u64,
    /// The workspace's own rules.
    pub rules: Vec<MandateRule>,
    /// The built-in pack, every rule of it (see `disabled_builtins`).
    pub builtins: Vec<MandateRule>,
    pub disabled_builtins: Vec<String>,
    pub on_violation: OnViolation,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMandates {
    #[serde(default)]
    pub rules: List<MandateRule, 0, 100>,
    /// Names of built-in rules to switch off.
    #[serde(default)]
    pub disabled_builtins: List<Word, 0, 20>,
    #[serde(default)]
    pub on_violation: Option<OnViolation>,
    /// The version this update was written against; a different current version is a 409.
    #[serde(default)]
    pub expected_version: Option<Ranged<0, { u64::MAX }>>,
}

/// A file as it is now, for `mandate-check`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFile {
    pub path: RelPath,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckMandates {
    pub files: List<SnapshotFile, 1, 1000>,
}

/// A rule broken at a place: never the matched text (it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Violation {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    /// 1-based; none for a path rule.
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MandateReport {
    /// No blocking violation.
    pub passed: bool,
    pub blocking: u32,
    pub warnings: u32,
    pub violations: Vec<Violation>,
    pub mandates_version: u64,
}

/// A line a lane added, as its harness reports it with `completed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddedLine {
    /// 1-based, in the new file.
    pub line: u32,
    pub text: String,
}

/// A file a lane changed and the lines it added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangedFile {
    pub path: RelPath,
    #[serde(default)]
    pub added: List<AddedLine, 0, 10_000>,
}
