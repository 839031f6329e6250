//! The API catalog, the way the reference builds its own: every function
//! routed in `spin.toml` is listed with the metadata from the head of its
//! `functions/<name>/src/lib.rs` doc comment:
//!
//! ```text
//! //! One-line summary.
//! //!
//! //! - method: POST
//! //! - auth: bearer
//! //! - scope: tokens:write
//! //! - rate: write
//! ```
//!
//! [`FEATURED`] adds a richer paragraph for the endpoints readers reach for
//! first. The same metadata drives the scope and cross-workspace tests.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use switchyard_api::{RateFamily, Scope};

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

/// Who may call a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Public,
    Bearer,
    ServiceRole,
    /// A harness credential from `harness-register`.
    Harness,
    /// Not called over HTTP: a `[[trigger.cron]]` component.
    Cron,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Bearer => "bearer",
            Self::ServiceRole => "service-role",
            Self::Harness => "harness",
            Self::Cron => "cron",
        }
    }
}

/// One function, as documented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDoc {
    pub name: String,
    pub route: String,
    pub summary: String,
    pub methods: Vec<String>,
    pub auth: AuthKind,
    pub scope: Option<Scope>,
    pub rate: Option<RateFamily>,
    /// The `[[trigger.cron]]` schedule, for functions that also run as a tick.
    pub schedule: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    trigger: Triggers,
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

fn parse_doc(name: &str, source: &str) -> Result<FunctionDoc, String> {
    let doc: Vec<&str> =
        source.lines().take_while(|l| l.starts_with("//!")).map(|l| l.trim_start_matches("//!").trim()).collect();
    let summary = doc.first().copied().unwrap_or_default().to_owned();
    if summary.is_empty() {
        return Err(format!("functions/{name}: the doc comment must start with a one-line summary"));
    }
    let mut fields = BTreeMap::new();
    for line in &doc {
        if let Some((key, value)) = line.strip_prefix("- ").and_then(|l| l.split_once(':')) {
            fields.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    let field = |key: &str| {
        fields.get(key).cloned().ok_or_else(|| format!("functions/{name}: the doc comment lacks `- {key}: …`"))
    };
    let auth = match field("auth")?.as_str() {
        "public" => AuthKind::Public,
        "bearer" => AuthKind::Bearer,
        "service-role" => AuthKind::ServiceRole,
        "harness" => AuthKind::Harness,
        "cron" => AuthKind::Cron,
        other => return Err(format!("functions/{name}: unknown auth kind `{other}`")),
    };
    let scope = match field("scope")?.as_str() {
        "none" => None,
        s => Some(Scope::parse(s).map_err(|e| format!("functions/{name}: {e}"))?),
    };
    if (auth == AuthKind::Bearer) != scope.is_some() {
        return Err(format!("functions/{name}: bearer functions name exactly one scope; others say `scope: none`"));
    }
    let rate = match field("rate")?.as_str() {
        "none" => None,
        "read" => Some(RateFamily::Read),
        "write" => Some(RateFamily::Write),
        "bulk" => Some(RateFamily::Bulk),
        other => return Err(format!("functions/{name}: unknown rate family `{other}`")),
    };
    let methods: Vec<String> = field("method")?.split(',').map(|m| m.trim().to_owned()).collect();
    let methods_ok = if auth == AuthKind::Cron {
        methods == ["none"]
    } else {
        methods.iter().all(|m| matches!(m.as_str(), "GET" | "POST"))
    };
    if !methods_ok {
        return Err(format!("functions/{name}: methods must be GET and/or POST (`none` for cron functions)"));
    }
    Ok(FunctionDoc { name: name.to_owned(), route: String::new(), summary, methods, auth, scope, rate, schedule: None })
}

/// Reads `spin.toml` and every routed function's doc comment under `root`.
/// Fails when a crate is not deployed, a route lacks a crate, or metadata is missing.
pub fn load(root: &Path) -> Result<Vec<FunctionDoc>, String> {
    let text = std::fs::read_to_string(root.join("spin.toml")).map_err(|e| format!("spin.toml: {e}"))?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| format!("spin.toml: {e}"))?;
    let mut docs = Vec::new();
    for trigger in &manifest.trigger.http {
        let expected = format!("/functions/v1/{}", trigger.component);
        if trigger.route != expected {
            // An alias (e.g. /.well-known/jwks.json) is fine beside the canonical route.
            if manifest.trigger.http.iter().any(|t| t.component == trigger.component && t.route == expected) {
                continue;
            }
            return Err(format!("spin.toml: component `{}` must be routed at {expected}", trigger.component));
        }
        let source_path = root.join("functions").join(&trigger.component).join("src/lib.rs");
        let source = std::fs::read_to_string(&source_path).map_err(|e| {
            format!("{}: {e} (every routed component is a crate under functions/)", source_path.display())
        })?;
        let mut doc = parse_doc(&trigger.component, &source)?;
        doc.route = trigger.route.clone();
        docs.push(doc);
    }
    for trigger in &manifest.trigger.cron {
        // A tick that is also an endpoint (service-role POST) is listed once, with its schedule.
        if let Some(doc) = docs.iter_mut().find(|d| d.name == trigger.component) {
            if doc.auth != AuthKind::ServiceRole {
                return Err(format!("functions/{}: a tick callable over HTTP takes the service-role key", doc.name));
            }
            doc.schedule = Some(trigger.cron_expression.clone());
            continue;
        }
        let source_path = root.join("functions").join(&trigger.component).join("src/lib.rs");
        let source = std::fs::read_to_string(&source_path).map_err(|e| format!("{}: {e}", source_path.display()))?;
        let mut doc = parse_doc(&trigger.component, &source)?;
        if doc.auth != AuthKind::Cron {
            return Err(format!("functions/{}: a cron function documents `- auth: cron`", trigger.component));
        }
        doc.route = format!("cron `{}`", trigger.cron_expression);
        docs.push(doc);
    }
    let deployed: Vec<&str> = manifest
        .trigger
        .http
        .iter()
        .map(|t| t.component.as_str())
        .chain(manifest.trigger.cron.iter().map(|t| t.component.as_str()))
        .collect();
    let entries = std::fs::read_dir(root.join("functions")).map_err(|e| format!("functions/: {e}"))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().join("Cargo.toml").is_file() && !deployed.contains(&name.as_str()) {
            return Err(format!("functions/{name} is not routed in spin.toml"));
        }
    }
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(docs)
}

/// The markdown catalog.
pub fn render(docs: &[FunctionDoc]) -> String {
    let mut out = String::from(
        "# API catalog\n\n<!-- Generated by `cargo run -p switchyard-catalog` from spin.toml and each function's doc comment. Do not edit. -->\n\n\
         Every endpoint is `/functions/v1/<name>`. Bearer endpoints take `Authorization: Bearer sl_pat_…` (or a JWT) \
         holding the listed scope; `service-role` endpoints take the deployment's service-role key; `harness` endpoints take the `sl_hns_…` credential from \
         `harness-register`; `public` ones take no token; `cron` functions run on a schedule. \
         Errors are `{\"error\":{\"code\",\"message\",\"request_id\"}}` (RFC 9457 with `Accept: application/problem+json`). \
         Rate limits per token and family: read 120/min, write 30/min, bulk 6/min (Team 5×, Enterprise 20×).\n\n",
    );
    out.push_str("| name | method | auth | scope | rate | summary |\n|---|---|---|---|---|---|\n");
    for d in docs {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} | {} | {} | {} |\n",
            d.name,
            d.name,
            d.methods.join(", "),
            d.auth.as_str(),
            d.scope.map_or("—", |s| s.as_str()),
            d.rate.map_or("—", |r| r.as_str()),
            d.summary
        ));
    }
    for d in docs {
        let how =
            if d.auth == AuthKind::Cron { d.route.clone() } else { format!("`{} {}`", d.methods.join(" | "), d.route) };
        out.push_str(&format!("\n## {}\n\n{how}\n\n{}\n", d.name, d.summary));
        if let Some(schedule) = &d.schedule {
            out.push_str(&format!(
                "\nAlso runs on the cron schedule `{schedule}` (Spin's `trigger-cron` plugin, or the local host); \
                 any other scheduler drives it with this `POST` and the service-role key.\n"
            ));
        }
        if let Some((_, featured)) = FEATURED.iter().find(|(n, _)| *n == d.name) {
            out.push_str(&format!("\n{featured}\n"));
        }
        out.push_str(&format!(
            "\n- auth: {}\n- scope: {}\n- rate family: {}\n",
            d.auth.as_str(),
            d.scope.map_or("none", |s| s.as_str()),
            d.rate.map_or("none", |r| r.as_str())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn every_function_has_metadata_and_the_committed_catalog_is_fresh() {
        let docs = load(&root()).unwrap_or_else(|e| panic!("{e}"));
        assert!(docs.iter().any(|d| d.name == "health"));
        let committed = std::fs::read_to_string(root().join("docs/api.md")).unwrap_or_default();
        assert!(
            committed == render(&docs),
            "docs/api.md is stale: run `cargo run -p switchyard-catalog` and commit the result"
        );
        for (name, _) in FEATURED {
            assert!(docs.iter().any(|d| d.name == *name), "FEATURED names `{name}`, which is not deployed");
        }
    }

    #[test]
    fn missing_or_wrong_metadata_is_refused() {
        let good =
            "//! Summary.\n//!\n//! - method: POST\n//! - auth: bearer\n//! - scope: lanes:read\n//! - rate: read\n";
        assert!(parse_doc("x", good).is_ok());
        assert!(parse_doc("x", &good.replace("//! - rate: read\n", "")).unwrap_err().contains("rate"));
        assert!(parse_doc("x", &good.replace("lanes:read", "lanes:peek")).unwrap_err().contains("lanes:peek"));
        assert!(parse_doc("x", &good.replace("scope: lanes:read", "scope: none")).is_err());
        assert!(parse_doc("x", "fn main() {}").is_err());
    }
}
