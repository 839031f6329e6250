//! Governance wire types (issue 11): workspace policy rules — what each one
//! governs, what it matches and what it does — and the verdict an action meets.
//! Evaluation lives in `switchyard_domain::policy`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::valid::{Description, Glob, List, Name, ToolName, Word};

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
