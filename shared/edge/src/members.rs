//! Member storage (issue 11): who belongs to a workspace, with which role and
//! single-scope grants; the last owner stays; removing a member revokes the
//! tokens that act for them.

use serde_json::json;
use switchyard_api::{MemberId, MemberView, Role, Scope, TokenId, WorkspaceId};
use switchyard_domain::access;

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::error::ApiError;

/// The scopes granted to `member` on top of their role's.
pub fn grants(db: &Db, member: &MemberId) -> Result<Vec<Scope>, ApiError> {
    db.query("SELECT scope FROM member_grants WHERE member_id = $1 ORDER BY scope", &[&member.as_str()])?
        .iter()
        .map(|r| Scope::parse(&r.text("scope")?).map_err(|e| ApiError::internal(format!("stored grant: {e}"))))
        .collect()
}

fn view(db: &Db, row: &Row) -> Result<MemberView, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed member row: {what}"));
    let member_id = MemberId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?;
    let role = Role::parse(&row.text("role")?).ok_or_else(|| bad("role"))?;
    let grants = grants(db, &member_id)?;
    let scopes = access::member_scopes(role, &grants);
    Ok(MemberView { member_id, email: row.text("email")?, role, grants, scopes, created_at: row.text("created_at")? })
}

/// The member of `workspace` with `email` (case-insensitive), and their role.
pub fn by_email(db: &Db, workspace: &WorkspaceId, email: &str) -> Result<Option<(MemberId, Role)>, ApiError> {
    let row = db.query_one(
        "SELECT id, role FROM members WHERE workspace_id = $1 AND lower(email) = lower($2)",
        &[&workspace.as_str(), &email],
    )?;
    row.map(|r| {
        let id = MemberId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("malformed member id"))?;
        let role = Role::parse(&r.text("role")?).ok_or_else(|| ApiError::internal("malformed member role"))?;
        Ok((id, role))
    })
    .transpose()
}

/// `workspace`'s members, oldest first.
pub fn list(db: &Db, workspace: &WorkspaceId) -> Result<Vec<MemberView>, ApiError> {
    let rows = db.query(
        "SELECT id, email, role, created_at FROM members WHERE workspace_id = $1 ORDER BY created_at, id LIMIT 1000",
        &[&workspace.as_str()],
    )?;
    rows.iter().map(|r| view(db, r)).collect()
}

/// A member of `workspace` (NOT_FOUND for another workspace's).
pub fn load(db: &Db, workspace: &WorkspaceId, member: &MemberId) -> Result<MemberView, ApiError> {
    let row = db
        .query_one(
            "SELECT id, email, role, created_at FROM members WHERE id = $1 AND workspace_id = $2",
            &[&member.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("member {member}")))?;
    view(db, &row)
}

/// Adds `email` with `role`; an address already in the workspace is a CONFLICT.
pub fn invite(tx: &Db, workspace: &WorkspaceId, email: &str, role: Role) -> Result<MemberView, ApiError> {
    let id = crate::new_id!(MemberId);
    tx.exec(
        "INSERT INTO members (id, workspace_id, email, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&id.as_str(), &workspace.as_str(), &email, &role.as_str(), &now_rfc3339()],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            ApiError::conflict(format!("{email} is already a member")).with_field("email")
        } else {
            e.into()
        }
    })?;
    load(tx, workspace, &id)
}

fn owners(tx: &Db, workspace: &WorkspaceId) -> Result<i64, ApiError> {
    let row = tx
        .query_one(
            "SELECT COUNT(*) AS n FROM members WHERE workspace_id = $1 AND role = $2",
            &[&workspace.as_str(), &Role::Owner.as_str()],
        )?
        .ok_or_else(|| ApiError::internal("count returned no row"))?;
    Ok(row.int("n")?)
}

/// Refuses to leave `workspace` without an owner.
fn keep_an_owner(tx: &Db, workspace: &WorkspaceId, member: &MemberView) -> Result<(), ApiError> {
    if member.role == Role::Owner && owners(tx, workspace)? <= 1 {
        return Err(ApiError::conflict(format!(
            "{} is the workspace's last owner; make another member owner first",
            member.email
        ))
        .with_details(json!({"member_id": member.member_id})));
    }
    Ok(())
}

/// Changes a member's role; the last owner cannot be demoted.
pub fn set_role(tx: &Db, workspace: &WorkspaceId, member: &MemberId, role: Role) -> Result<MemberView, ApiError> {
    let current = load(tx, workspace, member)?;
    if role != Role::Owner {
        keep_an_owner(tx, workspace, &current)?;
    }
    tx.exec("UPDATE members SET role = $1 WHERE id = $2", &[&role.as_str(), &member.as_str()])?;
    load(tx, workspace, member)
}

/// Removes a member: their grants go, the tokens acting for them are revoked;
/// the last owner cannot be removed.
pub fn remove(tx: &Db, workspace: &WorkspaceId, member: &MemberId) -> Result<Vec<TokenId>, ApiError> {
    let current = load(tx, workspace, member)?;
    keep_an_owner(tx, workspace, &current)?;
    let revoked = tx.query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL
         AND id IN (SELECT token_id FROM token_members WHERE member_id = $2) RETURNING id",
        &[&now_rfc3339(), &member.as_str()],
    )?;
    tx.exec("DELETE FROM member_grants WHERE member_id = $1", &[&member.as_str()])?;
    tx.exec("DELETE FROM token_members WHERE member_id = $1", &[&member.as_str()])?;
    tx.exec("DELETE FROM members WHERE id = $1", &[&member.as_str()])?;
    revoked
        .iter()
        .map(|r| TokenId::parse(&r.text("id")?).ok_or_else(|| ApiError::internal("malformed token id")))
        .collect()
}

/// Grants one scope (granting one the member holds already changes nothing).
pub fn grant(
    tx: &Db,
    workspace: &WorkspaceId,
    member: &MemberId,
    scope: Scope,
    by: &str,
) -> Result<MemberView, ApiError> {
    load(tx, workspace, member)?;
    tx.exec(
        "INSERT INTO member_grants (member_id, scope, granted_by, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (member_id, scope) DO NOTHING",
        &[&member.as_str(), &scope.as_str(), &by, &now_rfc3339()],
    )?;
    load(tx, workspace, member)
}

/// Revokes a granted scope (a role's own scopes are changed with the role).
pub fn revoke(tx: &Db, workspace: &WorkspaceId, member: &MemberId, scope: Scope) -> Result<MemberView, ApiError> {
    let current = load(tx, workspace, member)?;
    if !current.grants.contains(&scope) {
        let why = if current.role.default_scopes().contains(&scope) {
            format!("comes with the {} role; change the role instead", current.role.as_str())
        } else {
            "was not granted to this member".to_owned()
        };
        return Err(ApiError::validation("scope", why));
    }
    tx.exec("DELETE FROM member_grants WHERE member_id = $1 AND scope = $2", &[&member.as_str(), &scope.as_str()])?;
    load(tx, workspace, member)
}

/// Binds a new token to the member it acts for.
pub fn bind_token(tx: &Db, token: &TokenId, member: &MemberId) -> Result<(), ApiError> {
    tx.exec("INSERT INTO token_members (token_id, member_id) VALUES ($1, $2)", &[&token.as_str(), &member.as_str()])?;
    Ok(())
}

/// Owners and admins are made, changed and removed only by a caller holding
/// `admin`: `members:write` alone manages members and viewers.
pub fn may_manage(caller: &[Scope], role: Role) -> Result<(), ApiError> {
    if matches!(role, Role::Owner | Role::Admin) && !Scope::Admin.granted_by(caller) {
        return Err(ApiError::scope_denied(Scope::Admin));
    }
    Ok(())
}

/// A caller grants only what they hold themselves.
pub fn may_grant(caller: &[Scope], scope: Scope) -> Result<(), ApiError> {
    if !scope.granted_by(caller) {
        return Err(ApiError::scope_denied(scope));
    }
    Ok(())
}
