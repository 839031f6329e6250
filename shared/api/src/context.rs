//! The context engine (issue 14): what an agent should know before it
//! starts, as entries in five dimensions (product, system, style, policy,
//! memory) with their source, evidence and a confidence that decays unless
//! reconfirmed; `bmad-query` ranks them for a question and a set of paths.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{ContextId, LaneId, ProjectId};
use crate::valid::{Brief, Description, Glob, List, Message, Ranged, RelPath, Word};

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// What the product is and does, for whom.
    Product,
    /// How it is built: languages, frameworks, modules, how to build and test.
    System,
    /// House style: formatting, linting, naming, conventions.
    Style,
    /// Rules to follow: owners, review, security, contribution.
    Policy,
    /// What lanes learned.
    Memory,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [Self::Product, Self::System, Self::Style, Self::Policy, Self::Memory];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::System => "system",
            Self::Style => "style",
            Self::Policy => "policy",
            Self::Memory => "memory",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Whether an entry is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContextStatus {
    Active,
    /// Its confidence decayed below the floor: not served until reconfirmed.
    Stale,
    /// Withdrawn (by a person, or a re-extraction that no longer finds it).
    Retired,
}

impl ContextStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Stale => "stale",
            Self::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Stale, Self::Retired].into_iter().find(|d| d.as_str() == s)
    }
}

/// `context-entry-create`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContextEntry {
    pub dimension: Dimension,
    pub title: Description,
    pub body: Brief,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// The paths it is about (globs): a query for a path they cover ranks it higher.
    #[serde(default)]
    pub paths: List<Glob, 0, 50>,
    /// The file it was learned from, and at which commit.
    #[serde(default)]
    pub source_path: Option<RelPath>,
    #[serde(default)]
    pub source_commit: Option<Word>,
    /// The lane it was learned in.
    #[serde(default)]
    pub run_id: Option<LaneId>,
    /// Why it is believed (a quote, a link, a reason).
    #[serde(default)]
    pub evidence: Option<Message>,
    /// 0–1 (default 0.8).
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// `context-entry-update`: change what is given; `confirm` resets its decay; `retire` withdraws it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContextEntry {
    pub entry_id: ContextId,
    #[serde(default)]
    pub title: Option<Description>,
    #[serde(default)]
    pub body: Option<Brief>,
    #[serde(default)]
    pub paths: Option<List<Glob, 0, 50>>,
    #[serde(default)]
    pub source_commit: Option<Word>,
    #[serde(default)]
    pub evidence: Option<Message>,
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Still true: confidence back to its base, decay starts again (and a stale entry is served again).
    #[serde(default)]
    pub confirm: bool,
    /// No longer true: never served again.
    #[serde(default)]
    pub retire: bool,
}

/// `context-entry-list`: newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListContext {
    #[serde(default)]
    pub dimension: Option<Dimension>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    #[serde(default)]
    pub status: Option<ContextStatus>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 200>>,
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContextSource {
    pub path: Option<String>,
    pub commit: Option<String>,
    pub run_id: Option<LaneId>,
    /// Who recorded it.
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContextEntry {
    pub id: ContextId,
    pub dimension: Dimension,
    pub title: String,
    pub body: String,
    pub project_id: Option<ProjectId>,
    pub paths: Vec<String>,
    pub source: ContextSource,
    pub evidence: Option<String>,
    /// Now (decayed since it was last confirmed), 0–1.
    pub confidence: f64,
    /// When last confirmed (or created).
    pub base_confidence: f64,
    pub status: ContextStatus,
    pub last_confirmed_at: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `bmad-query`: the entries an agent should read for a question and/or paths.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryContext {
    /// What the agent is about to do (full-text ranked).
    #[serde(default)]
    pub question: Option<Message>,
    /// The files it will touch (entries about them rank higher).
    #[serde(default)]
    pub paths: List<RelPath, 0, 100>,
    /// Only these dimensions (default all five).
    #[serde(default)]
    pub dimensions: Option<List<Dimension, 1, 5>>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// The answer's size in tokens (about 4 characters each; default 2 000).
    #[serde(default)]
    pub token_budget: Option<Ranged<10, 100_000>>,
}

/// One entry as ranked for a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankedEntry {
    pub entry: ContextEntry,
    /// The blend that ranks it: 0.5 × text + 0.3 × path + 0.2 × confidence, or with a model
    /// 0.35 × text + 0.25 × semantic + 0.25 × path + 0.15 × confidence.
    pub score: f64,
    /// Full-text relevance (BM25, scaled to 0–1).
    pub text: f64,
    /// Path proximity (1 when a glob covers a queried path; less for a shared directory).
    pub path: f64,
    /// Closeness in meaning (cosine of the embeddings, 0–1) when a model is configured.
    #[serde(default)]
    pub semantic: Option<f64>,
    /// Why it matched, one line each.
    pub why: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DimensionAnswer {
    pub dimension: Dimension,
    pub entries: Vec<RankedEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContextAnswer {
    /// Every served entry that matched, best first, within the budget.
    pub ranked: Vec<RankedEntry>,
    /// The same entries per dimension (only dimensions with entries).
    pub dimensions: Vec<DimensionAnswer>,
    pub token_budget: u64,
    pub tokens_used: u64,
    /// Entries that matched but did not fit the budget.
    pub left_out: u64,
    /// Whether a language model's embeddings were blended in (see docs/CONTEXT.md).
    #[serde(default)]
    pub semantic: bool,
}

/// What `bmad-confidence-decay-tick` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DecayReport {
    /// Entries whose confidence was brought up to date.
    pub decayed: u64,
    /// Entries that fell below the floor and are no longer served.
    pub stale: u64,
}

// ---------------------------------------------------------------- memory

/// `ai-memory-embed`: what a lane (or a person) learned, as a `memory` entry.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbedMemory {
    pub title: Description,
    pub body: Brief,
    /// The lane it was learned in: recall shows how that lane ended.
    #[serde(default)]
    pub run_id: Option<LaneId>,
    /// The paths it is about (globs).
    #[serde(default)]
    pub paths: List<Glob, 0, 50>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// 0–1 (default 0.8).
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// `ai-memory-recall`: the memories relevant to a brief.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecallMemory {
    /// What the next lane is asked to do.
    pub brief: Brief,
    #[serde(default)]
    pub paths: List<RelPath, 0, 100>,
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// At most this many (default 5).
    #[serde(default)]
    pub limit: Option<Ranged<1, 50>>,
}

/// A memory as recalled, with how the lane it came from ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecalledMemory {
    #[serde(flatten)]
    pub ranked: RankedEntry,
    /// The state of the lane it was learned in (`merged`, `failed`, …), if any.
    pub lane_state: Option<crate::lanes::LaneState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemoryRecall {
    pub data: Vec<RecalledMemory>,
}

// ---------------------------------------------------------------- extraction

/// What an extraction job looks for in a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractJob {
    /// Everything (`bmad-extract-from-repo`): product, system, style and policy entries.
    Context,
    /// The repository map only (`repo-map-extract`): languages, frameworks and modules (`system`).
    Map,
}

impl ExtractJob {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Context => "context",
            Self::Map => "map",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Context, Self::Map].into_iter().find(|j| j.as_str() == s)
    }
}

/// `bmad-extract-from-repo` / `repo-map-extract`: a harness that has the
/// repository reads it and sends what it finds as context entries.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractFromRepo {
    /// The repository (a name the harness resolves locally, as for `agent-run`).
    pub repository: crate::valid::Repository,
    /// The entries' project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Which kind of harness runs the job (default `script`: no agent CLI is needed).
    #[serde(default)]
    pub harness_kind: Option<Word>,
    /// Only a harness holding every one of these labels may run it.
    #[serde(default)]
    pub labels: List<Word, 0, 20>,
}

/// The extraction job: a lane that edits nothing and holds no claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExtractionStarted {
    pub run_id: LaneId,
    pub job: ExtractJob,
    pub repository: String,
    pub project_id: Option<ProjectId>,
    pub state: crate::lanes::LaneState,
}

/// One entry an extraction found, keyed so a later run can confirm, update or retire it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FoundEntry {
    /// Stable across runs for the same fact, e.g. `style:rustfmt` or `module:src/billing`.
    pub key: crate::valid::Name,
    pub dimension: Dimension,
    pub title: Description,
    pub body: Brief,
    #[serde(default)]
    pub paths: List<Glob, 0, 50>,
    /// The file it was read from.
    pub source_path: RelPath,
    #[serde(default)]
    pub evidence: Option<Message>,
    /// 0–1 (default 0.8).
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// What one extraction did to the workspace's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExtractionCounts {
    pub created: u64,
    /// Found again unchanged: confirmed (decay starts again).
    pub confirmed: u64,
    /// Found again with a different text: updated and confirmed.
    pub updated: u64,
    /// Found before, not any more: retired.
    pub retired: u64,
}

/// An entry handed to a lane with its brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BriefEntry {
    pub entry_id: ContextId,
    pub dimension: Dimension,
    pub title: String,
    pub body: String,
    pub confidence: f64,
    /// How it ranked for the lane's brief and claim.
    pub score: f64,
    pub source_path: Option<String>,
    pub source_commit: Option<String>,
}
