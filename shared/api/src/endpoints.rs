//! The endpoint table: every function's contract, written once.
//!
//! Each function takes its [`Endpoint`] from here (`endpoints::LANE_GET`), the
//! catalog (`docs/api.md`) and the OpenAPI document (`docs/openapi.json`,
//! `GET /openapi.json`) are rendered from [`OPERATIONS`], and a test checks
//! `spin.toml` against [`ALL`]. A component references only its own constant,
//! so the schema code behind [`OPERATIONS`] never reaches a `.wasm`.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::{
    ActionAnswer, Approval, BadgeQuery, BootstrapWorkspace, BootstrappedWorkspace, BudgetGranted, CeilingTickReport,
    Changelog, ChangelogEntry, ChangelogQuery, CheckMandates, CiEventRecorded, ClaimIssue, ClaimedIssue, CommentIssue,
    CompareSnapshots, ConnectionList, ConnectionWithSecret, ContextAnswer, ContextEntry, CostSummary, CostSummaryQuery,
    CreateConnection, CreateContextEntry, CreateEndpoint, CreateGoal, CreateIssue, CreateProject, CreateSignalSource,
    CreateTemplate, DashboardQuery, DashboardSummary, DecayReport, DecideApproval, DeleteEndpoint, DiffTimeline,
    DispatchTickReport, Dispatched, EmbedMemory, EndpointDeleted, EndpointList, EndpointWithSecret, EnqueueWebhook,
    EventPage, ExportAudit, ExportDocument, ExportLogRange, ExtractFromRepo, ExtractionStarted, FirstRun,
    FirstRunDispatched, FixDispatched, Forge, ForgeDeliveryAccepted, ForgePayload, ForgeTickReport, GetInboxItem,
    GetIssue, GetLane, GetPolicy, GetSprint, GetTemplate, Goal, GoalList, GrantBudget, HarnessAction, HarnessEvents,
    HarnessEventsAccepted, HarnessRevoked, Health, Heartbeat, HeartbeatAnswer, InboxItem, InboxResolved, IngestCiEvent,
    IngestSignal, InterruptLane, InterruptQueued, InviteMember, InvokeTool, Issue, IssueComment, IssueDetail,
    IssueToken, IssuedToken, Jwks, Lane, LaneAction, LaneDecision, LaneDetail, LaneEventsQuery, LaneInsightQuery,
    LaneSummary, LaneVerification, ListApprovals, ListContext, ListDeliveries, ListGoals, ListInbox, ListIssues,
    ListLanes, ListSprints, ListTokens, ListTools, MaintenanceReport, MandateReport, Mandates, MemberList,
    MemberPermission, MemberRemoved, MemberView, MemoryRecall, NoInput, ObservabilityQuery, ObservabilitySnapshot,
    Page, PipelineTickReport, PlanSprint, Policy, PolicyTested, PosthogPayload, PreviewQueue, Project, ProjectList,
    PromoteTemplate, Proof, ProofQuery, ProvidersForEmail, ProvidersForEmailResult, PublishChangelog, PublishedHead,
    QueryContext, QueuePreview, RateFamily, RecallMemory, Redeliver, RegisterHarness, RegisterTool, RegisteredHarness,
    RelateIssues, RemoveMember, ResolveInboxItem, RestoreSnapshot, RestoredLane, ResumeLane, ReviewTemplate,
    RevokeHarness, RevokeToken, RevokedToken, RotateConnection, RunAgent, Scope, SentryPayload, SignalIgnored,
    SignalIngested, SignalProvider, SignalSource, SnapshotComparison, Sprint, SprintEventPage, SprintEventsQuery,
    SprintSummary, SsoConfigUpdated, SsoDomainVerified, StatusSnapshot, Template, TestPolicy, TokenSummary, Tool,
    ToolCall, TraceToFix, TransitionSprint, UpdateBudget, UpdateContextEntry, UpdateEndpoint, UpdateGoal, UpdateIssue,
    UpdateMandates, UpdateMember, UpdatePolicy, UpdateSsoConfig, VerifyAnswer, VerifyLane, VerifyRequest,
    VerifySsoDomain, WebhookDelivery, WebhookEndpoint, WebhookEnqueued, WebhookTickReport, WorkspaceBudget,
};

/// An HTTP method an endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No token; rate-limited per client address.
    Public,
    /// A PAT (`sl_pat_…`) or JWT holding the scope.
    Bearer(Scope),
    /// The deployment's service-role key only.
    ServiceRole,
    /// A harness credential (`sl_hns_…`) from harness-register.
    Harness,
    /// A forge's webhook delivery, signed with its connection's secret
    /// (GitHub's `X-Hub-Signature-256`, GitLab's `X-Gitlab-Token`). The
    /// contract lists these endpoints as `service-role`: the signature is the
    /// service credential a forge can send, as it sends no bearer token.
    ForgeSignature(crate::integrations::Forge),
    /// A signal provider's webhook (Sentry's `Sentry-Hook-Signature`), signed
    /// with its signal source's secret; like the forge webhooks, its kind is
    /// `service-role`.
    SignalSignature(crate::planning::SignalProvider),
}

impl Auth {
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Bearer(_) => "bearer",
            Self::ServiceRole | Self::ForgeSignature(_) | Self::SignalSignature(_) => "service-role",
            Self::Harness => "harness",
        }
    }

    pub const fn scope(self) -> Option<Scope> {
        match self {
            Self::Bearer(scope) => Some(scope),
            _ => None,
        }
    }

    /// The manifest variables a component must be given to authenticate this
    /// way (every component also reads `region`). A bearer component without
    /// `jwt_hs256_secret` would silently refuse HS256 tokens.
    pub const fn variables(self) -> &'static [&'static str] {
        match self {
            Self::Public | Self::Harness | Self::ForgeSignature(_) | Self::SignalSignature(_) => &["region"],
            Self::Bearer(_) => &["region", "jwt_hs256_secret", "jwt_ed25519_public_key", "jwt_issuer", "jwt_audience"],
            Self::ServiceRole => &["region", "service_role_key"],
        }
    }
}

/// One function's contract.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The component name; it is served at `/functions/v1/<name>`.
    pub name: &'static str,
    pub methods: &'static [Verb],
    pub auth: Auth,
    /// The rate-limit family, for callers that are limited (members and public clients).
    pub family: Option<RateFamily>,
    /// A mutation: audited, and replayed for a repeated `Idempotency-Key`.
    pub mutation: bool,
    pub summary: &'static str,
}

impl Endpoint {
    pub fn route(&self) -> String {
        format!("/functions/v1/{}", self.name)
    }
}

/// The media type of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    /// An Atom feed (RFC 4287).
    Atom,
    /// Newline-delimited JSON, one value per line, streamed.
    Ndjson,
    /// Server-Sent Events.
    EventStream,
    Svg,
    /// A page of the web console (served with `charset=utf-8`; its scripts and style sheets are assets of it).
    Html,
    /// No body.
    Empty,
}

impl Media {
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Json | Self::Empty => "application/json",
            Self::Ndjson => "application/x-ndjson",
            Self::EventStream => "text/event-stream",
            Self::Svg => "image/svg+xml",
            Self::Html => "text/html",
            Self::Atom => "application/atom+xml; charset=utf-8",
        }
    }
}

/// Builds (or references) the JSON Schema of a wire type.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One successful answer of an operation.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub status: u16,
    pub media: Media,
    /// The body's schema (for NDJSON: one line's; for SSE: one event's `data`).
    pub schema: Option<SchemaFn>,
    pub description: &'static str,
}

/// An endpoint with its request and response shapes, for the documents.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub endpoint: &'static Endpoint,
    /// The JSON body of a POST; for a GET the same fields come as query parameters.
    pub request: SchemaFn,
    pub responses: &'static [Outcome],
}

macro_rules! schema_fn {
    () => {
        None
    };
    ($ty:ty) => {
        Some(schema_of::<$ty> as SchemaFn)
    };
}

macro_rules! endpoints {
    ($(
        $konst:ident {
            name: $name:literal,
            methods: [$($verb:ident),+],
            auth: $auth:expr,
            rate: $rate:expr,
            mutation: $mutation:literal,
            summary: $summary:literal,
            request: $req:ty,
            responses: [$($status:literal $media:ident $(($resp:ty))? : $desc:literal),+ $(,)?] $(,)?
        }
    )*) => {
        $(
            #[doc = $summary]
            pub const $konst: Endpoint = Endpoint {
                name: $name,
                methods: &[$(Verb::$verb),+],
                auth: $auth,
                family: $rate,
                mutation: $mutation,
                summary: $summary,
            };
        )*

        /// Every endpoint, by name.
        pub const ALL: &[Endpoint] = &[$($konst),*];

        /// Every endpoint with its request and response schemas.
        pub const OPERATIONS: &[Operation] = &[$(
            Operation {
                endpoint: &$konst,
                request: schema_of::<$req>,
                responses: &[$(Outcome {
                    status: $status,
                    media: Media::$media,
                    schema: schema_fn!($($resp)?),
                    description: $desc,
                }),+],
            }
        ),*];
    };
}

use RateFamily::{Bulk, Read, Write};

endpoints! {
    A2A {
        name: "a2a", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "Lanes as Agent2Agent (A2A 1.0, JSON-RPC) tasks: `SendMessage` dispatches a lane (the text is the brief; metadata names repository, claim, harnessKind) or, to an existing task, answers its question or sends a note; `GetTask`, `ListTasks`, `CancelTask`; `SendStreamingMessage` and `SubscribeToTask` stream the task then its status and artifact updates until it ends or needs input. Each action is checked and audited as its endpoint (agent-run, inbox-resolve, agent-interrupt, agent-cancel). The agent card is at /.well-known/agent-card.json.",
        request: crate::mcp::A2aMessage,
        responses: [
            200 Json(serde_json::Value): "A JSON-RPC response (errors too: -32001 task not found, -32002 not cancelable, -32004 terminal task, -32602 invalid params naming the field).",
            200 EventStream(serde_json::Value): "For `SendStreamingMessage` / `SubscribeToTask`: each `data:` is a JSON-RPC response whose result is `task`, `statusUpdate` or `artifactUpdate`; the stream closes when the task ends or needs input (or after 10 minutes: subscribe again).",
        ],
    }
    A2A_AGENT_CARD {
        name: "a2a-agent-card", methods: [Get], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "The A2A agent card (also at /.well-known/agent-card.json): the JSON-RPC interface at /functions/v1/a2a, bearer auth, streaming, and the lane skill.",
        request: NoInput,
        responses: [200 Json(serde_json::Value): "The agent card."],
    }
    AGENT_CANCEL {
        name: "agent-cancel", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Stop a lane in any active state and roll back its scope claim; its harness is told to stop.",
        request: LaneAction,
        responses: [200 Json(Lane): "The cancelled lane."],
    }
    AGENT_INTERRUPT {
        name: "agent-interrupt", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Send an out-of-band signal (notes, redirection) into an active agent; delivered to its harness once, in order.",
        request: InterruptLane,
        responses: [201 Json(InterruptQueued): "The interrupt, queued for the lane's harness."],
    }
    AGENT_PAUSE {
        name: "agent-pause", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Pause a running lane while preserving its scope claim and tool log.",
        request: LaneAction,
        responses: [200 Json(Lane): "The paused lane."],
    }
    AGENT_RESUME {
        name: "agent-resume", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Resume a paused lane, optionally raising its budget (a lane paused for `budget_exhausted` needs that).",
        request: ResumeLane,
        responses: [200 Json(Lane): "The resumed lane."],
    }
    AGENT_RUN {
        name: "agent-run", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Dispatch a new agent lane: pick a harness kind, hand it a brief and a scope claim, return a run id.",
        request: RunAgent,
        responses: [201 Json(Lane): "The queued lane, or the lane `awaiting_approval` when a policy rule requires approval to start it."],
    }
    AGENT_TOOL_INVOKE {
        name: "agent-tool-invoke", methods: [Post], auth: Auth::Bearer(Scope::ToolsInvoke), rate: Some(Write), mutation: true,
        summary: "Invoke a registered MCP tool for a running lane; the call is validated against the tool's schema and kept in the lane's tool log.",
        request: InvokeTool,
        responses: [200 Json(ToolCall): "The recorded call, with the tool's output or error."],
    }
    AI_MEMORY_EMBED {
        name: "ai-memory-embed", methods: [Post], auth: Auth::Bearer(Scope::ContextWrite), rate: Some(Write), mutation: true,
        summary: "Store what a lane (or a person) learned as a memory entry of the context engine, linked to the lane so recall can show how it ended.",
        request: EmbedMemory,
        responses: [201 Json(ContextEntry): "The memory entry."],
    }
    AI_MEMORY_RECALL {
        name: "ai-memory-recall", methods: [Post], auth: Auth::Bearer(Scope::ContextRead), rate: Some(Read), mutation: false,
        summary: "The memories relevant to a brief (and the paths it will touch), ranked like bmad-query, each with how the lane it came from ended.",
        request: RecallMemory,
        responses: [200 Json(MemoryRecall): "The memories, best first."],
    }
    API_TOKEN_ISSUE {
        name: "api-token-issue", methods: [Post], auth: Auth::Bearer(Scope::TokensWrite), rate: Some(Write), mutation: true,
        summary: "Mint a scoped API token for SSO / SCIM / webhook integrations.",
        request: IssueToken,
        responses: [201 Json(IssuedToken): "The token; `token` is the only time its secret is shown."],
    }
    API_TOKEN_LIST {
        name: "api-token-list", methods: [Get, Post], auth: Auth::Bearer(Scope::TokensWrite), rate: Some(Read), mutation: false,
        summary: "List the workspace's API tokens, newest first: name, scopes, state (active, expired, revoked), who minted it, when it was last used. Never a secret.",
        request: ListTokens,
        responses: [200 Json(Page<TokenSummary>): "A page of tokens; pass `next_cursor` as `cursor` for the next."],
    }
    API_TOKEN_REVOKE {
        name: "api-token-revoke", methods: [Post], auth: Auth::Bearer(Scope::TokensWrite), rate: Some(Write), mutation: true,
        summary: "Revoke a previously issued API token; it stops working on the very next request.",
        request: RevokeToken,
        responses: [200 Json(RevokedToken): "The revoked token."],
    }
    APPROVAL_LIST {
        name: "approval-list", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "List the workspace's requests for approval, newest first, filtered by state or lane.",
        request: ListApprovals,
        responses: [200 Json(Page<Approval>): "A page of requests; pass `next_cursor` as `cursor` for the next."],
    }
    AUDIT_EXPORT {
        name: "audit-export", methods: [Get, Post], auth: Auth::Bearer(Scope::AuditExport), rate: Some(Bulk), mutation: false,
        summary: "Export a workspace audit log range (signed JSON or NDJSON); NDJSON streams with flat memory.",
        request: ExportAudit,
        responses: [
            200 Ndjson(crate::ExportLine): "`format=ndjson` (the default): a header line, one line per entry, a signed trailer.",
            200 Json(ExportDocument): "`format=json`: the same header, entries and trailer in one document.",
        ],
    }
    AUDIT_LOG_EXPORT {
        name: "audit-log-export", methods: [Get, Post], auth: Auth::Bearer(Scope::AuditRead), rate: Some(Read), mutation: false,
        summary: "Stream the audit log for a date range as signed NDJSON (the same format audit-export writes).",
        request: ExportLogRange,
        responses: [200 Ndjson(crate::ExportLine): "A header line, one line per entry, a signed trailer."],
    }
    AUDIT_PROOF {
        name: "audit-proof", methods: [Get, Post], auth: Auth::Bearer(Scope::AuditRead), rate: Some(Read), mutation: false,
        summary: "Inclusion proof of an audit entry, or consistency proof between two sizes, for the workspace's Merkle tree.",
        request: ProofQuery,
        responses: [200 Json(Proof): "The proof, with the tree size and root it holds for."],
    }
    AUTH_PROVIDERS_FOR_EMAIL {
        name: "auth-providers-for-email", methods: [Post], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "List the SSO / OAuth providers configured for an email domain (used by SSO bootstrap).",
        request: ProvidersForEmail,
        responses: [200 Json(ProvidersForEmailResult): "The providers of the email's domain (possibly none)."],
    }
    BADGE {
        name: "badge", methods: [Get, Post], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "Render a public badge (status, build, coverage) for a workspace as SVG.",
        request: BadgeQuery,
        responses: [200 Svg: "The badge; an unknown workspace gets an `unknown` badge."],
    }
    BMAD_CONFIDENCE_DECAY_TICK {
        name: "bmad-confidence-decay-tick", methods: [Post], auth: Auth::Bearer(Scope::ContextWrite), rate: Some(Write), mutation: true,
        summary: "Bring the workspace's context confidences up to date: each entry halves every 90 days since it was last confirmed; one below 0.2 goes stale and is no longer served. Also runs on a cron schedule for every workspace.",
        request: NoInput,
        responses: [200 Json(DecayReport): "How many entries decayed, and how many went stale."],
    }
    BMAD_EXTRACT_FROM_REPO {
        name: "bmad-extract-from-repo", methods: [Post], auth: Auth::Bearer(Scope::ContextWrite), rate: Some(Write), mutation: true,
        summary: "Bootstrap the Context Engine from a connected repo: an extraction job (a lane that edits nothing and holds no claim) that a harness with the repository runs without an agent, sending product, system, style and policy entries with their file and commit as evidence; a later run confirms, updates or retires them.",
        request: ExtractFromRepo,
        responses: [201 Json(ExtractionStarted): "The extraction job's lane (queued, or awaiting approval when a policy rule requires it)."],
    }
    BMAD_QUERY {
        name: "bmad-query", methods: [Post], auth: Auth::Bearer(Scope::ContextRead), rate: Some(Read), mutation: false,
        summary: "Query the Context Engine (BMAD): five-dimension product / system / style / policy / memory. Served entries ranked for a question (full-text BM25) and paths (proximity), blended with confidence, each with why it matched, within a token budget.",
        request: QueryContext,
        responses: [200 Json(ContextAnswer): "The entries, best first and per dimension."],
    }
    BUDGET_GET {
        name: "budget-get", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's daily token and cost ceilings, and today's (UTC) use, grants and remainder.",
        request: NoInput,
        responses: [200 Json(WorkspaceBudget): "The ceilings and where today stands."],
    }
    BUDGET_GRANT {
        name: "budget-grant", methods: [Post], auth: Auth::Bearer(Scope::BudgetsWrite), rate: Some(Write), mutation: true,
        summary: "Grant more for today (\"grant more\"): lanes the daily ceiling paused run again while budget remains.",
        request: GrantBudget,
        responses: [200 Json(BudgetGranted): "Today's budget after the grant, and the lanes it resumed."],
    }
    BUDGET_UPDATE {
        name: "budget-update", methods: [Post], auth: Auth::Bearer(Scope::BudgetsWrite), rate: Some(Write), mutation: true,
        summary: "Set (or, with null, remove) the workspace's daily token and cost ceilings; over a ceiling, new lanes are refused and running ones paused.",
        request: UpdateBudget,
        responses: [200 Json(WorkspaceBudget): "The ceilings and where today stands."],
    }
    CHANGELOG {
        name: "changelog", methods: [Get], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "A workspace's public changelog, newest first: JSON, or an Atom feed for feed readers (`format=atom`).",
        request: ChangelogQuery,
        responses: [200 Json(Changelog): "The entries (none for an unknown workspace).", 200 Atom: "With `format=atom`: the same entries as an Atom feed."],
    }
    CHANGELOG_PUBLISH {
        name: "changelog-publish", methods: [Post], auth: Auth::Bearer(Scope::ChangelogWrite), rate: Some(Write), mutation: true,
        summary: "Publish a public changelog entry from a merged PR.",
        request: PublishChangelog,
        responses: [201 Json(ChangelogEntry): "The new entry (category from the labels, summary from the body).", 200 Json(ChangelogEntry): "The pull request's entry, rewritten."],
    }
    CI_EVENT_INGEST {
        name: "ci-event-ingest", methods: [Post], auth: Auth::Bearer(Scope::CiWrite), rate: Some(Write), mutation: true,
        summary: "Ingest a CI status event from GitHub / GitLab into a lane.",
        request: IngestCiEvent,
        responses: [200 Json(CiEventRecorded): "The check as recorded on the lane, and the follow-up interrupt a failure sent."],
    }
    CONSOLE {
        name: "console", methods: [Get], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "The web console, also served at /console/: sign in with a token, watch lanes live, steer them, issue tokens, verify an audit export in the browser. Static pages and scripts built into the component; everything it shows comes from this API with the pasted token.",
        request: NoInput,
        responses: [200 Html: "The console's page, or one of its scripts and style sheets (by path under /console/)."],
    }
    CONTEXT_ENTRY_CREATE {
        name: "context-entry-create", methods: [Post], auth: Auth::Bearer(Scope::ContextWrite), rate: Some(Write), mutation: true,
        summary: "Record a context entry (product, system, style, policy or memory) with its source, evidence, the paths it is about and a confidence.",
        request: CreateContextEntry,
        responses: [201 Json(ContextEntry): "The entry, served at once."],
    }
    CONTEXT_ENTRY_LIST {
        name: "context-entry-list", methods: [Get, Post], auth: Auth::Bearer(Scope::ContextRead), rate: Some(Read), mutation: false,
        summary: "The workspace's context entries, newest first, filtered by dimension, project or status.",
        request: ListContext,
        responses: [200 Json(Page<ContextEntry>): "A page of entries."],
    }
    CONTEXT_ENTRY_UPDATE {
        name: "context-entry-update", methods: [Post], auth: Auth::Bearer(Scope::ContextWrite), rate: Some(Write), mutation: true,
        summary: "Change a context entry; confirm it (its confidence back to its base, served again if stale) or retire it.",
        request: UpdateContextEntry,
        responses: [200 Json(ContextEntry): "The entry."],
    }
    COST_CEILING_TICK {
        name: "cost-ceiling-tick", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: false,
        summary: "Pause the running lanes of workspaces over a daily ceiling (`workspace_budget_exhausted`); resume them when budget remains again (a grant, a new day, a raised ceiling).",
        request: NoInput,
        responses: [200 Json(CeilingTickReport): "What this pass changed."],
    }
    COST_SUMMARY {
        name: "cost-summary", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "Token and cost use by lane, repository, harness kind or UTC day over a range of days, most expensive first.",
        request: CostSummaryQuery,
        responses: [200 Json(CostSummary): "The rows and their totals."],
    }
    DASHBOARD_SUMMARY {
        name: "dashboard-summary", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "The planning dashboard: signals → issues → lanes → merged per UTC day with rates, the queue's depth and age, lane outcomes per harness kind, template health and sprints per state.",
        request: DashboardQuery,
        responses: [200 Json(DashboardSummary): "The aggregates over the last `days` days."],
    }
    DISPATCH_CLAIM {
        name: "dispatch-claim", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: false,
        summary: "Atomically claim the next unblocked issue of the queue, with its prompt hydrated from its template; the claim returns to the queue if no lane takes the issue before its lease ends.",
        request: ClaimIssue,
        responses: [200 Json(ClaimedIssue): "The claimed issue, its score, prompt and template.", 204 Empty: "Nothing to claim."],
    }
    DISPATCH_QUEUE {
        name: "dispatch-queue", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "Preview the priority queue: the issues a claim would take, in order, each with its score (priority + hours waiting + repeats); blocked issues are left out and counted.",
        request: PreviewQueue,
        responses: [200 Json(QueuePreview): "The queue's head, best first."],
    }
    DISPATCH_STATUS_TICK {
        name: "dispatch-status-tick", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: false,
        summary: "Requeue lanes whose harness lease expired (or fail them after their last attempt), pause lanes over budget, and settle overdue approvals and questions.",
        request: NoInput,
        responses: [200 Json(DispatchTickReport): "What this pass changed."],
    }
    FEDERATION_PUBLISH_HEAD {
        name: "federation-publish-head", methods: [Post], auth: Auth::Bearer(Scope::AuditExport), rate: Some(Write), mutation: true,
        summary: "Sign and record the current head (size, Merkle root, time) of the workspace's audit log, with a consistency proof from the previous head.",
        request: NoInput,
        responses: [201 Json(PublishedHead): "The signed head, the previous one and the proof between them."],
    }
    FEDERATION_VERIFY {
        name: "federation-verify", methods: [Post], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "Verify an audit export (NDJSON or JSON) or a signed head with inclusion / consistency proofs; answers valid or the first bad index and why.",
        request: VerifyRequest,
        responses: [200 Json(VerifyAnswer): "Whether everything checked holds, and if not, where and why."],
    }
    FIRST_RUN_DISPATCH {
        name: "first-run-dispatch", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "From nothing to a running lane: a project for the repository (or its existing one), a first-run issue and a lane that maps the repository, under the workspace's policy, budget and claim checks. Once per repository: a second call answers the first run's lane.",
        request: FirstRun,
        responses: [201 Json(FirstRunDispatched): "The project, issue and lane made.", 200 Json(FirstRunDispatched): "The repository's first run, already dispatched (`existing`)."],
    }
    FORGE_CONNECTION_CREATE {
        name: "forge-connection-create", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Connect a GitHub or GitLab forge: its webhook path and secret (shown once), the bot handle comments mention to dispatch a lane, CI follow-ups and automatic changelog entries.",
        request: CreateConnection,
        responses: [201 Json(ConnectionWithSecret): "The connection; `secret` is the only time it is shown."],
    }
    FORGE_CONNECTION_LIST {
        name: "forge-connection-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IntegrationsRead), rate: Some(Read), mutation: false,
        summary: "The workspace's forge connections (without their secrets).",
        request: NoInput,
        responses: [200 Json(ConnectionList): "Every connection, oldest first."],
    }
    FORGE_CONNECTION_ROTATE {
        name: "forge-connection-rotate", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Rotate a forge connection's webhook secret; the previous one is still accepted for the overlap (default one day).",
        request: RotateConnection,
        responses: [200 Json(ConnectionWithSecret): "The connection with its new secret, shown this once."],
    }
    FORGE_EVENT_TICK {
        name: "forge-event-tick", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: false,
        summary: "Process forge deliveries still queued (a webhook answers first, then processes; a delivery whose processing failed is retried here, at most five times).",
        request: NoInput,
        responses: [200 Json(ForgeTickReport): "What this pass processed."],
    }
    GITHUB_WEBHOOK {
        name: "github-webhook", methods: [Post], auth: Auth::ForgeSignature(Forge::Github), rate: None, mutation: false,
        summary: "Receive a GitHub webhook for a forge connection (`?connection=`): verified with `X-Hub-Signature-256`, stored once per `X-GitHub-Delivery`, answered, then processed — pull requests, pushes, check runs / suites, workflow runs and comments that mention the bot.",
        request: ForgePayload,
        responses: [202 Json(ForgeDeliveryAccepted): "Stored and processed (`state`, `outcome`).", 200 Json(ForgeDeliveryAccepted): "A redelivery of a delivery already stored (`duplicate`); nothing is done again."],
    }
    GITLAB_WEBHOOK {
        name: "gitlab-webhook", methods: [Post], auth: Auth::ForgeSignature(Forge::Gitlab), rate: None, mutation: false,
        summary: "Receive a GitLab webhook for a forge connection (`?connection=`): verified with `X-Gitlab-Token`, stored once per `X-Gitlab-Event-UUID`, answered, then processed — merge requests, pushes, pipelines and notes that mention the bot.",
        request: ForgePayload,
        responses: [202 Json(ForgeDeliveryAccepted): "Stored and processed (`state`, `outcome`).", 200 Json(ForgeDeliveryAccepted): "A redelivery of a delivery already stored (`duplicate`); nothing is done again."],
    }
    GOAL_CREATE {
        name: "goal-create", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Set a goal: a metric with a target and a deadline, and a weight (0-3) its issues carry in the queue while it is active.",
        request: CreateGoal,
        responses: [201 Json(Goal): "The goal."],
    }
    GOAL_LIST {
        name: "goal-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's goals, newest first, with progress and their open and done issues.",
        request: ListGoals,
        responses: [200 Json(GoalList): "The goals."],
    }
    GOAL_UPDATE {
        name: "goal-update", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Move a goal's metric, target, deadline or weight, or mark it achieved or abandoned (its issues then lose its weight).",
        request: UpdateGoal,
        responses: [200 Json(Goal): "The goal."],
    }
    HARNESS_ACTION {
        name: "harness-action", methods: [Post], auth: Auth::Harness, rate: None, mutation: false,
        summary: "Ask, before the agent does it, whether an action (commit, push, write, command) may go ahead under the workspace's policy; or read the decision on a request made earlier.",
        request: HarnessAction,
        responses: [
            200 Json(ActionAnswer): "Go ahead (`allow`, `warn`), or the decision on `approval_id`.",
            202 Json(ActionAnswer): "Wait: the lane is `awaiting_approval` until a member decides `approval`; ask again with its `approval_id`.",
        ],
    }
    HARNESS_DISPATCH {
        name: "harness-dispatch", methods: [Post], auth: Auth::Harness, rate: None, mutation: false,
        summary: "Atomically claim the oldest queued lane this harness can run and return it hydrated; 204 when there is none.",
        request: NoInput,
        responses: [
            200 Json(Dispatched): "The claimed lane, now held by this harness.",
            204 Empty: "No queued lane this harness can run.",
        ],
    }
    HARNESS_EVENT {
        name: "harness-event", methods: [Post], auth: Auth::Harness, rate: None, mutation: false,
        summary: "Record what a harness reports about a lane it holds: output, file changes, tokens used, questions, completion, failure.",
        request: HarnessEvents,
        responses: [200 Json(HarnessEventsAccepted): "The lane's state after the reports, and its control signal."],
    }
    HARNESS_HEARTBEAT {
        name: "harness-heartbeat", methods: [Post], auth: Auth::Harness, rate: None, mutation: false,
        summary: "Renew a harness's lease and its lanes'; answer each lane's control signal and undelivered interrupts.",
        request: Heartbeat,
        responses: [200 Json(HeartbeatAnswer): "The new lease and, per held lane, its signal and interrupts."],
    }
    HARNESS_REGISTER {
        name: "harness-register", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Register a harness (the process that runs an agent CLI next to a repository) and mint its credential.",
        request: RegisterHarness,
        responses: [201 Json(RegisteredHarness): "The harness; `credential` is the only time its secret is shown."],
    }
    HARNESS_REVOKE {
        name: "harness-revoke", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Revoke a harness: its credential stops working at once and the lanes it held go back to the queue.",
        request: RevokeHarness,
        responses: [200 Json(HarnessRevoked): "The revoked harness and the lanes requeued."],
    }
    HEALTH {
        name: "health", methods: [Get, Post], auth: Auth::Public, rate: None, mutation: false,
        summary: "Liveness of the deployment and its database.",
        request: NoInput,
        responses: [200 Json(Health): "`ok`, or `degraded` when the database does not answer."],
    }
    INBOX_GET {
        name: "inbox-get", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "One question an agent asked, with its answer once it has one.",
        request: GetInboxItem,
        responses: [200 Json(InboxItem): "The item."],
    }
    INBOX_LIST {
        name: "inbox-list", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's inbox: questions agents asked, newest first, filtered by resolved, priority or lane.",
        request: ListInbox,
        responses: [200 Json(Page<InboxItem>): "A page of items; pass `next_cursor` as `cursor` for the next."],
    }
    INBOX_RESOLVE {
        name: "inbox-resolve", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Answer a question an agent asked: the answer reaches the agent once and in order, as an interrupt of kind `answer`, and a lane waiting in `input_required` runs again.",
        request: ResolveInboxItem,
        responses: [200 Json(InboxResolved): "The answered item, the interrupt carrying the answer, and the lane."],
    }
    ISSUE_COMMENT {
        name: "issue-comment", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Comment on an issue.",
        request: CommentIssue,
        responses: [201 Json(IssueComment): "The comment."],
    }
    ISSUE_CREATE {
        name: "issue-create", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Open an issue by hand (type, priority, project, labels); it joins the queue.",
        request: CreateIssue,
        responses: [201 Json(Issue): "The issue, with the workspace's next number."],
    }
    ISSUE_GET {
        name: "issue-get", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "One issue with its comments and relations.",
        request: GetIssue,
        responses: [200 Json(IssueDetail): "The issue."],
    }
    ISSUE_LIST {
        name: "issue-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's issues, newest first, filtered by status, type, priority, project or label.",
        request: ListIssues,
        responses: [200 Json(Page<Issue>): "A page of issues."],
    }
    ISSUE_RELATE {
        name: "issue-relate", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Relate two issues: blocks / blocked_by (a blocked issue is not claimed), duplicate_of (cancels the duplicate), parent_of / child_of; a blocking cycle is refused.",
        request: RelateIssues,
        responses: [200 Json(IssueDetail): "The issue with its relations."],
    }
    ISSUE_UPDATE {
        name: "issue-update", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Change an issue's title, body, type, priority, project or labels; reopen, close or cancel it.",
        request: UpdateIssue,
        responses: [200 Json(Issue): "The issue."],
    }
    JWKS {
        name: "jwks", methods: [Get, Post], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "The public keys (JWKS) that verify audit exports and signed heads; also served at /.well-known/jwks.json.",
        request: NoInput,
        responses: [200 Json(Jwks): "The deployment's audit signing key."],
    }
    LANE_AG_UI {
        name: "lane-ag-ui", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "A lane as an AG-UI 1.0 event stream for UIs: `RUN_STARTED`, a `STATE_SNAPSHOT` of the lane, its output as text messages, tool calls, state and usage as `STATE_DELTA`, other events as `CUSTOM` (`switchyard.<type>`), then `RUN_FINISHED` (success, cancelled, or an interrupt while it waits for a person) or `RUN_ERROR`. Takes AG-UI's `RunAgentInput` (`threadId` = the run id).",
        request: crate::mcp::FollowLaneUi,
        responses: [200 EventStream(serde_json::Value): "`data:` lines, each one AG-UI event as JSON; replayed from the lane's first event, then live (for up to 10 minutes)."],
    }
    LANE_APPROVE {
        name: "lane-approve", methods: [Post], auth: Auth::Bearer(Scope::ApprovalsWrite), rate: Some(Write), mutation: true,
        summary: "Approve a lane's pending request; the lane goes on (a held dispatch joins the queue). Exactly one decision is taken per request.",
        request: DecideApproval,
        responses: [200 Json(LaneDecision): "The decided request and the lane after it."],
    }
    LANE_DIFF_TIMELINE {
        name: "lane-diff-timeline", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "A lane's diff checkpoints in order: what each step changed (files, hunks, lines) and the snapshot commit the harness kept for it.",
        request: LaneInsightQuery,
        responses: [200 Json(DiffTimeline): "The checkpoints of the lane's latest attempt, oldest first."],
    }
    LANE_EVENTS {
        name: "lane-events", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "A lane's events with monotonically increasing ids: JSON backfill, or Server-Sent Events with `Accept: text/event-stream`.",
        request: LaneEventsQuery,
        responses: [
            200 Json(EventPage): "A page of events after `since`.",
            200 EventStream(crate::LaneEvent): "With `Accept: text/event-stream`: `id:`/`event:`/`data:` per event (the event as JSON), `: keep-alive` comments, `event: end` once the lane has finished; reconnect with `Last-Event-ID`.",
        ],
    }
    LANE_GET {
        name: "lane-get", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "One lane: its state, budget use, result, tool log and interrupts not yet delivered.",
        request: GetLane,
        responses: [200 Json(LaneDetail): "The lane with its tool log and pending interrupts."],
    }
    LANE_LIST {
        name: "lane-list", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "List the workspace's lanes, newest first, filtered by state, repository, harness kind or label.",
        request: ListLanes,
        responses: [200 Json(Page<Lane>): "A page of lanes; pass `next_cursor` as `cursor` for the next."],
    }
    LANE_PLAIN_ENGLISH_SUMMARY {
        name: "lane-plain-english-summary", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "A lane in plain English: changed files, tests run and their result, risks (edits outside the claim, large deletions, sensitive paths, failing or missing tests, mandate violations) and open questions, written by deterministic rules.",
        request: LaneInsightQuery,
        responses: [200 Json(LaneSummary): "The summary."],
    }
    LANE_REJECT {
        name: "lane-reject", methods: [Post], auth: Auth::Bearer(Scope::ApprovalsWrite), rate: Some(Write), mutation: true,
        summary: "Reject a lane's pending request; its agent is told no and goes on (a held dispatch is cancelled). Exactly one decision is taken per request.",
        request: DecideApproval,
        responses: [200 Json(LaneDecision): "The decided request and the lane after it."],
    }
    LANE_SNAPSHOT_COMPARE {
        name: "lane-snapshot-compare", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "What changed between two snapshots of a lane (`from: 0` is where it started): every file the steps in between touched, with its net change and their lines.",
        request: CompareSnapshots,
        responses: [200 Json(SnapshotComparison): "The files changed between the two snapshots."],
    }
    LANE_SNAPSHOT_RESTORE {
        name: "lane-snapshot-restore", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Restore a lane's snapshot into a new lane: the same repository, harness kind, labels and budgets (claim and brief may be replaced), its worktree starting from the snapshot's commit; dispatched through agent-run's policy, budget and claim checks.",
        request: RestoreSnapshot,
        responses: [201 Json(RestoredLane): "The new lane and the snapshot it starts from."],
    }
    MAINTENANCE_TICK {
        name: "maintenance-tick", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: false,
        summary: "Housekeeping: delete idempotency records older than 24 h and stale rate-limit counters, and write noted token uses back to `last_used_at`.",
        request: NoInput,
        responses: [200 Json(MaintenanceReport): "What this pass did."],
    }
    MANDATE_CHECK {
        name: "mandate-check", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "Check a snapshot of files against the workspace's mandates (built-in pack and its own rules): each violation names rule, file and line.",
        request: CheckMandates,
        responses: [200 Json(MandateReport): "Whether it passes, and every violation."],
    }
    MANDATE_GET {
        name: "mandate-get", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's mandates in force: the built-in pack, the built-ins switched off, its own rules, and what a blocking violation does.",
        request: NoInput,
        responses: [200 Json(Mandates): "The mandates (version 0: the built-in pack alone)."],
    }
    MANDATE_UPDATE {
        name: "mandate-update", methods: [Post], auth: Auth::Bearer(Scope::PoliciesWrite), rate: Some(Write), mutation: true,
        summary: "Replace the workspace's own mandate rules, the built-ins it switches off and what a blocking violation does (`require_approval` or `fail`), as a new version.",
        request: UpdateMandates,
        responses: [201 Json(Mandates): "The new version, now in force."],
    }
    MCP_SERVER {
        name: "mcp-server", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "The control plane as an MCP server (Streamable HTTP, JSON-RPC 2.0, protocol 2025-11-25): POST `initialize` for a session (`Mcp-Session-Id`), then `tools/list` and `tools/call` — the tools are endpoints of this API under their own names and schemas (docs/mcp-tools.json), each checked, rate-limited and audited as a direct call — and `agent-run` as an MCP task (`tasks/get`, `tasks/result`, `tasks/list`, `tasks/cancel`; the task id is the run id). GET describes the server.",
        request: crate::mcp::McpMessage,
        responses: [
            200 Json(serde_json::Value): "A JSON-RPC response: a result, or an error object (`-32601` unknown method, `-32602` bad params); a refused tool call is a result with `isError` and the error envelope as `structuredContent`.",
            202 Empty: "A notification or a response: accepted, no body.",
            400 Json(serde_json::Value): "A JSON-RPC error: not JSON-RPC 2.0, no `Mcp-Session-Id`, or an unsupported `MCP-Protocol-Version`. A body that is not one JSON object (a batch, malformed JSON) is 422 with the error envelope, field `body`.",
            404 Json(serde_json::Value): "A JSON-RPC error: the session is unknown, expired or another member's; `initialize` again.",
        ],
    }
    MEMBER_LIST {
        name: "member-list", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's members with their roles, granted scopes and everything they may do.",
        request: NoInput,
        responses: [200 Json(MemberList): "Every member, oldest first."],
    }
    MEMBER_REMOVE {
        name: "member-remove", methods: [Post], auth: Auth::Bearer(Scope::MembersWrite), rate: Some(Write), mutation: true,
        summary: "Remove a member: their grants go and every token acting for them is revoked. The last owner cannot be removed.",
        request: RemoveMember,
        responses: [200 Json(MemberRemoved): "The member removed and the tokens revoked."],
    }
    MEMBER_UPDATE {
        name: "member-update", methods: [Post], auth: Auth::Bearer(Scope::MembersWrite), rate: Some(Write), mutation: true,
        summary: "Change a member's role (owners and admins only by a caller holding `admin`); the last owner cannot be demoted. Their tokens follow on the next request.",
        request: UpdateMember,
        responses: [200 Json(MemberView): "The member after the change."],
    }
    OBSERVABILITY_SNAPSHOT {
        name: "observability-snapshot", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "One workspace's health over a window (default 24 h): lanes by state, dispatched, completed, failed and cancelled, the success rate, duration percentiles, tokens and cost; the queue's depth and oldest wait; harnesses online and stale; tool calls, errors and latency; outbound webhook deliveries; questions and approvals waiting for a person.",
        request: ObservabilityQuery,
        responses: [200 Json(ObservabilitySnapshot): "The snapshot."],
    }
    OPENAPI {
        name: "openapi", methods: [Get], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "This API as an OpenAPI 3.1 document (JSON Schema 2020-12 for every input and output); also served at /openapi.json.",
        request: NoInput,
        responses: [200 Json(serde_json::Value): "The OpenAPI document."],
    }
    OUTBOUND_WEBHOOK_TICK {
        name: "outbound-webhook-tick", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: false,
        summary: "Deliver due outbound webhooks (Standard Webhooks signatures), all at once with a bounded timeout each; retry failures on the schedule with jitter, dead-letter after the last attempt, disable endpoints failing for too long.",
        request: NoInput,
        responses: [200 Json(WebhookTickReport): "What this pass delivered, will retry, gave up on and disabled."],
    }
    PERMISSION_GRANT {
        name: "permission-grant", methods: [Post], auth: Auth::Bearer(Scope::MembersWrite), rate: Some(Write), mutation: true,
        summary: "Grant a member one scope on top of their role's; a caller grants only scopes they hold.",
        request: MemberPermission,
        responses: [200 Json(MemberView): "The member with the grant."],
    }
    PERMISSION_REVOKE {
        name: "permission-revoke", methods: [Post], auth: Auth::Bearer(Scope::MembersWrite), rate: Some(Write), mutation: true,
        summary: "Revoke a scope granted to a member; their tokens lose it on the next request.",
        request: MemberPermission,
        responses: [200 Json(MemberView): "The member without the grant."],
    }
    POLICY_GET {
        name: "policy-get", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's policy rules in force, or an earlier version.",
        request: GetPolicy,
        responses: [200 Json(Policy): "The rules at that version (version 0: none yet)."],
    }
    POLICY_TEST {
        name: "policy-test", methods: [Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "What an action (a dispatch, a tool call, an agent action) would meet under the policy in force or a draft, without doing it.",
        request: TestPolicy,
        responses: [200 Json(PolicyTested): "The outcome, the rule that decided it and every rule met."],
    }
    POLICY_UPDATE {
        name: "policy-update", methods: [Post], auth: Auth::Bearer(Scope::PoliciesWrite), rate: Some(Write), mutation: true,
        summary: "Replace the workspace's policy rules with a new version (optionally only if the current version is `expected_version`).",
        request: UpdatePolicy,
        responses: [201 Json(Policy): "The new version, now in force."],
    }
    POSTHOG_WEBHOOK {
        name: "posthog-webhook", methods: [Post], auth: Auth::SignalSignature(SignalProvider::Posthog), rate: None, mutation: false,
        summary: "Receive a PostHog webhook for a signal source (`?source=`), verified with `X-PostHog-Signature`: `$exception` events become bug signals folded by exception fingerprint, other events task signals folded by event and page.",
        request: PosthogPayload,
        responses: [202 Json(SignalIngested): "The issue the signal opened or repeated."],
    }
    PROJECT_CREATE {
        name: "project-create", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Create a project: a repository, its default branch and its goal.",
        request: CreateProject,
        responses: [201 Json(Project): "The project."],
    }
    PROJECT_LIST {
        name: "project-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's projects with their open issue counts.",
        request: NoInput,
        responses: [200 Json(ProjectList): "Every project, by name."],
    }
    RECURRING_PIPELINE_TICK {
        name: "recurring-pipeline-tick", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Start the workspace's scheduled sprints whose time has come: each takes its goal's open issues and moves through plan to build; a recurring one plans its successor. Also runs on a cron schedule for every workspace.",
        request: NoInput,
        responses: [200 Json(PipelineTickReport): "The sprints started, scheduled next and skipped."],
    }
    REPO_MAP_EXTRACT {
        name: "repo-map-extract", methods: [Post], auth: Auth::Bearer(Scope::ContextWrite), rate: Some(Write), mutation: true,
        summary: "Extract a repository's map (languages, frameworks, modules) into the Context Engine as system entries: an extraction job a harness with the repository runs without an agent.",
        request: ExtractFromRepo,
        responses: [201 Json(ExtractionStarted): "The extraction job's lane."],
    }
    SDLC_TRANSITION {
        name: "sdlc-transition", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Move a sprint through intake → plan → build → review → ship → complete, with guards (no ship before every lane is merged and verified, unless overridden with a reason, audited); cancel it; retry it from plan, build or review; raise its token budget.",
        request: TransitionSprint,
        responses: [200 Json(Sprint): "The sprint in its new state."],
    }
    SEND_INVITE {
        name: "send-invite", methods: [Post], auth: Auth::Bearer(Scope::MembersWrite), rate: Some(Write), mutation: true,
        summary: "Invite someone into the workspace by email with a role (default `member`; `owner` and `admin` only by a caller holding `admin`).",
        request: InviteMember,
        responses: [201 Json(MemberView): "The new member."],
    }
    SENTRY_WEBHOOK {
        name: "sentry-webhook", methods: [Post], auth: Auth::SignalSignature(SignalProvider::Sentry), rate: None, mutation: false,
        summary: "Receive a Sentry integration webhook for a signal source (`?source=`), verified with `Sentry-Hook-Signature`: issues and errors become signals, folded by Sentry issue into one issue of the queue.",
        request: SentryPayload,
        responses: [202 Json(SignalIngested): "The issue the signal opened or repeated.", 200 Json(SignalIgnored): "A resource or action Switchyard does not act on."],
    }
    SIGNAL_INGEST {
        name: "signal-ingest", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Ingest a signal (an error, an alert, a report): a repeat of an open issue's fingerprint counts on that issue; anything else opens one.",
        request: IngestSignal,
        responses: [201 Json(SignalIngested): "A new issue.", 200 Json(SignalIngested): "The open issue it repeated (count and last seen updated)."],
    }
    SIGNAL_SOURCE_CREATE {
        name: "signal-source-create", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Register a signal provider (Sentry) with the client secret it signs with; its webhooks then open issues in the workspace.",
        request: CreateSignalSource,
        responses: [201 Json(SignalSource): "The source and the path to give the provider."],
    }
    SPRINT_EVENTS {
        name: "sprint-events", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "A sprint's event log with increasing ids (transitions, dispatches, lane moves, budget, overrides): JSON backfill, or Server-Sent Events with `Accept: text/event-stream`.",
        request: SprintEventsQuery,
        responses: [
            200 Json(SprintEventPage): "A page of events after `since`.",
            200 EventStream(crate::SprintEvent): "With `Accept: text/event-stream`: `id:`/`event:`/`data:` per event, `: keep-alive` comments, `event: end` once the sprint is complete or cancelled; reconnect with `Last-Event-ID`.",
        ],
    }
    SPRINT_GET {
        name: "sprint-get", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "A sprint with its plan: the phases it went through, its issues with their lanes, pull requests and verification, and what the next step needs.",
        request: GetSprint,
        responses: [200 Json(Sprint): "The sprint."],
    }
    SPRINT_LIST {
        name: "sprint-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "The workspace's sprints, newest first, filtered by project or state.",
        request: ListSprints,
        responses: [200 Json(Page<SprintSummary>): "A page of sprints."],
    }
    SPRINT_PLAN {
        name: "sprint-plan", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Plan a sprint from a goal (its open, unblocked issues, best queue score first) or from issues named: one lane per issue when it builds, under a token budget across its lanes; now, at `starts_at`, or every `repeat_every_hours`.",
        request: PlanSprint,
        responses: [201 Json(Sprint): "The sprint, in intake, with its plan."],
    }
    SSO_CONFIG_UPDATE {
        name: "sso-config-update", methods: [Post], auth: Auth::Bearer(Scope::Admin), rate: Some(Write), mutation: true,
        summary: "Configure (or remove) an SSO provider for an email domain of the workspace.",
        request: UpdateSsoConfig,
        responses: [200 Json(SsoConfigUpdated): "The domain's provider and whether it is enabled."],
    }
    SSO_DOMAIN_VERIFY {
        name: "sso-domain-verify", methods: [Post], auth: Auth::Bearer(Scope::Admin), rate: Some(Write), mutation: true,
        summary: "Prove the workspace owns an email domain: fetch the challenge `sso-config-update` handed out from the domain's well-known URL; a domain belongs to at most one workspace.",
        request: VerifySsoDomain,
        responses: [200 Json(SsoDomainVerified): "The domain is verified; its providers are offered at sign-in."],
    }
    STATUS_SNAPSHOT {
        name: "status-snapshot", methods: [Get, Post], auth: Auth::Public, rate: Some(Read), mutation: false,
        summary: "For a public status page: the deployment's health, queue depth, lanes per active state and harnesses online, totalled over every workspace (no tenant data).",
        request: NoInput,
        responses: [200 Json(StatusSnapshot): "The snapshot."],
    }
    TEMPLATE_CREATE {
        name: "template-create", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Add a prompt template, or a new immutable version of one (named after an issue type, or `default`); unknown variables are refused.",
        request: CreateTemplate,
        responses: [201 Json(Template): "The template with every version."],
    }
    TEMPLATE_GET {
        name: "template-get", methods: [Get, Post], auth: Auth::Bearer(Scope::IssuesRead), rate: Some(Read), mutation: false,
        summary: "A prompt template with every version, its health (EWMA of reviews) and whether it regressed from the version before.",
        request: GetTemplate,
        responses: [200 Json(Template): "The template."],
    }
    TEMPLATE_PROMOTE {
        name: "template-promote", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Make a version of a prompt template the active one.",
        request: PromoteTemplate,
        responses: [200 Json(Template): "The template."],
    }
    TEMPLATE_REVIEW {
        name: "template-review", methods: [Post], auth: Auth::Bearer(Scope::IssuesWrite), rate: Some(Write), mutation: true,
        summary: "Review how well a template version's prompt served (1-5, with notes; from an agent or a person): its health moves by an EWMA (alpha 0.3).",
        request: ReviewTemplate,
        responses: [201 Json(Template): "The template with the version's new health."],
    }
    TOOL_LIST {
        name: "tool-list", methods: [Get, Post], auth: Auth::Bearer(Scope::LanesRead), rate: Some(Read), mutation: false,
        summary: "List the workspace's registered tools, by name.",
        request: ListTools,
        responses: [200 Json(Page<Tool>): "A page of tools; pass `next_cursor` as `cursor` for the next."],
    }
    TOOL_REGISTER {
        name: "tool-register", methods: [Post], auth: Auth::Bearer(Scope::Admin), rate: Some(Write), mutation: true,
        summary: "Register a tool (name, description, JSON input schema) served by an MCP server over Streamable HTTP.",
        request: RegisterTool,
        responses: [201 Json(Tool): "The registered tool."],
    }
    TRACE_TO_FIX {
        name: "trace-to-fix", methods: [Post], auth: Auth::Bearer(Scope::LanesWrite), rate: Some(Write), mutation: true,
        summary: "Dispatch a lane for an issue that came with a stack trace (a Sentry error): it claims exactly the application's files in the trace, its brief is the issue's prompt, and the issue follows the lane.",
        request: TraceToFix,
        responses: [201 Json(FixDispatched): "The lane (queued, or awaiting approval) and the issue, now in progress."],
    }
    VERIFY_LANE {
        name: "verify-lane", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: true,
        summary: "Record whether a lane's result is verified: every required check green (shown in lane-get and the workspace's build badge).",
        request: VerifyLane,
        responses: [200 Json(LaneVerification): "The verification, with the missing, failing and pending checks."],
    }
    WEBHOOK_DELIVERY_LIST {
        name: "webhook-delivery-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IntegrationsRead), rate: Some(Read), mutation: false,
        summary: "The outbound webhook delivery log, newest first: each delivery's state and every attempt's status, latency and response excerpt.",
        request: ListDeliveries,
        responses: [200 Json(Page<WebhookDelivery>): "A page of deliveries."],
    }
    WEBHOOK_ENDPOINT_CREATE {
        name: "webhook-endpoint-create", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Register an outbound webhook endpoint (URL, event types); its `whsec_` signing secret is shown once. Loopback, link-local, private and unique-local targets are refused.",
        request: CreateEndpoint,
        responses: [201 Json(EndpointWithSecret): "The endpoint; `secret` is the only time it is shown."],
    }
    WEBHOOK_ENDPOINT_DELETE {
        name: "webhook-endpoint-delete", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Delete an outbound webhook endpoint with its delivery log.",
        request: DeleteEndpoint,
        responses: [200 Json(EndpointDeleted): "What was deleted."],
    }
    WEBHOOK_ENDPOINT_LIST {
        name: "webhook-endpoint-list", methods: [Get, Post], auth: Auth::Bearer(Scope::IntegrationsRead), rate: Some(Read), mutation: false,
        summary: "The workspace's outbound webhook endpoints (without their secrets), with why any is disabled.",
        request: NoInput,
        responses: [200 Json(EndpointList): "Every endpoint, oldest first."],
    }
    WEBHOOK_ENDPOINT_UPDATE {
        name: "webhook-endpoint-update", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Change an outbound webhook endpoint's URL, event types or description; disable it, or re-enable one that was disabled.",
        request: UpdateEndpoint,
        responses: [200 Json(WebhookEndpoint): "The endpoint."],
    }
    WEBHOOK_ENQUEUE {
        name: "webhook-enqueue", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Queue an event of your own (`custom.…`) or a test ping (`webhook.test`) to every endpoint that subscribes to it.",
        request: EnqueueWebhook,
        responses: [202 Json(WebhookEnqueued): "The message and how many deliveries it got."],
    }
    WEBHOOK_REDELIVER {
        name: "webhook-redeliver", methods: [Post], auth: Auth::Bearer(Scope::IntegrationsWrite), rate: Some(Write), mutation: true,
        summary: "Send a delivery's message to its endpoint again (after it died, or to replay it); the `webhook-id` stays the same.",
        request: Redeliver,
        responses: [201 Json(WebhookDelivery): "The new delivery, due now."],
    }
    WORKSPACE_BOOTSTRAP {
        name: "workspace-bootstrap", methods: [Post], auth: Auth::ServiceRole, rate: None, mutation: true,
        summary: "Create a workspace, its owner and its first admin token (shown once).",
        request: BootstrapWorkspace,
        responses: [201 Json(BootstrappedWorkspace): "The workspace, its owner and the owner's first token."],
    }
    WORKSPACE_EXPORT {
        name: "workspace-export", methods: [Post], auth: Auth::Bearer(Scope::Admin), rate: Some(Bulk), mutation: false,
        summary: "Stream the workspace as a signed archive: NDJSON records (workspace, members, tokens without secrets, policy, mandates, budget, webhook endpoints and forge connections without secrets, every lane followed by its events, every audit entry) between a header and a trailer signing the SHA-256 of every byte before it (`switchyard verify-archive`).",
        request: NoInput,
        responses: [200 Ndjson(serde_json::Value): "`{\"type\": kind, \"data\": record}` per line after the header; the trailer holds count, digest, key_id and signature."],
    }
}

/// The endpoint named `name`.
pub fn by_name(name: &str) -> Option<&'static Endpoint> {
    ALL.iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_sorted_and_consistent() {
        let names: Vec<&str> = ALL.iter().map(|e| e.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "the table is sorted by name, each name once");
        for e in ALL {
            assert!(!e.summary.is_empty() && !e.methods.is_empty(), "{}", e.name);
            // Mutations are POSTs; only a limited caller has a rate family.
            assert!(!e.mutation || e.methods == [Verb::Post], "{}", e.name);
            if matches!(e.auth, Auth::ServiceRole | Auth::Harness) {
                assert!(e.family.is_none(), "{}: service-role and harness callers are not rate-limited", e.name);
            }
        }
        assert_eq!(OPERATIONS.len(), ALL.len());
    }
}
