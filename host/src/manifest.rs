//! Reading and validating a Spin manifest (`spin.toml`, manifest version 2).
//!
//! Only what this host runs is modelled; keys that Spin knows but that do not
//! change how a component runs here (`build`, `description`, `files`, …) are
//! accepted and ignored, and anything else is refused naming the key, so a
//! typo never silently drops a capability.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::factors::outbound::AllowList;
use crate::factors::variables::{self, RawVariable};
use crate::triggers::routes::Route;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: u32,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Debug, Deserialize)]
struct RawApplication {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
    #[serde(default)]
    cron: Vec<RawCronTrigger>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    route: String,
    component: String,
    #[serde(default)]
    executor: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCronTrigger {
    component: String,
    cron_expression: String,
}

#[derive(Debug, Deserialize)]
struct RawBuild {
    command: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    // Accepted for Spin compatibility; they do not change how a component runs here.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    build: Option<RawBuild>,
    #[serde(default)]
    #[allow(dead_code)]
    files: Option<toml::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    exclude_files: Option<toml::Value>,
}

/// A validated manifest: every trigger names an existing component, every
/// route and cron expression parses, every variable reference resolves.
#[derive(Debug)]
pub struct Manifest {
    pub app_name: String,
    /// Directory that relative `source` paths are resolved against.
    pub base_dir: PathBuf,
    pub variables: BTreeMap<String, RawVariable>,
    pub http_triggers: Vec<HttpTrigger>,
    pub cron_triggers: Vec<CronTrigger>,
    pub components: BTreeMap<String, Component>,
}

#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub route: Route,
    pub component: String,
}

#[derive(Debug, Clone)]
pub struct CronTrigger {
    pub component: String,
    pub expression: String,
    pub schedule: cron::Schedule,
}

#[derive(Debug)]
pub struct Component {
    pub source: PathBuf,
    /// Entries as written; `{{ variable }}` templates are resolved at start-up.
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    /// Models the component may use through `fermyon:spin/llm`.
    pub ai_models: Vec<String>,
    /// Component variable name → template such as `"Bearer {{ api_key }}"`.
    pub variables: BTreeMap<String, String>,
    pub environment: BTreeMap<String, String>,
    /// `[component.<id>.build] command`, quoted when the `.wasm` is missing.
    pub build_command: Option<String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read manifest {}", path.display()))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, base_dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    pub fn parse(text: &str, base_dir: PathBuf) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        if raw.spin_manifest_version != 2 {
            bail!(
                "spin_manifest_version: expected 2, found {} (only manifest v2 is supported)",
                raw.spin_manifest_version
            );
        }
        for (name, var) in &raw.variables {
            variables::check_name(name).with_context(|| format!("variables.{name}"))?;
            if var.required == var.default.is_some() {
                bail!("variables.{name}: must be `required = true` or have a `default`, not both");
            }
        }

        let mut components = BTreeMap::new();
        for (id, c) in raw.component {
            let component = Self::component(&id, c, &raw.variables, &base_dir)?;
            components.insert(id, component);
        }

        let mut http_triggers = Vec::new();
        for (i, t) in raw.trigger.http.into_iter().enumerate() {
            let at = format!("trigger.http[{i}]");
            Self::check_component_ref(&at, &t.component, &components)?;
            if let Some(executor) = &t.executor {
                let kind = executor.get("type").and_then(toml::Value::as_str);
                if kind != Some("spin") {
                    bail!("{at}.executor: only the `spin` executor is supported");
                }
            }
            let route = Route::parse(&t.route).with_context(|| format!("{at}.route"))?;
            if let Some(dup) = http_triggers.iter().find(|h: &&HttpTrigger| h.route == route) {
                bail!("{at}.route: `{}` is already routed to component `{}`", t.route, dup.component);
            }
            http_triggers.push(HttpTrigger { route, component: t.component });
        }

        let mut cron_triggers = Vec::new();
        for (i, t) in raw.trigger.cron.into_iter().enumerate() {
            let at = format!("trigger.cron[{i}]");
            Self::check_component_ref(&at, &t.component, &components)?;
            let schedule = parse_cron(&t.cron_expression)
                .with_context(|| format!("{at}.cron_expression `{}`", t.cron_expression))?;
            cron_triggers.push(CronTrigger { component: t.component, expression: t.cron_expression, schedule });
        }

        Ok(Self {
            app_name: raw.application.name,
            base_dir,
            variables: raw.variables,
            http_triggers,
            cron_triggers,
            components,
        })
    }

    fn component(
        id: &str,
        c: RawComponent,
        app_vars: &BTreeMap<String, RawVariable>,
        base_dir: &Path,
    ) -> Result<Component> {
        let at = format!("component.{id}");
        let source = match &c.source {
            toml::Value::String(s) => base_dir.join(s),
            _ => bail!("{at}.source: only a local file path is supported (got a table or URL)"),
        };
        for (i, entry) in c.allowed_outbound_hosts.iter().enumerate() {
            let references =
                variables::template_references(entry).with_context(|| format!("{at}.allowed_outbound_hosts[{i}]"))?;
            if references.is_empty() {
                AllowList::parse(std::slice::from_ref(entry))
                    .with_context(|| format!("{at}.allowed_outbound_hosts[{i}]"))?;
            }
            if let Some(missing) = references.iter().find(|r| !app_vars.contains_key(*r)) {
                bail!("{at}.allowed_outbound_hosts[{i}]: refers to `{missing}`, which is not declared in [variables]");
            }
        }
        let allowed_outbound_hosts = c.allowed_outbound_hosts;
        for (name, template) in &c.variables {
            variables::check_name(name).with_context(|| format!("{at}.variables.{name}"))?;
            for reference in
                variables::template_references(template).with_context(|| format!("{at}.variables.{name}"))?
            {
                if !app_vars.contains_key(&reference) {
                    bail!("{at}.variables.{name}: refers to `{reference}`, which is not declared in [variables]");
                }
            }
        }
        Ok(Component {
            source,
            allowed_outbound_hosts,
            key_value_stores: c.key_value_stores,
            sqlite_databases: c.sqlite_databases,
            ai_models: c.ai_models,
            variables: c.variables,
            environment: c.environment,
            build_command: c.build.and_then(|b| b.command),
        })
    }

    fn check_component_ref(at: &str, component: &str, components: &BTreeMap<String, Component>) -> Result<()> {
        if !components.contains_key(component) {
            bail!("{at}.component: `{component}` has no [component.{component}] table");
        }
        Ok(())
    }

    /// Every SQLite database label any component may open.
    pub fn sqlite_labels(&self) -> impl Iterator<Item = &str> {
        let mut labels: Vec<&str> =
            self.components.values().flat_map(|c| c.sqlite_databases.iter().map(String::as_str)).collect();
        labels.sort_unstable();
        labels.dedup();
        labels.into_iter()
    }
}

/// Spin's cron trigger takes six fields, seconds first (`sec min hour dom month dow`).
pub fn parse_cron(expression: &str) -> Result<cron::Schedule> {
    let fields = expression.split_whitespace().count();
    if fields != 6 {
        bail!("expected 6 fields (sec min hour day-of-month month day-of-week), found {fields}");
    }
    expression.parse().map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2
[application]
name = "demo"
[variables]
region = { default = "us-east-1" }
key = { required = true, secret = true }
[[trigger.http]]
route = "/functions/v1/health"
component = "health"
[[trigger.cron]]
component = "tick"
cron_expression = "*/5 * * * * *"
[component.health]
source = "health.wasm"
sqlite_databases = ["default"]
variables = { region = "{{ region }}", auth = "Bearer {{key}}" }
[component.health.build]
command = "cargo build"
[component.tick]
source = "tick.wasm"
"#;

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(text, PathBuf::from("/app"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).expect_err("manifest should be refused"))
    }

    #[test]
    fn parses_a_good_manifest() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.app_name, "demo");
        assert_eq!(m.http_triggers.len(), 1);
        assert_eq!(m.cron_triggers[0].component, "tick");
        assert_eq!(m.components["health"].source, PathBuf::from("/app/health.wasm"));
        assert_eq!(m.sqlite_labels().collect::<Vec<_>>(), vec!["default"]);
    }

    #[test]
    fn names_the_unknown_field() {
        let bad = GOOD.replace("sqlite_databases", "sqlite_database");
        assert!(error(&bad).contains("sqlite_database"), "{}", error(&bad));
    }

    #[test]
    fn names_a_missing_component() {
        let bad = GOOD.replace("component = \"tick\"", "component = \"tock\"");
        let e = error(&bad);
        assert!(e.contains("trigger.cron[0].component") && e.contains("tock"), "{e}");
    }

    #[test]
    fn refuses_a_five_field_cron_expression() {
        let bad = GOOD.replace("*/5 * * * * *", "*/5 * * * *");
        assert!(error(&bad).contains("cron_expression"));
    }

    #[test]
    fn refuses_an_undeclared_variable_reference() {
        let bad = GOOD.replace("{{ region }}", "{{ zone }}");
        let e = error(&bad);
        assert!(e.contains("component.health.variables.region") && e.contains("zone"), "{e}");
    }

    #[test]
    fn refuses_a_missing_source() {
        let bad = GOOD.replace("source = \"tick.wasm\"", "");
        assert!(error(&bad).contains("source"));
    }

    #[test]
    fn refuses_another_manifest_version() {
        let bad = GOOD.replace("spin_manifest_version = 2", "spin_manifest_version = 1");
        assert!(error(&bad).contains("spin_manifest_version"));
    }

    #[test]
    fn refuses_a_duplicate_route() {
        let bad = format!("{GOOD}\n[[trigger.http]]\nroute = \"/functions/v1/health\"\ncomponent = \"tick\"\n");
        assert!(error(&bad).contains("already routed"));
    }
}
