//! Record what a harness reports about a lane it holds: output, file changes, tokens used, questions, diff
//! checkpoints, an extraction job's findings, completion, failure.
//!
//! Output and file changes become lane events; completion, failure and a
//! budget pause also change the lane's state and are audited. A completion
//! whose changes break a blocking mandate is held for approval or failed (per
//! the workspace's mandates), committed, and answered 409 `MANDATE_VIOLATION`.

use serde_json::json;
use switchyard_api::{
    ChangedFile, ErrorCode, HarnessEvents, HarnessEventsAccepted, HarnessReport, LaneEventData, LaneResult,
    OnViolation, PolicySubject,
};
use switchyard_domain::lane::{Event, LaneState};
use switchyard_edge::lanes::{self, LaneRow, append_event, apply, load_lane};
use switchyard_edge::prelude::*;
use switchyard_edge::{budgets, checks, context, governance, inbox, insight, mandates, sprints};

const ENDPOINT: Endpoint = endpoints::HARNESS_EVENT;

const MAX_EVENTS: usize = 100;
const MAX_LINE: usize = 8 * 1024;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, input: HarnessEvents| {
        let (accepted, refusal) = ctx.db.transaction(|tx| record(ctx, tx, input))?;
        refusal.map_or(Ok(accepted), Err)
    })
}

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_LINE {
        return text;
    }
    let mut end = MAX_LINE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What the reports did, and a refusal to answer with once they are committed.
fn record(ctx: &Ctx, tx: &Db, input: HarnessEvents) -> Result<(HarnessEventsAccepted, Option<ApiError>), ApiError> {
    let harness = ctx.caller.harness()?;
    if input.events.len() > MAX_EVENTS {
        return Err(ApiError::validation("events", format!("at most {MAX_EVENTS} events per call")));
    }
    let mut lane = load_lane(tx, &harness.workspace.id, &input.run_id)?;
    let held = lane.harness_id.as_ref() == Some(&harness.harness_id) && LaneState::HELD.contains(&lane.state);
    if !held {
        return Err(ApiError::conflict(format!(
            "this harness does not hold lane {} (it is {}); stop working on it",
            lane.run_id,
            lane.state.as_str()
        ))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str(), "signal": "cancel"})));
    }
    let mut refusal = None;
    for (i, report) in input.events.iter().enumerate() {
        if !lane.state.is_active() || refusal.is_some() {
            return Err(ApiError::validation(format!("events[{i}]"), "follows the lane's completion or failure"));
        }
        refusal = apply_report(ctx, tx, &mut lane, report)?;
    }
    let accepted = HarnessEventsAccepted {
        run_id: lane.run_id.clone(),
        lane_id: lane.run_id.clone(),
        state: lane.state,
        signal: lane.state.signal(),
    };
    Ok((accepted, refusal))
}

fn apply_report(ctx: &Ctx, tx: &Db, lane: &mut LaneRow, report: &HarnessReport) -> Result<Option<ApiError>, ApiError> {
    match report {
        HarnessReport::Output { stream, line } => {
            append_event(tx, lane, &LaneEventData::Output { stream: *stream, line: truncate(line).to_owned() })?;
        }
        HarnessReport::FileChange { path, change } => {
            if path.is_empty() || path.len() > 1024 {
                return Err(ApiError::validation("events.path", "must be 1-1024 bytes"));
            }
            let outside = !lane.claim.iter().any(|g| switchyard_domain::glob::matches(g, path));
            let event = LaneEventData::FileChange { path: path.clone(), change: *change, outside_claim: outside };
            append_event(tx, lane, &event)?;
        }
        HarnessReport::Tokens { used, cost_cents } => {
            lane.tokens_used = lane.tokens_used.saturating_add(*used);
            lane.cost_used_cents = lane.cost_used_cents.saturating_add(*cost_cents);
            lanes::save_usage(tx, lane)?;
            budgets::record_usage(tx, lane, *used, *cost_cents)?;
            let event = LaneEventData::Tokens {
                used: *used,
                cost_cents: *cost_cents,
                tokens_used: lane.tokens_used,
                cost_used_cents: lane.cost_used_cents,
            };
            append_event(tx, lane, &event)?;
            if lane.state == LaneState::Running && lane.budget_exhausted() {
                apply(tx, lane, Event::Pause, Some("budget_exhausted"))?;
                ctx.audit_in(tx, &lane.workspace_id, "harness-event:budget_exhausted", Some(lane.run_id.as_str()))?;
            }
            for paused in sprints::after_usage(tx, lane)? {
                ctx.audit_in(tx, &lane.workspace_id, "harness-event:sprint_budget_exhausted", Some(paused.as_str()))?;
            }
        }
        HarnessReport::Question { question, options, priority, expires_in_seconds, default_answer } => {
            if let Some(default) = default_answer
                && !options.is_empty()
                && !options.iter().any(|o| o.as_str() == default.as_str())
            {
                return Err(ApiError::validation("events.default_answer", "must be one of the options"));
            }
            let asked = inbox::Question {
                question: question.as_str(),
                options: options.strings(),
                priority: priority.unwrap_or(switchyard_api::Priority::Normal),
                wait_seconds: expires_in_seconds.map_or(inbox::DEFAULT_WAIT_SECONDS, |s| s.get()),
                default_answer: default_answer.as_ref().map(|d| d.as_str()),
            };
            let item = inbox::ask(tx, lane, &asked)?;
            ctx.audit_in(tx, &lane.workspace_id, "harness-event:question", Some(item.item_id.as_str()))?;
        }
        HarnessReport::Branch { branch } => on_branch(tx, lane, branch)?,
        HarnessReport::Context { job, commit, entries } => {
            let Some((expected, project)) = insight::job_of(tx, &lane.run_id)? else {
                return Err(ApiError::validation("events.type", "context is reported by extraction jobs only"));
            };
            if expected != *job {
                return Err(ApiError::validation("events.job", format!("this lane is a {} job", expected.as_str())));
            }
            let counts =
                context::fold_extraction(tx, lane, *job, project.as_ref(), commit, entries, &ctx.caller.actor())?;
            let event = LaneEventData::ContextExtracted { job: *job, commit: commit.to_string(), counts };
            append_event(tx, lane, &event)?;
            ctx.audit_in(tx, &lane.workspace_id, "harness-event:context_extracted", Some(lane.run_id.as_str()))?;
        }
        HarnessReport::Checkpoint { seq, commit, files, total } => {
            let seq = u32::try_from(seq.get()).map_err(|_| ApiError::validation("events.seq", "too large"))?;
            insight::record_checkpoint(tx, lane, seq, commit.as_str(), files, total)?;
        }
        HarnessReport::Completed { exit_code, summary, diff_stat, changes, branch } => {
            finish(tx, lane, Some(*exit_code), summary.as_deref())?;
            if let Some(branch) = branch {
                on_branch(tx, lane, branch)?;
            }
            if let Some(changes) = changes
                && let Some(refusal) = check_mandates(ctx, tx, lane, changes)?
            {
                return Ok(Some(refusal));
            }
            let result =
                LaneResult::Completed { exit_code: *exit_code, summary: summary.clone(), diff_stat: diff_stat.clone() };
            append_event(tx, lane, &LaneEventData::Result(result))?;
            apply(tx, lane, Event::Complete, Some("the agent finished"))?;
            ctx.audit_in(tx, &lane.workspace_id, "harness-event:completed", Some(lane.run_id.as_str()))?;
        }
        HarnessReport::Failed { exit_code, error } => {
            finish(tx, lane, *exit_code, Some(truncate(error)))?;
            let result = LaneResult::Failed { exit_code: *exit_code, error: truncate(error).to_owned() };
            append_event(tx, lane, &LaneEventData::Result(result))?;
            apply(tx, lane, Event::Fail, Some(truncate(error)))?;
            ctx.audit_in(tx, &lane.workspace_id, "harness-event:failed", Some(lane.run_id.as_str()))?;
        }
    }
    Ok(None)
}

/// Records the branch the lane's work is on: forge events for it find the lane from now on.
fn on_branch(tx: &Db, lane: &mut LaneRow, branch: &switchyard_api::Name) -> Result<(), ApiError> {
    checks::link(tx, lane, &[("branch", &branch.as_str())])?;
    lane.branch = Some(branch.to_string());
    Ok(())
}

/// Checks a completing lane's changes against the workspace's mandates.
/// Violations are recorded on the lane; a blocking one holds the completion
/// for a member's approval (or fails the lane) and is the answer's refusal.
fn check_mandates(
    ctx: &Ctx,
    tx: &Db,
    lane: &mut LaneRow,
    changes: &[ChangedFile],
) -> Result<Option<ApiError>, ApiError> {
    let (report, on_violation) = mandates::check_changes(tx, &lane.workspace_id, changes)?;
    if report.violations.is_empty() {
        return Ok(None);
    }
    let event = LaneEventData::MandateViolations { violations: report.violations.clone(), blocking: report.blocking };
    append_event(tx, lane, &event)?;
    if report.passed {
        return Ok(None);
    }
    let blocking: Vec<_> =
        report.violations.iter().filter(|v| v.severity == switchyard_api::Severity::Blocking).collect();
    let first = blocking[0];
    let place = first.line.map_or_else(|| first.path.clone(), |l| format!("{}:{l}", first.path));
    let mut details =
        json!({"run_id": lane.run_id, "violations": report.violations, "mandates_version": report.mandates_version});
    let held = on_violation == OnViolation::RequireApproval && lane.state == LaneState::Running;
    if held {
        let subject = PolicySubject::Completion { violations: report.violations.clone() };
        let decision = governance::Decision::mandate(&first.rule, &first.message);
        let approval = governance::request(tx, lane, &subject, &decision, &ctx.caller.actor())?;
        apply(tx, lane, Event::AwaitApproval, Some("a blocking mandate holds its completion"))?;
        // The agent is done: the harness lets go, and the decision ends the lane.
        lanes::release_harness(tx, lane)?;
        details["approval_id"] = json!(approval.approval_id);
    } else {
        let error = format!("mandate '{}' broken at {place}", first.rule);
        let result = LaneResult::Failed { exit_code: lane.exit_code, error: error.clone() };
        append_event(tx, lane, &LaneEventData::Result(result))?;
        apply(tx, lane, Event::Fail, Some(&error))?;
    }
    ctx.audit_in(tx, &lane.workspace_id, "harness-event:mandate_violation", Some(&first.rule))?;
    let outcome = if held { "the lane waits for a member's approval to complete" } else { "the lane failed" };
    Ok(Some(
        ApiError::new(
            ErrorCode::MandateViolation,
            format!("{} blocking mandate violation(s), first '{}' at {place}: {outcome}", report.blocking, first.rule),
        )
        .with_details(details),
    ))
}

fn finish(tx: &Db, lane: &mut LaneRow, exit_code: Option<i64>, summary: Option<&str>) -> Result<(), ApiError> {
    lane.exit_code = exit_code;
    lane.summary = summary.map(str::to_owned);
    lanes::save_result(tx, lane)
}
