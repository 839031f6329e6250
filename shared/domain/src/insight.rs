//! Lane insight rules: folding diff checkpoints into each file's net change,
//! recognising test runs in an agent's output, naming the risks a reviewer
//! should look at, and writing the plain-English summary. Pure, so every
//! rule is unit-tested here.

use std::collections::BTreeMap;

use switchyard_api::{CheckpointFile, FileChange, Risk, SummaryFile, TestResult, TestRun};

use crate::glob;

/// Each file's net change over a lane's steps, in path order: added then
/// deleted is gone; added then modified stays added; line counts add up.
pub fn net_files<'a>(steps: impl IntoIterator<Item = &'a [CheckpointFile]>) -> Vec<SummaryFile> {
    let mut net: BTreeMap<String, SummaryFile> = BTreeMap::new();
    for step in steps {
        for f in step {
            let path = f.path.as_str().to_owned();
            match net.get_mut(&path) {
                None => {
                    net.insert(
                        path.clone(),
                        SummaryFile { path, change: f.change, insertions: f.insertions, deletions: f.deletions },
                    );
                }
                Some(cur) => {
                    cur.insertions += f.insertions;
                    cur.deletions += f.deletions;
                    cur.change = match (cur.change, f.change) {
                        (FileChange::Added, FileChange::Deleted) => {
                            net.remove(&path);
                            continue;
                        }
                        (FileChange::Added, _) => FileChange::Added,
                        (FileChange::Deleted, FileChange::Added) => FileChange::Modified,
                        (_, later) => later,
                    };
                }
            }
        }
    }
    net.into_values().collect()
}

/// A test run an output line reports, if it is one of the runners we know.
pub fn test_run(line: &str) -> Option<TestRun> {
    let t = line.trim();
    let run = |runner: &str, result| Some(TestRun { runner: runner.to_owned(), result, evidence: t.to_owned() });
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = t.strip_prefix("test result: ") {
        return run("cargo test", if rest.starts_with("ok") { TestResult::Passed } else { TestResult::Failed });
    }
    // pytest's closing line: `==== 3 passed, 1 failed in 0.12s ====`.
    if t.starts_with('=') && (lower.contains(" passed") || lower.contains(" failed")) && lower.contains(" in ") {
        let failed = lower.contains(" failed") || lower.contains(" error");
        return run("pytest", if failed { TestResult::Failed } else { TestResult::Passed });
    }
    // Jest / Vitest: `Tests:       1 failed, 4 passed, 5 total`.
    if let Some(rest) = t.strip_prefix("Tests:") {
        return run("jest", if rest.contains("failed") { TestResult::Failed } else { TestResult::Passed });
    }
    // go test: `ok  	example.com/pkg	0.01s`, `FAIL	example.com/pkg	0.01s`.
    if t.starts_with("ok  \t") || t.starts_with("ok \t") {
        return run("go test", TestResult::Passed);
    }
    if t.starts_with("FAIL\t") {
        return run("go test", TestResult::Failed);
    }
    // A plain statement, e.g. from a script: `tests passed` / `tests failed`.
    if lower == "tests passed" || lower == "all tests passed" {
        return run("tests", TestResult::Passed);
    }
    if lower == "tests failed" || lower.starts_with("tests failed:") {
        return run("tests", TestResult::Failed);
    }
    None
}

/// Paths a reviewer should always look at: CI, secrets, infrastructure, migrations.
const SENSITIVE: [&str; 8] =
    [".github/**", ".gitlab-ci.yml", "**/.env", "**/*.pem", "**/*.key", "**/migrations/**", "**/Dockerfile", "**/*.tf"];
/// More files than this in one lane is worth a look.
pub const MANY_FILES: usize = 25;
/// A file losing at least this many lines (and more than it gained) is a large deletion.
pub const LARGE_DELETION: u64 = 100;

/// What the lane's changes and output say a reviewer should look at.
pub fn risks(files: &[SummaryFile], outside_claim: &[String], tests: &[TestRun]) -> Vec<Risk> {
    let mut risks = Vec::new();
    if !outside_claim.is_empty() {
        risks.push(Risk {
            kind: "outside_claim".into(),
            message: format!("{} file(s) changed outside the lane's claim", outside_claim.len()),
            paths: outside_claim.to_vec(),
        });
    }
    let large: Vec<String> = files
        .iter()
        .filter(|f| {
            f.change == FileChange::Deleted
                || (f.deletions >= LARGE_DELETION && f.deletions > f.insertions.saturating_mul(2))
        })
        .map(|f| f.path.clone())
        .collect();
    if !large.is_empty() {
        risks.push(Risk {
            kind: "large_deletion".into(),
            message: format!("{} file(s) deleted or mostly removed", large.len()),
            paths: large,
        });
    }
    if files.len() > MANY_FILES {
        risks.push(Risk {
            kind: "many_files".into(),
            message: format!("{} files changed (more than {MANY_FILES})", files.len()),
            paths: Vec::new(),
        });
    }
    let sensitive: Vec<String> =
        files.iter().filter(|f| SENSITIVE.iter().any(|g| glob::matches(g, &f.path))).map(|f| f.path.clone()).collect();
    if !sensitive.is_empty() {
        risks.push(Risk {
            kind: "sensitive_path".into(),
            message: "CI, secrets, infrastructure or migrations changed".into(),
            paths: sensitive,
        });
    }
    match tests.last() {
        Some(last) if last.result == TestResult::Failed => risks.push(Risk {
            kind: "tests_failed".into(),
            message: format!("the last test run ({}) failed", last.runner),
            paths: Vec::new(),
        }),
        None if !files.is_empty() => risks.push(Risk {
            kind: "no_tests".into(),
            message: "files changed but no test run was seen in the output".into(),
            paths: Vec::new(),
        }),
        _ => {}
    }
    risks
}

/// What a summary is written from.
pub struct Facts<'a> {
    pub state: &'a str,
    pub agent_summary: Option<&'a str>,
    pub files: &'a [SummaryFile],
    pub tests: &'a [TestRun],
    pub risks: &'a [Risk],
    pub open_questions: &'a [String],
}

/// One sentence: what changed and how the lane ended.
pub fn headline(f: &Facts<'_>) -> String {
    let (ins, del): (u64, u64) = f.files.iter().fold((0, 0), |(i, d), x| (i + x.insertions, d + x.deletions));
    let changed = match f.files.len() {
        0 => "changed no files".to_owned(),
        1 => format!("changed {} (+{ins} −{del})", f.files[0].path),
        n => format!("changed {n} files (+{ins} −{del})"),
    };
    let tests = match f.tests.last() {
        Some(t) if t.result == TestResult::Passed => format!(", and {} passed", t.runner),
        Some(t) => format!(", and {} failed", t.runner),
        None => String::new(),
    };
    format!("The lane {changed}{tests}; it is {}.", f.state.replace('_', " "))
}

/// The whole summary as a short paragraph.
pub fn paragraph(f: &Facts<'_>) -> String {
    let mut text = headline(f);
    if let Some(said) = f.agent_summary.map(str::trim).filter(|s| !s.is_empty()) {
        text.push_str(&format!(" The agent's last word: \"{said}\"."));
    }
    if !f.files.is_empty() {
        let names: Vec<String> = f
            .files
            .iter()
            .take(5)
            .map(|x| {
                let how = match x.change {
                    FileChange::Added => "added",
                    FileChange::Modified => "modified",
                    FileChange::Deleted => "deleted",
                };
                format!("{} ({how})", x.path)
            })
            .collect();
        let more = f.files.len().saturating_sub(5);
        let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
        text.push_str(&format!(" Files: {}{tail}.", names.join(", ")));
    }
    if f.risks.is_empty() {
        text.push_str(" No risks found.");
    } else {
        let risks: Vec<&str> = f.risks.iter().map(|r| r.message.as_str()).collect();
        text.push_str(&format!(" To check: {}.", risks.join("; ")));
    }
    if !f.open_questions.is_empty() {
        text.push_str(&format!(" Open questions: {}.", f.open_questions.join(" / ")));
    }
    text
}

/// An output line that states an open question (`Question: …`, `Open question: …`).
pub fn open_question(line: &str) -> Option<String> {
    let t = line.trim();
    let lower = t.to_ascii_lowercase();
    ["open question:", "question:"]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| t[p.len()..].trim().to_owned())
        .filter(|q| !q.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn file(path: &str, change: FileChange, insertions: u64, deletions: u64) -> CheckpointFile {
        CheckpointFile {
            path: serde_json::from_value(serde_json::json!(path)).unwrap(),
            change,
            insertions,
            deletions,
            hunks: 1,
            binary: false,
        }
    }

    #[test]
    fn steps_fold_into_net_changes() {
        let one = [file("a.rs", FileChange::Added, 10, 0), file("b.rs", FileChange::Modified, 2, 1)];
        let two = [
            file("a.rs", FileChange::Modified, 3, 1),
            file("tmp.txt", FileChange::Added, 1, 0),
            file("c.rs", FileChange::Deleted, 0, 40),
        ];
        let three = [file("tmp.txt", FileChange::Deleted, 0, 1)];
        let net = net_files([&one[..], &two[..], &three[..]]);
        let got: Vec<(&str, FileChange, u64, u64)> =
            net.iter().map(|f| (f.path.as_str(), f.change, f.insertions, f.deletions)).collect();
        assert_eq!(
            got,
            [
                ("a.rs", FileChange::Added, 13, 1),
                ("b.rs", FileChange::Modified, 2, 1),
                ("c.rs", FileChange::Deleted, 0, 40),
            ]
        );
    }

    #[test]
    fn test_runs_are_recognised() {
        let cases = [
            ("test result: ok. 12 passed; 0 failed", "cargo test", TestResult::Passed),
            ("test result: FAILED. 1 passed; 2 failed", "cargo test", TestResult::Failed),
            ("======= 3 passed in 0.12s =======", "pytest", TestResult::Passed),
            ("==== 3 passed, 1 failed in 0.12s ====", "pytest", TestResult::Failed),
            ("Tests:       1 failed, 4 passed, 5 total", "jest", TestResult::Failed),
            ("Tests:       5 passed, 5 total", "jest", TestResult::Passed),
            ("ok  \texample.com/pkg\t0.01s", "go test", TestResult::Passed),
            ("FAIL\texample.com/pkg\t0.01s", "go test", TestResult::Failed),
            ("tests passed", "tests", TestResult::Passed),
        ];
        for (line, runner, result) in cases {
            let run = test_run(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((run.runner.as_str(), run.result), (runner, result), "{line}");
        }
        for line in ["compiling", "3 passed", "all good", "okay", ""] {
            assert!(test_run(line).is_none(), "{line}");
        }
    }

    #[test]
    fn risks_name_what_to_check() {
        let files = vec![
            SummaryFile { path: "src/a.rs".into(), change: FileChange::Modified, insertions: 5, deletions: 300 },
            SummaryFile {
                path: ".github/workflows/ci.yml".into(),
                change: FileChange::Modified,
                insertions: 1,
                deletions: 0,
            },
            SummaryFile { path: "old.rs".into(), change: FileChange::Deleted, insertions: 0, deletions: 3 },
        ];
        let risks = risks(&files, &["docs/x.md".to_owned()], &[]);
        let kinds: Vec<&str> = risks.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["outside_claim", "large_deletion", "sensitive_path", "no_tests"]);
        assert_eq!(risks[1].paths, ["src/a.rs", "old.rs"]);
        let failed = [test_run("test result: FAILED. 0 passed; 1 failed").unwrap()];
        let kinds: Vec<String> = super::risks(&files[..1], &[], &failed).into_iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["large_deletion", "tests_failed"]);
        assert!(super::risks(&[], &[], &[]).is_empty());
    }

    #[test]
    fn the_paragraph_reads_plainly() {
        let files =
            [SummaryFile { path: "src/lib.rs".into(), change: FileChange::Modified, insertions: 4, deletions: 1 }];
        let tests = [test_run("test result: ok. 3 passed").unwrap()];
        let questions = ["should the old API stay?".to_owned()];
        let facts = Facts {
            state: "completed",
            agent_summary: Some("done"),
            files: &files,
            tests: &tests,
            risks: &[],
            open_questions: &questions,
        };
        assert_eq!(headline(&facts), "The lane changed src/lib.rs (+4 −1), and cargo test passed; it is completed.");
        let text = paragraph(&facts);
        assert!(text.contains("Files: src/lib.rs (modified)."), "{text}");
        assert!(text.contains("No risks found."), "{text}");
        assert!(text.ends_with("Open questions: should the old API stay?."), "{text}");
        assert_eq!(open_question("  Open question: keep v1?"), Some("keep v1?".into()));
        assert_eq!(open_question("Question:"), None);
        assert_eq!(open_question("no question here"), None);
    }
}
