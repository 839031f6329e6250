//! Tidy: the invariants ARCHITECTURE.md states, checked on the source tree
//! (no host needed). Each failure says which file breaks which rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use switchyard_tests::workspace_root;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `[dependencies]` names of a crate's Cargo.toml.
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    let doc: toml::Table = toml::from_str(&read(manifest)).unwrap();
    doc.get("dependencies").and_then(|d| d.as_table()).map(|t| t.keys().cloned().collect()).unwrap_or_default()
}

fn function_crates() -> Vec<PathBuf> {
    let mut crates: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    crates
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn dependencies_point_one_way() {
    let root = workspace_root();
    let api = dependencies(&root.join("shared/api/Cargo.toml"));
    let domain = dependencies(&root.join("shared/domain/Cargo.toml"));
    let edge = dependencies(&root.join("shared/edge/Cargo.toml"));
    for (name, deps, forbidden) in [
        ("shared/api", &api, &["spin-sdk", "switchyard-domain", "switchyard-edge", "wit-bindgen"][..]),
        ("shared/domain", &domain, &["spin-sdk", "switchyard-edge", "wit-bindgen"][..]),
        ("shared/edge", &edge, &[][..]),
    ] {
        for f in forbidden {
            assert!(!deps.contains(*f), "{name} must not depend on {f} (functions → edge → domain → api)");
        }
    }
    let functions: BTreeSet<String> =
        function_crates().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for krate in function_crates() {
        let deps = dependencies(&krate.join("Cargo.toml"));
        let imported: Vec<&String> = deps.intersection(&functions).collect();
        assert!(imported.is_empty(), "{} imports other functions {imported:?}; share through shared/", krate.display());
    }
}

#[test]
fn every_mutation_goes_through_serve_mutate_and_the_table_says_so() {
    // Functions that change state without `mutate`: the harness protocol (its
    // calls are not member actions and are not replayed) and the ticks.
    const OUTSIDE_MUTATE: &[&str] = &[
        "cost-ceiling-tick",
        "dispatch-claim",
        "dispatch-status-tick",
        "forge-event-tick",
        "github-webhook",
        "gitlab-webhook",
        "outbound-webhook-tick",
        "sentry-webhook",
        "harness-action",
        "harness-dispatch",
        "harness-event",
        "harness-heartbeat",
    ];
    for krate in function_crates() {
        let name = krate.file_name().unwrap().to_string_lossy().into_owned();
        let source = read(&krate.join("src/lib.rs"));
        let endpoint = switchyard_api::endpoints::by_name(&name)
            .unwrap_or_else(|| panic!("functions/{name} has no row in the endpoint table"));
        let calls_mutate = source.contains("ENDPOINT.mutate");
        assert_eq!(
            calls_mutate, endpoint.mutation,
            "functions/{name}: `mutation` in the table must match its use of mutate"
        );
        let writes =
            ["INSERT ", "UPDATE ", "DELETE ", "lanes::apply(", "append_event("].iter().any(|w| source.contains(w));
        if writes && !calls_mutate {
            assert!(OUTSIDE_MUTATE.contains(&name.as_str()), "functions/{name} writes outside ENDPOINT.mutate");
        }
        let expected = format!("const ENDPOINT: Endpoint = endpoints::{};", name.to_uppercase().replace('-', "_"));
        assert!(source.contains(&expected), "functions/{name} takes its Endpoint from the table: `{expected}`");
    }
}

#[test]
fn stored_and_received_data_is_never_defaulted_on_a_parse_failure() {
    let root = workspace_root();
    let mut offenders = Vec::new();
    for dir in ["functions", "shared", "harness/src", "cli/src", "host/src"] {
        for file in rust_files(&root.join(dir)) {
            let text = read(&file);
            for (i, line) in text.lines().enumerate() {
                let serde = line.contains("serde_json::") || line.contains(".json(") || line.contains(".json::<");
                if line.contains("unwrap_or_default()") && serde {
                    offenders.push(format!(
                        "{}:{}: {}",
                        file.strip_prefix(&root).unwrap().display(),
                        i + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "a serde result must fail closed, not default:\n{}", offenders.join("\n"));
}

#[test]
fn no_handler_validates_fields_by_hand() {
    // Field rules are newtypes in shared/api (`valid.rs`); what is left in a
    // handler is a check against stored state (a budget below what is used, a
    // proof size beyond the log), named here so a new one is a decision.
    const STATEFUL: &[&str] = &[
        "agent-resume",
        "agent-tool-invoke",
        "audit-export",
        "audit-proof",
        "ci-event-ingest",
        "federation-verify",
        "first-run-dispatch",
        "harness-action",
        "harness-event",
        "lane-events",
        "lane-list",
        "lane-snapshot-restore",
        "posthog-webhook",
        "sentry-webhook",
        "sso-domain-verify",
        "trace-to-fix",
        "webhook-enqueue",
    ];
    for krate in function_crates() {
        let name = krate.file_name().unwrap().to_string_lossy().into_owned();
        let source = read(&krate.join("src/lib.rs"));
        if source.contains("ApiError::validation") {
            assert!(
                STATEFUL.contains(&name.as_str()),
                "functions/{name} validates a field by hand; make it a type in shared/api/src/valid.rs"
            );
        }
    }
}

#[test]
fn the_code_map_names_what_exists() {
    let root = workspace_root();
    let map = read(&root.join("ARCHITECTURE.md"));
    for path in map.split('`').skip(1).step_by(2).filter(|p| {
        (p.starts_with("shared/") || p.starts_with("host/") || p.starts_with("functions/") || p.starts_with("tests/"))
            && !p.contains('<')
            && !p.contains('*')
            && !p.contains(' ')
    }) {
        assert!(root.join(path.trim_end_matches('/')).exists(), "ARCHITECTURE.md names `{path}`, which does not exist");
    }
}

#[test]
fn no_handler_writes_sql_or_lane_state_names() {
    // Storage is named operations in shared/edge (lanes.rs, workspaces.rs,
    // harnesses.rs, tools.rs, sso.rs, tokens.rs, audit.rs): a handler never
    // holds a statement, so the SQL can be kept portable in one place.
    let tables = ["lanes", "lane_events", "lane_claims", "lane_claim_prefixes", "lane_interrupts", "tool_calls"];
    let mut forbidden: Vec<String> =
        tables.iter().flat_map(|t| ["FROM", "INTO", "UPDATE", "JOIN"].map(|k| format!("{k} {t} "))).collect();
    forbidden.extend(
        ["'queued'", "'running'", "'paused'", "'completed'", "'failed'", "'cancelled'", "LANE_COLUMNS"]
            .map(String::from),
    );
    for krate in function_crates() {
        let source = read(&krate.join("src/lib.rs"));
        for f in &forbidden {
            assert!(
                !source.contains(f.as_str()),
                "{} contains `{}`: storage belongs in a named operation in shared/edge",
                krate.display(),
                f.trim()
            );
        }
    }
}

#[test]
fn storage_sql_uses_numbered_placeholders() {
    // `$1`-style placeholders work in SQLite and PostgreSQL alike; `?` does not.
    let root = workspace_root();
    let mut offenders = Vec::new();
    for file in rust_files(&root.join("shared/edge/src")) {
        for (i, line) in read(&file).lines().enumerate() {
            let positional = ["= ?", "(?", ", ?", "> ?", "< ?", "LIMIT ?", "LIKE ?"];
            if positional.iter().any(|p| line.contains(p)) {
                offenders.push(format!("{}:{}: {}", file.strip_prefix(&root).unwrap().display(), i + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "use $1-style placeholders:\n{}", offenders.join("\n"));
}

#[test]
fn placeholders_first_appear_in_their_own_order() {
    // SQLite numbers `$N` parameters by first appearance, not by N: `$6`
    // written before `$3` silently binds the third value. PostgreSQL binds by
    // N. Writing them in order keeps both engines binding the same values.
    let root = workspace_root();
    let mut offenders = Vec::new();
    for file in rust_files(&root.join("shared/edge/src"))
        .into_iter()
        .chain(function_crates().iter().map(|k| k.join("src/lib.rs")))
    {
        let text = read(&file).replace("\\\"", "");
        for literal in text.split('"').skip(1).step_by(2) {
            let mut highest = 0;
            for piece in literal.split('$').skip(1) {
                let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
                let Ok(n) = digits.parse::<u32>() else { continue };
                if n > highest + 1 {
                    offenders.push(format!(
                        "{}: ${n} before ${}",
                        file.strip_prefix(&root).unwrap().display(),
                        highest + 1
                    ));
                }
                highest = highest.max(n);
            }
        }
    }
    assert!(offenders.is_empty(), "placeholders out of order:\n{}", offenders.join("\n"));
}
