//! What the lane-steering endpoints do, written once: each function below is
//! the whole of one endpoint's handler, called by that endpoint's component
//! and by the protocol projections (the MCP server, A2A) through [`invoke`],
//! so a tool call and a direct call cannot drift apart.

use serde_json::{Value, json};
use switchyard_api::{Approval, ApprovalState, InboxItem, InboxResolved, NoInput};
use switchyard_api::{
    DecideApproval, EventPage, GetLane, InterruptLane, InterruptQueued, Lane, LaneAction, LaneDetail, LaneEventsQuery,
    ListApprovals, ListInbox, ListLanes, Page, PublishedHead, ResolveInboxItem, ResumeLane, RunAgent, endpoints,
};
use switchyard_domain::export::sign_head;
use switchyard_domain::lane::Event;
use switchyard_domain::merkle::{self, consistency_proof, root};

use crate::audit::{latest_head, leaves, log_size, record_head, signing_key};
use crate::endpoint::Invoke;
use crate::lanes::{self, LaneRow, load_lane, pending_interrupts};
use crate::{ApiError, Change, Ctx, Db, budgets, checks, context, cursor, dispatch, governance, inbox, webhooks};

/// `agent-run`, after its checks: the lane (and its approval request, audited).
pub fn run_lane(ctx: &Ctx, tx: &Db, checked: dispatch::Checked) -> Result<Change<Lane>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let (lane, approval) = dispatch::create(tx, workspace, checked, &ctx.caller.actor())?;
    if let Some(approval) = approval {
        ctx.audit_in(tx, workspace, "agent-run:approval_requested", Some(approval.as_str()))?;
    }
    Ok(Change::created(lane.run_id.clone(), lane.to_api()))
}

/// `agent-run`'s policy, budget and claim checks, before the transaction (a denial is audited).
pub fn check_lane(ctx: &Ctx, input: RunAgent) -> Result<dispatch::Checked, ApiError> {
    dispatch::check_or_refuse(ctx, input, false, endpoints::AGENT_RUN.name)
}

/// `agent-pause`: the lane keeps its claim and tool log.
pub fn pause(ctx: &Ctx, tx: &Db, input: LaneAction) -> Result<Change<Lane>, ApiError> {
    let mut lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
    let reason = input.reason.unwrap_or_else(|| format!("paused by {}", ctx.caller.actor()));
    lanes::apply(tx, &mut lane, Event::Pause, Some(&reason))?;
    Ok(Change::ok(lane.run_id.clone(), lane.to_api()))
}

/// `agent-cancel`: the lane ends and releases its claim.
pub fn cancel(ctx: &Ctx, tx: &Db, input: LaneAction) -> Result<Change<Lane>, ApiError> {
    let mut lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
    let reason = input.reason.unwrap_or_else(|| format!("cancelled by {}", ctx.caller.actor()));
    lanes::apply(tx, &mut lane, Event::Cancel, Some(&reason))?;
    Ok(Change::ok(lane.run_id.clone(), lane.to_api()))
}

/// `agent-resume`: optionally with larger budgets; refused while a budget (the lane's or the workspace's) is spent.
pub fn resume(ctx: &Ctx, tx: &Db, input: ResumeLane) -> Result<Change<Lane>, ApiError> {
    let mut lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
    if let Some(budget) = input.token_budget {
        if budget <= lane.tokens_used {
            return Err(ApiError::validation(
                "token_budget",
                format!("must exceed the {} tokens already used", lane.tokens_used),
            ));
        }
        lane.token_budget = Some(budget);
    }
    if let Some(budget) = input.cost_budget_cents {
        if budget <= lane.cost_used_cents {
            return Err(ApiError::validation(
                "cost_budget_cents",
                format!("must exceed the {} cents already used", lane.cost_used_cents),
            ));
        }
        lane.cost_budget_cents = Some(budget);
    }
    if lane.budget_exhausted() {
        return Err(ApiError::conflict(format!(
            "lane {} has used its budget; raise token_budget or cost_budget_cents to resume",
            lane.run_id
        ))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str(), "tokens_used": lane.tokens_used})));
    }
    let budget = budgets::status(tx, &lane.workspace_id)?;
    if budget.exhausted {
        return Err(budgets::exhausted(&budget));
    }
    lanes::save_budgets(tx, &lane)?;
    lanes::resume(tx, &mut lane, &format!("resumed by {}", ctx.caller.actor()))?;
    Ok(Change::ok(lane.run_id.clone(), lane.to_api()))
}

/// `agent-interrupt`: queued for the harness to deliver; only active lanes take one.
pub fn interrupt(ctx: &Ctx, tx: &Db, input: InterruptLane) -> Result<Change<InterruptQueued>, ApiError> {
    let lane = load_lane(tx, ctx.workspace_id()?, &input.run_id)?;
    if !lane.state.is_active() {
        return Err(ApiError::conflict(format!(
            "lane {} is {}; only active lanes take interrupts",
            lane.run_id,
            lane.state.as_str()
        ))
        .with_details(json!({"run_id": lane.run_id, "state": lane.state.as_str()})));
    }
    let interrupt = lanes::queue_interrupt(tx, &lane, input.kind.into(), &input.message, None)?;
    Ok(Change::created(lane.run_id.clone(), InterruptQueued { run_id: lane.run_id.clone(), interrupt }))
}

/// `lane-list`: newest first, filtered, in cursor pages.
pub fn list_lanes(ctx: &Ctx, input: ListLanes) -> Result<Page<Lane>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), endpoints::LANE_LIST.name)?;
    let filter = lanes::LaneFilter {
        state: input.state,
        repository: input.repository.as_deref(),
        harness_kind: input.harness_kind.as_deref(),
        label: input.label.as_deref(),
    };
    let found = lanes::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    let page = cursor::page(found, limit, |l| (l.created_at.as_str(), l.run_id.as_str()));
    Ok(Page { data: page.data.iter().map(LaneRow::to_api).collect(), next_cursor: page.next_cursor })
}

/// `lane-get`: the lane with its tool log, pending interrupts, CI checks and the context it was given.
pub fn get_lane(ctx: &Ctx, input: GetLane) -> Result<LaneDetail, ApiError> {
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let tool_calls = lanes::tool_calls(&ctx.db, &lane.run_id)?;
    let pending_interrupts = pending_interrupts(&ctx.db, &lane.run_id)?;
    let checks = checks::of_lane(&ctx.db, &lane.run_id)?;
    let context = context::given_to_lane(&ctx.db, &lane)?;
    Ok(LaneDetail { lane: lane.to_api(), tool_calls, pending_interrupts, checks, context })
}

/// `lane-events` as JSON: the events after `since`.
pub fn lane_events(ctx: &Ctx, input: LaneEventsQuery) -> Result<EventPage, ApiError> {
    let limit = input.limit.map_or(100, |l| l.get());
    let lane = load_lane(&ctx.db, ctx.workspace_id()?, &input.run_id)?;
    let data = lanes::events_after(
        &ctx.db,
        &lane.run_id,
        input.since.unwrap_or(0),
        input.types.as_deref().unwrap_or_default(),
        limit,
    )?;
    let next_since = data.last().map(|e| e.id).or(input.since);
    Ok(EventPage { data, next_since })
}

/// `inbox-list`: agents' questions, newest first.
pub fn list_inbox(ctx: &Ctx, input: ListInbox) -> Result<Page<InboxItem>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), endpoints::INBOX_LIST.name)?;
    let filter = inbox::InboxFilter { resolved: input.resolved, priority: input.priority, lane: input.run_id.as_ref() };
    let found = inbox::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    Ok(cursor::page(found, limit, |i| (i.asked_at.as_str(), i.item_id.as_str())))
}

/// `inbox-resolve`: the answer, delivered to the lane as an interrupt.
pub fn answer_inbox(ctx: &Ctx, tx: &Db, input: ResolveInboxItem) -> Result<Change<InboxResolved>, ApiError> {
    let (item, interrupt, lane) = inbox::answer(tx, ctx.workspace_id()?, &input, &ctx.caller.actor())?;
    Ok(Change::ok(item.item_id.clone(), InboxResolved { item, interrupt, lane: lane.to_api() }))
}

/// `approval-list`: requests for approval, newest first.
pub fn list_approvals(ctx: &Ctx, input: ListApprovals) -> Result<Page<Approval>, ApiError> {
    let limit = input.limit.map_or(50, |l| l.get());
    let before = cursor::start(input.cursor.as_deref(), endpoints::APPROVAL_LIST.name)?;
    let filter = governance::ApprovalFilter { state: input.state, lane: input.run_id.as_ref() };
    let found = governance::page(&ctx.db, ctx.workspace_id()?, &filter, &before, limit + 1)?;
    Ok(cursor::page(found, limit, |a| (a.requested_at.as_str(), a.approval_id.as_str())))
}

/// `federation-publish-head`: sign and record the audit log's current head, with a consistency proof from the last.
pub fn publish_head(ctx: &Ctx, tx: &Db, _: NoInput) -> Result<Change<PublishedHead>, ApiError> {
    let workspace = ctx.workspace_id()?.to_string();
    let key = signing_key()?;
    let size = log_size(tx, &workspace)?;
    let all = leaves(tx, &workspace, size)?;
    let head = sign_head(&key, &workspace, size, &merkle::to_hex(&root(&all)), &crate::now_rfc3339());
    let previous = latest_head(tx, &workspace)?;
    let proof = match &previous {
        Some(p) if p.tree_size > 0 && p.tree_size <= size => {
            let m = usize::try_from(p.tree_size).unwrap_or(usize::MAX);
            consistency_proof(m, &all).iter().map(merkle::to_hex).collect()
        }
        _ => Vec::new(),
    };
    record_head(tx, &head)?;
    // Subscribers (e.g. a witness) hear of every new head, in the same transaction.
    webhooks::emit(tx, ctx.workspace_id()?, "audit.head_published", json!(head))?;
    let target = format!("{}@{}", head.workspace_id, head.tree_size);
    Ok(Change::created(target, PublishedHead { head, previous, consistency_proof: proof }))
}

/// The `prepare` step of a mutation with no work before its transaction.
fn pass<I>(_: &Ctx, input: I) -> Result<I, ApiError> {
    Ok(input)
}

/// Runs the endpoint called `name` for the admitted member in `ctx` with
/// `args` (its JSON input), through that endpoint's own checks and audit.
/// `None` when `name` is not an endpoint the projections offer.
pub fn invoke(ctx: &Ctx, name: &str, args: &[u8]) -> Option<Result<Value, ApiError>> {
    use endpoints as e;
    let approve =
        |ctx: &Ctx, tx: &Db, input: DecideApproval| governance::decide_lane(ctx, tx, input, ApprovalState::Approved);
    let reject =
        |ctx: &Ctx, tx: &Db, input: DecideApproval| governance::decide_lane(ctx, tx, input, ApprovalState::Rejected);
    Some(match name {
        "agent-run" => e::AGENT_RUN.invoke_mutation(ctx, args, check_lane, run_lane),
        "agent-pause" => e::AGENT_PAUSE.invoke_mutation(ctx, args, pass, pause),
        "agent-resume" => e::AGENT_RESUME.invoke_mutation(ctx, args, pass, resume),
        "agent-cancel" => e::AGENT_CANCEL.invoke_mutation(ctx, args, pass, cancel),
        "agent-interrupt" => e::AGENT_INTERRUPT.invoke_mutation(ctx, args, pass, interrupt),
        "lane-list" => e::LANE_LIST.invoke_read(ctx, args, list_lanes),
        "lane-get" => e::LANE_GET.invoke_read(ctx, args, get_lane),
        "lane-events" => e::LANE_EVENTS.invoke_read(ctx, args, lane_events),
        "inbox-list" => e::INBOX_LIST.invoke_read(ctx, args, list_inbox),
        "inbox-resolve" => e::INBOX_RESOLVE.invoke_mutation(ctx, args, pass, answer_inbox),
        "approval-list" => e::APPROVAL_LIST.invoke_read(ctx, args, list_approvals),
        "lane-approve" => e::LANE_APPROVE.invoke_mutation(ctx, args, pass, approve),
        "lane-reject" => e::LANE_REJECT.invoke_mutation(ctx, args, pass, reject),
        "federation-publish-head" => e::FEDERATION_PUBLISH_HEAD.invoke_mutation(ctx, args, pass, publish_head),
        _ => return None,
    })
}
