//! Context extraction: what a repository says about itself, read without an
//! agent. Languages and frameworks from manifests, the module map, style
//! from formatter and linter configuration, policy from CODEOWNERS,
//! CONTRIBUTING and SECURITY, product facts from the README — each as an
//! entry with a stable key (so a later run confirms, updates or retires it)
//! and the file it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

/// One finding, as `harness-event` takes it (`FoundEntry`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found {
    pub key: String,
    pub dimension: &'static str,
    pub title: String,
    pub body: String,
    pub paths: Vec<String>,
    pub source_path: String,
    pub evidence: String,
    pub confidence: f64,
}

/// Directories never read.
const SKIP_DIRS: [&str; 9] =
    ["node_modules", "target", "vendor", "dist", "build", "__pycache__", "venv", ".venv", "out"];
/// Files read at most (a huge repository is mapped by its first files).
const MAX_FILES: usize = 20_000;
/// Modules reported at most.
const MAX_MODULES: usize = 40;
/// The longest body sent (the server takes up to 100 000 bytes).
const MAX_BODY: usize = 1_500;
/// Sections read per markdown document at most.
const MAX_SECTIONS: usize = 8;

/// Every file under `root` (relative, `/`-separated, sorted), skipping
/// `.git`, hidden directories and build output.
pub fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                let hidden = name.starts_with('.') && name != ".github";
                if !hidden && !SKIP_DIRS.contains(&name.as_str()) {
                    stack.push(entry.path());
                }
            } else if kind.is_file()
                && let Ok(rel) = entry.path().strip_prefix(root)
            {
                out.push(rel.to_string_lossy().replace('\\', "/"));
                if out.len() >= MAX_FILES {
                    out.sort();
                    return out;
                }
            }
        }
    }
    out.sort();
    out
}

/// The most a file read for extraction may hold.
const MAX_READ: u64 = 1_000_000;

/// A regular file's text (never through a symlink, which could point out of
/// the repository, e.g. at the harness's own environment), or `None` when it
/// is larger than [`MAX_READ`].
fn read(root: &Path, rel: &str) -> Option<String> {
    use std::io::Read;
    let path = root.join(rel);
    if !std::fs::symlink_metadata(&path).ok()?.file_type().is_file() {
        return None;
    }
    let mut text = Vec::new();
    std::fs::File::open(&path).ok()?.take(MAX_READ + 1).read_to_end(&mut text).ok()?;
    (text.len() as u64 <= MAX_READ).then(|| String::from_utf8_lossy(&text).into_owned())
}

/// Entries sent per extraction at most (one report stays well under the server's 1 MiB body).
const MAX_ENTRIES: usize = 300;
/// The server's limit on a key.
const MAX_KEY_CHARS: usize = 100;

/// Whether the server's glob rule will take `glob` (a conservative subset):
/// relative, no empty or `..` segments, no `[ ] { } \` or control characters.
fn sendable_glob(glob: &str) -> bool {
    !glob.is_empty()
        && glob.len() <= 512
        && !glob.chars().any(|c| c.is_control() || "[]{}\\".contains(c))
        && glob.split('/').all(|seg| !seg.is_empty() && seg != ".." && seg != ".")
        && glob.split('/').all(|seg| seg == "**" || !seg.contains("**"))
}

/// Keeps what the server will take: keys cut to its limit, globs it would
/// refuse dropped, paths with control characters skipped, at most [`MAX_ENTRIES`].
fn sendable(found: Vec<Found>) -> Vec<Found> {
    let mut seen = BTreeSet::new();
    found
        .into_iter()
        .filter(|f| !f.source_path.chars().any(char::is_control) && !f.source_path.is_empty())
        .map(|mut f| {
            if f.key.chars().count() > MAX_KEY_CHARS {
                f.key = f.key.chars().take(MAX_KEY_CHARS).collect();
            }
            f.paths.retain(|g| sendable_glob(g));
            f
        })
        .filter(|f| seen.insert(f.key.clone()))
        .take(MAX_ENTRIES)
        .collect()
}

fn clip(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAX_BODY {
        return text.to_owned();
    }
    let mut end = MAX_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `<dir>/**`, or `**` for the root.
fn under(dir: &str) -> String {
    if dir.is_empty() { "**".to_owned() } else { format!("{dir}/**") }
}

/// A language by file extension.
fn language(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "rs" => "Rust",
        "py" => "Python",
        "ts" | "tsx" => "TypeScript",
        "js" | "jsx" | "mjs" | "cjs" => "JavaScript",
        "go" => "Go",
        "rb" => "Ruby",
        "java" => "Java",
        "kt" => "Kotlin",
        "swift" => "Swift",
        "c" | "h" => "C",
        "cc" | "cpp" | "hpp" => "C++",
        "cs" => "C#",
        "php" => "PHP",
        "sql" => "SQL",
        "sh" => "Shell",
        _ => return None,
    })
}

/// Frameworks worth naming, by dependency name.
fn framework(dep: &str) -> Option<&'static str> {
    Some(match dep {
        "tokio" => "tokio (async runtime)",
        "axum" => "axum (web framework)",
        "actix-web" => "actix-web (web framework)",
        "rocket" => "Rocket (web framework)",
        "sqlx" => "sqlx (SQL database access)",
        "diesel" => "Diesel (ORM)",
        "serde" => "serde (serialisation)",
        "clap" => "clap (command line)",
        "react" => "React (UI)",
        "next" => "Next.js (web framework)",
        "vue" => "Vue (UI)",
        "svelte" => "Svelte (UI)",
        "express" => "Express (web framework)",
        "fastify" => "Fastify (web framework)",
        "vite" => "Vite (build tool)",
        "jest" => "Jest (tests)",
        "vitest" => "Vitest (tests)",
        "typescript" => "TypeScript",
        "django" => "Django (web framework)",
        "flask" => "Flask (web framework)",
        "fastapi" => "FastAPI (web framework)",
        "pytest" => "pytest (tests)",
        "sqlalchemy" => "SQLAlchemy (ORM)",
        "github.com/gin-gonic/gin" => "Gin (web framework)",
        _ => return None,
    })
}

/// What is found in `root` for `job` (`context`: everything; `map`: the system entries).
pub fn extract(root: &Path, job: &str, commit: &str) -> Vec<Found> {
    let files = files(root);
    let mut found = Vec::new();
    let short = &commit[..commit.len().min(12)];
    let ev = |path: &str| format!("read from {path} at {short}");
    system(root, &files, &ev, &mut found);
    if job == "context" {
        style(root, &files, &ev, &mut found);
        policy(root, &files, &ev, &mut found);
        product(root, &files, &ev, &mut found);
    }
    // A repeated key keeps the first.
    sendable(found)
}

type Evidence<'a> = &'a dyn Fn(&str) -> String;

fn system(root: &Path, files: &[String], ev: Evidence<'_>, found: &mut Vec<Found>) {
    // Languages by file count.
    let mut langs: BTreeMap<&str, usize> = BTreeMap::new();
    for f in files {
        if let Some(l) = language(f) {
            *langs.entry(l).or_default() += 1;
        }
    }
    if !langs.is_empty() {
        let mut by_count: Vec<(&str, usize)> = langs.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = by_count.iter().map(|(l, n)| format!("{l} ({n} files)")).collect();
        found.push(Found {
            key: "languages".into(),
            dimension: "system",
            title: "Languages used".into(),
            body: format!("The repository's code is written in {}.", list.join(", ")),
            paths: Vec::new(),
            source_path: files.iter().find(|f| language(f).is_some()).cloned().unwrap_or_default(),
            evidence: "counted by file extension".into(),
            confidence: 0.9,
        });
    }
    for manifest in files.iter().filter(|f| {
        let name = f.rsplit('/').next().unwrap_or(f);
        matches!(name, "Cargo.toml" | "package.json" | "pyproject.toml" | "requirements.txt" | "go.mod")
    }) {
        if let Some(entry) = manifest_entry(root, manifest, files, ev) {
            found.push(entry);
        }
    }
    modules(root, files, ev, found);
}

fn manifest_entry(root: &Path, manifest: &str, files: &[String], ev: Evidence<'_>) -> Option<Found> {
    let text = read(root, manifest)?;
    let dir = dir_of(manifest);
    let name = manifest.rsplit('/').next().unwrap_or(manifest);
    let place = if dir.is_empty() { "The repository root".to_owned() } else { format!("{dir}/") };
    let (what, title, deps, build): (String, String, Vec<String>, String) = match name {
        "Cargo.toml" => {
            let doc: toml::Table = text.parse().ok()?;
            let crate_name = doc.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str());
            let mut deps: Vec<String> = ["dependencies", "dev-dependencies", "workspace"]
                .iter()
                .filter_map(|k| doc.get(*k))
                .flat_map(|t| {
                    let t = t.get("dependencies").unwrap_or(t);
                    t.as_table().map(|t| t.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()
                })
                .collect();
            deps.sort();
            deps.dedup();
            let what = match crate_name {
                Some(n) => format!("a Rust crate (Cargo) named `{n}`"),
                None => "a Rust workspace (Cargo)".to_owned(),
            };
            let title = crate_name.map_or_else(|| "Rust workspace".to_owned(), |n| format!("Rust crate {n}"));
            (what, title, deps, "Build with `cargo build`; test with `cargo test`.".to_owned())
        }
        "package.json" => {
            let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
            let pkg = doc.get("name").and_then(|n| n.as_str()).unwrap_or("(unnamed)");
            let mut deps: Vec<String> = ["dependencies", "devDependencies"]
                .iter()
                .filter_map(|k| doc.get(*k).and_then(|d| d.as_object()))
                .flat_map(|d| d.keys().cloned())
                .collect();
            deps.sort();
            deps.dedup();
            let typescript = deps.iter().any(|d| d == "typescript")
                || files.iter().any(|f| f == format!("{dir}/tsconfig.json").trim_start_matches('/'));
            let lang = if typescript { "TypeScript" } else { "JavaScript" };
            let scripts: Vec<String> = ["build", "test", "lint"]
                .iter()
                .filter(|s| doc.get("scripts").and_then(|x| x.get(**s)).is_some())
                .map(|s| format!("`npm run {s}`"))
                .collect();
            let build = if scripts.is_empty() { String::new() } else { format!("Scripts: {}.", scripts.join(", ")) };
            (format!("a {lang} package (npm) named `{pkg}`"), format!("{lang} package {pkg}"), deps, build)
        }
        "pyproject.toml" | "requirements.txt" => {
            let deps: Vec<String> = if name == "requirements.txt" {
                text.lines()
                    .map(|l| {
                        l.split(['=', '<', '>', '~', '[', ';', ' ']).next().unwrap_or("").trim().to_ascii_lowercase()
                    })
                    .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
                    .collect()
            } else {
                let doc: toml::Table = text.parse().ok()?;
                doc.get("project")
                    .and_then(|p| p.get("dependencies"))
                    .and_then(|d| d.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str())
                            .map(|v| {
                                v.split(['=', '<', '>', '~', '[', ';', ' ']).next().unwrap_or("").to_ascii_lowercase()
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            ("a Python project".to_owned(), "Python project".to_owned(), deps, "Test with `pytest`.".to_owned())
        }
        "go.mod" => {
            let module = text.lines().find_map(|l| l.strip_prefix("module ")).unwrap_or("(unnamed)").trim().to_owned();
            let deps = text
                .lines()
                .map(str::trim)
                .filter(|l| l.contains(" v") && !l.starts_with("module") && !l.starts_with("go "))
                .filter_map(|l| l.trim_start_matches("require ").split_whitespace().next().map(str::to_owned))
                .collect();
            (
                format!("a Go module `{module}`"),
                format!("Go module {module}"),
                deps,
                "Build with `go build ./...`; test with `go test ./...`.".to_owned(),
            )
        }
        _ => return None,
    };
    let frameworks: Vec<&str> = deps.iter().filter_map(|d| framework(d)).collect();
    let mut body = format!("{place} is {what}.");
    if !frameworks.is_empty() {
        body.push_str(&format!(" It uses {}.", frameworks.join(", ")));
    }
    if !deps.is_empty() {
        let shown: Vec<&str> = deps.iter().take(25).map(String::as_str).collect();
        body.push_str(&format!(" Dependencies: {}.", shown.join(", ")));
    }
    if !build.is_empty() {
        body.push(' ');
        body.push_str(&build);
    }
    Some(Found {
        key: format!("manifest:{manifest}"),
        dimension: "system",
        title,
        body: clip(&body),
        paths: manifest_paths(manifest, dir, name),
        source_path: manifest.to_owned(),
        evidence: ev(manifest),
        confidence: 0.9,
    })
}

/// What a manifest is about: its directory, or at the root (which would be
/// every path) the files of its language.
fn manifest_paths(manifest: &str, dir: &str, name: &str) -> Vec<String> {
    if !dir.is_empty() {
        return vec![manifest.to_owned(), under(dir)];
    }
    let code: &[&str] = match name {
        "Cargo.toml" => &["**/*.rs"],
        "package.json" => &["**/*.ts", "**/*.tsx", "**/*.js"],
        "go.mod" => &["**/*.go"],
        _ => &["**/*.py"],
    };
    std::iter::once(manifest).chain(code.iter().copied()).map(str::to_owned).collect()
}

/// The first line of a module's own description: a `//!` or `#` doc line,
/// or its README's first paragraph.
fn module_doc(root: &Path, dir: &str, files: &[String]) -> Option<String> {
    let preferred = ["lib.rs", "mod.rs", "main.rs", "__init__.py", "index.ts", "index.js", "doc.go"]
        .iter()
        .map(|name| format!("{dir}/{name}"))
        .filter(|path| files.contains(path));
    let others = files.iter().filter(|f| dir_of(f) == dir && language(f).is_some()).take(5).cloned();
    for path in preferred.chain(others) {
        let Some(text) = read(root, &path) else { continue };
        let doc: Vec<&str> = text
            .lines()
            .map(str::trim)
            .take_while(|l| {
                l.starts_with("//!") || l.starts_with("\"\"\"") || l.starts_with("//") || l.starts_with('#')
            })
            .map(|l| {
                l.trim_start_matches("//!")
                    .trim_start_matches("//")
                    .trim_start_matches("\"\"\"")
                    .trim_start_matches('#')
                    .trim()
            })
            .filter(|l| !l.is_empty() && !l.starts_with('!'))
            .collect();
        if !doc.is_empty() {
            return Some(doc.join(" "));
        }
    }
    let readme = format!("{dir}/README.md");
    files.contains(&readme).then(|| read(root, &readme)).flatten().and_then(|t| first_paragraph(&t))
}

fn modules(root: &Path, files: &[String], ev: Evidence<'_>, found: &mut Vec<Found>) {
    // Directories one or two levels down that hold code, with their files.
    let mut dirs: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for f in files {
        if language(f).is_none() {
            continue;
        }
        let parts: Vec<&str> = f.split('/').collect();
        if parts.len() < 2 {
            continue;
        }
        let depth = if parts.len() > 2 && ["src", "lib", "app", "pkg", "internal", "packages"].contains(&parts[0]) {
            2
        } else {
            1
        };
        let dir = parts[..depth.min(parts.len() - 1)].join("/");
        dirs.entry(dir).or_default().push(f);
    }
    for (dir, members) in dirs.into_iter().take(MAX_MODULES) {
        let langs: BTreeSet<&str> = members.iter().filter_map(|f| language(f)).collect();
        let names: Vec<&str> = members.iter().take(12).map(|f| f.rsplit('/').next().unwrap_or(f)).collect();
        let more = members.len().saturating_sub(12);
        let mut body = format!(
            "Module `{dir}/`: {} {} file(s): {}{}.",
            members.len(),
            langs.iter().copied().collect::<Vec<_>>().join("/"),
            names.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        );
        if let Some(doc) = module_doc(root, &dir, files) {
            body.push_str(&format!(" It says: {doc}"));
        }
        found.push(Found {
            key: format!("module:{dir}"),
            dimension: "system",
            title: format!("Module {dir}"),
            body: clip(&body),
            paths: vec![under(&dir)],
            source_path: members[0].to_owned(),
            evidence: ev(&format!("{dir}/")),
            confidence: 0.8,
        });
    }
}

fn style(root: &Path, files: &[String], ev: Evidence<'_>, found: &mut Vec<Found>) {
    let settings = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("//") && !l.starts_with(';'))
            .take(15)
            .map(str::to_owned)
            .collect()
    };
    let rust = vec!["**/*.rs".to_owned()];
    let web: Vec<String> = ["**/*.ts", "**/*.tsx", "**/*.js", "**/*.jsx"].iter().map(|s| (*s).to_owned()).collect();
    let py = vec!["**/*.py".to_owned()];
    let configs: [(&str, &str, &str, &str, &Vec<String>); 9] = [
        (
            "rustfmt.toml",
            "style:rustfmt",
            "Rust formatting (rustfmt)",
            "Format Rust code with rustfmt (`cargo fmt`) before committing.",
            &rust,
        ),
        (
            ".rustfmt.toml",
            "style:rustfmt",
            "Rust formatting (rustfmt)",
            "Format Rust code with rustfmt (`cargo fmt`) before committing.",
            &rust,
        ),
        (
            "clippy.toml",
            "style:clippy",
            "Rust lints (clippy)",
            "Lint Rust code with clippy (`cargo clippy`); fix its warnings.",
            &rust,
        ),
        (
            ".prettierrc",
            "style:prettier",
            "Formatting with Prettier",
            "Format JavaScript and TypeScript with Prettier.",
            &web,
        ),
        (
            ".prettierrc.json",
            "style:prettier",
            "Formatting with Prettier",
            "Format JavaScript and TypeScript with Prettier.",
            &web,
        ),
        (
            ".eslintrc.json",
            "style:eslint",
            "Linting with ESLint",
            "Lint JavaScript and TypeScript with ESLint; fix its errors.",
            &web,
        ),
        (
            "eslint.config.js",
            "style:eslint",
            "Linting with ESLint",
            "Lint JavaScript and TypeScript with ESLint; fix its errors.",
            &web,
        ),
        ("ruff.toml", "style:ruff", "Python linting and formatting (ruff)", "Lint and format Python with ruff.", &py),
        (
            ".editorconfig",
            "style:editorconfig",
            "Editor settings (.editorconfig)",
            "Formatting of every file (indentation, line endings, final newlines) follows .editorconfig.",
            &Vec::new(),
        ),
    ];
    for f in files {
        let name = f.rsplit('/').next().unwrap_or(f);
        let Some((_, key, title, lead, paths)) = configs.iter().find(|c| c.0 == name) else { continue };
        let Some(text) = read(root, f) else { continue };
        let dir = dir_of(f);
        let key = if dir.is_empty() { (*key).to_owned() } else { format!("{key}:{dir}") };
        let paths: Vec<String> = if dir.is_empty() {
            (*paths).clone()
        } else {
            paths
                .iter()
                .map(|p| format!("{dir}/{p}"))
                .chain([format!("{dir}/**")])
                .take(if paths.is_empty() { 1 } else { 5 })
                .collect()
        };
        let set = settings(&text);
        let body =
            if set.is_empty() { (*lead).to_owned() } else { format!("{lead} Settings in {f}: {}.", set.join("; ")) };
        found.push(Found {
            key,
            dimension: "style",
            title: (*title).to_owned(),
            body: clip(&body),
            paths,
            source_path: f.clone(),
            evidence: ev(f),
            confidence: 0.95,
        });
    }
    // Python tools configured in pyproject.toml.
    for f in files.iter().filter(|f| f.ends_with("pyproject.toml")) {
        let Some(doc) = read(root, f).and_then(|t| t.parse::<toml::Table>().ok()) else { continue };
        let Some(tool) = doc.get("tool").and_then(|t| t.as_table()) else { continue };
        for (name, what) in [
            ("black", "Format Python with black"),
            ("ruff", "Lint Python with ruff"),
            ("isort", "Sort Python imports with isort"),
        ] {
            if let Some(cfg) = tool.get(name) {
                let set = cfg
                    .as_table()
                    .map(|t| t.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join("; "))
                    .unwrap_or_default();
                found.push(Found {
                    key: format!("style:{name}"),
                    dimension: "style",
                    title: format!("Python style ({name})"),
                    body: clip(&format!("{what}. Settings in {f}: {set}.")),
                    paths: vec!["**/*.py".into()],
                    source_path: f.clone(),
                    evidence: ev(f),
                    confidence: 0.95,
                });
            }
        }
    }
}

/// A CODEOWNERS pattern as a glob: `/src/billing/` → `src/billing/**`, `*.rs` → `**/*.rs`.
pub fn owners_glob(pattern: &str) -> Option<String> {
    if pattern.contains(['[', ']', '{', '}', '\\', '!']) || pattern.contains("..") {
        return None;
    }
    let anchored = pattern.starts_with('/');
    let p = pattern.trim_start_matches('/');
    let glob = if p.is_empty() || p == "*" {
        "**".to_owned()
    } else if let Some(dir) = p.strip_suffix('/') {
        if anchored || dir.contains('/') { format!("{dir}/**") } else { format!("**/{dir}/**") }
    } else if anchored || p.contains('/') {
        p.to_owned()
    } else {
        format!("**/{p}")
    };
    Some(glob.replace("/**/**", "/**"))
}

fn policy(root: &Path, files: &[String], ev: Evidence<'_>, found: &mut Vec<Found>) {
    for owners in ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"] {
        if !files.iter().any(|f| f == owners) {
            continue;
        }
        let Some(text) = read(root, owners) else { continue };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).take(50) {
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else { continue };
            let who: Vec<&str> = parts.collect();
            let Some(glob) = owners_glob(pattern) else { continue };
            if who.is_empty() {
                continue;
            }
            found.push(Found {
                key: format!("owners:{pattern}"),
                dimension: "policy",
                title: format!("Code owners of {pattern}"),
                body: format!("Changes to {pattern} need a review from {} (CODEOWNERS).", who.join(", ")),
                paths: vec![glob],
                source_path: owners.to_owned(),
                evidence: ev(owners),
                confidence: 0.95,
            });
        }
        break;
    }
    for (doc, label) in [
        ("CONTRIBUTING.md", "Contributing"),
        ("SECURITY.md", "Security"),
        (".github/CONTRIBUTING.md", "Contributing"),
        (".github/SECURITY.md", "Security"),
    ] {
        if !files.iter().any(|f| f == doc) {
            continue;
        }
        let Some(text) = read(root, doc) else { continue };
        let key_base = label.to_ascii_lowercase();
        for (heading, body) in sections(&text).into_iter().take(MAX_SECTIONS) {
            let slug = slug(&heading);
            found.push(Found {
                key: if slug.is_empty() { key_base.clone() } else { format!("{key_base}:{slug}") },
                dimension: "policy",
                title: if heading.is_empty() { label.to_owned() } else { format!("{label}: {heading}") },
                body: clip(&body),
                paths: Vec::new(),
                source_path: doc.to_owned(),
                evidence: ev(doc),
                confidence: 0.9,
            });
        }
    }
}

fn product(root: &Path, files: &[String], ev: Evidence<'_>, found: &mut Vec<Found>) {
    if !files.iter().any(|f| f == "README.md") {
        return;
    }
    let Some(text) = read(root, "README.md") else { return };
    let name = text.lines().find_map(|l| l.strip_prefix("# ")).map(str::trim).unwrap_or("the product").to_owned();
    for (heading, body) in sections(&text).into_iter().take(MAX_SECTIONS) {
        let (key, title) = if heading.is_empty() || heading == name {
            ("product:readme".to_owned(), format!("What {name} is"))
        } else {
            (format!("readme:{}", slug(&heading)), format!("{name}: {heading}"))
        };
        found.push(Found {
            key,
            dimension: "product",
            title,
            body: clip(&body),
            paths: Vec::new(),
            source_path: "README.md".into(),
            evidence: ev("README.md"),
            confidence: 0.75,
        });
    }
}

/// Markdown split at `#` / `##` headings: (heading, text), empty sections dropped.
pub fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![(String::new(), String::new())];
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let heading = if fenced { None } else { line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) };
        match heading {
            Some(h) if line.starts_with("# ") && out.len() == 1 && out[0].1.trim().is_empty() => {
                out[0].0 = h.trim().to_owned()
            }
            Some(h) => out.push((h.trim().to_owned(), String::new())),
            None => {
                let last = out.last_mut().map(|s| &mut s.1);
                if let Some(body) = last {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    out.into_iter().filter(|(_, b)| !b.trim().is_empty()).map(|(h, b)| (h, b.trim().to_owned())).collect()
}

fn first_paragraph(text: &str) -> Option<String> {
    text.split("\n\n").map(str::trim).find(|p| !p.is_empty() && !p.starts_with('#')).map(|p| p.replace('\n', " "))
}

fn slug(heading: &str) -> String {
    let s: String =
        heading.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codeowners_patterns_become_globs() {
        assert_eq!(owners_glob("/src/billing/").as_deref(), Some("src/billing/**"));
        assert_eq!(owners_glob("*.rs").as_deref(), Some("**/*.rs"));
        assert_eq!(owners_glob("*").as_deref(), Some("**"));
        assert_eq!(owners_glob("docs/*").as_deref(), Some("docs/*"));
        assert_eq!(owners_glob("build/").as_deref(), Some("**/build/**"));
        assert_eq!(owners_glob("/migrations/").as_deref(), Some("migrations/**"));
        assert_eq!(owners_glob("[abc].rs"), None);
    }

    #[test]
    fn markdown_sections() {
        let text = "# Shop\n\nSells things.\n\n## Install\n\nRun it.\n```\n# not a heading\n```\n## Empty\n\n## Use\nCall it.\n";
        let got = sections(text);
        let heads: Vec<&str> = got.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(heads, ["Shop", "Install", "Use"]);
        assert!(got[1].1.contains("# not a heading"));
        assert_eq!(slug("How to: Commit!"), "how-to-commit");
    }

    #[test]
    fn a_small_repository_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, t: &str| {
            std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
            std::fs::write(root.join(p), t).unwrap();
        };
        write("README.md", "# Shop\n\nShop sells things to people.\n\n## Usage\n\nRun `shop`.\n");
        write("Cargo.toml", "[package]\nname = \"shop\"\n[dependencies]\naxum = \"0.8\"\ntokio = \"1\"\n");
        write("rustfmt.toml", "# house style\nmax_width = 110\n");
        write("CODEOWNERS", "/src/billing/ @billing\n");
        write("src/billing/tax.rs", "//! Sales tax rules.\npub fn tax() {}\n");
        write("src/main.rs", "fn main() {}\n");
        write("node_modules/x/index.js", "ignored");
        let found = extract(root, "context", "0123456789abcdef");
        let keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
        for key in [
            "languages",
            "manifest:Cargo.toml",
            "module:src/billing",
            "style:rustfmt",
            "owners:/src/billing/",
            "product:readme",
            "readme:usage",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        let manifest = found.iter().find(|f| f.key == "manifest:Cargo.toml").unwrap();
        assert!(manifest.body.contains("axum (web framework)"), "{}", manifest.body);
        let module = found.iter().find(|f| f.key == "module:src/billing").unwrap();
        assert!(module.body.contains("Sales tax rules."), "{}", module.body);
        let style = found.iter().find(|f| f.key == "style:rustfmt").unwrap();
        assert!(style.body.contains("max_width = 110") && style.evidence == "read from rustfmt.toml at 0123456789ab");
        assert!(!keys.iter().any(|k| k.contains("node_modules")));
        // A symlink is never read (it could point at the harness's secrets).
        std::fs::remove_file(root.join("README.md")).unwrap();
        std::os::unix::fs::symlink(root.join("Cargo.toml"), root.join("README.md")).unwrap();
        assert!(!extract(root, "context", "c").iter().any(|f| f.dimension == "product"));
        // Entries the server would refuse are cleaned, not sent.
        let odd = Found {
            key: "k".repeat(150),
            dimension: "system",
            title: "t".into(),
            body: "b".into(),
            paths: vec!["app/[slug]/**".into(), "app/**".into(), "a/../b".into()],
            source_path: "x".into(),
            evidence: "e".into(),
            confidence: 0.8,
        };
        let cleaned = sendable(vec![odd.clone(), odd]);
        assert_eq!(cleaned.len(), 1);
        assert_eq!((cleaned[0].key.chars().count(), cleaned[0].paths.clone()), (100, vec!["app/**".to_owned()]));
        // The map job finds only system entries.
        assert!(extract(root, "map", "c").iter().all(|f| f.dimension == "system"));
    }

    /// The fixture the HTTP tests extract from (`tests/fixtures/context-repo`).
    #[test]
    fn the_fixture_repository_yields_every_kind_of_entry() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/context-repo");
        let found = extract(&root, "context", "feedc0ffee");
        for f in &found {
            println!("{:<28} {:<8} {:<40} {:?} {}", f.key, f.dimension, f.title, f.paths, f.body);
        }
        let keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
        for key in [
            "manifest:Cargo.toml",
            "manifest:web/package.json",
            "module:src/billing",
            "style:rustfmt",
            "style:editorconfig",
            "style:prettier:web",
            "owners:/src/billing/",
            "contributing:commit-messages",
            "security:reporting-a-vulnerability",
            "product:readme",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }
}
