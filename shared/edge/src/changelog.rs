//! The public changelog: entries published from merged pull requests (by
//! `changelog-publish`, or automatically when a lane's pull request merges),
//! one per repository and pull request, read by anyone through `changelog`.

use serde_json::json;
use switchyard_api::{ChangelogEntry, ChangelogId, WorkspaceId};
use switchyard_domain::changelog;

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::new_id;

/// A merged pull request, as much as the changelog needs of it.
#[derive(Debug, Clone)]
pub struct Merged<'a> {
    pub repository: &'a str,
    pub number: u64,
    pub title: &'a str,
    pub body: Option<&'a str>,
    pub labels: &'a [String],
    pub author: Option<&'a str>,
    pub merge_commit: Option<&'a str>,
    pub url: Option<&'a str>,
}

const COLUMNS: &str = "id, repository, pr_number, title, summary, category, labels, author, merge_commit, url, \
    published_by, published_at";

fn from_row(row: &Row) -> Result<ChangelogEntry, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed changelog row: {what}"));
    Ok(ChangelogEntry {
        id: ChangelogId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
        repository: row.text("repository")?,
        pr_number: u64::try_from(row.int("pr_number")?).map_err(|_| bad("pr_number"))?,
        title: row.text("title")?,
        summary: row.text("summary")?,
        category: row.text("category")?,
        labels: row.json("labels")?,
        author: row.opt_text("author")?,
        merge_commit: row.opt_text("merge_commit")?,
        url: row.opt_text("url")?,
        published_by: row.text("published_by")?,
        published_at: row.text("published_at")?,
    })
}

/// Publishes (or, for a pull request already published, rewrites) the entry
/// for `pr`; returns it and whether it is new. A `changelog.published`
/// webhook goes out in the same transaction.
pub fn publish(
    tx: &Db,
    workspace: &WorkspaceId,
    pr: &Merged<'_>,
    by: &str,
) -> Result<(ChangelogEntry, bool), ApiError> {
    let summary = changelog::summary(pr.title, pr.body);
    let category = changelog::category(pr.labels);
    let labels = serde_json::to_string(pr.labels).map_err(ApiError::internal)?;
    let existing = tx.query_one(
        "SELECT id FROM changelog_entries WHERE workspace_id = $1 AND repository = $2 AND pr_number = $3",
        &[&workspace.as_str(), &pr.repository, &pr.number],
    )?;
    let id = match &existing {
        Some(row) => row.text("id")?,
        None => new_id!(ChangelogId).to_string(),
    };
    tx.exec(
        "INSERT INTO changelog_entries (id, workspace_id, repository, pr_number, title, summary, category, labels,
         author, merge_commit, url, published_by, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (workspace_id, repository, pr_number) DO UPDATE SET title = excluded.title,
           summary = excluded.summary, category = excluded.category, labels = excluded.labels,
           author = excluded.author, merge_commit = excluded.merge_commit, url = excluded.url,
           published_by = excluded.published_by",
        &[
            &id,
            &workspace.as_str(),
            &pr.repository,
            &pr.number,
            &pr.title,
            &summary,
            &category,
            &labels,
            &pr.author,
            &pr.merge_commit,
            &pr.url,
            &by,
            &now_rfc3339(),
        ],
    )?;
    let row = tx
        .query_one(&format!("SELECT {COLUMNS} FROM changelog_entries WHERE id = $1"), &[&id])?
        .ok_or_else(|| ApiError::internal("changelog entry vanished"))?;
    let entry = from_row(&row)?;
    crate::webhooks::emit(tx, workspace, "changelog.published", json!(entry))?;
    Ok((entry, existing.is_none()))
}

/// The newest `limit` entries of the workspace with handle `handle` (none for
/// an unknown workspace: the changelog is public, so its absence says nothing more).
pub fn newest(db: &Db, handle: &str, limit: u64) -> Result<Option<Vec<ChangelogEntry>>, ApiError> {
    let Some(ws) = db.query_one("SELECT id FROM workspaces WHERE handle = $1", &[&handle])? else {
        return Ok(None);
    };
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM changelog_entries WHERE workspace_id = $1
             ORDER BY published_at DESC, id DESC LIMIT $2"
        ),
        &[&ws.text("id")?, &limit],
    )?;
    rows.iter().map(from_row).collect::<Result<Vec<_>, _>>().map(Some)
}
