//! Planning storage: projects, issues (numbers, comments, relations),
//! signals folded into issues by fingerprint, the queue (its order and the
//! atomic claim of its head), prompt templates and their reviews, and the
//! issue that follows its lane's outcome.

use serde_json::json;
use switchyard_api::{
    ClaimedIssue, CreateIssue, CreateProject, GoalId, Issue, IssueComment, IssueDetail, IssueId, IssueRelation,
    IssueStatus, IssueType, LaneId, LaneState, Priority, Project, ProjectId, QueuedIssue, RelationKind, Template,
    TemplateId, TemplateRef, TemplateVersion, UpdateIssue, WorkspaceId,
};
use switchyard_domain::planning;

use crate::clock::{now_rfc3339, rfc3339_after};
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::new_id;

// ---------------------------------------------------------------- projects

const PROJECT_COLUMNS: &str = "id, name, repository, default_branch, goal, created_at, \
    (SELECT COUNT(*) FROM issues i WHERE i.project_id = projects.id AND i.status NOT IN ('done', 'cancelled')) AS open_issues";

fn project_from_row(row: &Row) -> Result<Project, ApiError> {
    Ok(Project {
        id: ProjectId::parse(&row.text("id")?).ok_or_else(|| ApiError::internal("malformed project id"))?,
        name: row.text("name")?,
        repository: row.text("repository")?,
        default_branch: row.text("default_branch")?,
        goal: row.opt_text("goal")?,
        open_issues: u64::try_from(row.int("open_issues")?).unwrap_or_default(),
        created_at: row.text("created_at")?,
    })
}

pub fn create_project(tx: &Db, workspace: &WorkspaceId, input: &CreateProject, by: &str) -> Result<Project, ApiError> {
    let id = new_id!(ProjectId);
    let inserted = tx.exec(
        "INSERT INTO projects (id, workspace_id, name, repository, default_branch, goal, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &input.name.as_str(),
            &input.repository.as_str(),
            &input.default_branch.as_ref().map_or("main", |b| b.as_str()),
            &input.goal.as_ref().map(|g| g.as_str()),
            &by,
            &now_rfc3339(),
        ],
    );
    match inserted {
        Err(e) if e.is_unique_violation() => {
            Err(ApiError::conflict(format!("a project named `{}` exists", input.name.as_str())))
        }
        other => other.map_err(ApiError::from),
    }?;
    load_project(tx, workspace, &id)
}

pub fn list_projects(db: &Db, workspace: &WorkspaceId) -> Result<Vec<Project>, ApiError> {
    let rows = db.query(
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE workspace_id = $1 ORDER BY name"),
        &[&workspace.as_str()],
    )?;
    rows.iter().map(project_from_row).collect()
}

/// A project of `workspace`; another workspace's is NOT_FOUND.
pub fn load_project(db: &Db, workspace: &WorkspaceId, id: &ProjectId) -> Result<Project, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("project {id}")))?;
    project_from_row(&row)
}

/// The workspace's oldest project for `repository`, if any.
pub fn project_for_repository(db: &Db, workspace: &WorkspaceId, repository: &str) -> Result<Option<Project>, ApiError> {
    db.query_one(
        &format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE workspace_id = $1 AND repository = $2 ORDER BY created_at LIMIT 1"
        ),
        &[&workspace.as_str(), &repository],
    )?
    .as_ref()
    .map(project_from_row)
    .transpose()
}

// ---------------------------------------------------------------- issues

/// An issue is blocked while an issue that blocks it is neither done nor cancelled.
const BLOCKED: &str = "EXISTS (SELECT 1 FROM issue_relations r JOIN issues b ON b.id = r.from_id
     WHERE r.to_id = issues.id AND r.kind = 'blocks' AND b.status NOT IN ('done', 'cancelled'))";

/// The weight of an issue's goal while that goal is active (else 0).
const GOAL_WEIGHT: &str =
    "COALESCE((SELECT g.weight FROM goals g WHERE g.id = issues.goal_id AND g.status = 'active'), 0)";

fn issue_columns() -> String {
    format!(
        "id, number, title, body, type, priority, status, project_id, labels, source, signal_count, first_seen, \
         last_seen, claimed_by, claim_expires_at, lane_id, trace_files, created_by, created_at, updated_at, goal_id, \
         {BLOCKED} AS blocked, {GOAL_WEIGHT} AS goal_weight"
    )
}

fn issue_from_row(row: &Row) -> Result<Issue, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed issue row: {what}"));
    Ok(Issue {
        id: IssueId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
        number: u64::try_from(row.int("number")?).map_err(|_| bad("number"))?,
        title: row.text("title")?,
        body: row.opt_text("body")?,
        issue_type: IssueType::parse(&row.text("type")?).ok_or_else(|| bad("type"))?,
        priority: Priority::parse(&row.text("priority")?).ok_or_else(|| bad("priority"))?,
        status: IssueStatus::parse(&row.text("status")?).ok_or_else(|| bad("status"))?,
        project_id: row
            .opt_text("project_id")?
            .map(|p| ProjectId::parse(&p).ok_or_else(|| bad("project_id")))
            .transpose()?,
        goal_id: row.opt_text("goal_id")?.map(|g| GoalId::parse(&g).ok_or_else(|| bad("goal_id"))).transpose()?,
        labels: row.json("labels")?,
        source: row.text("source")?,
        signal_count: u64::try_from(row.int("signal_count")?).map_err(|_| bad("signal_count"))?,
        first_seen: row.opt_text("first_seen")?,
        last_seen: row.opt_text("last_seen")?,
        blocked: row.int("blocked")? == 1,
        claimed_by: row.opt_text("claimed_by")?,
        claim_expires_at: row.opt_text("claim_expires_at")?,
        run_id: row.opt_text("lane_id")?.map(|l| LaneId::parse(&l).ok_or_else(|| bad("lane_id"))).transpose()?,
        trace_files: row.json("trace_files")?,
        created_by: row.text("created_by")?,
        created_at: row.text("created_at")?,
        updated_at: row.text("updated_at")?,
    })
}

/// An issue of `workspace`; another workspace's is NOT_FOUND.
pub fn load_issue(db: &Db, workspace: &WorkspaceId, id: &IssueId) -> Result<Issue, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {} FROM issues WHERE id = $1 AND workspace_id = $2", issue_columns()),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("issue {id}")))?;
    issue_from_row(&row)
}

/// What a new issue is made of (by hand, or from a signal).
#[derive(Debug, Clone)]
pub struct NewIssue<'a> {
    pub title: &'a str,
    pub body: Option<&'a str>,
    pub issue_type: IssueType,
    pub priority: Priority,
    pub project: Option<&'a ProjectId>,
    pub goal: Option<&'a GoalId>,
    pub labels: Vec<String>,
    pub source: &'a str,
    pub fingerprint: Option<&'a str>,
    pub trace_files: Vec<String>,
}

impl<'a> NewIssue<'a> {
    pub fn from_input(input: &'a CreateIssue) -> Self {
        Self {
            title: input.title.as_str(),
            body: input.body.as_ref().map(|b| b.as_str()),
            issue_type: input.issue_type.unwrap_or(IssueType::Task),
            priority: input.priority.unwrap_or(Priority::Normal),
            project: input.project_id.as_ref(),
            goal: input.goal_id.as_ref(),
            labels: input.labels.strings(),
            source: "manual",
            fingerprint: None,
            trace_files: Vec::new(),
        }
    }
}

/// Opens an issue with the workspace's next number.
pub fn create_issue(tx: &Db, workspace: &WorkspaceId, new: &NewIssue<'_>, by: &str) -> Result<Issue, ApiError> {
    if let Some(project) = new.project {
        load_project(tx, workspace, project).map_err(|_| ApiError::validation("project_id", "no such project"))?;
    }
    if let Some(goal) = new.goal {
        crate::goals::load(tx, workspace, goal).map_err(|_| ApiError::validation("goal_id", "no such goal"))?;
    }
    let number = tx
        .query_one(
            "SELECT COALESCE(MAX(number), 0) + 1 AS next FROM issues WHERE workspace_id = $1",
            &[&workspace.as_str()],
        )?
        .map(|r| r.int("next"))
        .transpose()?
        .unwrap_or(1);
    let id = new_id!(IssueId);
    let now = now_rfc3339();
    let from_signal = new.fingerprint.is_some();
    tx.exec(
        "INSERT INTO issues (id, workspace_id, number, title, body, type, priority, priority_rank, status, project_id,
         labels, source, fingerprint, signal_count, first_seen, last_seen, trace_files, created_by, created_at, updated_at,
         goal_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &number,
            &new.title,
            &new.body,
            &new.issue_type.as_str(),
            &new.priority.as_str(),
            &planning::priority_rank(new.priority),
            &new.project.map(ProjectId::as_str),
            &serde_json::to_string(&new.labels).map_err(ApiError::internal)?,
            &new.source,
            &new.fingerprint,
            &i64::from(from_signal),
            &from_signal.then(|| now.clone()),
            &from_signal.then(|| now.clone()),
            &serde_json::to_string(&new.trace_files).map_err(ApiError::internal)?,
            &by,
            &now,
            &now,
            &new.goal.map(GoalId::as_str),
        ],
    )?;
    load_issue(tx, workspace, &id)
}

/// Applies an `issue-update`. Status may be set to `open`, `done` or
/// `cancelled` only; reopening releases a claim.
pub fn update_issue(tx: &Db, workspace: &WorkspaceId, input: &UpdateIssue) -> Result<Issue, ApiError> {
    let current = load_issue(tx, workspace, &input.issue_id)?;
    if let Some(status) = input.status
        && matches!(status, IssueStatus::Claimed | IssueStatus::InProgress)
    {
        return Err(ApiError::validation(
            "status",
            "set `open`, `done` or `cancelled`; `claimed` and `in_progress` come from dispatch-claim and lanes",
        ));
    }
    if let Some(project) = &input.project_id {
        load_project(tx, workspace, project).map_err(|_| ApiError::validation("project_id", "no such project"))?;
    }
    if let Some(goal) = &input.goal_id {
        crate::goals::load(tx, workspace, goal).map_err(|_| ApiError::validation("goal_id", "no such goal"))?;
    }
    let priority = input.priority.unwrap_or(current.priority);
    let status = input.status.unwrap_or(current.status);
    let releases = input.status.is_some_and(|s| s != IssueStatus::Claimed);
    let labels = match &input.labels {
        Some(l) => l.strings(),
        None => current.labels.clone(),
    };
    tx.exec(
        "UPDATE issues SET title = $1, body = $2, type = $3, priority = $4, priority_rank = $5, status = $6,
         project_id = $7, labels = $8, claimed_by = $9, claim_expires_at = $10, updated_at = $11, goal_id = $12
         WHERE id = $13",
        &[
            &input.title.as_ref().map_or(current.title.clone(), |t| t.to_string()),
            &input.body.as_ref().map(|b| b.to_string()).or(current.body.clone()),
            &input.issue_type.unwrap_or(current.issue_type).as_str(),
            &priority.as_str(),
            &planning::priority_rank(priority),
            &status.as_str(),
            &input.project_id.as_ref().or(current.project_id.as_ref()).map(ProjectId::as_str),
            &serde_json::to_string(&labels).map_err(ApiError::internal)?,
            &(!releases).then(|| current.claimed_by.clone()).flatten(),
            &(!releases).then(|| current.claim_expires_at.clone()).flatten(),
            &now_rfc3339(),
            &input.goal_id.as_ref().or(current.goal_id.as_ref()).map(GoalId::as_str),
            &current.id.as_str(),
        ],
    )?;
    load_issue(tx, workspace, &current.id)
}

/// Issues of `workspace`, newest first, before `(created_at, id)`, filtered.
pub struct IssueFilter<'f> {
    pub status: Option<IssueStatus>,
    pub issue_type: Option<IssueType>,
    pub priority: Option<Priority>,
    pub project: Option<&'f ProjectId>,
    pub label: Option<&'f str>,
}

pub fn page_issues(
    db: &Db,
    workspace: &WorkspaceId,
    filter: &IssueFilter<'_>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<Issue>, ApiError> {
    let status = filter.status.map(IssueStatus::as_str);
    let issue_type = filter.issue_type.map(IssueType::as_str);
    let priority = filter.priority.map(Priority::as_str);
    let project = filter.project.map(ProjectId::as_str);
    let label = filter.label.map(crate::db::json_word_pattern);
    let rows = db.query(
        &format!(
            "SELECT {} FROM issues WHERE workspace_id = $1
               AND ($2 IS NULL OR status = $3) AND ($4 IS NULL OR type = $5) AND ($6 IS NULL OR priority = $7)
               AND ($8 IS NULL OR project_id = $9) AND ($10 IS NULL OR labels LIKE $11 ESCAPE '\\')
               AND (created_at < $12 OR (created_at = $13 AND id < $14))
             ORDER BY created_at DESC, id DESC LIMIT $15",
            issue_columns()
        ),
        &[
            &workspace.as_str(),
            &status,
            &status,
            &issue_type,
            &issue_type,
            &priority,
            &priority,
            &project,
            &project,
            &label,
            &label,
            &before.0,
            &before.0,
            &before.1,
            &limit,
        ],
    )?;
    rows.iter().map(issue_from_row).collect()
}

pub fn comment(tx: &Db, issue: &Issue, author: &str, body: &str) -> Result<IssueComment, ApiError> {
    let created_at = now_rfc3339();
    let row = tx
        .query_one(
            "INSERT INTO issue_comments (issue_id, author, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&issue.id.as_str(), &author, &body, &created_at],
        )?
        .ok_or_else(|| ApiError::internal("comment insert returned no id"))?;
    let id = u64::try_from(row.int("id")?).map_err(ApiError::internal)?;
    Ok(IssueComment { id, author: author.to_owned(), body: body.to_owned(), created_at })
}

/// Relates two issues of the workspace; a relation to itself, or a `blocks`
/// that would close a cycle, is refused (409).
pub fn relate(
    tx: &Db,
    workspace: &WorkspaceId,
    issue: &IssueId,
    kind: RelationKind,
    other: &IssueId,
    by: &str,
) -> Result<IssueDetail, ApiError> {
    load_issue(tx, workspace, issue)?;
    load_issue(tx, workspace, other).map_err(|_| ApiError::validation("other_id", "no such issue"))?;
    if issue == other {
        return Err(ApiError::validation("other_id", "an issue cannot relate to itself"));
    }
    let (stored, backwards) = kind.stored();
    let (from, to) = if backwards { (other, issue) } else { (issue, other) };
    if stored == "blocks" && blocks_transitively(tx, to, from)? {
        return Err(ApiError::conflict(format!("{to} already blocks {from} (directly or through others): a cycle")));
    }
    tx.exec(
        "INSERT INTO issue_relations (from_id, kind, to_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (from_id, kind, to_id) DO NOTHING",
        &[&from.as_str(), &stored, &to.as_str(), &by, &now_rfc3339()],
    )?;
    if kind == RelationKind::DuplicateOf {
        tx.exec(
            "UPDATE issues SET status = 'cancelled', claimed_by = NULL, claim_expires_at = NULL, updated_at = $1
             WHERE id = $2 AND status IN ('open', 'claimed')",
            &[&now_rfc3339(), &issue.as_str()],
        )?;
    }
    detail(tx, workspace, issue)
}

/// Whether `from` blocks `to`, following `blocks` relations (at most 1 000 steps).
fn blocks_transitively(db: &Db, from: &IssueId, to: &IssueId) -> Result<bool, ApiError> {
    let mut frontier = vec![from.as_str().to_owned()];
    let mut seen = std::collections::HashSet::new();
    while let Some(current) = frontier.pop() {
        if current == to.as_str() {
            return Ok(true);
        }
        if !seen.insert(current.clone()) || seen.len() > 1_000 {
            continue;
        }
        for row in db.query("SELECT to_id FROM issue_relations WHERE from_id = $1 AND kind = 'blocks'", &[&current])? {
            frontier.push(row.text("to_id")?);
        }
    }
    Ok(false)
}

/// An issue with its comments and relations (both directions).
pub fn detail(db: &Db, workspace: &WorkspaceId, id: &IssueId) -> Result<IssueDetail, ApiError> {
    let issue = load_issue(db, workspace, id)?;
    let comments = db
        .query(
            "SELECT id, author, body, created_at FROM issue_comments WHERE issue_id = $1 ORDER BY id",
            &[&id.as_str()],
        )?
        .iter()
        .map(|r| {
            Ok(IssueComment {
                id: u64::try_from(r.int("id")?).map_err(ApiError::internal)?,
                author: r.text("author")?,
                body: r.text("body")?,
                created_at: r.text("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let rows = db.query(
        "SELECT r.kind, 0 AS backwards, i.id, i.number, i.title, i.status FROM issue_relations r
           JOIN issues i ON i.id = r.to_id WHERE r.from_id = $1
         UNION ALL
         SELECT r.kind, 1 AS backwards, i.id, i.number, i.title, i.status FROM issue_relations r
           JOIN issues i ON i.id = r.from_id WHERE r.to_id = $2
         ORDER BY number",
        &[&id.as_str(), &id.as_str()],
    )?;
    let bad = |what: &str| ApiError::internal(format!("malformed relation: {what}"));
    let relations = rows
        .iter()
        .map(|r| {
            let backwards = r.int("backwards")? == 1;
            let kind = match (r.text("kind")?.as_str(), backwards) {
                ("blocks", false) => RelationKind::Blocks,
                ("blocks", true) => RelationKind::BlockedBy,
                ("parent_of", false) => RelationKind::ParentOf,
                ("parent_of", true) => RelationKind::ChildOf,
                ("duplicate_of", false) => RelationKind::DuplicateOf,
                // The other issue is a duplicate of this one: seen from here, it is a duplicate too.
                ("duplicate_of", true) => RelationKind::DuplicateOf,
                _ => return Err(bad("kind")),
            };
            Ok(IssueRelation {
                kind,
                issue_id: IssueId::parse(&r.text("id")?).ok_or_else(|| bad("id"))?,
                number: u64::try_from(r.int("number")?).map_err(|_| bad("number"))?,
                title: r.text("title")?,
                status: IssueStatus::parse(&r.text("status")?).ok_or_else(|| bad("status"))?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(IssueDetail { issue, comments, relations })
}

/// The newest issue with `fingerprint`, whatever its status.
pub fn issue_by_fingerprint(db: &Db, workspace: &WorkspaceId, fingerprint: &str) -> Result<Option<Issue>, ApiError> {
    db.query_one(
        &format!(
            "SELECT {} FROM issues WHERE workspace_id = $1 AND fingerprint = $2 ORDER BY created_at DESC LIMIT 1",
            issue_columns()
        ),
        &[&workspace.as_str(), &fingerprint],
    )?
    .as_ref()
    .map(issue_from_row)
    .transpose()
}

// ---------------------------------------------------------------- signals

/// Folds a signal into the open issue with its fingerprint (count, last
/// seen), or opens one. Returns the issue and whether it is new.
pub fn fold_signal(tx: &Db, workspace: &WorkspaceId, new: &NewIssue<'_>, by: &str) -> Result<(Issue, bool), ApiError> {
    let fingerprint = new.fingerprint.ok_or_else(|| ApiError::internal("a signal without a fingerprint"))?;
    let existing = tx.query_one(
        "SELECT id FROM issues WHERE workspace_id = $1 AND fingerprint = $2 AND status NOT IN ('done', 'cancelled')
         ORDER BY created_at DESC LIMIT 1",
        &[&workspace.as_str(), &fingerprint],
    )?;
    let (issue, new_issue) = match existing {
        Some(row) => {
            let id = IssueId::parse(&row.text("id")?).ok_or_else(|| ApiError::internal("malformed issue id"))?;
            let now = now_rfc3339();
            tx.exec(
                "UPDATE issues SET signal_count = signal_count + 1, last_seen = $1, updated_at = $2 WHERE id = $3",
                &[&now, &now, &id.as_str()],
            )?;
            (load_issue(tx, workspace, &id)?, false)
        }
        None => (create_issue(tx, workspace, new, by)?, true),
    };
    tx.exec(
        "INSERT INTO signal_arrivals (workspace_id, issue_id, source, arrived_at) VALUES ($1, $2, $3, $4)",
        &[&workspace.as_str(), &issue.id.as_str(), &new.source, &now_rfc3339()],
    )?;
    Ok((issue, new_issue))
}

/// Registers a signal provider with the secret it signs with.
pub fn create_source(
    tx: &Db,
    workspace: &WorkspaceId,
    input: &switchyard_api::CreateSignalSource,
    by: &str,
) -> Result<switchyard_api::SignalSource, ApiError> {
    if let Some(project) = &input.project_id {
        load_project(tx, workspace, project).map_err(|_| ApiError::validation("project_id", "no such project"))?;
    }
    let id = new_id!(switchyard_api::SignalSourceId);
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO signal_sources (id, workspace_id, provider, secret, project_id, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &input.provider.as_str(),
            &input.secret.as_str(),
            &input.project_id.as_ref().map(ProjectId::as_str),
            &by,
            &now,
        ],
    )?;
    Ok(switchyard_api::SignalSource {
        webhook_path: format!("/functions/v1/{}-webhook?source={id}", input.provider.as_str()),
        id,
        provider: input.provider,
        project_id: input.project_id.clone(),
        created_at: now,
    })
}

/// What verifying a signal source's delivery needs.
pub struct SourceSecret {
    pub workspace_id: WorkspaceId,
    pub secret: String,
    pub project: Option<ProjectId>,
}

/// The source a delivery names (none for an unknown one or another provider's).
pub fn source_for_delivery(
    db: &Db,
    id: &switchyard_api::SignalSourceId,
    provider: switchyard_api::SignalProvider,
) -> Result<Option<SourceSecret>, ApiError> {
    let Some(row) = db.query_one(
        "SELECT workspace_id, secret, project_id FROM signal_sources WHERE id = $1 AND provider = $2",
        &[&id.as_str(), &provider.as_str()],
    )?
    else {
        return Ok(None);
    };
    let bad = |what: &str| ApiError::internal(format!("malformed signal source row: {what}"));
    Ok(Some(SourceSecret {
        workspace_id: WorkspaceId::parse(&row.text("workspace_id")?).ok_or_else(|| bad("workspace_id"))?,
        secret: row.text("secret")?,
        project: row
            .opt_text("project_id")?
            .map(|p| ProjectId::parse(&p).ok_or_else(|| bad("project_id")))
            .transpose()?,
    }))
}

// ---------------------------------------------------------------- the queue

/// Candidates per look at the queue: the oldest of the highest priorities
/// (priority always outranks the rest of the score, see `planning::score`).
const CANDIDATES: i64 = 200;

/// Issues that may be claimed now, best first, with their scores: open (or
/// claimed by someone whose lease ran out) and not blocked.
pub fn queue(
    db: &Db,
    workspace: &WorkspaceId,
    project: Option<&ProjectId>,
    goal: Option<&GoalId>,
    limit: usize,
) -> Result<Vec<QueuedIssue>, ApiError> {
    let now = now_rfc3339();
    let project = project.map(ProjectId::as_str);
    let goal = goal.map(GoalId::as_str);
    let rows = db.query(
        &format!(
            "SELECT {} FROM issues WHERE workspace_id = $1 AND ($2 IS NULL OR project_id = $3)
               AND ($4 IS NULL OR goal_id = $5)
               AND (status = 'open' OR (status = 'claimed' AND claim_expires_at < $6)) AND NOT {BLOCKED}
             ORDER BY priority_rank DESC, created_at, id LIMIT $7",
            issue_columns()
        ),
        &[&workspace.as_str(), &project, &project, &goal, &goal, &now, &CANDIDATES],
    )?;
    let now_unix = crate::clock::now_unix();
    let mut scored = rows
        .iter()
        .map(|r| {
            let issue = issue_from_row(r)?;
            let waited = now_unix.saturating_sub(unix_of(&issue.created_at));
            let goal_weight = u32::try_from(r.int("goal_weight")?).unwrap_or_default();
            let score = planning::score(issue.priority, waited, issue.signal_count, goal_weight);
            Ok(QueuedIssue { issue, score })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    // Highest score first; ties go to the older issue (the order they were read in).
    scored.sort_by_key(|q| std::cmp::Reverse(q.score.total));
    scored.truncate(limit);
    Ok(scored)
}

/// How many waiting issues are blocked.
pub fn blocked_count(db: &Db, workspace: &WorkspaceId) -> Result<u64, ApiError> {
    let row = db.query_one(
        &format!("SELECT COUNT(*) AS n FROM issues WHERE workspace_id = $1 AND status = 'open' AND {BLOCKED}"),
        &[&workspace.as_str()],
    )?;
    Ok(row.map(|r| r.int("n")).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or_default()))
}

/// When each claimable issue was opened, oldest first (the queue's depth and age).
pub fn waiting_since(db: &Db, workspace: &WorkspaceId) -> Result<Vec<String>, ApiError> {
    db.query(
        &format!(
            "SELECT created_at FROM issues WHERE workspace_id = $1
               AND (status = 'open' OR (status = 'claimed' AND claim_expires_at < $2)) AND NOT {BLOCKED}
             ORDER BY created_at LIMIT 100000"
        ),
        &[&workspace.as_str(), &now_rfc3339()],
    )?
    .iter()
    .map(|r| Ok(r.text("created_at")?))
    .collect()
}

pub fn unix_of(rfc3339: &str) -> u64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or(0, |t| u64::try_from(t.timestamp()).unwrap_or_default())
}

/// Claims the queue's head inside `tx` (a write transaction: two claimers
/// are serialised, and the second sees the first's claim), or none.
pub fn claim(
    tx: &Db,
    workspace: &WorkspaceId,
    project: Option<&ProjectId>,
    worker: &str,
    lease_secs: u64,
) -> Result<Option<ClaimedIssue>, ApiError> {
    let Some(head) = queue(tx, workspace, project, None, 1)?.into_iter().next() else { return Ok(None) };
    let expires = rfc3339_after(lease_secs);
    tx.exec(
        "UPDATE issues SET status = 'claimed', claimed_by = $1, claim_expires_at = $2, updated_at = $3 WHERE id = $4",
        &[&worker, &expires, &now_rfc3339(), &head.issue.id.as_str()],
    )?;
    let issue = load_issue(tx, workspace, &head.issue.id)?;
    let project = issue.project_id.as_ref().map(|p| load_project(tx, workspace, p)).transpose()?;
    let (prompt, template) = prompt_for(tx, workspace, &issue, project.as_ref())?;
    Ok(Some(ClaimedIssue {
        repository: project.as_ref().map(|p| p.repository.clone()),
        issue,
        score: head.score,
        prompt,
        template,
        // Filled by the caller (`context::for_brief`), which ranks after the claim is taken.
        context: Vec::new(),
    }))
}

/// The issue's prompt: its type's template, else `default`, else the built-in one, filled in.
pub fn prompt_for(
    db: &Db,
    workspace: &WorkspaceId,
    issue: &Issue,
    project: Option<&Project>,
) -> Result<(String, Option<TemplateRef>), ApiError> {
    let mut chosen = None;
    for name in planning::template_names(issue.issue_type) {
        if let Some(row) = db.query_one(
            "SELECT t.id, t.name, t.active_version, v.body FROM prompt_templates t
               JOIN prompt_template_versions v ON v.template_id = t.id AND v.version = t.active_version
             WHERE t.workspace_id = $1 AND t.name = $2",
            &[&workspace.as_str(), &name],
        )? {
            chosen = Some(row);
            break;
        }
    }
    let (body, template) = match &chosen {
        Some(row) => (
            row.text("body")?,
            Some(TemplateRef {
                template_id: TemplateId::parse(&row.text("id")?).ok_or_else(|| ApiError::internal("template id"))?,
                name: row.text("name")?,
                version: u32::try_from(row.int("active_version")?).map_err(ApiError::internal)?,
            }),
        ),
        None => (planning::BUILT_IN_TEMPLATE.to_owned(), None),
    };
    let value = |name: &str| -> String {
        match name {
            "issue.title" => issue.title.clone(),
            "issue.body" => issue.body.clone().unwrap_or_default(),
            "issue.number" => issue.number.to_string(),
            "issue.type" => issue.issue_type.as_str().to_owned(),
            "issue.priority" => issue.priority.as_str().to_owned(),
            "issue.labels" => issue.labels.join(", "),
            "issue.signal_count" => issue.signal_count.to_string(),
            "project.name" => project.map(|p| p.name.clone()).unwrap_or_default(),
            "project.repository" => project.map(|p| p.repository.clone()).unwrap_or_default(),
            "project.goal" => project.and_then(|p| p.goal.clone()).unwrap_or_default(),
            _ => String::new(),
        }
    };
    Ok((planning::hydrate(&body, value), template))
}

// ---------------------------------------------------------------- lanes and issues

/// Puts an issue in a new lane's hands (`agent-run` with `issue_id`): it must
/// be open, or claimed (by anyone: the worker that claimed it dispatches).
pub fn start_work(tx: &Db, workspace: &WorkspaceId, issue: &IssueId, lane: &LaneId) -> Result<(), ApiError> {
    let current = load_issue(tx, workspace, issue).map_err(|_| ApiError::validation("issue_id", "no such issue"))?;
    if !matches!(current.status, IssueStatus::Open | IssueStatus::Claimed) {
        return Err(ApiError::conflict(format!(
            "issue #{} is {}; a lane works on open or claimed issues",
            current.number,
            current.status.as_str()
        ))
        .with_details(json!({"issue_id": current.id, "status": current.status})));
    }
    tx.exec(
        "UPDATE issues SET status = 'in_progress', lane_id = $1, claimed_by = NULL, claim_expires_at = NULL,
         updated_at = $2 WHERE id = $3",
        &[&lane.as_str(), &now_rfc3339(), &issue.as_str()],
    )?;
    Ok(())
}

/// An issue follows its lane: done when the lane completes or merges, back
/// to the queue when it fails or is cancelled.
pub fn follow_lane(tx: &Db, lane: &LaneId, state: LaneState) -> Result<(), ApiError> {
    let status = match state {
        LaneState::Completed | LaneState::Merged => "done",
        LaneState::Failed | LaneState::Cancelled => "open",
        _ => return Ok(()),
    };
    tx.exec(
        "UPDATE issues SET status = $1, updated_at = $2 WHERE lane_id = $3 AND status = 'in_progress'",
        &[&status, &now_rfc3339(), &lane.as_str()],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- templates

/// Adds a version to the template `name` (creating the template with version
/// 1, active). Returns the template.
pub fn add_template_version(
    tx: &Db,
    workspace: &WorkspaceId,
    name: &str,
    body: &str,
    activate: bool,
    by: &str,
) -> Result<Template, ApiError> {
    planning::placeholders(body).map_err(|why| ApiError::validation("body", why))?;
    let now = now_rfc3339();
    let existing = tx.query_one(
        "SELECT id FROM prompt_templates WHERE workspace_id = $1 AND name = $2",
        &[&workspace.as_str(), &name],
    )?;
    let (id, version) = match existing {
        Some(row) => {
            let id = row.text("id")?;
            let next = tx
                .query_one(
                    "SELECT MAX(version) + 1 AS next FROM prompt_template_versions WHERE template_id = $1",
                    &[&id],
                )?
                .map(|r| r.int("next"))
                .transpose()?
                .unwrap_or(1);
            (id, next)
        }
        None => {
            let id = new_id!(TemplateId).to_string();
            tx.exec(
                "INSERT INTO prompt_templates (id, workspace_id, name, active_version, created_at) VALUES ($1, $2, $3, 1, $4)",
                &[&id, &workspace.as_str(), &name, &now],
            )?;
            (id, 1)
        }
    };
    tx.exec(
        "INSERT INTO prompt_template_versions (template_id, version, body, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id, &version, &body, &by, &now],
    )?;
    if activate {
        tx.exec("UPDATE prompt_templates SET active_version = $1 WHERE id = $2", &[&version, &id])?;
    }
    load_template(tx, workspace, name)
}

/// A template with every version (newest first) and its health.
pub fn load_template(db: &Db, workspace: &WorkspaceId, name: &str) -> Result<Template, ApiError> {
    let row = db
        .query_one(
            "SELECT id, name, active_version FROM prompt_templates WHERE workspace_id = $1 AND name = $2",
            &[&workspace.as_str(), &name],
        )?
        .ok_or_else(|| ApiError::not_found(format!("template `{name}`")))?;
    let id = TemplateId::parse(&row.text("id")?).ok_or_else(|| ApiError::internal("malformed template id"))?;
    let active = u32::try_from(row.int("active_version")?).map_err(ApiError::internal)?;
    let rows = db.query(
        "SELECT version, body, reviews, health_milli, created_by, created_at FROM prompt_template_versions
         WHERE template_id = $1 ORDER BY version",
        &[&id.as_str()],
    )?;
    let mut versions = Vec::with_capacity(rows.len());
    let mut previous: Option<f64> = None;
    for r in &rows {
        let version = u32::try_from(r.int("version")?).map_err(ApiError::internal)?;
        let health = r.opt_int("health_milli")?.map(|m| m as f64 / 1000.0);
        versions.push(TemplateVersion {
            version,
            body: r.text("body")?,
            active: version == active,
            reviews: u64::try_from(r.int("reviews")?).unwrap_or_default(),
            health,
            regressed: matches!((health, previous), (Some(h), Some(p)) if h < p),
            created_by: r.text("created_by")?,
            created_at: r.text("created_at")?,
        });
        if health.is_some() {
            previous = health;
        }
    }
    versions.reverse();
    Ok(Template { id, name: row.text("name")?, active_version: active, versions })
}

/// Makes `version` the active one (404 for a version that does not exist).
pub fn promote(tx: &Db, workspace: &WorkspaceId, name: &str, version: u64) -> Result<Template, ApiError> {
    let template = load_template(tx, workspace, name)?;
    if !template.versions.iter().any(|v| u64::from(v.version) == version) {
        return Err(ApiError::not_found(format!("version {version} of template `{name}`")));
    }
    tx.exec("UPDATE prompt_templates SET active_version = $1 WHERE id = $2", &[&version, &template.id.as_str()])?;
    load_template(tx, workspace, name)
}

/// A review of a template version (the active one when `version` is none).
pub struct Review<'a> {
    pub version: Option<u64>,
    pub score: u64,
    pub notes: Option<&'a str>,
    pub lane: Option<&'a LaneId>,
    pub by: &'a str,
}

/// Records a review and moves the version's health (EWMA).
pub fn review(tx: &Db, workspace: &WorkspaceId, name: &str, r: &Review<'_>) -> Result<Template, ApiError> {
    let Review { version, score, notes, lane, by } = *r;
    let template = load_template(tx, workspace, name)?;
    let version = version.unwrap_or(u64::from(template.active_version));
    let Some(current) = template.versions.iter().find(|v| u64::from(v.version) == version) else {
        return Err(ApiError::not_found(format!("version {version} of template `{name}`")));
    };
    let health = planning::ewma(current.health, score);
    tx.exec(
        "INSERT INTO prompt_reviews (template_id, version, score, notes, lane_id, reviewer, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&template.id.as_str(), &version, &score, &notes, &lane.map(LaneId::as_str), &by, &now_rfc3339()],
    )?;
    tx.exec(
        "UPDATE prompt_template_versions SET reviews = reviews + 1, health_milli = $1 WHERE template_id = $2 AND version = $3",
        &[&((health * 1000.0).round() as i64), &template.id.as_str(), &version],
    )?;
    load_template(tx, workspace, name)
}
