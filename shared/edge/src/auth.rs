//! Who is calling: a PAT, a JWT, the service-role key, or nobody (public).

use std::collections::HashSet;

use jwt_simple::prelude::*;
use switchyard_api::{ErrorCode, HarnessId, MemberId, Plan, Region, Role, Scope, TokenId, WorkspaceId};
use switchyard_domain::token;

use crate::db::Db;
use crate::error::ApiError;

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Clock skew accepted on JWT `exp` / `nbf`.
const JWT_LEEWAY_SECS: u64 = 60;

/// The workspace a caller acts in.
#[derive(Debug, Clone)]
pub struct WorkspaceRef {
    pub id: WorkspaceId,
    pub handle: String,
    pub region: Region,
    pub plan: Plan,
}

/// An authenticated member of a workspace.
#[derive(Debug, Clone)]
pub struct Principal {
    pub workspace: WorkspaceRef,
    /// `tok_…` for a PAT, `jwt:<sub>` for a JWT.
    pub actor: String,
    pub scopes: Vec<Scope>,
    pub token_id: Option<TokenId>,
    /// The member a PAT acts for (none for a JWT, or a token minted before members).
    pub member_id: Option<MemberId>,
}

/// An authenticated harness (its credential is good only for harness calls).
#[derive(Debug, Clone)]
pub struct HarnessPrincipal {
    pub workspace: WorkspaceRef,
    pub harness_id: HarnessId,
    pub kind: String,
    pub labels: Vec<String>,
    pub lease_seconds: u64,
}

#[derive(Debug, Clone)]
pub enum Caller {
    Public {
        client: String,
    },
    ServiceRole,
    Member(Principal),
    Harness(HarnessPrincipal),
    /// A forge delivery whose signature verified with its connection's secret.
    Forge {
        workspace: WorkspaceRef,
        connection: crate::forge::ConnectionRow,
    },
    /// A signal provider's delivery whose signature verified with its source's secret.
    SignalSource {
        workspace: WorkspaceRef,
        source: switchyard_api::SignalSourceId,
        project: Option<switchyard_api::ProjectId>,
    },
}

impl Caller {
    /// Who the audit log names.
    pub fn actor(&self) -> String {
        match self {
            Self::Public { client } => format!("public:{client}"),
            Self::ServiceRole => "service-role".to_owned(),
            Self::Member(p) => p.actor.clone(),
            Self::Harness(h) => h.harness_id.to_string(),
            Self::Forge { connection, .. } => {
                format!("forge:{}:{}", connection.connection.provider.as_str(), connection.connection.id)
            }
            Self::SignalSource { source, .. } => format!("signal:{source}"),
        }
    }

    /// The workspace of a member or harness.
    pub fn workspace(&self) -> Option<&WorkspaceRef> {
        match self {
            Self::Member(p) => Some(&p.workspace),
            Self::Harness(h) => Some(&h.workspace),
            Self::Forge { workspace, .. } | Self::SignalSource { workspace, .. } => Some(workspace),
            _ => None,
        }
    }

    /// The harness, for harness endpoints (the edge guarantees it there).
    pub fn harness(&self) -> Result<&HarnessPrincipal, ApiError> {
        match self {
            Self::Harness(h) => Ok(h),
            _ => Err(ApiError::internal("a harness endpoint ran without a harness")),
        }
    }

    /// The member, for bearer endpoints (the edge guarantees it there).
    pub fn principal(&self) -> Result<&Principal, ApiError> {
        match self {
            Self::Member(p) => Ok(p),
            _ => Err(ApiError::internal("a bearer endpoint ran without a principal")),
        }
    }
}

fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok().filter(|v| !v.trim().is_empty())
}

/// The region this deployment serves (Spin variable `region`).
pub fn deployment_region() -> Region {
    variable("region").and_then(|r| Region::parse(&r)).unwrap_or(Region::UsEast1)
}

pub(crate) fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let header = header.ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer <token>` header"))?;
    if header.len() > MAX_TOKEN_LEN + 7 {
        return Err(ApiError::unauthorized("token too long"));
    }
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized("expected `Authorization: Bearer <token>`"));
    }
    Ok(token.trim())
}

pub(crate) fn service_role(header: Option<&str>) -> Result<Caller, ApiError> {
    let token = bearer(header)?;
    let Some(key) = variable("service_role_key") else {
        return Err(ApiError::unauthorized("service-role calls are disabled: no service_role_key is configured"));
    };
    if token::constant_time_eq(token, &key) {
        Ok(Caller::ServiceRole)
    } else {
        Err(ApiError::unauthorized("this endpoint needs the service-role key"))
    }
}

fn workspace(db: &Db, id: &str) -> Result<Option<WorkspaceRef>, ApiError> {
    let Some(row) = db.query_one("SELECT id, handle, region, plan FROM workspaces WHERE id = $1", &[&id])? else {
        return Ok(None);
    };
    Ok(Some(WorkspaceRef {
        id: WorkspaceId::parse(&row.text("id")?).ok_or_else(|| ApiError::internal("bad workspace id"))?,
        handle: row.text("handle")?,
        region: Region::parse(&row.text("region")?).ok_or_else(|| ApiError::internal("bad region"))?,
        plan: Plan::parse(&row.text("plan")?).ok_or_else(|| ApiError::internal("bad plan"))?,
    }))
}

pub(crate) fn member(header: Option<&str>, db: &Db) -> Result<Principal, ApiError> {
    let token = bearer(header)?;
    let principal = if token.starts_with(token::PAT_PREFIX) {
        pat(token, db)?
    } else if token.matches('.').count() == 2 {
        jwt(token, db)?
    } else if token.starts_with(token::HARNESS_PREFIX) {
        return Err(ApiError::unauthorized("a harness credential is good only for harness calls"));
    } else {
        return Err(ApiError::unauthorized("unrecognised token: expected a `sl_pat_…` token or a JWT"));
    };
    check_region(&principal.workspace)?;
    Ok(principal)
}

/// Authenticates a harness credential (`sl_hns_…`).
pub(crate) fn harness(header: Option<&str>, db: &Db) -> Result<HarnessPrincipal, ApiError> {
    let invalid = || ApiError::unauthorized("invalid harness credential");
    let token = bearer(header)?;
    let (harness_id, secret) = token::parse_harness(token).ok_or_else(|| {
        if token.starts_with(token::PAT_PREFIX) {
            ApiError::unauthorized("harness calls take the harness credential from harness-register, not a PAT")
        } else {
            invalid()
        }
    })?;
    let row = db
        .query_one(
            "SELECT workspace_id, kind, labels, credential_hash, lease_seconds, revoked_at FROM harnesses WHERE id = $1",
            &[&harness_id.as_str()],
        )?
        .ok_or_else(invalid)?;
    if !token::verify(secret, &row.text("credential_hash")?) {
        return Err(invalid());
    }
    if row.opt_text("revoked_at")?.is_some() {
        return Err(ApiError::unauthorized("this harness has been revoked"));
    }
    let workspace = workspace(db, &row.text("workspace_id")?)?.ok_or_else(invalid)?;
    check_region(&workspace)?;
    Ok(HarnessPrincipal {
        workspace,
        harness_id,
        kind: row.text("kind")?,
        labels: row.json("labels")?,
        lease_seconds: u64::try_from(row.int("lease_seconds")?).unwrap_or(30),
    })
}

/// A provider webhook refused: always 401, the same for an unknown source as for a bad signature.
fn refused(why: &str) -> ApiError {
    ApiError::unauthorized(format!("webhook refused: {why}"))
}

/// The workspace a verified provider delivery belongs to, checked for this region.
fn signer_workspace(db: &Db, id: &str) -> Result<WorkspaceRef, ApiError> {
    let workspace = workspace(db, id)?.ok_or_else(|| refused("unknown workspace"))?;
    check_region(&workspace)?;
    Ok(workspace)
}

/// The first value of `key` in a URL query (how a provider's webhook names its source).
fn query_param(query: &str, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).ok()?.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Authenticates a forge delivery: the connection its `?connection=` names,
/// and a signature made with that connection's secret (or, during a
/// rotation's overlap, the previous one). Anything else is 401, the same for
/// an unknown connection as for a wrong signature.
pub(crate) fn forge(
    provider: switchyard_api::Forge,
    query: &str,
    body: &[u8],
    header: impl Fn(&str) -> Option<String>,
    db: &Db,
) -> Result<Caller, ApiError> {
    use switchyard_domain::webhook;
    let connection = query_param(query, "connection")
        .and_then(|v| switchyard_api::ConnectionId::parse(&v))
        .ok_or_else(|| refused("the URL must carry `?connection=<id>` from forge-connection-create"))?;
    let (connection, secrets) = crate::forge::for_delivery(db, &connection, provider)?
        .ok_or_else(|| refused("unknown connection or bad signature"))?;
    let verified = match provider {
        switchyard_api::Forge::Github => {
            let keys: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
            webhook::verify_github(&keys, body, header("x-hub-signature-256").as_deref())
        }
        switchyard_api::Forge::Gitlab => {
            let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
            webhook::verify_gitlab(&keys, header("x-gitlab-token").as_deref())
        }
    };
    if let Err(e) = verified {
        return Err(refused(&format!("{e} (unknown connection or bad signature)")));
    }
    let workspace = signer_workspace(db, connection.workspace_id.as_str())?;
    Ok(Caller::Forge { workspace, connection })
}

/// Authenticates a signal provider's delivery: the source its `?source=`
/// names and the provider's signature with that source's secret (Sentry:
/// `Sentry-Hook-Signature`, PostHog: `X-PostHog-Signature`, each a hex
/// HMAC-SHA256 of the raw body). 401 otherwise.
pub(crate) fn signal_source(
    provider: switchyard_api::SignalProvider,
    query: &str,
    body: &[u8],
    header: impl Fn(&str) -> Option<String>,
    db: &Db,
) -> Result<Caller, ApiError> {
    let id = query_param(query, "source")
        .and_then(|v| switchyard_api::SignalSourceId::parse(&v))
        .ok_or_else(|| refused("the URL must carry `?source=<id>` from signal-source-create"))?;
    let source = crate::planning::source_for_delivery(db, &id, provider)?
        .ok_or_else(|| refused("unknown source or bad signature"))?;
    // Both sign like GitHub (hex HMAC-SHA256 of the body); Sentry without the
    // `sha256=` prefix, PostHog (a Hog function computes it) with or without.
    let header_name = match provider {
        switchyard_api::SignalProvider::Sentry => "sentry-hook-signature",
        switchyard_api::SignalProvider::Posthog => "x-posthog-signature",
    };
    let signature = header(header_name).map(|s| {
        let hex = s.trim();
        format!("sha256={}", hex.strip_prefix("sha256=").unwrap_or(hex))
    });
    if let Err(e) = switchyard_domain::webhook::verify_github(&[source.secret.as_bytes()], body, signature.as_deref()) {
        return Err(refused(&format!("{e} (unknown source or bad signature)")));
    }
    let workspace = signer_workspace(db, source.workspace_id.as_str())?;
    let project = source.project;
    Ok(Caller::SignalSource { workspace, source: id, project })
}

/// Refuses a workspace that lives in another region, naming that region.
fn check_region(workspace: &WorkspaceRef) -> Result<(), ApiError> {
    let here = deployment_region();
    if workspace.region == here {
        return Ok(());
    }
    let there = workspace.region.as_str();
    Err(ApiError::new(
        ErrorCode::WrongRegion,
        format!(
            "workspace {} lives in region {there}; this deployment serves {}. Send the request to the {there} deployment.",
            workspace.id,
            here.as_str()
        ),
    ))
}

fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split_whitespace().filter_map(|s| Scope::parse(s).ok()).collect()
}

fn pat(token: &str, db: &Db) -> Result<Principal, ApiError> {
    let invalid = || ApiError::unauthorized("invalid token");
    let parsed = token::parse(token).ok_or_else(invalid)?;
    let row = db
        .query_one(
            "SELECT t.workspace_id, t.secret_hash, t.scopes, t.expires_at, t.revoked_at, tm.member_id, m.role
             FROM api_tokens t LEFT JOIN token_members tm ON tm.token_id = t.id
             LEFT JOIN members m ON m.id = tm.member_id WHERE t.id = $1",
            &[&parsed.token_id.as_str()],
        )?
        .ok_or_else(invalid)?;
    if !token::verify(parsed.secret, &row.text("secret_hash")?) {
        return Err(invalid());
    }
    if row.opt_text("revoked_at")?.is_some() {
        return Err(ApiError::unauthorized("token has been revoked"));
    }
    let now = crate::clock::now_rfc3339();
    if row.opt_text("expires_at")?.is_some_and(|exp| exp <= now) {
        return Err(ApiError::unauthorized("token has expired"));
    }
    crate::tokens::note_used(&parsed.token_id, &now);
    let workspace = workspace(db, &row.text("workspace_id")?)?.ok_or_else(invalid)?;
    let mut scopes = parse_scopes(&row.text("scopes")?);
    // A PAT never carries more than its member may now (a demotion or a
    // revoked grant takes effect on the next request).
    let member_id = match row.opt_text("member_id")? {
        None => None,
        Some(id) => {
            let role = row.opt_text("role")?.and_then(|r| Role::parse(&r));
            let role =
                role.ok_or_else(|| ApiError::unauthorized("the member this token acts for has left the workspace"))?;
            let member = MemberId::parse(&id).ok_or_else(|| ApiError::internal("malformed member id"))?;
            let grants = crate::members::grants(db, &member)?;
            scopes = switchyard_domain::access::effective_scopes(
                &scopes,
                &switchyard_domain::access::member_scopes(role, &grants),
            );
            Some(member)
        }
    };
    Ok(Principal { workspace, actor: parsed.token_id.to_string(), scopes, token_id: Some(parsed.token_id), member_id })
}

/// Claims a Switchyard JWT carries besides the registered ones.
#[derive(Debug, Serialize, Deserialize)]
struct WorkspaceClaims {
    workspace_id: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    /// OIDC's `email`: the member the token speaks for (else `sub`, when it is an address).
    #[serde(default)]
    email: Option<String>,
}

fn jwt(token: &str, db: &Db) -> Result<Principal, ApiError> {
    let invalid = |why: &str| ApiError::unauthorized(format!("invalid JWT: {why}"));
    let meta = Token::decode_metadata(token).map_err(|_| invalid("malformed"))?;
    let mut options = VerificationOptions {
        time_tolerance: Some(Duration::from_secs(JWT_LEEWAY_SECS)),
        max_token_length: Some(MAX_TOKEN_LEN),
        ..Default::default()
    };
    options.allowed_issuers = Some(HashSet::from([variable("jwt_issuer").unwrap_or_else(|| "switchyard".into())]));
    options.allowed_audiences = Some(HashSet::from([variable("jwt_audience").unwrap_or_else(|| "switchyard".into())]));
    let claims = match meta.algorithm() {
        "HS256" => {
            let secret = variable("jwt_hs256_secret").ok_or_else(|| invalid("HS256 tokens are not accepted here"))?;
            HS256Key::from_bytes(secret.as_bytes()).verify_token::<WorkspaceClaims>(token, Some(options))
        }
        "EdDSA" => {
            let pem =
                variable("jwt_ed25519_public_key").ok_or_else(|| invalid("EdDSA tokens are not accepted here"))?;
            let key = Ed25519PublicKey::from_pem(&pem.replace("\\n", "\n"))
                .map_err(|e| ApiError::internal(format!("jwt_ed25519_public_key: {e}")))?;
            key.verify_token::<WorkspaceClaims>(token, Some(options))
        }
        other => return Err(invalid(&format!("algorithm `{other}` is not accepted"))),
    }
    .map_err(|e| invalid(&e.to_string()))?;
    if claims.expires_at.is_none() {
        return Err(invalid("missing `exp`"));
    }
    let workspace = workspace(db, &claims.custom.workspace_id)?.ok_or_else(|| invalid("unknown workspace"))?;
    let scopes = match &claims.custom.scopes {
        Some(names) => names.iter().filter_map(|s| Scope::parse(s).ok()).collect(),
        None => {
            let mut all: Vec<Scope> = claims
                .custom
                .roles
                .iter()
                .filter_map(|r| Role::parse(r))
                .flat_map(|r| r.default_scopes().iter().copied())
                .collect();
            all.sort();
            all.dedup();
            all
        }
    };
    // A JWT for a member of the workspace carries no more than the member may.
    let email = claims.custom.email.clone().or_else(|| claims.subject.clone().filter(|s| s.contains('@')));
    let (scopes, member_id) = match email {
        Some(email) => match crate::members::by_email(db, &workspace.id, &email)? {
            Some((member, role)) => {
                let grants = crate::members::grants(db, &member)?;
                let allowed = switchyard_domain::access::member_scopes(role, &grants);
                (switchyard_domain::access::effective_scopes(&scopes, &allowed), Some(member))
            }
            None => (scopes, None),
        },
        None => (scopes, None),
    };
    Ok(Principal {
        workspace,
        actor: format!("jwt:{}", claims.subject.unwrap_or_else(|| "anonymous".into())),
        scopes,
        token_id: None,
        member_id,
    })
}
