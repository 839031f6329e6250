//! The planning dashboard: the funnel from signals to merged lanes per UTC
//! day, the queue's depth and age, lane outcomes per harness kind, template
//! health and sprints — read-only aggregates the console and CLI draw.

use std::collections::BTreeMap;

use switchyard_api::{
    DashboardSummary, FunnelDay, FunnelRates, HarnessOutcomes, QueueHealth, TemplateHealth, WorkspaceId,
};

use crate::db::Db;
use crate::error::ApiError;

/// One funnel count: its table, the time column that dates it, a condition, and its counter.
type Series = (&'static str, &'static str, &'static str, fn(&mut FunnelDay) -> &mut u64);

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// The days of the window, oldest first (`YYYY-MM-DD`), ending today.
fn window(days: u64) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    (0..days)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect()
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| ((part as f64 / whole as f64) * 1000.0).round() / 1000.0)
}

pub fn summary(db: &Db, workspace: &WorkspaceId, days: u64) -> Result<DashboardSummary, ApiError> {
    let days_list = window(days);
    let from = format!("{}T00:00:00.000Z", days_list.first().map_or("0000-00-00", String::as_str));
    let mut funnel: BTreeMap<String, FunnelDay> =
        days_list.iter().map(|d| (d.clone(), FunnelDay { day: d.clone(), ..FunnelDay::default() })).collect();
    let ws = workspace.as_str();
    // (table, time column, extra condition, which counter)
    let series: [Series; 7] = [
        ("signal_arrivals", "arrived_at", "", |d| &mut d.signals),
        ("issues", "created_at", "", |d| &mut d.issues_opened),
        ("issues", "updated_at", "AND status = 'done'", |d| &mut d.issues_done),
        ("lanes", "created_at", "", |d| &mut d.lanes_dispatched),
        ("lanes", "finished_at", "AND state IN ('completed', 'merged')", |d| &mut d.lanes_succeeded),
        ("lanes", "finished_at", "AND state = 'merged'", |d| &mut d.lanes_merged),
        ("lanes", "finished_at", "AND state = 'failed'", |d| &mut d.lanes_failed),
    ];
    for (table, column, condition, counter) in series {
        let rows = db.query(
            &format!(
                "SELECT substr({column}, 1, 10) AS day, COUNT(*) AS n FROM {table}
                 WHERE workspace_id = $1 AND {column} >= $2 {condition} GROUP BY day"
            ),
            &[&ws, &from],
        )?;
        for row in rows {
            if let Some(day) = funnel.get_mut(&row.text("day")?) {
                *counter(day) += count(row.int("n")?);
            }
        }
    }
    let funnel: Vec<FunnelDay> = funnel.into_values().collect();
    let mut totals = FunnelDay { day: "total".into(), ..FunnelDay::default() };
    for d in &funnel {
        totals.signals += d.signals;
        totals.issues_opened += d.issues_opened;
        totals.issues_done += d.issues_done;
        totals.lanes_dispatched += d.lanes_dispatched;
        totals.lanes_succeeded += d.lanes_succeeded;
        totals.lanes_merged += d.lanes_merged;
        totals.lanes_failed += d.lanes_failed;
    }
    // Cancelled lanes are no outcome of the agent's: the rates count lanes that succeeded or failed.
    let ended = totals.lanes_succeeded + totals.lanes_failed;
    let signalled = db
        .query_one(
            "SELECT COUNT(DISTINCT issue_id) AS n FROM signal_arrivals WHERE workspace_id = $1 AND arrived_at >= $2",
            &[&ws, &from],
        )?
        .map(|r| r.int("n"))
        .transpose()?
        .map_or(0, count);
    let rates = FunnelRates {
        issues_per_signal: ratio(signalled, totals.signals),
        lanes_per_issue: ratio(totals.lanes_dispatched, totals.issues_opened),
        merge_rate: ratio(totals.lanes_merged, ended),
        success_rate: ratio(totals.lanes_succeeded, ended),
    };
    Ok(DashboardSummary {
        days,
        queue: queue_health(db, workspace)?,
        lanes_by_harness: lanes_by_harness(db, workspace, &from)?,
        templates: template_health(db, workspace)?,
        sprints: crate::sprints::counts(db, workspace, &from)?,
        funnel,
        totals,
        rates,
    })
}

fn queue_health(db: &Db, workspace: &WorkspaceId) -> Result<QueueHealth, ApiError> {
    let now = crate::clock::now_rfc3339();
    let row = db
        .query_one(
            "SELECT SUM(status = 'claimed' AND claim_expires_at >= $1) AS claimed,
                    SUM(status = 'in_progress') AS in_progress
             FROM issues WHERE workspace_id = $2",
            &[&now, &workspace.as_str()],
        )?
        .ok_or_else(|| ApiError::internal("an aggregate returned no row"))?;
    let waiting = crate::planning::waiting_since(db, workspace)?;
    let now_unix = crate::clock::now_unix();
    let mut ages: Vec<u64> =
        waiting.iter().map(|at| now_unix.saturating_sub(crate::planning::unix_of(at)) / 3600).collect();
    ages.sort_unstable();
    Ok(QueueHealth {
        depth: u64::try_from(ages.len()).unwrap_or_default(),
        blocked: crate::planning::blocked_count(db, workspace)?,
        claimed: row.opt_int("claimed")?.map_or(0, count),
        in_progress: row.opt_int("in_progress")?.map_or(0, count),
        oldest_age_hours: ages.last().copied(),
        median_age_hours: ages.get(ages.len() / 2).copied(),
    })
}

fn lanes_by_harness(db: &Db, workspace: &WorkspaceId, from: &str) -> Result<Vec<HarnessOutcomes>, ApiError> {
    let rows = db.query(
        "SELECT harness_kind, state, COUNT(*) AS n FROM lanes WHERE workspace_id = $1 AND created_at >= $2
         GROUP BY harness_kind, state ORDER BY harness_kind",
        &[&workspace.as_str(), &from],
    )?;
    let mut by_kind: BTreeMap<String, HarnessOutcomes> = BTreeMap::new();
    for row in rows {
        let kind = row.text("harness_kind")?;
        let n = count(row.int("n")?);
        let entry = by_kind.entry(kind.clone()).or_insert_with(|| HarnessOutcomes {
            harness_kind: kind,
            total: 0,
            active: 0,
            completed: 0,
            merged: 0,
            failed: 0,
            cancelled: 0,
            success_rate: None,
        });
        entry.total += n;
        match row.text("state")?.as_str() {
            "completed" => entry.completed += n,
            "merged" => entry.merged += n,
            "failed" => entry.failed += n,
            "cancelled" => entry.cancelled += n,
            _ => entry.active += n,
        }
    }
    Ok(by_kind
        .into_values()
        .map(|mut h| {
            let ended = h.completed + h.merged + h.failed;
            h.success_rate = ratio(h.completed + h.merged, ended);
            h
        })
        .collect())
}

fn template_health(db: &Db, workspace: &WorkspaceId) -> Result<Vec<TemplateHealth>, ApiError> {
    db.query(
        "SELECT t.name, t.active_version, v.health_milli, v.reviews,
           (SELECT p.health_milli FROM prompt_template_versions p WHERE p.template_id = t.id
              AND p.version < t.active_version AND p.health_milli IS NOT NULL ORDER BY p.version DESC LIMIT 1) AS before
         FROM prompt_templates t JOIN prompt_template_versions v ON v.template_id = t.id AND v.version = t.active_version
         WHERE t.workspace_id = $1 ORDER BY t.name",
        &[&workspace.as_str()],
    )?
    .iter()
    .map(|r| {
        let health = r.opt_int("health_milli")?;
        let before = r.opt_int("before")?;
        Ok(TemplateHealth {
            name: r.text("name")?,
            active_version: u32::try_from(r.int("active_version")?).unwrap_or_default(),
            #[allow(clippy::cast_precision_loss)]
            health: health.map(|h| h as f64 / 1000.0),
            reviews: count(r.int("reviews")?),
            regressed: matches!((health, before), (Some(h), Some(b)) if h < b),
        })
    })
    .collect()
}
