//! Requeue lanes whose harness lease expired (or fail them after their last attempt), pause lanes over budget, and settle overdue approvals and questions.
//!
//! Runs on the `[[trigger.cron]]` schedule and, for schedulers without Spin's
//! cron trigger (a Kubernetes CronJob, a platform without the plugin), as a
//! `POST` with the service-role key. Both paths run [`sweep`].

wit_bindgen::generate!({
    path: "../../wit/spin-cron.wit",
    world: "spin-cron",
});

use switchyard_api::{ApprovalState, DispatchTickReport, NoInput, PolicySubject, RequestId};
use switchyard_domain::lane::{Event, LaneState};
use switchyard_edge::audit::append_system;
use switchyard_edge::lanes::{self, apply, load_lane};
use switchyard_edge::prelude::*;
use switchyard_edge::{governance, inbox};
use switchyard_edge::{now_rfc3339, random_bytes};

const ENDPOINT: Endpoint = endpoints::DISPATCH_STATUS_TICK;
const ACTOR: &str = "system:dispatch-status-tick";

/// Not `Endpoint::mutate`: the caller is the deployment, not a workspace, so
/// there is no one audit log to record the call in; `sweep` audits each lane
/// it changes in that lane's workspace, in the same transaction.
#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.read(req, |ctx, _: NoInput| ctx.db.transaction(|tx| sweep(tx, &ctx.request_id)))
}

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let db = Db::open().map_err(|e| Error::Other(e.to_string()))?;
        let request_id = RequestId::from_random(&random_bytes());
        let report = db
            .transaction(|tx| sweep(tx, &request_id))
            .map_err(|e: ApiError| Error::Other(format!("{}: {:?}", e.message, e.cause)))?;
        if report != DispatchTickReport::default() {
            println!(
                "dispatch-status-tick: {} requeued, {} failed, {} paused over budget, {} approvals and {} questions expired",
                report.requeued,
                report.failed,
                report.budget_exhausted,
                report.approvals_expired,
                report.questions_expired
            );
        }
        Ok(())
    }
}

/// One pass over lanes that need the system to act; says what changed.
fn sweep(tx: &Db, request_id: &RequestId) -> Result<DispatchTickReport, ApiError> {
    let now = now_rfc3339();
    let mut report = DispatchTickReport::default();
    for mut lane in lanes::due(tx, &now)? {
        let expired = lane.lease_expires_at.as_deref().is_some_and(|l| l < now.as_str());
        let action = if expired {
            let retry = lane.attempt < lane.max_attempts;
            let reason = if retry {
                format!("harness lease expired; requeued for attempt {}", lane.attempt + 1)
            } else {
                format!("harness lease expired on the last of {} attempts", lane.max_attempts)
            };
            apply(tx, &mut lane, Event::LeaseExpired { retry }, Some(&reason))?;
            if lane.state == LaneState::Queued {
                report.requeued += 1;
                "requeued"
            } else {
                report.failed += 1;
                "failed"
            }
        } else {
            apply(tx, &mut lane, Event::Pause, Some("budget_exhausted"))?;
            report.budget_exhausted += 1;
            "budget_exhausted"
        };
        append_system(tx, ENDPOINT.name, &lane.workspace_id, action, lane.run_id.as_str(), request_id)?;
    }
    // Fail closed: a request nobody decided in time is refused and its lane stops.
    for (workspace, approval) in governance::overdue(tx, &now)? {
        let mut lane = load_lane(tx, &workspace, &approval.run_id)?;
        let note = format!("no decision before {}", approval.expires_at);
        governance::settle(tx, &lane, &approval.approval_id, ApprovalState::Expired, ACTOR, Some(&note))?;
        if lane.state == LaneState::AwaitingApproval {
            let event = match (&approval.action, lane.harness_id.is_some()) {
                // A completion a mandate held, undecided: the lane fails.
                (PolicySubject::Completion { .. }, _) => Event::Fail,
                (_, true) => Event::Pause,
                (_, false) => Event::Rejected { held: false },
            };
            apply(tx, &mut lane, event, Some("approval_expired"))?;
        }
        report.approvals_expired += 1;
        append_system(tx, ENDPOINT.name, &workspace, "approval_expired", approval.approval_id.as_str(), request_id)?;
    }
    // A question nobody answered gets its default answer, or its lane stops.
    for (workspace, item) in inbox::overdue(tx, &now)? {
        let action = match inbox::expire(tx, &workspace, &item, ACTOR)? {
            inbox::Expired::Answered => "question_default_answer",
            inbox::Expired::Paused => "question_expired",
        };
        report.questions_expired += 1;
        append_system(tx, ENDPOINT.name, &workspace, action, item.item_id.as_str(), request_id)?;
    }
    Ok(report)
}

export!(Tick);
