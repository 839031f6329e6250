//! Restore a lane's snapshot into a new lane: same repository, harness kind,
//! labels and budgets, its worktree starting from the snapshot's commit.

use serde_json::json;
use switchyard_api::{RestoreSnapshot, RestoredFrom, RestoredLane, RunAgent};
use switchyard_edge::dispatch::{self, Checked};
use switchyard_edge::insight;
use switchyard_edge::lanes::load_lane;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::LANE_SNAPSHOT_RESTORE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate_after(req, check, restore)
}

struct Prepared {
    checked: Checked,
    from: RestoredFrom,
}

fn check(ctx: &Ctx, input: RestoreSnapshot) -> Result<Prepared, ApiError> {
    let workspace = ctx.workspace_id()?;
    let old = load_lane(&ctx.db, workspace, &input.run_id)?;
    let seq = u32::try_from(input.seq.get()).map_err(|_| ApiError::validation("seq", "too large"))?;
    let snapshot = insight::timeline(&ctx.db, &old.run_id)?
        .into_iter()
        .find(|c| c.seq == seq)
        .ok_or_else(|| ApiError::validation("seq", format!("lane {} has no checkpoint {seq}", old.run_id)))?;
    // The old brief, cut so that the note still fits a brief's 100 000 bytes.
    let old_brief: String = old.brief.chars().take(20_000).collect();
    let brief = input.brief.as_ref().map_or_else(
        || {
            format!(
                "{old_brief}\n\n(Restored from snapshot {seq} of lane {}: the worktree holds its work so far.)",
                old.run_id
            )
        },
        |b| b.to_string(),
    );
    let claim = input.claim.as_ref().map_or_else(|| old.claim.clone(), |c| c.strings());
    let lane: RunAgent = serde_json::from_value(json!({
        "harness_kind": old.harness_kind,
        "brief": brief,
        "repository": old.repository,
        "claim": claim,
        "labels": old.labels,
        "token_budget": old.token_budget,
        "cost_budget_cents": old.cost_budget_cents,
        "max_attempts": old.max_attempts,
    }))
    .map_err(|e| ApiError::validation("claim", format!("the old lane's settings do not make a lane: {e}")))?;
    let checked = dispatch::check_or_refuse(ctx, lane, false, ENDPOINT.name)?;
    Ok(Prepared { checked, from: RestoredFrom { run_id: old.run_id.clone(), seq, commit: snapshot.commit } })
}

fn restore(ctx: &Ctx, tx: &Db, prepared: Prepared) -> Result<Change<RestoredLane>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let Prepared { checked, from } = prepared;
    let (lane, approval) = dispatch::create(tx, workspace, checked, &ctx.caller.actor())?;
    insight::record_restore(tx, &lane.run_id, &from.run_id, from.seq, &from.commit)?;
    if let Some(approval) = approval {
        ctx.audit_in(tx, workspace, "lane-snapshot-restore:approval_requested", Some(approval.as_str()))?;
    }
    Ok(Change::created(lane.run_id.clone(), RestoredLane { lane: lane.to_api(), restored_from: from }))
}
