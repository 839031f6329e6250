//! Governance storage (issue 11): the versions of a workspace's policy, the
//! verdict an action meets under the one in force, and requests for a
//! member's approval — made, decided exactly once, expired, withdrawn.

use serde_json::json;
use switchyard_api::{
    Approval, ApprovalId, ApprovalState, ErrorCode, LaneEventData, LaneId, Policy, PolicyEffect, PolicyRule,
    PolicySubject, PolicyVerdict, WorkspaceId,
};
use switchyard_domain::policy::{self, Action};

use crate::clock::{now_rfc3339, rfc3339_after};
use crate::db::{Db, Row};
use crate::endpoint::Ctx;
use crate::error::ApiError;
use crate::lanes::{LaneRow, append_event};

/// How long a request waits for a decision when its rule does not say.
pub const DEFAULT_APPROVAL_SECONDS: u64 = 3600;

// ---------------------------------------------------------------- policies

fn policy_from_row(row: &Row) -> Result<Policy, ApiError> {
    Ok(Policy {
        version: u64::try_from(row.int("version")?).map_err(ApiError::internal)?,
        rules: row.json("rules")?,
        updated_by: Some(row.text("created_by")?),
        updated_at: Some(row.text("created_at")?),
    })
}

const EMPTY: Policy = Policy { version: 0, rules: Vec::new(), updated_by: None, updated_at: None };

/// The policy in force in `workspace` (version 0, no rules, before the first update).
pub fn current(db: &Db, workspace: &WorkspaceId) -> Result<Policy, ApiError> {
    let row = db.query_one(
        "SELECT version, rules, created_by, created_at FROM policies WHERE workspace_id = $1
         ORDER BY version DESC LIMIT 1",
        &[&workspace.as_str()],
    )?;
    row.as_ref().map_or(Ok(EMPTY), policy_from_row)
}

/// One version of `workspace`'s policy (NOT_FOUND when it was never written).
pub fn version(db: &Db, workspace: &WorkspaceId, version: u64) -> Result<Policy, ApiError> {
    if version == 0 {
        return Ok(EMPTY);
    }
    let row = db
        .query_one(
            "SELECT version, rules, created_by, created_at FROM policies WHERE workspace_id = $1 AND version = $2",
            &[&workspace.as_str(), &version],
        )?
        .ok_or_else(|| ApiError::not_found(format!("policy version {version}")))?;
    policy_from_row(&row)
}

/// Writes `rules` as the next version; `expected` guards against a lost update.
pub fn save(
    tx: &Db,
    workspace: &WorkspaceId,
    rules: Vec<PolicyRule>,
    expected: Option<u64>,
    by: &str,
) -> Result<Policy, ApiError> {
    if let Some((index, name)) = policy::duplicate_name(&rules) {
        return Err(ApiError::validation(format!("rules[{index}].name"), format!("`{name}` names an earlier rule")));
    }
    let now = current(tx, workspace)?.version;
    if let Some(expected) = expected
        && expected != now
    {
        return Err(ApiError::conflict(format!(
            "the policy is at version {now}, not {expected}; read it again and reapply your change"
        ))
        .with_details(json!({"version": now})));
    }
    let policy = Policy { version: now + 1, rules, updated_by: Some(by.to_owned()), updated_at: Some(now_rfc3339()) };
    tx.exec(
        "INSERT INTO policies (workspace_id, version, rules, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            &workspace.as_str(),
            &policy.version,
            &serde_json::to_string(&policy.rules).map_err(ApiError::internal)?,
            &by,
            &policy.updated_at,
        ],
    )?;
    Ok(policy)
}

/// What `action` meets under `workspace`'s policy in force.
pub struct Decision {
    pub verdict: PolicyVerdict,
    pub policy_version: u64,
    /// How long a request for approval waits (from the deciding rule).
    pub approval_seconds: u64,
}

impl Decision {
    pub fn outcome(&self) -> PolicyEffect {
        self.verdict.outcome
    }

    /// The rule that decided, or `the built-in gate`.
    pub fn rule(&self) -> Option<&str> {
        self.verdict.decided_by.as_deref()
    }

    /// `403 POLICY_DENIED` naming the rule (as the reference words it for a dispatch).
    pub fn denial(&self, what: &str) -> ApiError {
        let rule = self.rule().unwrap_or("default");
        let message = self.verdict.met.iter().find(|m| m.name == rule).and_then(|m| m.message.clone());
        let text = match &message {
            Some(m) => format!("{what} blocked by policy rule '{rule}': {m}"),
            None => format!("{what} blocked by policy rule '{rule}'."),
        };
        ApiError::new(ErrorCode::PolicyDenied, text).with_details(json!({
            "rule": rule,
            "message": message,
            "policy_version": self.policy_version,
            "met": self.verdict.met,
        }))
    }
}

impl Decision {
    /// The "decision" behind a request a blocking mandate makes: the rule and its message.
    pub fn mandate(rule: &str, message: &str) -> Self {
        Decision {
            verdict: PolicyVerdict {
                outcome: PolicyEffect::RequireApproval,
                decided_by: Some(rule.to_owned()),
                met: vec![switchyard_api::MetRule {
                    name: rule.to_owned(),
                    effect: PolicyEffect::RequireApproval,
                    message: Some(message.to_owned()),
                }],
            },
            policy_version: 0,
            approval_seconds: DEFAULT_APPROVAL_SECONDS,
        }
    }
}

pub fn decide(db: &Db, workspace: &WorkspaceId, action: &Action<'_>) -> Result<Decision, ApiError> {
    let policy = current(db, workspace)?;
    let verdict = policy::evaluate(&policy.rules, action);
    let approval_seconds = policy
        .rules
        .iter()
        .find(|r| Some(r.name.as_str()) == verdict.decided_by.as_deref())
        .and_then(|r| r.approval_timeout_seconds)
        .map_or(DEFAULT_APPROVAL_SECONDS, |s| s.get());
    Ok(Decision { verdict, policy_version: policy.version, approval_seconds })
}

/// Refuses an action a rule denied, recording the denial in the audit log in
/// its own transaction first (the request's own transaction rolls back).
pub fn refuse(ctx: &Ctx, workspace: &WorkspaceId, audit_action: &str, decision: &Decision, what: &str) -> ApiError {
    let rule = decision.rule().unwrap_or("default");
    match ctx.db.transaction(|tx| ctx.audit_in(tx, workspace, audit_action, Some(rule))) {
        Ok(()) => decision.denial(what),
        Err(e) => e,
    }
}

/// Records a `policy_warning` event for each `warn` rule the action met.
pub fn note_warnings(
    tx: &Db,
    lane: &LaneRow,
    decision: &Decision,
    subject: switchyard_api::ApprovalSubject,
) -> Result<(), ApiError> {
    for met in decision.verdict.met.iter().filter(|m| m.effect == PolicyEffect::Warn) {
        let event = LaneEventData::PolicyWarning { rule: met.name.clone(), message: met.message.clone(), subject };
        append_event(tx, lane, &event)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- approvals

const APPROVAL_COLUMNS: &str = "id, lane_id, state, action, reason, rule, policy_version, requested_by, requested_at,
     expires_at, decided_by, decided_at, note";

fn approval_from_row(row: &Row) -> Result<Approval, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed approval row: {what}"));
    Ok(Approval {
        approval_id: ApprovalId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
        run_id: LaneId::parse(&row.text("lane_id")?).ok_or_else(|| bad("lane_id"))?,
        state: ApprovalState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
        action: row.json("action")?,
        reason: row.text("reason")?,
        rule: row.opt_text("rule")?,
        policy_version: u64::try_from(row.int("policy_version")?).map_err(|_| bad("policy_version"))?,
        requested_by: row.text("requested_by")?,
        requested_at: row.text("requested_at")?,
        expires_at: row.text("expires_at")?,
        decided_by: row.opt_text("decided_by")?,
        decided_at: row.opt_text("decided_at")?,
        note: row.opt_text("note")?,
    })
}

/// Makes a pending request for `subject` on `lane` and records it on the lane.
/// The caller moves the lane to `awaiting_approval`.
pub fn request(
    tx: &Db,
    lane: &LaneRow,
    subject: &PolicySubject,
    decision: &Decision,
    requested_by: &str,
) -> Result<Approval, ApiError> {
    let approval = Approval {
        approval_id: crate::new_id!(ApprovalId),
        run_id: lane.run_id.clone(),
        state: ApprovalState::Pending,
        action: subject.clone(),
        reason: policy::reason(&decision.verdict),
        rule: decision.verdict.decided_by.clone(),
        policy_version: decision.policy_version,
        requested_by: requested_by.to_owned(),
        requested_at: now_rfc3339(),
        expires_at: rfc3339_after(decision.approval_seconds),
        decided_by: None,
        decided_at: None,
        note: None,
    };
    tx.exec(
        &format!(
            "INSERT INTO approvals (workspace_id, subject, {APPROVAL_COLUMNS})
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL)"
        ),
        &[
            &lane.workspace_id.as_str(),
            &subject.kind().as_str(),
            &approval.approval_id.as_str(),
            &lane.run_id.as_str(),
            &approval.state.as_str(),
            &serde_json::to_string(&approval.action).map_err(ApiError::internal)?,
            &approval.reason,
            &approval.rule,
            &approval.policy_version,
            &approval.requested_by,
            &approval.requested_at,
            &approval.expires_at,
        ],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            ApiError::conflict(format!("lane {} already waits for a decision", lane.run_id))
        } else {
            e.into()
        }
    })?;
    let event = LaneEventData::ApprovalRequested {
        approval_id: approval.approval_id.clone(),
        subject: subject.kind(),
        rule: approval.rule.clone(),
        reason: approval.reason.clone(),
    };
    append_event(tx, lane, &event)?;
    Ok(approval)
}

/// A request of `workspace` (NOT_FOUND for another workspace's).
pub fn load(db: &Db, workspace: &WorkspaceId, id: &ApprovalId) -> Result<Approval, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("approval {id}")))?;
    approval_from_row(&row)
}

/// The request `lane` waits on, if any.
pub fn pending_of(db: &Db, lane: &LaneId) -> Result<Option<Approval>, ApiError> {
    let row = db.query_one(
        &format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE lane_id = $1 AND state = $2"),
        &[&lane.as_str(), &ApprovalState::Pending.as_str()],
    )?;
    row.as_ref().map(approval_from_row).transpose()
}

/// Decides a pending request: exactly one decision wins, however many race;
/// the others get a 409 naming the state and who decided.
pub fn settle(
    tx: &Db,
    lane: &LaneRow,
    id: &ApprovalId,
    state: ApprovalState,
    by: &str,
    note: Option<&str>,
) -> Result<Approval, ApiError> {
    let row = tx.query_one(
        &format!(
            "UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3, note = $4
             WHERE id = $5 AND workspace_id = $6 AND state = $7 RETURNING {APPROVAL_COLUMNS}"
        ),
        &[
            &state.as_str(),
            &by,
            &now_rfc3339(),
            &note,
            &id.as_str(),
            &lane.workspace_id.as_str(),
            &ApprovalState::Pending.as_str(),
        ],
    )?;
    let Some(row) = row else {
        let settled = load(tx, &lane.workspace_id, id)?;
        return Err(ApiError::conflict(format!(
            "approval {id} is already {}{}",
            settled.state.as_str(),
            settled.decided_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default()
        ))
        .with_details(json!({"approval_id": id, "state": settled.state.as_str(), "decided_by": settled.decided_by})));
    };
    let approval = approval_from_row(&row)?;
    let event = LaneEventData::ApprovalDecided {
        approval_id: approval.approval_id.clone(),
        state,
        by: by.to_owned(),
        note: note.map(str::to_owned),
    };
    append_event(tx, lane, &event)?;
    Ok(approval)
}

/// Withdraws `lane`'s pending request, if any (the lane moved on without a decision).
pub(crate) fn withdraw_pending(tx: &Db, lane: &LaneRow, why: &str) -> Result<(), ApiError> {
    if let Some(pending) = pending_of(tx, &lane.run_id)? {
        settle(tx, lane, &pending.approval_id, ApprovalState::Withdrawn, "system", Some(why))?;
    }
    Ok(())
}

/// An approved tool-call request is good for one call: marks it used (409 when it was).
pub fn consume(tx: &Db, approval: &Approval) -> Result<(), ApiError> {
    let row = tx.query_one(
        "UPDATE approvals SET consumed_at = $1 WHERE id = $2 AND state = $3 AND consumed_at IS NULL RETURNING id",
        &[&now_rfc3339(), &approval.approval_id.as_str(), &ApprovalState::Approved.as_str()],
    )?;
    if row.is_none() {
        return Err(
            ApiError::conflict(format!("approval {} was already used", approval.approval_id)).with_field("approval_id")
        );
    }
    Ok(())
}

/// What `approval-list` filters by.
#[derive(Debug, Clone, Default)]
pub struct ApprovalFilter<'f> {
    pub state: Option<ApprovalState>,
    pub lane: Option<&'f LaneId>,
}

/// A page of `workspace`'s requests, newest first, strictly before the `(requested_at, id)` position `before`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    filter: &ApprovalFilter<'_>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<Approval>, ApiError> {
    let state = filter.state.map(ApprovalState::as_str);
    let lane = filter.lane.map(LaneId::as_str);
    let found = db.query(
        &format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE workspace_id = $1
               AND ($2 IS NULL OR state = $3) AND ($4 IS NULL OR lane_id = $5)
               AND (requested_at < $6 OR (requested_at = $7 AND id < $8))
             ORDER BY requested_at DESC, id DESC LIMIT $9"
        ),
        &[&workspace.as_str(), &state, &state, &lane, &lane, &before.0, &before.0, &before.1, &limit],
    )?;
    found.iter().map(approval_from_row).collect()
}

/// Pending requests whose deadline passed at `now` (for the dispatch tick), with their workspaces.
pub fn overdue(db: &Db, now: &str) -> Result<Vec<(WorkspaceId, Approval)>, ApiError> {
    let found = db.query(
        &format!(
            "SELECT workspace_id, {APPROVAL_COLUMNS} FROM approvals WHERE state = $1 AND expires_at < $2
             ORDER BY expires_at LIMIT 500"
        ),
        &[&ApprovalState::Pending.as_str(), &now],
    )?;
    found
        .iter()
        .map(|r| {
            let workspace = WorkspaceId::parse(&r.text("workspace_id")?)
                .ok_or_else(|| ApiError::internal("malformed approval row: workspace_id"))?;
            Ok((workspace, approval_from_row(r)?))
        })
        .collect()
}

/// `lane-approve` / `lane-reject`: settles the lane's request (the one named,
/// or the one it waits on) and moves the lane on.
pub fn decide_lane(
    ctx: &Ctx,
    tx: &Db,
    input: switchyard_api::DecideApproval,
    decision: ApprovalState,
) -> Result<crate::endpoint::Change<switchyard_api::LaneDecision>, ApiError> {
    use switchyard_domain::lane::Event;
    let workspace = ctx.workspace_id()?;
    let mut lane = crate::lanes::load_lane(tx, workspace, &input.run_id)?;
    let id = match input.approval_id {
        Some(id) => {
            let approval = load(tx, workspace, &id)?;
            if approval.run_id != lane.run_id {
                return Err(ApiError::validation("approval_id", format!("belongs to lane {}", approval.run_id)));
            }
            id
        }
        None => {
            pending_of(tx, &lane.run_id)?
                .ok_or_else(|| {
                    ApiError::conflict(format!(
                        "lane {} is {}; it waits for no decision",
                        lane.run_id,
                        lane.state.as_str()
                    ))
                    .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str()}))
                })?
                .approval_id
        }
    };
    let by = ctx.caller.actor();
    let note = input.note.as_ref().map(|n| n.as_str());
    let approval = settle(tx, &lane, &id, decision, &by, note)?;
    let event = match (&approval.action, decision) {
        // A completion a mandate held ends now: completed if approved, failed if not.
        (PolicySubject::Completion { violations }, _) => {
            let result = if decision == ApprovalState::Approved {
                switchyard_api::LaneResult::Completed {
                    exit_code: lane.exit_code.unwrap_or(0),
                    summary: lane.summary.clone(),
                    diff_stat: None,
                }
            } else {
                let rules: Vec<&str> = violations.iter().map(|v| v.rule.as_str()).collect();
                let error = format!("completion rejected: {}", rules.join(", "));
                switchyard_api::LaneResult::Failed { exit_code: lane.exit_code, error }
            };
            append_event(tx, &lane, &LaneEventData::Result(result))?;
            if decision == ApprovalState::Approved { Event::Complete } else { Event::Fail }
        }
        (_, ApprovalState::Approved) => Event::Approved { held: lane.harness_id.is_some() },
        _ => Event::Rejected { held: lane.harness_id.is_some() },
    };
    crate::lanes::apply(tx, &mut lane, event, Some(&format!("{} by {by}", decision.as_str())))?;
    let target = approval.approval_id.to_string();
    Ok(crate::endpoint::Change::ok(target, switchyard_api::LaneDecision { approval, lane: lane.to_api() }))
}
