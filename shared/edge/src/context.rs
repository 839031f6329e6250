//! Context storage: entries with their source and confidence, the FTS5
//! index over the served ones, ranked queries, and the decay of confidence
//! with time since an entry was last confirmed.

use std::collections::HashMap;

use switchyard_api::{
    ContextAnswer, ContextEntry, ContextId, ContextSource, ContextStatus, CreateContextEntry, Dimension,
    DimensionAnswer, LaneId, ProjectId, QueryContext, RankedEntry, UpdateContextEntry, WorkspaceId,
};
use switchyard_domain::context as rules;

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::new_id;

const COLUMNS: &str = "seq, id, project_id, dimension, title, body, paths, source_path, source_commit, lane_id, \
    evidence, base_milli, confidence_milli, status, last_confirmed_at, created_by, created_at, updated_at";

/// [`COLUMNS`] of `context_entries` under `alias` (the index has columns of the same names).
fn columns_of(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c} AS {c}")).collect::<Vec<_>>().join(", ")
}

/// Default confidence of an entry recorded without one.
const DEFAULT_CONFIDENCE: f64 = 0.8;
/// Candidates read per query before ranking.
const CANDIDATES: i64 = 200;

fn milli(value: f64) -> i64 {
    (value.clamp(0.0, 1.0) * 1000.0).round() as i64
}

#[allow(clippy::cast_precision_loss)]
fn unit(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

fn confidence(field: &str, value: Option<f64>) -> Result<Option<f64>, ApiError> {
    match value {
        Some(v) if !(0.0..=1.0).contains(&v) => Err(ApiError::validation(field, "must be between 0 and 1")),
        v => Ok(v),
    }
}

struct Stored {
    seq: i64,
    entry: ContextEntry,
}

fn from_row(row: &Row) -> Result<Stored, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed context row: {what}"));
    Ok(Stored {
        seq: row.int("seq")?,
        entry: ContextEntry {
            id: ContextId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?,
            dimension: Dimension::parse(&row.text("dimension")?).ok_or_else(|| bad("dimension"))?,
            title: row.text("title")?,
            body: row.text("body")?,
            project_id: row
                .opt_text("project_id")?
                .map(|p| ProjectId::parse(&p).ok_or_else(|| bad("project_id")))
                .transpose()?,
            paths: row.json("paths")?,
            source: ContextSource {
                path: row.opt_text("source_path")?,
                commit: row.opt_text("source_commit")?,
                run_id: row
                    .opt_text("lane_id")?
                    .map(|l| LaneId::parse(&l).ok_or_else(|| bad("lane_id")))
                    .transpose()?,
                by: row.text("created_by")?,
            },
            evidence: row.opt_text("evidence")?,
            confidence: unit(row.int("confidence_milli")?),
            base_confidence: unit(row.int("base_milli")?),
            status: ContextStatus::parse(&row.text("status")?).ok_or_else(|| bad("status"))?,
            last_confirmed_at: row.text("last_confirmed_at")?,
            created_at: row.text("created_at")?,
            updated_at: row.text("updated_at")?,
        },
    })
}

/// Puts a served entry in the index (or takes one that is not out of it).
fn reindex(tx: &Db, stored: &Stored) -> Result<(), ApiError> {
    tx.exec("DELETE FROM context_fts WHERE rowid = $1", &[&stored.seq])?;
    if stored.entry.status == ContextStatus::Active {
        tx.exec(
            "INSERT INTO context_fts (rowid, title, body, paths) VALUES ($1, $2, $3, $4)",
            &[&stored.seq, &stored.entry.title, &stored.entry.body, &stored.entry.paths.join(" ")],
        )?;
    }
    Ok(())
}

fn load_stored(db: &Db, workspace: &WorkspaceId, id: &ContextId) -> Result<Stored, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {COLUMNS} FROM context_entries WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("context entry {id}")))?;
    from_row(&row)
}

/// An entry of `workspace`; another workspace's is NOT_FOUND.
pub fn load(db: &Db, workspace: &WorkspaceId, id: &ContextId) -> Result<ContextEntry, ApiError> {
    Ok(load_stored(db, workspace, id)?.entry)
}

pub fn create(
    tx: &Db,
    workspace: &WorkspaceId,
    input: &CreateContextEntry,
    by: &str,
) -> Result<ContextEntry, ApiError> {
    if let Some(project) = &input.project_id {
        crate::planning::load_project(tx, workspace, project)
            .map_err(|_| ApiError::validation("project_id", "no such project"))?;
    }
    if let Some(lane) = &input.run_id {
        crate::lanes::load_lane(tx, workspace, lane).map_err(|_| ApiError::validation("run_id", "no such lane"))?;
    }
    let base = milli(confidence("confidence", input.confidence)?.unwrap_or(DEFAULT_CONFIDENCE));
    let id = new_id!(ContextId);
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO context_entries (id, workspace_id, project_id, dimension, title, body, paths, source_path,
         source_commit, lane_id, evidence, base_milli, confidence_milli, status, last_confirmed_at, created_by,
         created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'active', $14, $15, $16, $17)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &input.project_id.as_ref().map(ProjectId::as_str),
            &input.dimension.as_str(),
            &input.title.as_str(),
            &input.body.as_str(),
            &serde_json::to_string(&input.paths.strings()).map_err(ApiError::internal)?,
            &input.source_path.as_ref().map(|p| p.as_str()),
            &input.source_commit.as_ref().map(|c| c.as_str()),
            &input.run_id.as_ref().map(LaneId::as_str),
            &input.evidence.as_ref().map(|e| e.as_str()),
            &base,
            &base,
            &now,
            &by,
            &now,
            &now,
        ],
    )?;
    let stored = load_stored(tx, workspace, &id)?;
    reindex(tx, &stored)?;
    Ok(stored.entry)
}

/// Applies `context-entry-update`: a retired entry changes no more (409).
pub fn update(tx: &Db, workspace: &WorkspaceId, input: &UpdateContextEntry) -> Result<ContextEntry, ApiError> {
    let current = load_stored(tx, workspace, &input.entry_id)?;
    let e = &current.entry;
    if e.status == ContextStatus::Retired {
        return Err(ApiError::conflict(format!("context entry {} is retired", e.id)));
    }
    if input.confirm && input.retire {
        return Err(ApiError::validation("retire", "an entry is confirmed or retired, not both"));
    }
    let given = confidence("confidence", input.confidence)?;
    let base = given.unwrap_or(e.base_confidence);
    let now = now_rfc3339();
    // Confirming (or a new confidence) starts the decay again from the base.
    let fresh = input.confirm || given.is_some();
    let (status, confidence, confirmed) = if input.retire {
        (ContextStatus::Retired, e.confidence, e.last_confirmed_at.clone())
    } else if fresh {
        (ContextStatus::Active, base, now.clone())
    } else {
        (e.status, e.confidence, e.last_confirmed_at.clone())
    };
    let paths = input.paths.as_ref().map_or_else(|| e.paths.clone(), |p| p.strings());
    tx.exec(
        "UPDATE context_entries SET title = $1, body = $2, paths = $3, source_commit = $4, evidence = $5, base_milli = $6,
         confidence_milli = $7, status = $8, last_confirmed_at = $9, updated_at = $10 WHERE seq = $11",
        &[
            &input.title.as_ref().map_or(e.title.clone(), |t| t.to_string()),
            &input.body.as_ref().map_or(e.body.clone(), |b| b.to_string()),
            &serde_json::to_string(&paths).map_err(ApiError::internal)?,
            &input.source_commit.as_ref().map(|c| c.to_string()).or(e.source.commit.clone()),
            &input.evidence.as_ref().map(|v| v.to_string()).or(e.evidence.clone()),
            &milli(base),
            &milli(confidence),
            &status.as_str(),
            &confirmed,
            &now,
            &current.seq,
        ],
    )?;
    let stored = load_stored(tx, workspace, &input.entry_id)?;
    reindex(tx, &stored)?;
    Ok(stored.entry)
}

pub struct ContextFilter<'f> {
    pub dimension: Option<Dimension>,
    pub project: Option<&'f ProjectId>,
    pub status: Option<ContextStatus>,
}

/// Entries newest first before `(created_at, id)`.
pub fn page(
    db: &Db,
    workspace: &WorkspaceId,
    filter: &ContextFilter<'_>,
    before: &(String, String),
    limit: u64,
) -> Result<Vec<ContextEntry>, ApiError> {
    let dimension = filter.dimension.map(Dimension::as_str);
    let project = filter.project.map(ProjectId::as_str);
    let status = filter.status.map(ContextStatus::as_str);
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM context_entries WHERE workspace_id = $1 AND ($2 IS NULL OR dimension = $3)
               AND ($4 IS NULL OR project_id = $5) AND ($6 IS NULL OR status = $7)
               AND (created_at < $8 OR (created_at = $9 AND id < $10))
             ORDER BY created_at DESC, id DESC LIMIT $11"
        ),
        &[
            &workspace.as_str(),
            &dimension,
            &dimension,
            &project,
            &project,
            &status,
            &status,
            &before.0,
            &before.0,
            &before.1,
            &limit,
        ],
    )?
    .iter()
    .map(|r| from_row(r).map(|s| s.entry))
    .collect()
}

/// The served entries for a question and/or paths, ranked by
/// [`rules::blend`] of BM25 text relevance, path proximity and confidence,
/// within a token budget. An entry that matches neither the text nor a path
/// is not returned.
pub fn query(db: &Db, workspace: &WorkspaceId, input: &QueryContext) -> Result<ContextAnswer, ApiError> {
    let ask = Ask {
        question: input.question.as_ref().map_or("", |q| q.as_str()),
        question_field: "question",
        paths: input.paths.strings(),
        dimensions: input.dimensions.as_ref().map(|d| d.iter().copied().collect()),
        project: input.project_id.as_ref(),
        token_budget: input.token_budget.map_or(2_000, |b| b.get()),
    };
    rank(db, workspace, &ask)
}

/// A ranked lookup: `bmad-query`'s, or memory recall's (memory only, for a brief).
pub struct Ask<'a> {
    pub question: &'a str,
    /// The request field a question without words is refused on.
    pub question_field: &'a str,
    pub paths: Vec<String>,
    pub dimensions: Option<Vec<Dimension>>,
    pub project: Option<&'a ProjectId>,
    pub token_budget: u64,
}

/// Ranks the served entries for `ask` (see [`query`]).
pub fn rank(db: &Db, workspace: &WorkspaceId, ask: &Ask<'_>) -> Result<ContextAnswer, ApiError> {
    let question = ask.question;
    let paths = &ask.paths;
    if rules::fts_query(question).is_none() && paths.is_empty() {
        return Err(ApiError::validation(ask.question_field, "give words to match, or name paths"));
    }
    let project = ask.project.map(ProjectId::as_str);
    // Candidates: the index's best text matches, with their relevance ...
    let mut candidates: HashMap<i64, (Stored, f64)> = HashMap::new();
    if let Some(fts) = rules::fts_query(question) {
        for row in db.query(
            &format!(
                "SELECT {}, bm25(context_fts) AS rank FROM context_fts JOIN context_entries e ON e.seq = context_fts.rowid
                 WHERE context_fts MATCH $1 AND e.workspace_id = $2 AND e.status = 'active'
                   AND ($3 IS NULL OR e.project_id = $4)
                 ORDER BY rank LIMIT $5",
                columns_of("e")
            ),
            &[&fts, &workspace.as_str(), &project, &project, &CANDIDATES],
        )? {
            let stored = from_row(&row)?;
            let relevance = rules::text_score(row.opt_real("rank")?.unwrap_or(0.0));
            candidates.insert(stored.seq, (stored, relevance));
        }
    }
    // ... and, for paths, the served entries that name paths.
    if !paths.is_empty() {
        for row in db.query(
            &format!(
                "SELECT {COLUMNS} FROM context_entries WHERE workspace_id = $1 AND status = 'active' AND paths != '[]'
                   AND ($2 IS NULL OR project_id = $3) ORDER BY last_confirmed_at DESC LIMIT 1000"
            ),
            &[&workspace.as_str(), &project, &project],
        )? {
            let stored = from_row(&row)?;
            candidates.entry(stored.seq).or_insert((stored, 0.0));
        }
    }
    let wanted = ask.dimensions.as_ref();
    let mut ranked = Vec::new();
    for (stored, text_score) in candidates.into_values() {
        let entry = stored.entry;
        if wanted.as_ref().is_some_and(|w| !w.contains(&entry.dimension)) {
            continue;
        }
        let (path_score, path_why) = rules::path_proximity(&entry.paths, paths);
        if text_score == 0.0 && path_score == 0.0 {
            continue;
        }
        let mut why = Vec::new();
        let matched = rules::matched_terms(question, &format!("{} {}", entry.title, entry.body));
        if text_score > 0.0 {
            why.push(if matched.is_empty() {
                "the text matches the question".to_owned()
            } else {
                format!("mentions {}", matched.join(", "))
            });
        }
        why.extend(path_why);
        why.push(format!("confidence {:.2}", entry.confidence));
        let score = rules::blend(text_score, path_score, entry.confidence);
        ranked.push(RankedEntry { score, text: text_score, path: path_score, why, entry });
    }
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.entry.id.cmp(&b.entry.id)));
    let budget = ask.token_budget;
    let mut used = 0u64;
    let mut kept = Vec::new();
    let mut left_out = 0u64;
    for r in ranked {
        let cost = rules::tokens(&r.entry.title) + rules::tokens(&r.entry.body);
        if used + cost > budget {
            left_out += 1;
            continue;
        }
        used += cost;
        kept.push(r);
    }
    let dimensions = Dimension::ALL
        .iter()
        .filter_map(|d| {
            let entries: Vec<RankedEntry> = kept.iter().filter(|r| r.entry.dimension == *d).cloned().collect();
            (!entries.is_empty()).then_some(DimensionAnswer { dimension: *d, entries })
        })
        .collect();
    Ok(ContextAnswer { ranked: kept, dimensions, token_budget: budget, tokens_used: used, left_out })
}

/// Brings confidences up to date (of one workspace, or all): each entry
/// decays from its base by the time since it was last confirmed; one below
/// the floor goes stale and leaves the index.
pub fn decay(tx: &Db, workspace: Option<&WorkspaceId>) -> Result<switchyard_api::DecayReport, ApiError> {
    let workspace = workspace.map(WorkspaceId::as_str);
    let rows = tx.query(
        &format!(
            "SELECT {COLUMNS} FROM context_entries WHERE status = 'active' AND ($1 IS NULL OR workspace_id = $2)
             ORDER BY seq LIMIT 100000"
        ),
        &[&workspace, &workspace],
    )?;
    let now = chrono::Utc::now();
    let mut report = switchyard_api::DecayReport::default();
    for row in &rows {
        let stored = from_row(row)?;
        let e = &stored.entry;
        let confirmed = chrono::DateTime::parse_from_rfc3339(&e.last_confirmed_at).map_err(ApiError::internal)?;
        #[allow(clippy::cast_precision_loss)]
        let days = (now - confirmed.with_timezone(&chrono::Utc)).num_seconds() as f64 / 86_400.0;
        let confidence = rules::decayed(e.base_confidence, days);
        let stale = confidence < rules::FLOOR;
        if milli(confidence) == milli(e.confidence) && !stale {
            continue;
        }
        let status = if stale { ContextStatus::Stale } else { ContextStatus::Active };
        tx.exec(
            "UPDATE context_entries SET confidence_milli = $1, status = $2 WHERE seq = $3",
            &[&milli(confidence), &status.as_str(), &stored.seq],
        )?;
        report.decayed += 1;
        if stale {
            tx.exec("DELETE FROM context_fts WHERE rowid = $1", &[&stored.seq])?;
            report.stale += 1;
        }
    }
    Ok(report)
}

/// Stores what a lane (or a person) learned as a `memory` entry.
pub fn embed_memory(
    tx: &Db,
    workspace: &WorkspaceId,
    input: &switchyard_api::EmbedMemory,
    by: &str,
) -> Result<ContextEntry, ApiError> {
    let entry = CreateContextEntry {
        dimension: Dimension::Memory,
        title: input.title.clone(),
        body: input.body.clone(),
        project_id: input.project_id.clone(),
        paths: input.paths.clone(),
        source_path: None,
        source_commit: None,
        run_id: input.run_id.clone(),
        evidence: None,
        confidence: input.confidence,
    };
    create(tx, workspace, &entry, by)
}

/// The memories relevant to a brief, best first, each with how its lane ended.
pub fn recall(
    db: &Db,
    workspace: &WorkspaceId,
    input: &switchyard_api::RecallMemory,
) -> Result<switchyard_api::MemoryRecall, ApiError> {
    let ask = Ask {
        question: input.brief.as_str(),
        question_field: "brief",
        paths: input.paths.strings(),
        dimensions: Some(vec![Dimension::Memory]),
        project: input.project_id.as_ref(),
        token_budget: 100_000,
    };
    let limit = usize::try_from(input.limit.map_or(5, |l| l.get())).unwrap_or(5);
    let data = rank(db, workspace, &ask)?
        .ranked
        .into_iter()
        .take(limit)
        .map(|ranked| {
            let lane_state = ranked.entry.source.run_id.as_ref().map(|l| crate::lanes::state_of(db, l)).transpose()?;
            Ok(switchyard_api::RecalledMemory { ranked, lane_state })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(switchyard_api::MemoryRecall { data })
}
