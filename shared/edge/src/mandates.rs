//! Mandate storage (issue 11): the versions of a workspace's mandates, and
//! checking code — a snapshot (`mandate-check`) or the lines a lane added
//! (its `completed` report) — against the rules in force.

use serde::{Deserialize, Serialize};
use serde_json::json;
use switchyard_api::{
    ChangedFile, MandateReport, MandateRule, Mandates, OnViolation, SnapshotFile, UpdateMandates, Violation,
    WorkspaceId,
};
use switchyard_domain::mandate::{self, FileLines};

use crate::clock::now_rfc3339;
use crate::db::Db;
use crate::error::ApiError;

/// What a version stores besides its number and author.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Config {
    rules: Vec<MandateRule>,
    disabled_builtins: Vec<String>,
    on_violation: OnViolation,
}

fn assemble(version: u64, config: Config, by: Option<String>, at: Option<String>) -> Mandates {
    Mandates {
        version,
        rules: config.rules,
        builtins: mandate::builtins(),
        disabled_builtins: config.disabled_builtins,
        on_violation: config.on_violation,
        updated_by: by,
        updated_at: at,
    }
}

/// The mandates in force (version 0: the built-in pack alone).
pub fn current(db: &Db, workspace: &WorkspaceId) -> Result<Mandates, ApiError> {
    let row = db.query_one(
        "SELECT version, config, created_by, created_at FROM mandates WHERE workspace_id = $1
         ORDER BY version DESC LIMIT 1",
        &[&workspace.as_str()],
    )?;
    match row {
        None => Ok(assemble(0, Config::default(), None, None)),
        Some(r) => Ok(assemble(
            u64::try_from(r.int("version")?).map_err(ApiError::internal)?,
            r.json("config")?,
            Some(r.text("created_by")?),
            Some(r.text("created_at")?),
        )),
    }
}

/// Writes the next version; a bad pattern or name is a 422 naming the rule.
pub fn save(tx: &Db, workspace: &WorkspaceId, input: UpdateMandates, by: &str) -> Result<Mandates, ApiError> {
    let builtins = mandate::builtins();
    let rules = input.rules.into_vec();
    if let Err((i, e)) = mandate::compile(&rules) {
        return Err(ApiError::validation(format!("rules[{i}].check.pattern"), e));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let name = rule.name.as_str();
        if builtins.iter().any(|b| b.name.as_str() == name) || !seen.insert(name) {
            return Err(ApiError::validation(format!("rules[{i}].name"), format!("`{name}` is already a rule")));
        }
    }
    let disabled = input.disabled_builtins.strings();
    if let Some((i, name)) =
        disabled.iter().enumerate().find(|(_, d)| !builtins.iter().any(|b| b.name.as_str() == d.as_str()))
    {
        return Err(ApiError::validation(
            format!("disabled_builtins[{i}]"),
            format!("`{name}` is not a built-in rule"),
        ));
    }
    let now = current(tx, workspace)?;
    if let Some(expected) = input.expected_version.map(|v| v.get())
        && expected != now.version
    {
        return Err(ApiError::conflict(format!(
            "the mandates are at version {}, not {expected}; read them again and reapply your change",
            now.version
        ))
        .with_details(json!({"version": now.version})));
    }
    let config =
        Config { rules, disabled_builtins: disabled, on_violation: input.on_violation.unwrap_or(now.on_violation) };
    let version = now.version + 1;
    let at = now_rfc3339();
    tx.exec(
        "INSERT INTO mandates (workspace_id, version, config, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&workspace.as_str(), &version, &serde_json::to_string(&config).map_err(ApiError::internal)?, &by, &at],
    )?;
    Ok(assemble(version, config, Some(by.to_owned()), Some(at)))
}

/// The rules that apply: the built-ins not switched off, then the workspace's own.
fn active(m: &Mandates) -> Vec<MandateRule> {
    m.builtins
        .iter()
        .filter(|b| !m.disabled_builtins.iter().any(|d| d == b.name.as_str()))
        .chain(m.rules.iter())
        .cloned()
        .collect()
}

fn report(m: &Mandates, files: &[FileLines<'_>]) -> Result<MandateReport, ApiError> {
    let rules = active(m);
    let compiled = mandate::compile(&rules).map_err(|(i, e)| ApiError::internal(format!("stored rule {i}: {e}")))?;
    let violations: Vec<Violation> = mandate::check(&compiled, files);
    let (blocking, warnings) = mandate::tally(&violations);
    Ok(MandateReport { passed: blocking == 0, blocking, warnings, violations, mandates_version: m.version })
}

/// Checks whole files as they are now (every line).
pub fn check_snapshot(db: &Db, workspace: &WorkspaceId, files: &[SnapshotFile]) -> Result<MandateReport, ApiError> {
    let m = current(db, workspace)?;
    let lines: Vec<FileLines<'_>> = files
        .iter()
        .map(|f| FileLines {
            path: f.path.as_str(),
            lines: f.content.lines().enumerate().map(|(i, l)| (u32::try_from(i + 1).unwrap_or(u32::MAX), l)).collect(),
        })
        .collect();
    report(&m, &lines)
}

/// Checks the lines a lane added (and the paths it touched); also says what a blocking violation does.
pub fn check_changes(
    db: &Db,
    workspace: &WorkspaceId,
    changes: &[ChangedFile],
) -> Result<(MandateReport, OnViolation), ApiError> {
    let m = current(db, workspace)?;
    let lines: Vec<FileLines<'_>> = changes
        .iter()
        .map(|f| FileLines {
            path: f.path.as_str(),
            lines: f.added.iter().map(|a| (a.line, a.text.as_str())).collect(),
        })
        .collect();
    Ok((report(&m, &lines)?, m.on_violation))
}
