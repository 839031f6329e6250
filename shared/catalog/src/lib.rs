//! The API documents, rendered from one source: the endpoint table
//! (`switchyard_api::endpoints`) and the wire types' JSON Schemas.
//!
//! - [`openapi`] builds the OpenAPI 3.1 document (`docs/openapi.json`, also
//!   served by the `openapi` function at `GET /openapi.json`);
//! - [`render`] builds the markdown catalog (`docs/api.md`) from that document;
//! - [`Deployment::check`] fails when `spin.toml` and the table disagree:
//!   a route, a component, a crate, or a variable a component's auth kind reads.
//!
//! `cargo run -p switchyard-catalog` writes both documents; `-- --check` (and
//! this crate's tests) fail when a committed one is stale.

#![forbid(unsafe_code)]

mod markdown;
mod mcp;
mod openapi;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use switchyard_api::endpoints::{self, Endpoint};

pub use markdown::render;
pub use mcp::tools as mcp_tools;
pub use openapi::{error_codes, openapi, to_text as openapi_text};

/// Richer summaries for the endpoints readers reach for first.
pub const FEATURED: &[(&str, &str)] = &[
    (
        "workspace-bootstrap",
        "Creates a workspace in a region with its owner, and returns the first admin token — the only time its secret is shown. Called by the operator with the service-role key.",
    ),
    (
        "api-token-issue",
        "Mints a `sl_pat_…` token carrying a subset of the caller's scopes, optionally expiring. The secret is returned once and stored only as a hash.",
    ),
    ("api-token-revoke", "Revokes a token of the caller's workspace; the token is refused from the very next request."),
    (
        "badge",
        "Renders an SVG badge (`status`, `build`, `coverage`) for a workspace handle, cacheable for five minutes. Unknown workspaces get an `unknown` badge rather than an error page.",
    ),
];

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: BTreeMap<String, Component>,
}

#[derive(Deserialize, Default)]
struct Triggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
    #[serde(default)]
    cron: Vec<CronTrigger>,
}

#[derive(Deserialize)]
struct HttpTrigger {
    route: String,
    component: String,
}

#[derive(Deserialize)]
struct CronTrigger {
    component: String,
    cron_expression: String,
}

#[derive(Deserialize, Default)]
struct Component {
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

/// What `spin.toml` deploys: routes, schedules and each component's variables.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// `(route, component)` for every HTTP trigger.
    pub routes: Vec<(String, String)>,
    /// Component → cron expression.
    pub schedules: BTreeMap<String, String>,
    /// Component → the variables it is given.
    pub variables: BTreeMap<String, Vec<String>>,
    /// Crates under `functions/`.
    pub crates: Vec<String>,
}

impl Deployment {
    /// Reads `spin.toml` and the list of function crates under `root`.
    pub fn load(root: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(root.join("spin.toml")).map_err(|e| format!("spin.toml: {e}"))?;
        let mut deployment = Self::parse(&text)?;
        let entries = std::fs::read_dir(root.join("functions")).map_err(|e| format!("functions/: {e}"))?;
        for entry in entries.flatten() {
            if entry.path().join("Cargo.toml").is_file() {
                deployment.crates.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        deployment.crates.sort();
        Ok(deployment)
    }

    /// Parses a manifest's text (no crate list).
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| format!("spin.toml: {e}"))?;
        Ok(Self {
            routes: manifest.trigger.http.into_iter().map(|t| (t.route, t.component)).collect(),
            schedules: manifest.trigger.cron.into_iter().map(|t| (t.component, t.cron_expression)).collect(),
            variables: manifest
                .component
                .into_iter()
                .map(|(name, c)| (name, c.variables.into_keys().collect()))
                .collect(),
            crates: Vec::new(),
        })
    }

    /// The routes serving `name`: its canonical `/functions/v1/<name>` first, then aliases.
    pub fn routes_of(&self, name: &str) -> Vec<&str> {
        let canonical = format!("/functions/v1/{name}");
        let mut routes: Vec<&str> = self.routes.iter().filter(|(_, c)| c == name).map(|(r, _)| r.as_str()).collect();
        routes.sort_by_key(|r| *r != canonical);
        routes
    }

    /// Every disagreement between the manifest, the crates and the endpoint table.
    pub fn check(&self, table: &[Endpoint]) -> Vec<String> {
        let mut problems = Vec::new();
        for e in table {
            let canonical = e.route();
            if !self.routes.iter().any(|(r, c)| *r == canonical && c == e.name) {
                problems.push(format!("spin.toml: `{}` is not routed at {canonical}", e.name));
            }
            match self.variables.get(e.name) {
                None => problems.push(format!("spin.toml: no [component.{}]", e.name)),
                Some(given) => {
                    for needed in e.auth.variables() {
                        if !given.iter().any(|v| v == needed) {
                            problems.push(format!(
                                "spin.toml: [component.{}.variables] lacks `{needed}`, which its {} auth reads",
                                e.name,
                                e.auth.kind()
                            ));
                        }
                    }
                }
            }
            if !self.crates.is_empty() && !self.crates.iter().any(|c| c == e.name) {
                problems.push(format!("functions/{} does not exist", e.name));
            }
            // A scheduled tick is never open to anyone over HTTP: the deployment
            // drives it with the service-role key, or (where the contract says
            // bearer) a member drives it for their own workspace only.
            let driven = matches!(e.auth, switchyard_api::Auth::ServiceRole | switchyard_api::Auth::Bearer(_));
            if self.schedules.contains_key(e.name) && !driven {
                problems.push(format!(
                    "{}: a tick callable over HTTP takes the service-role key or a member's token",
                    e.name
                ));
            }
        }
        for (route, component) in &self.routes {
            let Some(e) = table.iter().find(|e| e.name == component) else {
                problems.push(format!("spin.toml routes {route} to `{component}`, which the endpoint table lacks"));
                continue;
            };
            let prefixed = route.starts_with("/functions/v1/");
            if prefixed && *route != e.route() {
                problems.push(format!("spin.toml: `{component}` is routed at {route}; expected {}", e.route()));
            }
        }
        for name in self.schedules.keys() {
            if !table.iter().any(|e| e.name == name) {
                problems.push(format!("spin.toml schedules `{name}`, which the endpoint table lacks"));
            }
        }
        for name in &self.crates {
            if !table.iter().any(|e| e.name == name) {
                problems.push(format!("functions/{name} has no entry in the endpoint table"));
            }
        }
        problems
    }
}

/// Loads and checks the deployment under `root` against the table.
pub fn load(root: &Path) -> Result<Deployment, String> {
    let deployment = Deployment::load(root)?;
    let problems = deployment.check(endpoints::ALL);
    if problems.is_empty() { Ok(deployment) } else { Err(problems.join("\n")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn spin_toml_agrees_with_the_table_and_the_committed_documents_are_fresh() {
        let deployment = load(&root()).unwrap_or_else(|e| panic!("{e}"));
        let document = openapi(&deployment);
        let committed = std::fs::read_to_string(root().join("docs/openapi.json")).unwrap_or_default();
        assert!(
            committed == openapi_text(&document),
            "docs/openapi.json is stale: run `cargo run -p switchyard-catalog` and commit the result"
        );
        let committed = std::fs::read_to_string(root().join("docs/api.md")).unwrap_or_default();
        assert!(
            committed == render(&document, &deployment),
            "docs/api.md is stale: run `cargo run -p switchyard-catalog` and commit the result"
        );
        let committed = std::fs::read_to_string(root().join("docs/mcp-tools.json")).unwrap_or_default();
        assert!(
            committed == openapi_text(&mcp_tools()),
            "docs/mcp-tools.json is stale: run `cargo run -p switchyard-catalog` and commit the result"
        );
        for tool in switchyard_api::mcp::TOOLS {
            assert!(
                matches!(tool.endpoint.auth, switchyard_api::Auth::Bearer(_)),
                "MCP tool `{}` must be a member (bearer) endpoint",
                tool.endpoint.name
            );
        }
        for (name, _) in FEATURED {
            assert!(endpoints::by_name(name).is_some(), "FEATURED names `{name}`, which is not in the table");
        }
    }

    #[test]
    fn a_manifest_that_disagrees_with_the_table_is_refused() {
        let text = std::fs::read_to_string(root().join("spin.toml")).unwrap_or_default();
        let ok = Deployment::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.check(endpoints::ALL), Vec::<String>::new());
        // A bearer component without the HS256 secret would silently refuse HS256 tokens.
        let lacking = text.replacen("jwt_hs256_secret = \"{{ jwt_hs256_secret }}\"\n", "", 1);
        let problems = Deployment::parse(&lacking).unwrap_or_else(|e| panic!("{e}")).check(endpoints::ALL);
        assert!(problems.iter().any(|p| p.contains("jwt_hs256_secret")), "{problems:?}");
        let unrouted = text.replace("route = \"/functions/v1/lane-get\"", "route = \"/functions/v1/lane-got\"");
        let problems = Deployment::parse(&unrouted).unwrap_or_else(|e| panic!("{e}")).check(endpoints::ALL);
        assert!(problems.iter().any(|p| p.contains("lane-get")), "{problems:?}");
        let extra = format!("{text}\n[[trigger.http]]\nroute = \"/functions/v1/ghost\"\ncomponent = \"ghost\"\n");
        let problems = Deployment::parse(&extra).unwrap_or_else(|e| panic!("{e}")).check(endpoints::ALL);
        assert!(problems.iter().any(|p| p.contains("ghost")), "{problems:?}");
    }
}
