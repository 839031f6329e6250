//! Forge connections and what their webhooks do.
//!
//! A connection holds the webhook secret (and, for a rotation's overlap, the
//! previous one). A delivery is verified, stored under the forge's delivery
//! id (a redelivery is acknowledged and never processed twice), answered, and
//! processed from the store: attached to the lane working on its repository
//! and branch or pull request, as lane events, lane moves (merged), CI checks,
//! follow-ups, changelog entries, or a new lane when a comment mentions the
//! workspace's bot.

use serde_json::json;
use switchyard_api::{
    CheckSource, Connection, ConnectionId, ConnectionWithSecret, CreateConnection, Forge, ForgeDeliveryState,
    LaneCheck, LaneEventData, List, PullRequestState, RequestId, RotateConnection, RunAgent, WorkspaceId,
};
use switchyard_domain::forge::{ForgeEvent, PullRequest, mention};
use switchyard_domain::lane::Event;

use crate::audit::append_as;
use crate::changelog::{self, Merged};
use crate::checks;
use crate::clock::{now_rfc3339, random_bytes, rfc3339_after};
use crate::db::{Db, Row};
use crate::dispatch::{self, Refusal};
use crate::error::ApiError;
use crate::lanes::{self, LANE_COLUMNS, LaneRow};
use crate::new_id;

const COLUMNS: &str = "id, workspace_id, provider, bot_handle, dispatch_harness_kind, dispatch_claim, ci_follow_up, \
    auto_changelog, required_checks, previous_valid_until, created_at, updated_at";

/// A connection as stored: the wire view plus its workspace.
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub connection: Connection,
    pub workspace_id: WorkspaceId,
}

fn from_row(row: &Row) -> Result<ConnectionRow, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed forge connection row: {what}"));
    let id = ConnectionId::parse(&row.text("id")?).ok_or_else(|| bad("id"))?;
    let provider = Forge::parse(&row.text("provider")?).ok_or_else(|| bad("provider"))?;
    Ok(ConnectionRow {
        connection: Connection {
            webhook_path: format!("/functions/v1/{}-webhook?connection={id}", provider.as_str()),
            id,
            provider,
            bot_handle: row.opt_text("bot_handle")?,
            dispatch_harness_kind: row.text("dispatch_harness_kind")?,
            dispatch_claim: row.json("dispatch_claim")?,
            ci_follow_up: row.int("ci_follow_up")? == 1,
            auto_changelog: row.int("auto_changelog")? == 1,
            required_checks: row.json("required_checks")?,
            previous_secret_valid_until: row.opt_text("previous_valid_until")?,
            created_at: row.text("created_at")?,
            updated_at: row.text("updated_at")?,
        },
        workspace_id: WorkspaceId::parse(&row.text("workspace_id")?).ok_or_else(|| bad("workspace_id"))?,
    })
}

fn new_secret() -> String {
    hex::encode(random_bytes::<32>())
}

/// Connects a forge; the secret (given or generated) is returned this once.
pub fn create(
    tx: &Db,
    workspace: &WorkspaceId,
    input: &CreateConnection,
    by: &str,
) -> Result<ConnectionWithSecret, ApiError> {
    let id = new_id!(ConnectionId);
    let secret = input.secret.as_ref().map_or_else(new_secret, |s| s.as_str().to_owned());
    let claim = input.dispatch_claim.as_ref().map_or_else(|| vec!["**".to_owned()], List::strings);
    let now = now_rfc3339();
    tx.exec(
        "INSERT INTO forge_connections (id, workspace_id, provider, secret, bot_handle, dispatch_harness_kind,
         dispatch_claim, ci_follow_up, auto_changelog, required_checks, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &id.as_str(),
            &workspace.as_str(),
            &input.provider.as_str(),
            &secret,
            &input.bot_handle.as_ref().map(|h| h.as_str()),
            &input.dispatch_harness_kind.as_ref().map_or("default", |k| k.as_str()),
            &serde_json::to_string(&claim).map_err(ApiError::internal)?,
            &i64::from(input.ci_follow_up),
            &i64::from(input.auto_changelog),
            &serde_json::to_string(&input.required_checks.strings()).map_err(ApiError::internal)?,
            &by,
            &now,
            &now,
        ],
    )?;
    Ok(ConnectionWithSecret { connection: load(tx, workspace, &id)?.connection, secret })
}

/// A new secret; the current one is still accepted for the overlap.
pub fn rotate(tx: &Db, workspace: &WorkspaceId, input: &RotateConnection) -> Result<ConnectionWithSecret, ApiError> {
    load(tx, workspace, &input.connection_id)?;
    let secret = input.secret.as_ref().map_or_else(new_secret, |s| s.as_str().to_owned());
    let overlap = input.overlap_seconds.map_or(86_400, |o| o.get());
    tx.exec(
        "UPDATE forge_connections SET previous_secret = secret, previous_valid_until = $1, secret = $2,
         updated_at = $3 WHERE id = $4",
        &[&rfc3339_after(overlap), &secret, &now_rfc3339(), &input.connection_id.as_str()],
    )?;
    Ok(ConnectionWithSecret { connection: load(tx, workspace, &input.connection_id)?.connection, secret })
}

pub fn list(db: &Db, workspace: &WorkspaceId) -> Result<Vec<Connection>, ApiError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM forge_connections WHERE workspace_id = $1 ORDER BY created_at, id"),
        &[&workspace.as_str()],
    )?;
    rows.iter().map(|r| from_row(r).map(|c| c.connection)).collect()
}

pub fn load(db: &Db, workspace: &WorkspaceId, id: &ConnectionId) -> Result<ConnectionRow, ApiError> {
    let row = db
        .query_one(
            &format!("SELECT {COLUMNS} FROM forge_connections WHERE id = $1 AND workspace_id = $2"),
            &[&id.as_str(), &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::not_found(format!("forge connection {id}")))?;
    from_row(&row)
}

/// The connection a delivery names and the secrets that may sign it (the
/// previous one only within its overlap); none for an unknown connection or
/// another forge's.
pub fn for_delivery(
    db: &Db,
    id: &ConnectionId,
    provider: Forge,
) -> Result<Option<(ConnectionRow, Vec<String>)>, ApiError> {
    let Some(row) = db.query_one(
        &format!("SELECT {COLUMNS}, secret, previous_secret FROM forge_connections WHERE id = $1 AND provider = $2"),
        &[&id.as_str(), &provider.as_str()],
    )?
    else {
        return Ok(None);
    };
    let connection = from_row(&row)?;
    let mut secrets = vec![row.text("secret")?];
    let overlap_open =
        connection.connection.previous_secret_valid_until.as_deref().is_some_and(|u| u > &now_rfc3339()[..]);
    if let (Some(previous), true) = (row.opt_text("previous_secret")?, overlap_open) {
        secrets.push(previous);
    }
    Ok(Some((connection, secrets)))
}

// ---------------------------------------------------------------- deliveries

/// A stored delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub connection_id: ConnectionId,
    pub delivery_id: String,
    pub event: String,
    pub payload: String,
    pub state: ForgeDeliveryState,
    pub outcome: Option<String>,
}

fn delivery_from_row(row: &Row) -> Result<Delivery, ApiError> {
    let bad = |what: &str| ApiError::internal(format!("malformed forge delivery row: {what}"));
    Ok(Delivery {
        connection_id: ConnectionId::parse(&row.text("connection_id")?).ok_or_else(|| bad("connection_id"))?,
        delivery_id: row.text("delivery_id")?,
        event: row.text("event")?,
        payload: row.text("payload")?,
        state: ForgeDeliveryState::parse(&row.text("state")?).ok_or_else(|| bad("state"))?,
        outcome: row.opt_text("outcome")?,
    })
}

const DELIVERY_COLUMNS: &str = "connection_id, delivery_id, event, payload, state, outcome";

/// Stores a verified delivery as queued; returns the stored one and whether
/// it is new (false: a redelivery, already stored).
pub fn store(
    tx: &Db,
    connection: &ConnectionRow,
    delivery_id: &str,
    event: &str,
    payload: &str,
) -> Result<(Delivery, bool), ApiError> {
    let inserted = tx
        .query_one(
            "INSERT INTO forge_deliveries (connection_id, delivery_id, workspace_id, event, payload, state, received_at)
             VALUES ($1, $2, $3, $4, $5, 'queued', $6) ON CONFLICT (connection_id, delivery_id) DO NOTHING
             RETURNING delivery_id",
            &[
                &connection.connection.id.as_str(),
                &delivery_id,
                &connection.workspace_id.as_str(),
                &event,
                &payload,
                &now_rfc3339(),
            ],
        )?
        .is_some();
    let row = tx
        .query_one(
            &format!("SELECT {DELIVERY_COLUMNS} FROM forge_deliveries WHERE connection_id = $1 AND delivery_id = $2"),
            &[&connection.connection.id.as_str(), &delivery_id],
        )?
        .ok_or_else(|| ApiError::internal("forge delivery vanished"))?;
    Ok((delivery_from_row(&row)?, inserted))
}

/// Queued deliveries, oldest first, with their connections.
pub fn queued(db: &Db, limit: u32) -> Result<Vec<Delivery>, ApiError> {
    let rows = db.query(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM forge_deliveries WHERE state = 'queued' ORDER BY received_at LIMIT $1"
        ),
        &[&i64::from(limit)],
    )?;
    rows.iter().map(delivery_from_row).collect()
}

/// How often processing a delivery is tried before it is marked failed.
pub const MAX_TRIES: u32 = 5;

/// Processes a stored delivery in `tx` if it is still queued (a concurrent
/// tick may have taken it); returns its state and outcome afterwards.
pub fn process(
    tx: &Db,
    delivery: &Delivery,
    request_id: &RequestId,
) -> Result<(ForgeDeliveryState, Option<String>), ApiError> {
    let Some(row) = tx.query_one(
        &format!("SELECT {COLUMNS} FROM forge_connections WHERE id = $1"),
        &[&delivery.connection_id.as_str()],
    )?
    else {
        return Err(ApiError::internal(format!("forge connection {} vanished", delivery.connection_id)));
    };
    let connection = from_row(&row)?;
    let current = tx
        .query_one(
            "SELECT state FROM forge_deliveries WHERE connection_id = $1 AND delivery_id = $2",
            &[&delivery.connection_id.as_str(), &delivery.delivery_id],
        )?
        .map(|r| r.text("state"))
        .transpose()?;
    if current.as_deref() != Some("queued") {
        return Ok((delivery.state, delivery.outcome.clone()));
    }
    let payload: serde_json::Value = serde_json::from_str(&delivery.payload).map_err(ApiError::internal)?;
    let parsed = match connection.connection.provider {
        Forge::Github => switchyard_domain::forge::parse_github(&delivery.event, &payload),
        Forge::Gitlab => switchyard_domain::forge::parse_gitlab(&delivery.event, &payload),
    };
    let (state, outcome) = match parsed {
        Err(why) => (ForgeDeliveryState::Failed, format!("unreadable {} payload: {why}", delivery.event)),
        Ok(ForgeEvent::Ignored(why)) => (ForgeDeliveryState::Ignored, format!("ignored: {why}")),
        Ok(event) => {
            let applied = Applying { tx, connection: &connection, request_id }.apply(event)?;
            (ForgeDeliveryState::Processed, applied)
        }
    };
    tx.exec(
        "UPDATE forge_deliveries SET state = $1, outcome = $2, processed_at = $3, tries = tries + 1
         WHERE connection_id = $4 AND delivery_id = $5",
        &[&state.as_str(), &outcome, &now_rfc3339(), &delivery.connection_id.as_str(), &delivery.delivery_id],
    )?;
    Ok((state, Some(outcome)))
}

/// Counts a failed try (in its own transaction, after processing rolled
/// back); the delivery fails for good after [`MAX_TRIES`].
pub fn count_failed_try(db: &Db, delivery: &Delivery, why: &str) -> Result<(), ApiError> {
    db.exec(
        "UPDATE forge_deliveries SET tries = tries + 1, outcome = $1,
         state = CASE WHEN tries + 1 >= $2 THEN 'failed' ELSE state END
         WHERE connection_id = $3 AND delivery_id = $4 AND state = 'queued'",
        &[&why, &i64::from(MAX_TRIES), &delivery.connection_id.as_str(), &delivery.delivery_id],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- applying events

/// One forge event applied in the connection's workspace.
struct Applying<'a> {
    tx: &'a Db,
    connection: &'a ConnectionRow,
    request_id: &'a RequestId,
}

impl Applying<'_> {
    fn workspace(&self) -> &WorkspaceId {
        &self.connection.workspace_id
    }

    fn forge(&self) -> Forge {
        self.connection.connection.provider
    }

    fn audit(&self, actor: &str, action: &str, target: &str) -> Result<(), ApiError> {
        let action = format!("{}-webhook:{action}", self.forge().as_str());
        append_as(self.tx, self.workspace(), actor, &action, target, self.request_id).map_err(ApiError::from)
    }

    /// What the event did, in words kept with the delivery.
    fn apply(&self, event: ForgeEvent) -> Result<String, ApiError> {
        match event {
            ForgeEvent::Ping => Ok("pong".into()),
            ForgeEvent::Ignored(why) => Ok(format!("ignored: {why}")),
            ForgeEvent::PullRequest(pr) => self.pull_request(&pr),
            ForgeEvent::Push { repository, branch, head_commit, commits } => {
                let Some(lane) = self.lane_by_branch(&repository, &branch)? else {
                    return Ok(format!("no lane works on {repository}@{branch}"));
                };
                let event = LaneEventData::Push { forge: self.forge(), branch, head_commit, commits };
                lanes::append_event(self.tx, &lane, &event)?;
                crate::webhooks::emit_lane(self.tx, &lane, "push", json!(event.data()))?;
                Ok(format!("push recorded on lane {}", lane.run_id))
            }
            ForgeEvent::Check { repository, branch, pull_requests, name, status, url, summary } => {
                let mut lane = None;
                for number in &pull_requests {
                    lane = self.lane_by_pr(&repository, *number)?;
                    if lane.is_some() {
                        break;
                    }
                }
                if lane.is_none()
                    && let Some(branch) = &branch
                {
                    lane = self.lane_by_branch(&repository, branch)?;
                }
                let Some(lane) = lane else {
                    return Ok(format!("no lane for check `{name}` on {repository}"));
                };
                let source = match self.forge() {
                    Forge::Github => CheckSource::Github,
                    Forge::Gitlab => CheckSource::Gitlab,
                };
                let check = LaneCheck {
                    name,
                    status,
                    url,
                    summary: summary.as_deref().map(checks::tail),
                    source,
                    updated_at: now_rfc3339(),
                };
                checks::record(self.tx, &lane, &check)?;
                let mut outcome = format!("check `{}` {} on lane {}", check.name, status.as_str(), lane.run_id);
                if status == switchyard_api::CiStatus::Failure
                    && self.connection.connection.ci_follow_up
                    && let Some(interrupt) = checks::follow_up(self.tx, &lane, &check)?
                {
                    outcome.push_str(&format!("; follow-up interrupt {} sent", interrupt.id));
                }
                Ok(outcome)
            }
            ForgeEvent::Comment { repository, author, body, number, url } => {
                self.comment(&repository, &author, &body, number, url.as_deref())
            }
        }
    }

    fn pull_request(&self, pr: &PullRequest) -> Result<String, ApiError> {
        let lane = match self.lane_by_pr(&pr.repository, pr.number)? {
            Some(lane) => Some(lane),
            None => self.lane_by_branch(&pr.repository, &pr.branch)?,
        };
        let Some(mut lane) = lane else {
            return Ok(format!("no lane works on {}@{} (#{})", pr.repository, pr.branch, pr.number));
        };
        checks::link(
            self.tx,
            &lane,
            &[("branch", &pr.branch), ("pr_number", &pr.number), ("pr_url", &pr.url), ("pr_state", &pr.state.as_str())],
        )?;
        let event = LaneEventData::PullRequest {
            forge: self.forge(),
            number: pr.number,
            state: pr.state,
            url: pr.url.clone(),
            title: Some(pr.title.clone()),
        };
        lanes::append_event(self.tx, &lane, &event)?;
        crate::webhooks::emit_lane(self.tx, &lane, "pull_request", json!(event.data()))?;
        let mut outcome = format!("pull request #{} {} on lane {}", pr.number, pr.state.as_str(), lane.run_id);
        if pr.state == PullRequestState::Merged {
            if lane.state == switchyard_api::LaneState::Completed {
                lanes::apply(self.tx, &mut lane, Event::Merge, Some(&format!("pull request #{} merged", pr.number)))?;
                outcome.push_str("; lane merged");
            }
            if self.connection.connection.auto_changelog && !switchyard_domain::changelog::skipped(&pr.labels) {
                let merged = Merged {
                    repository: &pr.repository,
                    number: pr.number,
                    title: &pr.title,
                    body: pr.body.as_deref(),
                    labels: &pr.labels,
                    author: pr.author.as_deref(),
                    merge_commit: pr.merge_commit.as_deref(),
                    url: pr.url.as_deref(),
                };
                let actor = format!("{}-webhook", self.forge().as_str());
                let (entry, _) = changelog::publish(self.tx, self.workspace(), &merged, &actor)?;
                self.audit(&actor, "changelog_published", entry.id.as_str())?;
                outcome.push_str(&format!("; changelog entry {} published", entry.id));
            }
        }
        Ok(outcome)
    }

    /// A comment that mentions the bot dispatches a lane with the rest of it as the brief.
    fn comment(
        &self,
        repository: &str,
        author: &str,
        body: &str,
        number: Option<u64>,
        url: Option<&str>,
    ) -> Result<String, ApiError> {
        let Some(handle) = &self.connection.connection.bot_handle else {
            return Ok("ignored: the connection has no bot handle".into());
        };
        let Some(request) = mention(body, handle) else {
            return Ok(format!("ignored: the comment does not ask @{handle} anything"));
        };
        let mut brief = request;
        brief.push_str(&format!("\n\n(Asked by @{author} on {repository}"));
        if let Some(n) = number {
            brief.push_str(&format!("#{n}"));
        }
        if let Some(u) = url {
            brief.push_str(&format!(", {u}"));
        }
        brief.push(')');
        let c = &self.connection.connection;
        let input: Result<RunAgent, _> = serde_json::from_value(json!({
            "harness_kind": c.dispatch_harness_kind,
            "brief": brief,
            "repository": repository,
            "claim": c.dispatch_claim,
        }));
        let input = match input {
            Ok(input) => input,
            Err(e) => return Ok(format!("not dispatched: {e}")),
        };
        let actor = format!("forge:{}:{author}", self.forge().as_str());
        let checked = match dispatch::check(self.tx, self.workspace(), input) {
            Ok(checked) => checked,
            Err(Refusal::Policy(decision)) => {
                self.audit(&actor, "policy_denied", decision.rule().unwrap_or("default"))?;
                return Ok(format!("not dispatched: {}", decision.denial("Dispatch").message));
            }
            Err(Refusal::Other(e)) => return Ok(format!("not dispatched: {}", e.message)),
        };
        let (lane, approval) = match dispatch::create(self.tx, self.workspace(), checked, &actor) {
            Ok(made) => made,
            Err(e) if e.status() < 500 => return Ok(format!("not dispatched: {}", e.message)),
            Err(e) => return Err(e),
        };
        self.audit(&actor, "lane_dispatched", lane.run_id.as_str())?;
        Ok(match approval {
            Some(a) => format!("lane {} dispatched, awaiting approval {a}", lane.run_id),
            None => format!("lane {} dispatched", lane.run_id),
        })
    }

    fn lane_by_branch(&self, repository: &str, branch: &str) -> Result<Option<LaneRow>, ApiError> {
        lane_on_branch(self.tx, self.workspace(), repository, branch)
    }

    fn lane_by_pr(&self, repository: &str, number: u64) -> Result<Option<LaneRow>, ApiError> {
        lane_where(self.tx, self.workspace(), "pr_number", repository, &number)
    }
}

/// The newest lane of `repository` whose work is on `branch`.
pub fn lane_on_branch(
    db: &Db,
    workspace: &WorkspaceId,
    repository: &str,
    branch: &str,
) -> Result<Option<LaneRow>, ApiError> {
    lane_where(db, workspace, "branch", repository, &branch)
}

/// The newest lane of `repository` whose `lane_links.<column>` is `value`
/// (`column` is `branch` or `pr_number`, never input).
fn lane_where(
    db: &Db,
    workspace: &WorkspaceId,
    column: &str,
    repository: &str,
    value: &dyn crate::Sql,
) -> Result<Option<LaneRow>, ApiError> {
    let row = db.query_one(
        &format!(
            "SELECT {LANE_COLUMNS} FROM lanes WHERE lanes.workspace_id = $1 AND lanes.repository = $2
               AND lanes.id IN (SELECT lane_id FROM lane_links WHERE lane_links.{column} = $3)
             ORDER BY lanes.created_at DESC, lanes.id DESC LIMIT 1"
        ),
        &[&workspace.as_str(), &repository, value],
    )?;
    row.as_ref().map(LaneRow::from_row).transpose()
}

/// Whether a CI failure interrupts the lane when the event does not say: yes
/// when one of the workspace's forge connections asks for follow-ups.
pub fn follow_up_default(db: &Db, workspace: &WorkspaceId) -> Result<bool, ApiError> {
    Ok(db
        .query_one(
            "SELECT 1 AS yes FROM forge_connections WHERE workspace_id = $1 AND ci_follow_up = 1 LIMIT 1",
            &[&workspace.as_str()],
        )?
        .is_some())
}

// ---------------------------------------------------------------- receiving

/// The headers a forge names its event and delivery with.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryHeaders {
    pub event: &'static str,
    pub delivery: &'static str,
}

pub const GITHUB_HEADERS: DeliveryHeaders = DeliveryHeaders { event: "x-github-event", delivery: "x-github-delivery" };
pub const GITLAB_HEADERS: DeliveryHeaders =
    DeliveryHeaders { event: "x-gitlab-event", delivery: "x-gitlab-event-uuid" };

fn header_value(value: Option<String>, name: &str) -> Result<String, ApiError> {
    let value = value.ok_or_else(|| ApiError::validation(name, format!("the `{name}` header is missing")))?;
    let ok = !value.is_empty() && value.len() <= 200 && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if ok { Ok(value) } else { Err(ApiError::validation(name, "must be 1-200 printable characters")) }
}

/// Receives a delivery whose signature the edge verified: stores it once
/// under its delivery id (a redelivery answers 200 `duplicate` and does
/// nothing), then processes it; a processing failure leaves it queued for
/// `forge-event-tick`. Answers 202 with what became of it.
pub fn receive(
    ctx: &crate::Ctx,
    names: DeliveryHeaders,
    event: Option<String>,
    delivery_id: Option<String>,
    payload: &str,
) -> Result<crate::Reply, ApiError> {
    let crate::Caller::Forge { connection, .. } = &ctx.caller else {
        return Err(ApiError::internal("a forge webhook ran without a verified connection"));
    };
    let event = header_value(event, names.event)?;
    let delivery_id = header_value(delivery_id, names.delivery)?;
    let (stored, new) = ctx.db.transaction(|tx| {
        let stored = store(tx, connection, &delivery_id, &event, payload)?;
        if stored.1 {
            ctx.audit_in(
                tx,
                &connection.workspace_id,
                &format!("{}-webhook:received", connection.connection.provider.as_str()),
                Some(&delivery_id),
            )?;
        }
        Ok::<_, ApiError>(stored)
    })?;
    let answer = |state: ForgeDeliveryState, outcome: Option<String>, status: u16| {
        let accepted = switchyard_api::ForgeDeliveryAccepted {
            delivery_id: delivery_id.clone(),
            event: event.clone(),
            duplicate: !new,
            state,
            outcome,
        };
        crate::Reply::json(status, &accepted)
    };
    if !new {
        return Ok(answer(stored.state, stored.outcome, 200));
    }
    match ctx.db.transaction(|tx| process(tx, &stored, &ctx.request_id)) {
        Ok((state, outcome)) => Ok(answer(state, outcome, 202)),
        Err(e) => {
            let why = format!("processing failed, will retry: {}", e.message);
            count_failed_try(&ctx.db, &stored, &why)?;
            Ok(answer(ForgeDeliveryState::Queued, Some(why), 202))
        }
    }
}

/// A lane of any workspace, for the deployment's own (service-role) calls.
pub fn lane_anywhere(db: &Db, id: &switchyard_api::LaneId) -> Result<LaneRow, ApiError> {
    let row = db
        .query_one(&format!("SELECT {LANE_COLUMNS} FROM lanes WHERE id = $1"), &[&id.as_str()])?
        .ok_or_else(|| ApiError::not_found(format!("lane {id}")))?;
    LaneRow::from_row(&row)
}

/// The checks the workspace's forge connections require, each once.
pub fn required_checks(db: &Db, workspace: &WorkspaceId) -> Result<Vec<String>, ApiError> {
    let mut names = Vec::new();
    for row in
        db.query("SELECT required_checks FROM forge_connections WHERE workspace_id = $1", &[&workspace.as_str()])?
    {
        let listed: Vec<String> = row.json("required_checks")?;
        names.extend(listed);
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// Deletes forge deliveries handled more than 30 days ago (a redelivery after that is processed as new).
pub fn prune(tx: &Db) -> Result<u64, ApiError> {
    let cutoff = crate::clock::rfc3339_before(crate::webhooks::KEEP_SECS);
    let gone = tx.query(
        "DELETE FROM forge_deliveries WHERE state <> 'queued' AND processed_at < $1 RETURNING delivery_id",
        &[&cutoff],
    )?;
    Ok(gone.len() as u64)
}
