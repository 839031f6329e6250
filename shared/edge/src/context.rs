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
/// The path part of an entry whose globs overlap a lane's claim in the
/// claimed area itself (`src/billing/**` for a claim `src/billing/**`), and
/// of one that overlaps it only as a pattern over the whole repository
/// (`**/*.rs`). A glob covering a named path scores 1.
const CLAIM_AREA: f64 = 0.9;
const CLAIM_PATTERN: f64 = 0.6;

/// How an entry's globs meet a lane's claim: the best overlap and why.
fn claim_overlap(globs: &[String], claim: &[String]) -> Option<(f64, String)> {
    use switchyard_domain::glob;
    let mut best: Option<(f64, String)> = None;
    for g in globs {
        for c in claim.iter().filter(|c| glob::overlap(g, c)) {
            let area = !glob::literal_prefix(g).is_empty()
                && glob::prefixes_compatible(glob::literal_prefix(g), glob::literal_prefix(c));
            let score = if area { CLAIM_AREA } else { CLAIM_PATTERN };
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, format!("{g} overlaps the claim {c}")));
            }
        }
    }
    best
}
/// Entries added as candidates by meaning alone, at most.
const SEMANTIC_CANDIDATES: usize = 50;
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
/// The dimension's name is indexed with the title, so a question that says
/// "style" or "policy" finds those. Where a model is configured, a served
/// entry without an embedding of its current text gets one.
fn reindex(tx: &Db, stored: &Stored) -> Result<(), ApiError> {
    tx.exec("DELETE FROM context_fts WHERE rowid = $1", &[&stored.seq])?;
    if stored.entry.status == ContextStatus::Active {
        let title = format!("{} {}", stored.entry.dimension.as_str(), stored.entry.title);
        tx.exec(
            "INSERT INTO context_fts (rowid, title, body, paths) VALUES ($1, $2, $3, $4)",
            &[&stored.seq, &title, &stored.entry.body, &stored.entry.paths.join(" ")],
        )?;
        embed_entries(tx, &[stored])?;
    }
    Ok(())
}

// ---------------------------------------------------------------- meaning

/// The embedding model (`embedding_model` variable; its name must be in the
/// component's `ai_models`). Whether one is *configured* is the host's
/// runtime config: without `[llm_compute]` every call fails and ranking is
/// lexical.
fn embedding_model() -> Option<String> {
    spin_sdk::variables::get("embedding_model").ok().filter(|m| !m.trim().is_empty())
}

/// Embeddings of `texts`, or `None` when no model answers (then everything is lexical).
fn embed(texts: &[String]) -> Option<(String, Vec<Vec<f32>>)> {
    let model = embedding_model()?;
    let got = spin_sdk::llm::generate_embeddings(spin_sdk::llm::EmbeddingModel::Other(&model), texts).ok()?;
    (got.embeddings.len() == texts.len()).then_some((model, got.embeddings))
}

fn embedding_text(e: &ContextEntry) -> String {
    format!("{}\n{}", e.title, e.body)
}

/// Stores the embeddings of entries' current text (one call for all of
/// them); an entry whose text is already embedded by the model is skipped.
fn embed_entries(tx: &Db, entries: &[&Stored]) -> Result<(), ApiError> {
    let Some(model) = embedding_model() else { return Ok(()) };
    let mut todo = Vec::new();
    for stored in entries {
        let text = embedding_text(&stored.entry);
        let hash = rules::text_hash(&text);
        let current = tx.query_one(
            "SELECT seq FROM context_embeddings WHERE seq = $1 AND model = $2 AND text_hash = $3",
            &[&stored.seq, &model, &hash],
        )?;
        if current.is_none() {
            todo.push((stored.seq, text, hash));
        }
    }
    if todo.is_empty() {
        return Ok(());
    }
    let texts: Vec<String> = todo.iter().map(|(_, text, _)| text.clone()).collect();
    let Some((model, vectors)) = embed(&texts) else { return Ok(()) };
    for ((seq, _, hash), vector) in todo.iter().zip(vectors) {
        tx.exec("DELETE FROM context_embeddings WHERE seq = $1", &[seq])?;
        tx.exec(
            "INSERT INTO context_embeddings (seq, model, text_hash, vector) VALUES ($1, $2, $3, $4)",
            &[seq, &model, hash, &rules::vector_to_bytes(&vector)],
        )?;
    }
    Ok(())
}

/// Cosine of the question's embedding with every served entry's (of the same
/// model) in the workspace: seq → closeness. `None` when no model answers.
fn closeness(db: &Db, workspace: &WorkspaceId, question: &str) -> Result<Option<HashMap<i64, f64>>, ApiError> {
    if question.trim().is_empty() {
        return Ok(None);
    }
    let Some((model, mut asked)) = embed(&[question.to_owned()]) else { return Ok(None) };
    let Some(asked) = asked.pop() else { return Ok(None) };
    let mut near = HashMap::new();
    for row in db.query(
        "SELECT m.seq AS seq, m.vector AS vector FROM context_embeddings m JOIN context_entries e ON e.seq = m.seq
         WHERE e.workspace_id = $1 AND e.status = 'active' AND m.model = $2 LIMIT 20000",
        &[&workspace.as_str(), &model],
    )? {
        if let Some(v) = rules::vector_from_bytes(&row.blob("vector")?) {
            near.insert(row.int("seq")?, rules::cosine(&asked, &v));
        }
    }
    Ok(Some(near))
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
        claim: Vec::new(),
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
    /// A lane's claim: an entry whose globs overlap it is about the lane's files.
    pub claim: Vec<String>,
}

/// Ranks the served entries for `ask` (see [`query`]).
pub fn rank(db: &Db, workspace: &WorkspaceId, ask: &Ask<'_>) -> Result<ContextAnswer, ApiError> {
    let question = ask.question;
    let paths = &ask.paths;
    if rules::fts_query(question).is_none() && paths.is_empty() && ask.claim.is_empty() {
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
    if !paths.is_empty() || !ask.claim.is_empty() {
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
    // ... and, where a model answers, the entries close in meaning.
    let near = closeness(db, workspace, question)?;
    if let Some(near) = &near {
        // The closest few only: a model whose scores run high must not make every entry a candidate.
        let mut close: Vec<(i64, f64)> = near
            .iter()
            .filter(|(seq, c)| **c >= rules::SEMANTIC_FLOOR && !candidates.contains_key(*seq))
            .map(|(seq, c)| (*seq, *c))
            .collect();
        close.sort_by(|a, b| b.1.total_cmp(&a.1));
        let close: Vec<i64> = close.into_iter().take(SEMANTIC_CANDIDATES).map(|(seq, _)| seq).collect();
        for seq in close {
            let row = db.query_one(
                &format!(
                    "SELECT {COLUMNS} FROM context_entries WHERE seq = $1 AND workspace_id = $2 AND status = 'active'
                       AND ($3 IS NULL OR project_id = $4)"
                ),
                &[&seq, &workspace.as_str(), &project, &project],
            )?;
            if let Some(row) = row {
                candidates.insert(seq, (from_row(&row)?, 0.0));
            }
        }
    }
    let wanted = ask.dimensions.as_ref();
    let mut ranked = Vec::new();
    for (stored, text_score) in candidates.into_values() {
        let semantic = near.as_ref().map(|n| n.get(&stored.seq).copied().unwrap_or(0.0));
        let entry = stored.entry;
        if wanted.as_ref().is_some_and(|w| !w.contains(&entry.dimension)) {
            continue;
        }
        let (mut path_score, mut path_why) = rules::path_proximity(&entry.paths, paths);
        if let Some((score, why)) = claim_overlap(&entry.paths, &ask.claim)
            && score > path_score
        {
            (path_score, path_why) = (score, Some(why));
        }
        let close = semantic.is_some_and(|s| s >= rules::SEMANTIC_FLOOR);
        if text_score == 0.0 && path_score == 0.0 && !close {
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
        if close && let Some(s) = semantic {
            why.push(format!("close in meaning ({s:.2})"));
        }
        why.extend(path_why);
        why.push(format!("confidence {:.2}", entry.confidence));
        let score = match semantic {
            Some(s) => rules::blend_semantic(text_score, s, path_score, entry.confidence),
            None => rules::blend(text_score, path_score, entry.confidence),
        };
        ranked.push(RankedEntry { score, text: text_score, path: path_score, semantic, why, entry });
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
    Ok(ContextAnswer {
        ranked: kept,
        dimensions,
        token_budget: budget,
        tokens_used: used,
        left_out,
        semantic: near.is_some(),
    })
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
        claim: Vec::new(),
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

// ---------------------------------------------------------------- extraction

/// Folds an extraction job's findings at `commit` into the workspace's
/// entries: a fact found for the first time is created; one found again is
/// confirmed (unchanged) or updated and confirmed (its text or paths
/// changed); one found before but not now is retired. A `map` job only looks
/// at the repository map, so it only retires `system` entries.
pub fn fold_extraction(
    tx: &Db,
    lane: &crate::lanes::LaneRow,
    job: switchyard_api::ExtractJob,
    project: Option<&ProjectId>,
    commit: &switchyard_api::Word,
    found: &[switchyard_api::FoundEntry],
    by: &str,
) -> Result<switchyard_api::ExtractionCounts, ApiError> {
    let mut counts = switchyard_api::ExtractionCounts::default();
    if !is_commit(commit.as_str()) {
        return Err(ApiError::validation("events.commit", "must be a commit id (7-64 hex digits)"));
    }
    let repository = lane.repository.as_str();
    let project_id = project.map(ProjectId::as_str);
    let mut keys = std::collections::BTreeSet::new();
    for (i, f) in found.iter().enumerate() {
        let key = f.key.to_string();
        if !keys.insert(key.clone()) {
            return Err(ApiError::validation(format!("events.entries[{i}].key"), "is repeated"));
        }
        if job == switchyard_api::ExtractJob::Map && f.dimension != Dimension::System {
            return Err(ApiError::validation(
                format!("events.entries[{i}].dimension"),
                "a map job finds system entries",
            ));
        }
        confidence(&format!("events.entries[{i}].confidence"), f.confidence)?;
        let existing = tx.query_one(
            &format!(
                "SELECT {COLUMNS} FROM context_entries WHERE workspace_id = $1 AND extract_repository = $2
                   AND extract_key = $3 AND status != 'retired' AND (($4 IS NULL AND project_id IS NULL) OR project_id = $5)
                 ORDER BY seq DESC LIMIT 1"
            ),
            &[&lane.workspace_id.as_str(), &repository, &key, &project_id, &project_id],
        )?;
        let paths = f.paths.strings();
        match existing.as_ref().map(from_row).transpose()? {
            None => {
                let input = CreateContextEntry {
                    dimension: f.dimension,
                    title: f.title.clone(),
                    body: f.body.clone(),
                    project_id: project.cloned(),
                    paths: f.paths.clone(),
                    source_path: Some(f.source_path.clone()),
                    source_commit: Some(commit.clone()),
                    run_id: Some(lane.run_id.clone()),
                    evidence: f.evidence.clone(),
                    confidence: f.confidence,
                };
                let entry = create(tx, &lane.workspace_id, &input, by)?;
                tx.exec(
                    "UPDATE context_entries SET extract_repository = $1, extract_key = $2 WHERE id = $3",
                    &[&repository, &key, &entry.id.as_str()],
                )?;
                counts.created += 1;
            }
            Some(stored) => {
                let e = &stored.entry;
                let same = e.title == f.title.as_str() && e.body == f.body.as_str() && e.paths == paths;
                let refresh = UpdateContextEntry {
                    entry_id: e.id.clone(),
                    title: Some(f.title.clone()),
                    body: Some(f.body.clone()),
                    paths: Some(f.paths.clone()),
                    source_commit: Some(commit.clone()),
                    evidence: f.evidence.clone(),
                    confidence: None,
                    confirm: true,
                    retire: false,
                };
                update(tx, &lane.workspace_id, &refresh)?;
                tx.exec(
                    "UPDATE context_entries SET source_path = $1, lane_id = $2 WHERE seq = $3",
                    &[&f.source_path.as_str(), &lane.run_id.as_str(), &stored.seq],
                )?;
                if same {
                    counts.confirmed += 1;
                } else {
                    counts.updated += 1;
                }
            }
        }
    }
    // What an earlier run found and this one did not: retired.
    let map_only = job == switchyard_api::ExtractJob::Map;
    for row in tx.query(
        &format!(
            "SELECT {COLUMNS}, extract_key FROM context_entries WHERE workspace_id = $1 AND extract_repository = $2
               AND status != 'retired' AND (($3 IS NULL AND project_id IS NULL) OR project_id = $4)
               AND ($5 = 0 OR dimension = 'system')
             ORDER BY seq"
        ),
        &[&lane.workspace_id.as_str(), &repository, &project_id, &project_id, &i64::from(map_only)],
    )? {
        if keys.contains(&row.text("extract_key")?) {
            continue;
        }
        let stored = from_row(&row)?;
        let retire = UpdateContextEntry {
            entry_id: stored.entry.id.clone(),
            title: None,
            body: None,
            paths: None,
            source_commit: Some(commit.clone()),
            evidence: Some(retired_evidence(commit)?),
            confidence: None,
            confirm: false,
            retire: true,
        };
        update(tx, &lane.workspace_id, &retire)?;
        counts.retired += 1;
    }
    Ok(counts)
}

/// A commit id as git prints it: 7–64 hex digits (never an option or a ref name).
pub fn is_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn retired_evidence(commit: &switchyard_api::Word) -> Result<switchyard_api::Message, ApiError> {
    serde_json::from_value(serde_json::Value::String(format!("no longer found at {commit}")))
        .map_err(ApiError::internal)
}

// ---------------------------------------------------------------- briefs

/// The best entries (at most [`BRIEF_ENTRIES`], within [`BRIEF_TOKENS`]) for
/// a brief, the paths it names and the globs it will claim.
pub fn for_brief(
    db: &Db,
    workspace: &WorkspaceId,
    brief: &str,
    paths: Vec<String>,
    claim: Vec<String>,
) -> Result<Vec<switchyard_api::BriefEntry>, ApiError> {
    let ask = Ask {
        question: brief,
        question_field: "brief",
        paths,
        dimensions: None,
        project: None,
        token_budget: BRIEF_TOKENS,
        claim,
    };
    let ranked = match rank(db, workspace, &ask) {
        Ok(answer) => answer.ranked,
        // A brief with no usable word and nothing to match by path: nothing to rank for.
        Err(e) if e.code == switchyard_api::ErrorCode::ValidationFailed => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(ranked
        .into_iter()
        .take(BRIEF_ENTRIES)
        .map(|r| switchyard_api::BriefEntry {
            entry_id: r.entry.id,
            dimension: r.entry.dimension,
            title: r.entry.title,
            body: r.entry.body,
            confidence: r.entry.confidence,
            score: r.score,
            source_path: r.entry.source.path,
            source_commit: r.entry.source.commit,
        })
        .collect())
}

/// How much context a lane's agent is handed beside its brief.
pub const BRIEF_TOKENS: u64 = 1_500;
/// At most this many entries.
pub const BRIEF_ENTRIES: usize = 8;

/// Ranks the served entries for a lane's brief and claim (within
/// [`BRIEF_TOKENS`]), records them as given to this attempt, and returns them.
pub fn attach_to_lane(tx: &Db, lane: &crate::lanes::LaneRow) -> Result<Vec<switchyard_api::BriefEntry>, ApiError> {
    let given = for_brief(tx, &lane.workspace_id, &lane.brief, Vec::new(), lane.claim.clone())?;
    let attempt = i64::from(lane.attempt);
    tx.exec("DELETE FROM lane_context WHERE lane_id = $1 AND attempt = $2", &[&lane.run_id.as_str(), &attempt])?;
    let mut tokens = 0;
    for (position, entry) in given.iter().enumerate() {
        tokens += rules::tokens(&entry.title) + rules::tokens(&entry.body);
        tx.exec(
            "INSERT INTO lane_context (lane_id, attempt, position, entry_id, score_milli) VALUES ($1, $2, $3, $4, $5)",
            &[
                &lane.run_id.as_str(),
                &attempt,
                &i64::try_from(position).map_err(ApiError::internal)?,
                &entry.entry_id.as_str(),
                &milli(entry.score),
            ],
        )?;
    }
    if !given.is_empty() {
        let entry_ids = given.iter().map(|e| e.entry_id.clone()).collect();
        crate::lanes::append_event(tx, lane, &switchyard_api::LaneEventData::ContextGiven { entry_ids, tokens })?;
    }
    Ok(given)
}

/// The entries the lane's latest attempt was given, best first (as they read now).
pub fn given_to_lane(db: &Db, lane: &crate::lanes::LaneRow) -> Result<Vec<switchyard_api::BriefEntry>, ApiError> {
    db.query(
        &format!(
            "SELECT {}, g.score_milli AS score_milli FROM lane_context g JOIN context_entries e ON e.id = g.entry_id
             WHERE g.lane_id = $1 AND g.attempt = $2 ORDER BY g.position",
            columns_of("e")
        ),
        &[&lane.run_id.as_str(), &i64::from(lane.attempt)],
    )?
    .iter()
    .map(|row| {
        let e = from_row(row)?.entry;
        Ok(switchyard_api::BriefEntry {
            entry_id: e.id,
            dimension: e.dimension,
            title: e.title,
            body: e.body,
            confidence: e.confidence,
            score: unit(row.int("score_milli")?),
            source_path: e.source.path,
            source_commit: e.source.commit,
        })
    })
    .collect()
}
