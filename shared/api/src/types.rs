//! Request and response bodies, one section per endpoint.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::valid::{Domain, Email, Handle, List, Name, Ranged};
use crate::{MemberId, ProviderId, Scope, TokenId, WorkspaceId};

/// The longest token lifetime `api-token-issue` grants: five years.
pub const MAX_TOKEN_LIFETIME_SECS: u64 = 5 * 365 * 24 * 60 * 60;

/// Where a workspace's data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Region {
    #[serde(rename = "us-east-1")]
    UsEast1,
    #[serde(rename = "eu-west-1")]
    EuWest1,
}

impl Region {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UsEast1 => "us-east-1",
            Self::EuWest1 => "eu-west-1",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "us-east-1" => Some(Self::UsEast1),
            "eu-west-1" => Some(Self::EuWest1),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Team,
    Enterprise,
}

impl Plan {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Team => "team",
            Self::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "free" => Some(Self::Free),
            "team" => Some(Self::Team),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }

    /// Multiplier on every rate-limit family.
    pub const fn rate_multiplier(self) -> u32 {
        match self {
            Self::Free => 1,
            Self::Team => 5,
            Self::Enterprise => 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    /// Scopes a JWT with this role gets when it names no scopes itself.
    pub fn default_scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Self::Owner | Self::Admin => &[Admin],
            // Members review their agents' commits and pushes; admins set policy.
            Self::Member => &[
                LanesRead,
                LanesWrite,
                ToolsInvoke,
                AuditRead,
                ContextRead,
                ContextWrite,
                CiWrite,
                IntegrationsRead,
                IssuesRead,
                IssuesWrite,
                ChangelogWrite,
                ApprovalsWrite,
            ],
            Self::Viewer => &[LanesRead, AuditRead, ContextRead, IssuesRead],
        }
    }
}

// ---------------------------------------------------------------- workspace-bootstrap

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BootstrapWorkspace {
    /// URL-safe handle: 3–40 lowercase letters, digits and dashes.
    pub handle: Handle,
    pub region: Region,
    #[serde(default = "default_plan")]
    pub plan: Plan,
    /// The first member, who becomes the owner.
    pub admin_email: Email,
}

fn default_plan() -> Plan {
    Plan::Free
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub handle: String,
    pub region: Region,
    pub plan: Plan,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BootstrappedWorkspace {
    pub workspace: Workspace,
    pub owner: Member,
    pub token: IssuedToken,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    pub id: MemberId,
    pub email: String,
    pub role: Role,
}

// ---------------------------------------------------------------- members and permissions

/// A member with what they may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberView {
    pub member_id: MemberId,
    pub email: String,
    pub role: Role,
    /// Scopes granted on top of the role's.
    pub grants: Vec<Scope>,
    /// Everything the member (and any PAT acting for them) may do.
    pub scopes: Vec<Scope>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberList {
    pub data: Vec<MemberView>,
}

/// Invites someone into the workspace by email, with a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteMember {
    pub email: crate::valid::Email,
    #[serde(default = "default_role")]
    pub role: Role,
}

fn default_role() -> Role {
    Role::Member
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    pub member_id: MemberId,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveMember {
    pub member_id: MemberId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberRemoved {
    pub member_id: MemberId,
    /// The member's tokens, revoked with them.
    pub revoked_tokens: Vec<TokenId>,
}

/// Grants (or revokes) one scope to a member.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPermission {
    pub member_id: MemberId,
    pub scope: Scope,
}

// ---------------------------------------------------------------- api-token-issue / revoke

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueToken {
    /// What the token is for, e.g. "scim-sync".
    pub name: Name,
    /// A subset of the caller's scopes.
    pub scopes: List<Scope, 1, { usize::MAX }>,
    /// Lifetime in seconds (60 s to five years); absent means the token does not expire.
    #[serde(default)]
    pub expires_in_seconds: Option<Ranged<60, MAX_TOKEN_LIFETIME_SECS>>,
}

/// A freshly minted token. `token` is the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IssuedToken {
    pub id: TokenId,
    pub token: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub workspace_id: WorkspaceId,
    pub created_at: String,
    pub expires_at: Option<String>,
}

/// `api-token-list`'s filter and page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTokens {
    /// Include revoked and expired tokens (default: only tokens that still work).
    #[serde(default, deserialize_with = "crate::valid::optional_bool")]
    #[schemars(with = "Option<bool>")]
    pub include_inactive: Option<bool>,
    /// Page size (default 50).
    #[serde(default)]
    pub limit: Option<crate::valid::Ranged<1, 100>>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[schemars(extend("pattern" = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TokenSummary {
    pub id: TokenId,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// `active`, `expired` or `revoked`.
    pub state: String,
    /// The token (`tok_…`) or member that minted it.
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Written back every minute or so, not on every request.
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeToken {
    pub token_id: TokenId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RevokedToken {
    pub id: TokenId,
    pub revoked_at: String,
    /// Tokens minted with this one (directly or down a chain), revoked with it now.
    #[serde(default)]
    pub also_revoked: Vec<TokenId>,
}

// ---------------------------------------------------------------- sso-config-update / auth-providers-for-email

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Google,
    Github,
    Okta,
    AzureAd,
    Saml,
    Oidc,
}

impl ProviderKind {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Github => "github",
            Self::Okta => "okta",
            Self::AzureAd => "azure-ad",
            Self::Saml => "saml",
            Self::Oidc => "oidc",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSsoConfig {
    /// The email domain the provider signs in, e.g. "example.com".
    pub domain: Domain,
    pub provider: ProviderKind,
    /// Shown on the sign-in button; defaults to the provider's name.
    #[serde(default)]
    pub display_name: Option<Name>,
    /// `false` removes the provider from the domain.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SsoProvider {
    pub id: ProviderId,
    pub provider: ProviderKind,
    pub display_name: String,
    pub workspace_handle: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SsoConfigUpdated {
    pub domain: String,
    pub provider: ProviderKind,
    pub enabled: bool,
    /// Whether this workspace has proven it owns the domain. Until it has, the
    /// domain's providers are not offered at sign-in (`auth-providers-for-email`).
    #[serde(default)]
    pub domain_verified: bool,
    /// How to prove it, while the domain is not verified: serve `body` at `url`,
    /// then call `sso-domain-verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<DomainChallenge>,
}

/// An HTTP challenge proving control of a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DomainChallenge {
    /// Where the domain must serve the challenge (`GET`, status 200).
    pub url: String,
    /// The exact body to serve (surrounding whitespace is ignored).
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifySsoDomain {
    /// A domain this workspace configured a provider for.
    pub domain: Domain,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SsoDomainVerified {
    pub domain: String,
    pub verified_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvidersForEmail {
    pub email: Email,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProvidersForEmailResult {
    pub domain: String,
    pub providers: Vec<SsoProvider>,
}

// ---------------------------------------------------------------- badge

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BadgeKind {
    Status,
    Build,
    Coverage,
}

impl BadgeKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Build => "build",
            Self::Coverage => "coverage",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BadgeQuery {
    /// The workspace handle.
    pub workspace: String,
    #[serde(default = "default_badge")]
    pub kind: BadgeKind,
}

fn default_badge() -> BadgeKind {
    BadgeKind::Status
}

// ---------------------------------------------------------------- health

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database is not `ok`.
    pub status: String,
    /// `ok`; `read-only` when it cannot take writes now (locked, disk full:
    /// writes answer 503 `STORAGE_UNAVAILABLE`, reads are served); or `unavailable`.
    pub database: String,
    pub region: String,
    pub version: String,
}

/// `status-snapshot`: what a public status page shows — the deployment's
/// health and its load, totals over every workspace, no tenant data.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatusSnapshot {
    /// `ok`, or `degraded` when the database is not `ok`.
    pub status: String,
    /// As `health`: `ok`, `read-only` or `unavailable`.
    pub database: String,
    pub region: String,
    pub version: String,
    /// When this was taken (RFC 3339).
    pub at: String,
    /// Lanes in each active state (`queued`, `running`, `paused`, `awaiting_approval`, `input_required`).
    pub lanes: std::collections::BTreeMap<String, u64>,
    /// Lanes waiting for a harness.
    pub queue_depth: u64,
    /// How long the oldest queued lane has waited, in seconds (none when the queue is empty).
    pub oldest_queued_seconds: Option<u64>,
    /// Harnesses whose lease is current (not revoked).
    pub harnesses_online: u64,
}

/// The input of endpoints that take none: `{}`, an empty body or no query.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}
