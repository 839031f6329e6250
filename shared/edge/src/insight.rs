//! Lane insight storage: the diff checkpoints a harness reports (each with
//! the snapshot commit it kept), comparisons between them, where a restored
//! lane starts, extraction jobs, and the plain-English summary's facts.

use switchyard_api::{
    CheckpointFile, DiffCheckpoint, DiffStat, ExtractJob, LaneEventData, LaneEventType, LaneId, LaneSummary, ProjectId,
    SnapshotComparison,
};
use switchyard_domain::insight as rules;

use crate::clock::now_rfc3339;
use crate::db::{Db, Row};
use crate::error::ApiError;
use crate::lanes::LaneRow;

fn count(row: &Row, column: &str) -> Result<u64, ApiError> {
    u64::try_from(row.int(column)?).map_err(ApiError::internal)
}

fn from_row(row: &Row) -> Result<DiffCheckpoint, ApiError> {
    Ok(DiffCheckpoint {
        seq: u32::try_from(row.int("seq")?).map_err(ApiError::internal)?,
        commit: row.text("commit_sha")?,
        at: row.text("created_at")?,
        files: row.json("files")?,
        stat: DiffStat {
            files_changed: count(row, "files_changed")?,
            insertions: count(row, "insertions")?,
            deletions: count(row, "deletions")?,
        },
        total: DiffStat {
            files_changed: count(row, "total_files")?,
            insertions: count(row, "total_insertions")?,
            deletions: count(row, "total_deletions")?,
        },
    })
}

/// Records a checkpoint of the lane's current attempt. A repeated report of
/// the same step (a harness retrying a call whose answer it lost) is ignored.
pub fn record_checkpoint(
    tx: &Db,
    lane: &LaneRow,
    seq: u32,
    commit: &str,
    files: &[CheckpointFile],
    total: &DiffStat,
) -> Result<bool, ApiError> {
    if !crate::context::is_commit(commit) {
        return Err(ApiError::validation("events.commit", "must be a commit id (7-64 hex digits)"));
    }
    let attempt = i64::from(lane.attempt);
    let known = tx.query_one(
        "SELECT commit_sha FROM lane_checkpoints WHERE lane_id = $1 AND attempt = $2 AND seq = $3",
        &[&lane.run_id.as_str(), &attempt, &i64::from(seq)],
    )?;
    if let Some(row) = known {
        if row.text("commit_sha")? == commit {
            return Ok(false);
        }
        return Err(ApiError::conflict(format!("checkpoint {seq} of this attempt was already reported")));
    }
    let (ins, del) = files.iter().fold((0u64, 0u64), |(i, d), f| (i + f.insertions, d + f.deletions));
    tx.exec(
        "INSERT INTO lane_checkpoints (lane_id, attempt, seq, commit_sha, files, files_changed, insertions, deletions,
         total_files, total_insertions, total_deletions, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &lane.run_id.as_str(),
            &attempt,
            &i64::from(seq),
            &commit,
            &serde_json::to_string(files).map_err(ApiError::internal)?,
            &(files.len() as u64),
            &ins,
            &del,
            &total.files_changed,
            &total.insertions,
            &total.deletions,
            &now_rfc3339(),
        ],
    )?;
    let event = LaneEventData::Checkpoint {
        seq,
        commit: commit.to_owned(),
        files: files.len() as u64,
        insertions: ins,
        deletions: del,
    };
    crate::lanes::append_event(tx, lane, &event)?;
    Ok(true)
}

/// The checkpoints of the lane's latest attempt that has any, oldest first.
pub fn timeline(db: &Db, lane: &LaneId) -> Result<Vec<DiffCheckpoint>, ApiError> {
    db.query(
        "SELECT seq, commit_sha, files, files_changed, insertions, deletions, total_files, total_insertions,
                total_deletions, created_at
         FROM lane_checkpoints WHERE lane_id = $1
           AND attempt = (SELECT MAX(attempt) FROM lane_checkpoints WHERE lane_id = $2)
         ORDER BY seq",
        &[&lane.as_str(), &lane.as_str()],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// What the steps after `from` up to `to` changed: every file they touched,
/// with its net change and the lines they added and deleted.
pub fn compare(db: &Db, lane: &LaneId, from: u32, to: u32) -> Result<SnapshotComparison, ApiError> {
    if from >= to {
        return Err(ApiError::validation("from", "must be before `to`"));
    }
    let steps = timeline(db, lane)?;
    let find = |seq: u32, field: &str| {
        steps
            .iter()
            .find(|c| c.seq == seq)
            .ok_or_else(|| ApiError::validation(field, format!("lane {lane} has no checkpoint {seq}")))
    };
    let to_commit = find(to, "to")?.commit.clone();
    let from_commit = if from == 0 { None } else { Some(find(from, "from")?.commit.clone()) };
    let between: Vec<&[CheckpointFile]> =
        steps.iter().filter(|c| c.seq > from && c.seq <= to).map(|c| c.files.as_slice()).collect();
    let net = rules::net_files(between);
    let files: Vec<CheckpointFile> = net
        .iter()
        .map(|f| {
            let hunks = steps
                .iter()
                .filter(|c| c.seq > from && c.seq <= to)
                .flat_map(|c| &c.files)
                .filter(|x| x.path.as_str() == f.path)
                .map(|x| x.hunks)
                .sum();
            let binary = steps
                .iter()
                .filter(|c| c.seq > from && c.seq <= to)
                .flat_map(|c| &c.files)
                .any(|x| x.path.as_str() == f.path && x.binary);
            Ok(CheckpointFile {
                path: serde_json::from_value(serde_json::Value::String(f.path.clone())).map_err(ApiError::internal)?,
                change: f.change,
                insertions: f.insertions,
                deletions: f.deletions,
                hunks,
                binary,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let stat = DiffStat {
        files_changed: files.len() as u64,
        insertions: files.iter().map(|f| f.insertions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
    };
    Ok(SnapshotComparison { run_id: lane.clone(), from, to, from_commit, to_commit, files, stat })
}

/// Records that `lane` starts from `from`'s snapshot `seq` at `commit`.
pub fn record_restore(tx: &Db, lane: &LaneId, from: &LaneId, seq: u32, commit: &str) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO lane_restores (lane_id, from_lane_id, seq, commit_sha) VALUES ($1, $2, $3, $4)",
        &[&lane.as_str(), &from.as_str(), &i64::from(seq), &commit],
    )?;
    Ok(())
}

/// The commit a restored lane's worktree starts from.
pub fn start_commit(db: &Db, lane: &LaneId) -> Result<Option<String>, ApiError> {
    db.query_one("SELECT commit_sha FROM lane_restores WHERE lane_id = $1", &[&lane.as_str()])?
        .map(|r| r.text("commit_sha").map_err(ApiError::from))
        .transpose()
}

/// Marks `lane` as an extraction job.
pub fn record_job(tx: &Db, lane: &LaneId, job: ExtractJob, project: Option<&ProjectId>) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO lane_jobs (lane_id, job, project_id) VALUES ($1, $2, $3)",
        &[&lane.as_str(), &job.as_str(), &project.map(ProjectId::as_str)],
    )?;
    Ok(())
}

/// The extraction job `lane` is, if it is one, and the project its entries go to.
pub fn job_of(db: &Db, lane: &LaneId) -> Result<Option<(ExtractJob, Option<ProjectId>)>, ApiError> {
    let Some(row) = db.query_one("SELECT job, project_id FROM lane_jobs WHERE lane_id = $1", &[&lane.as_str()])? else {
        return Ok(None);
    };
    let job = ExtractJob::parse(&row.text("job")?).ok_or_else(|| ApiError::internal("malformed lane job"))?;
    let project = row
        .opt_text("project_id")?
        .map(|p| ProjectId::parse(&p).ok_or_else(|| ApiError::internal("malformed lane job project")))
        .transpose()?;
    Ok(Some((job, project)))
}

/// Events read for a summary at most (the newest are what matter most).
const SUMMARY_EVENTS: u64 = 20_000;

/// The deterministic plain-English summary of a lane: its checkpoints'
/// net changes (or, without checkpoints, its file-change events), the test
/// runs its output shows, the risks, and the questions still open.
pub fn summary(db: &Db, lane: &LaneRow) -> Result<LaneSummary, ApiError> {
    let types = [
        LaneEventType::Output,
        LaneEventType::FileChange,
        LaneEventType::QuestionAsked,
        LaneEventType::QuestionSettled,
        LaneEventType::MandateViolations,
    ];
    let events = crate::lanes::events_latest(db, &lane.run_id, &types, SUMMARY_EVENTS)?;
    let mut tests = Vec::new();
    let mut outside = std::collections::BTreeSet::new();
    let mut from_events: std::collections::BTreeMap<String, switchyard_api::FileChange> = Default::default();
    let mut asked: Vec<(switchyard_api::InboxId, String)> = Vec::new();
    let mut settled = std::collections::BTreeSet::new();
    let mut printed_questions = Vec::new();
    let mut violations = Vec::new();
    for e in &events {
        match &e.event {
            LaneEventData::Output { line, .. } => {
                tests.extend(rules::test_run(line));
                printed_questions.extend(rules::open_question(line));
            }
            LaneEventData::FileChange { path, change, outside_claim } => {
                if *outside_claim {
                    outside.insert(path.clone());
                }
                from_events.insert(path.clone(), *change);
            }
            LaneEventData::QuestionAsked { item_id, question, .. } => asked.push((item_id.clone(), question.clone())),
            LaneEventData::QuestionSettled { item_id, .. } => {
                settled.insert(item_id.clone());
            }
            LaneEventData::MandateViolations { violations: v, .. } => violations.extend(v.iter().cloned()),
            _ => {}
        }
    }
    let steps = timeline(db, &lane.run_id)?;
    let files = if steps.is_empty() {
        from_events
            .into_iter()
            .map(|(path, change)| switchyard_api::SummaryFile { path, change, insertions: 0, deletions: 0 })
            .collect()
    } else {
        rules::net_files(steps.iter().map(|c| c.files.as_slice()))
    };
    let outside: Vec<String> = outside.into_iter().collect();
    let mut risks = rules::risks(&files, &outside, &tests);
    if !violations.is_empty() {
        risks.push(switchyard_api::Risk {
            kind: "mandate_violation".into(),
            message: format!("{} mandate violation(s)", violations.len()),
            paths: violations.iter().map(|v| v.path.clone()).collect(),
        });
    }
    let mut open_questions: Vec<String> =
        asked.into_iter().filter(|(id, _)| !settled.contains(id)).map(|(_, q)| q).collect();
    open_questions.extend(printed_questions);
    let facts = rules::Facts {
        state: lane.state.as_str(),
        agent_summary: lane.summary.as_deref(),
        files: &files,
        tests: &tests,
        risks: &risks,
        open_questions: &open_questions,
    };
    let headline = rules::headline(&facts);
    let paragraph = rules::paragraph(&facts);
    let (text, written_by) = match written_by_model(&paragraph, lane) {
        Some((model, text)) => (text, format!("model:{model}")),
        None => (paragraph, "rules".to_owned()),
    };
    Ok(LaneSummary {
        run_id: lane.run_id.clone(),
        state: lane.state,
        headline,
        text,
        changed_files: files,
        tests,
        risks,
        open_questions,
        written_by,
    })
}

/// Where a model is configured (`summary_model`, served by the host's
/// `[llm_compute]`), the paragraph rewritten by it from the rules' facts;
/// `None` (the rules' paragraph stands) when no model answers.
fn written_by_model(facts: &str, lane: &LaneRow) -> Option<(String, String)> {
    let model = spin_sdk::variables::get("summary_model").ok().filter(|m| !m.trim().is_empty())?;
    let prompt = format!(
        "Summarise this coding agent's lane for a reviewer in at most five plain sentences. Keep every file name, \
         test result, risk and open question; add nothing that is not in the facts.\n\nBrief: {}\n\nFacts: {facts}",
        lane.brief.chars().take(2_000).collect::<String>()
    );
    let params = spin_sdk::llm::InferencingParams { max_tokens: 300, temperature: 0.2, ..Default::default() };
    let answer =
        spin_sdk::llm::infer_with_options(spin_sdk::llm::InferencingModel::Other(&model), &prompt, params).ok()?;
    let text = answer.text.trim().to_owned();
    (!text.is_empty()).then_some((model, text))
}

/// Starting an extraction job (`bmad-extract-from-repo`, `repo-map-extract`):
/// a lane that reads the whole repository and edits nothing. The policy
/// decides it as a dispatch that claims `**`; the lane holds no claim.
pub mod extraction {
    use serde_json::json;
    use switchyard_api::{ExtractFromRepo, ExtractJob, ExtractionStarted, ProjectId, RunAgent};

    use crate::dispatch::{self, Checked};
    use crate::prelude::*;

    pub struct Prepared {
        checked: Checked,
        job: ExtractJob,
        project: Option<ProjectId>,
    }

    /// The checks before the write transaction; a policy denial is audited as `<name>:policy_denied`.
    pub fn check(ctx: &Ctx, input: ExtractFromRepo, job: ExtractJob, name: &str) -> Result<Prepared, ApiError> {
        let workspace = ctx.workspace_id()?;
        if let Some(project) = &input.project_id {
            crate::planning::load_project(&ctx.db, workspace, project)
                .map_err(|_| ApiError::validation("project_id", "no such project"))?;
        }
        let what = match job {
            ExtractJob::Context => "product, system, style and policy context",
            ExtractJob::Map => "the repository map (languages, frameworks, modules)",
        };
        let lane: RunAgent = serde_json::from_value(json!({
            "harness_kind": input.harness_kind.as_ref().map_or("script", |k| k.as_str()),
            "brief": format!("Extract {what} from {} (an extraction job: the harness reads the repository itself; no agent runs).", input.repository),
            "repository": input.repository,
            "claim": ["**"],
            "labels": input.labels.strings(),
        }))
        .map_err(|e| ApiError::validation("repository", format!("does not make a lane: {e}")))?;
        let checked = dispatch::check_or_refuse(ctx, lane, true, name)?;
        Ok(Prepared { checked, job, project: input.project_id })
    }

    /// Creates the job's lane (queued, or awaiting approval when the policy asks).
    pub fn start(ctx: &Ctx, tx: &Db, prepared: Prepared, name: &str) -> Result<Change<ExtractionStarted>, ApiError> {
        let workspace = ctx.workspace_id()?;
        let Prepared { checked, job, project } = prepared;
        let (lane, approval) = dispatch::create(tx, workspace, checked, &ctx.caller.actor())?;
        super::record_job(tx, &lane.run_id, job, project.as_ref())?;
        if let Some(approval) = approval {
            ctx.audit_in(tx, workspace, &format!("{name}:approval_requested"), Some(approval.as_str()))?;
        }
        let started = ExtractionStarted {
            run_id: lane.run_id.clone(),
            job,
            repository: lane.repository.clone(),
            project_id: project,
            state: lane.state,
        };
        Ok(Change::created(lane.run_id.clone(), started))
    }
}
