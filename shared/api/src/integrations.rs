//! Integration wire types (issue 12): forge connections and their inbound
//! webhooks, CI results on lanes and their verification, outbound webhooks
//! (Standard Webhooks) with their delivery log, and the public changelog.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{ChangelogId, ConnectionId, DeliveryId, EndpointId, LaneId, MessageId};
use crate::valid::{
    Description, EventFilter, Glob, HttpUrl, List, Message, Name, Ranged, Repository, WebhookSecret, Word,
};

// ---------------------------------------------------------------- forges

/// A code forge whose webhooks the workspace receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Forge {
    Github,
    Gitlab,
}

impl Forge {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Github, Self::Gitlab].into_iter().find(|f| f.as_str() == s)
    }
}

/// Where a pull (merge) request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PullRequestState {
    Open,
    Merged,
    Closed,
}

impl PullRequestState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Merged => "merged",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Merged, Self::Closed].into_iter().find(|p| p.as_str() == s)
    }
}

/// The pull (merge) request a lane's work is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PullRequestRef {
    pub number: u64,
    pub url: Option<String>,
    pub state: PullRequestState,
}

/// `forge-connection-create`: connect a forge; its webhooks then reach the workspace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConnection {
    pub provider: Forge,
    /// The handle a comment mentions (`@handle`, without the `@`) to dispatch a lane; none: comments are ignored.
    #[serde(default)]
    pub bot_handle: Option<Word>,
    /// Harness kind for lanes dispatched from a comment.
    #[serde(default)]
    pub dispatch_harness_kind: Option<Word>,
    /// Scope claim for lanes dispatched from a comment (default `["**"]`).
    #[serde(default)]
    pub dispatch_claim: Option<List<Glob, 1, 50>>,
    /// On a failed check, interrupt the lane with the failing job's summary.
    #[serde(default)]
    pub ci_follow_up: bool,
    /// Publish a changelog entry when a lane's pull request merges.
    #[serde(default)]
    pub auto_changelog: bool,
    /// Checks `verify-lane` requires by name; empty: every check reported for the lane.
    #[serde(default)]
    pub required_checks: List<Name, 0, 50>,
    /// Your own webhook secret (16–200 printable characters); one is generated when absent.
    #[serde(default)]
    pub secret: Option<WebhookSecret>,
}

/// `forge-connection-rotate`: a new secret; the old one keeps working for the overlap.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateConnection {
    pub connection_id: ConnectionId,
    /// How long the previous secret is still accepted, in seconds (default one day, at most a week).
    #[serde(default)]
    pub overlap_seconds: Option<Ranged<0, 604_800>>,
    #[serde(default)]
    pub secret: Option<WebhookSecret>,
}

/// A forge connection (its secret is shown only when made or rotated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    pub id: ConnectionId,
    pub provider: Forge,
    /// Where the forge sends its webhooks (a path on this deployment).
    pub webhook_path: String,
    pub bot_handle: Option<String>,
    pub dispatch_harness_kind: String,
    pub dispatch_claim: Vec<String>,
    pub ci_follow_up: bool,
    pub auto_changelog: bool,
    pub required_checks: Vec<String>,
    /// Until when the secret before the last rotation is still accepted.
    pub previous_secret_valid_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A connection with its new secret; `secret` is the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionWithSecret {
    #[serde(flatten)]
    pub connection: Connection,
    pub secret: String,
}

/// `forge-connection-list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionList {
    pub data: Vec<Connection>,
}

/// The body of `github-webhook` / `gitlab-webhook`: the forge's event
/// payload, as it sends it (JSON; the connection comes in `?connection=`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ForgePayload(pub serde_json::Map<String, serde_json::Value>);

/// What became of a forge delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForgeDeliveryState {
    /// Stored; `forge-event-tick` processes it.
    Queued,
    /// Processed: what it did is in `outcome`.
    Processed,
    /// An event (or action) Switchyard does not act on; acknowledged and kept.
    Ignored,
    /// Processing failed every time it was tried; `outcome` says why.
    Failed,
}

impl ForgeDeliveryState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Processed => "processed",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Processed, Self::Ignored, Self::Failed].into_iter().find(|p| p.as_str() == s)
    }
}

/// The answer to a forge: accepted (202), or already seen (`duplicate`, 200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ForgeDeliveryAccepted {
    pub delivery_id: String,
    pub event: String,
    pub duplicate: bool,
    pub state: ForgeDeliveryState,
    pub outcome: Option<String>,
}

/// What a `forge-event-tick` pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ForgeTickReport {
    pub processed: u32,
    pub failed: u32,
}

// ---------------------------------------------------------------- CI

/// A CI job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CiStatus {
    Queued,
    Running,
    Success,
    Failure,
    Cancelled,
    Skipped,
}

impl CiStatus {
    pub const ALL: [CiStatus; 6] =
        [Self::Queued, Self::Running, Self::Success, Self::Failure, Self::Cancelled, Self::Skipped];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a check result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckSource {
    Github,
    Gitlab,
    /// `ci-event-ingest`.
    Ci,
}

impl CheckSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Ci => "ci",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Github, Self::Gitlab, Self::Ci].into_iter().find(|c| c.as_str() == s)
    }
}

/// The latest result of one named check (job) on a lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LaneCheck {
    pub name: String,
    pub status: CiStatus,
    pub url: Option<String>,
    /// The failing job's summary or log excerpt.
    pub summary: Option<String>,
    pub source: CheckSource,
    pub updated_at: String,
}

/// `ci-event-ingest`: one CI job's status for a lane, named by `run_id` or by
/// `repository` and `branch`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestCiEvent {
    #[serde(default)]
    pub run_id: Option<LaneId>,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub branch: Option<Name>,
    /// The job (check) name.
    pub job: Name,
    pub status: CiStatus,
    #[serde(default)]
    pub url: Option<HttpUrl>,
    /// The end of the job's log (kept to its last 4 000 characters).
    #[serde(default)]
    pub log_excerpt: Option<Message>,
    /// Interrupt the lane with the failure (default: its forge connection's `ci_follow_up`, else no).
    #[serde(default)]
    pub follow_up: Option<bool>,
}

/// What `ci-event-ingest` recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CiEventRecorded {
    pub run_id: LaneId,
    pub check: LaneCheck,
    /// The interrupt sent to the lane's agent about the failure, if any.
    pub follow_up_interrupt_id: Option<u64>,
}

/// `verify-lane`: decide whether a lane's result is verified.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyLane {
    pub run_id: LaneId,
    /// Checks that must be green; absent: its connection's `required_checks`, else every reported check.
    #[serde(default)]
    pub required_checks: Option<List<Name, 0, 50>>,
}

/// A lane's verification: verified when every required check succeeded (and there is at least one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LaneVerification {
    pub run_id: LaneId,
    pub verified: bool,
    pub required: Vec<String>,
    /// Required checks never reported.
    pub missing: Vec<String>,
    /// Required checks that did not succeed (failed, cancelled, skipped).
    pub failing: Vec<String>,
    /// Required checks still queued or running.
    pub pending: Vec<String>,
    pub checks: Vec<LaneCheck>,
    pub verified_at: String,
}

// ---------------------------------------------------------------- outbound webhooks

impl EventFilter {
    /// Whether `event_type` is one this filter names.
    pub fn matches(&self, event_type: &str) -> bool {
        match self.as_str().strip_suffix('*') {
            Some(prefix) => event_type.starts_with(prefix),
            None => self.as_str() == event_type,
        }
    }
}

/// `webhook-endpoint-create`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    /// Where events are POSTed. Loopback, link-local, private and unique-local addresses are refused.
    pub url: HttpUrl,
    /// What it receives (empty: every event).
    #[serde(default)]
    pub event_types: List<EventFilter, 0, 50>,
    #[serde(default)]
    pub description: Option<Name>,
}

/// `webhook-endpoint-update`: change what is given; `enabled: true` re-enables a disabled endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    pub endpoint_id: EndpointId,
    #[serde(default)]
    pub url: Option<HttpUrl>,
    #[serde(default)]
    pub event_types: Option<List<EventFilter, 0, 50>>,
    #[serde(default)]
    pub description: Option<Name>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `webhook-endpoint-delete`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteEndpoint {
    pub endpoint_id: EndpointId,
}

/// An endpoint's answer to `webhook-endpoint-delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointDeleted {
    pub id: EndpointId,
    /// Deliveries still pending that were dropped with it.
    pub dropped_deliveries: u32,
}

/// Whether an endpoint receives events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointState {
    Active,
    /// Disabled by a member, or automatically after failing for too long (`disabled_reason`).
    Disabled,
}

impl EndpointState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Disabled].into_iter().find(|p| p.as_str() == s)
    }
}

/// A registered webhook endpoint (its secret is shown only when made).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookEndpoint {
    pub id: EndpointId,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub state: EndpointState,
    pub disabled_reason: Option<String>,
    /// Since when every attempt to it failed (none while it answers).
    pub failing_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A new endpoint with its signing secret (`whsec_…`); `secret` is the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// `webhook-endpoint-list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointList {
    pub data: Vec<WebhookEndpoint>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// An attempt is under way.
    Delivering,
    Succeeded,
    /// Every attempt failed (dead letter); `webhook-redeliver` tries again.
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [Self::Pending, Self::Delivering, Self::Succeeded, Self::Dead];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivering => "delivering",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryAttempt {
    pub attempt: u32,
    pub at: String,
    /// The receiver's HTTP status; none when no answer came.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The start of the receiver's answer (at most 1 000 characters).
    pub response_excerpt: Option<String>,
    /// Why there was no answer (timeout, refused address, …).
    pub error: Option<String>,
}

/// One message's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookDelivery {
    pub id: DeliveryId,
    /// The `webhook-id` header: the same for every attempt and redelivery of the message.
    pub message_id: MessageId,
    pub endpoint_id: EndpointId,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// `webhook-delivery-list`: the delivery log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveries {
    #[serde(default)]
    pub endpoint_id: Option<EndpointId>,
    #[serde(default)]
    pub state: Option<DeliveryState>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 200>>,
}

/// `webhook-redeliver`: send a delivery's message to its endpoint again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeliver {
    pub delivery_id: DeliveryId,
}

/// `webhook-enqueue`: send an event of your own (`custom.…`) or a test ping (`webhook.test`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnqueueWebhook {
    pub event_type: EventFilter,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The message queued and how many endpoints will receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookEnqueued {
    pub message_id: MessageId,
    pub event_type: String,
    pub deliveries: u32,
}

/// What an `outbound-webhook-tick` pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookTickReport {
    pub delivered: u32,
    /// Failed attempts that will be retried.
    pub retrying: u32,
    /// Deliveries that used their last attempt.
    pub dead: u32,
    /// Endpoints disabled for failing too long.
    pub disabled: u32,
}

// ---------------------------------------------------------------- changelog

/// `changelog-publish`: a changelog entry from a merged pull request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishChangelog {
    pub repository: Repository,
    pub pr_number: Ranged<1, 1_000_000_000>,
    pub title: Description,
    /// The PR's body; its first paragraph (or a `## Changelog` section) becomes the summary.
    #[serde(default)]
    pub body: Option<Message>,
    /// Labels decide the category (`breaking`, `feature`/`enhancement`, `fix`/`bug`, `security`, …).
    #[serde(default)]
    pub labels: List<Name, 0, 50>,
    #[serde(default)]
    pub author: Option<Name>,
    #[serde(default)]
    pub merge_commit: Option<Word>,
    #[serde(default)]
    pub url: Option<HttpUrl>,
}

/// A published changelog entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChangelogEntry {
    pub id: ChangelogId,
    pub repository: String,
    pub pr_number: u64,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub labels: Vec<String>,
    pub author: Option<String>,
    pub merge_commit: Option<String>,
    pub url: Option<String>,
    pub published_by: String,
    pub published_at: String,
}

/// `changelog`: a workspace's public changelog.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangelogQuery {
    /// The workspace handle.
    pub workspace: crate::valid::Handle,
    /// `json` (default) or `atom`.
    #[serde(default)]
    pub format: Option<ChangelogFormat>,
    #[serde(default)]
    pub limit: Option<Ranged<1, 200>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangelogFormat {
    Json,
    Atom,
}

/// The JSON rendering of a changelog, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Changelog {
    pub workspace: String,
    pub entries: Vec<ChangelogEntry>,
}
