//! Mandates (issue 11): rules checked against the code a lane changed — a
//! pattern no added line may match, or a path no change may touch — each
//! blocking or a warning. Patterns are Rust `regex` (finite automata: linear
//! in the text, whatever the pattern), so a workspace's rule cannot stall a
//! request. A violation names the rule, the file and the line, never the
//! matched text: what it caught may be a secret.

use regex::Regex;
use switchyard_api::{MandateCheck, MandateRule, Severity, Violation};

use crate::glob;

/// Longest pattern a rule may hold, and the most a compiled one may take.
const MAX_PATTERN: usize = 1000;
const MAX_COMPILED_BYTES: usize = 1 << 20;

/// The built-in pack every workspace starts with (each can be switched off by name).
pub fn builtins() -> Vec<MandateRule> {
    let rules = serde_json::json!([
        {"name": "no-committed-secrets", "severity": "blocking",
         "message": "A credential is being committed; use the secret store and rotate this one.",
         "check": {"kind": "pattern", "pattern": concat!(
            r"AKIA[0-9A-Z]{16}",
            r"|-----BEGIN (RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY( BLOCK)?-----",
            r"|gh[pousr]_[A-Za-z0-9]{36}",
            r"|xox[abprs]-[A-Za-z0-9-]{10,}",
            r"|sl_(pat|hns)_[A-Za-z0-9_]{20,}",
            r#"|(?i)(api[_-]?key|secret|passw(or)?d|token)["']?\s*[:=]\s*["'][^"'\s]{12,}["']"#)}},
        {"name": "no-raw-sql-building", "severity": "warning",
         "message": "SQL built by string formatting or concatenation; use bound parameters.",
         "check": {"kind": "pattern", "pattern": concat!(
            r#"(?i)(format!\(\s*"|f"|`|"\s*\+|\+\s*")\s*(select\s.+\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from)\b"#,
            r#"|(?i)"(select\s.+\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from)[^"]*"\s*(\+|%\s|\.format\()"#)}},
        {"name": "protected-paths", "severity": "blocking",
         "message": "CI workflows, environment files and keys are changed by people, not agents.",
         "check": {"kind": "path", "paths": [".github/workflows/**", ".env", "**/.env", "**/*.pem", "**/*.key"]}},
    ]);
    serde_json::from_value(rules).expect("the built-in mandates are valid")
}

/// A rule ready to check.
pub struct Compiled<'r> {
    rule: &'r MandateRule,
    pattern: Option<Regex>,
}

/// Compiles a pattern, or says why it cannot be a mandate.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.is_empty() || pattern.len() > MAX_PATTERN {
        return Err(format!("a pattern is 1-{MAX_PATTERN} bytes"));
    }
    regex::RegexBuilder::new(pattern).size_limit(MAX_COMPILED_BYTES).build().map_err(|e| e.to_string())
}

/// Compiles `rules`; an invalid pattern names its rule's index.
pub fn compile(rules: &[MandateRule]) -> Result<Vec<Compiled<'_>>, (usize, String)> {
    rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let pattern = match &rule.check {
                MandateCheck::Pattern { pattern, .. } => Some(compile_pattern(pattern).map_err(|e| (i, e))?),
                MandateCheck::Path { .. } => None,
            };
            Ok(Compiled { rule, pattern })
        })
        .collect()
}

/// A file to check: its path and the lines to look at (1-based number, text).
pub struct FileLines<'f> {
    pub path: &'f str,
    pub lines: Vec<(u32, &'f str)>,
}

/// Every violation in `files`, in rule then file then line order.
pub fn check(rules: &[Compiled<'_>], files: &[FileLines<'_>]) -> Vec<Violation> {
    let mut found = Vec::new();
    for compiled in rules {
        let rule = compiled.rule;
        let violation = |path: &str, line: Option<u32>| Violation {
            rule: rule.name.as_str().to_owned(),
            severity: rule.severity,
            message: rule.message.as_str().to_owned(),
            path: path.to_owned(),
            line,
        };
        for file in files {
            match (&rule.check, &compiled.pattern) {
                (MandateCheck::Path { paths }, _) => {
                    if paths.iter().any(|g| glob::matches(g.as_str(), file.path)) {
                        found.push(violation(file.path, None));
                    }
                }
                (MandateCheck::Pattern { paths, .. }, Some(pattern)) => {
                    if !paths.is_empty() && !paths.iter().any(|g| glob::matches(g.as_str(), file.path)) {
                        continue;
                    }
                    for (number, text) in &file.lines {
                        if pattern.is_match(text) {
                            found.push(violation(file.path, Some(*number)));
                        }
                    }
                }
                (MandateCheck::Pattern { .. }, None) => {}
            }
        }
    }
    found
}

/// How many violations are blocking, and how many warnings.
pub fn tally(violations: &[Violation]) -> (u32, u32) {
    let blocking = violations.iter().filter(|v| v.severity == Severity::Blocking).count();
    let n = |c: usize| u32::try_from(c).unwrap_or(u32::MAX);
    (n(blocking), n(violations.len() - blocking))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(u32, &str)> {
        text.lines().enumerate().map(|(i, l)| (u32::try_from(i + 1).unwrap_or(0), l)).collect()
    }

    fn run<'a>(rules: &'a [MandateRule], path: &'a str, text: &'a str) -> Vec<Violation> {
        let compiled = compile(rules).expect("valid");
        check(&compiled, &[FileLines { path, lines: lines(text) }])
    }

    #[test]
    fn the_builtin_pack_catches_secrets_sql_building_and_protected_paths() {
        let pack = builtins();
        let code = "let region = \"us-east-1\";\nlet key = \"AKIAABCDEFGHIJKLMNOP\";\nok();\n";
        let found = run(&pack, "src/config.rs", code);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].rule.as_str(), found[0].line, found[0].severity),
            ("no-committed-secrets", Some(2), Severity::Blocking)
        );
        assert!(!format!("{found:?}").contains("AKIA"), "a violation never repeats the secret");
        for secret in [
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "token = ghp_0123456789abcdefghijklmnopqrstuvwxyz",
            "password: \"hunter2hunter2\"",
            "API_KEY='abcdef0123456789'",
        ] {
            assert_eq!(run(&pack, "a.txt", secret).len(), 1, "{secret}");
        }
        for fine in
            ["password = os.environ['DB_PASSWORD']", "let token = read_token()?;", "// AKIA is the AWS key prefix"]
        {
            assert!(run(&pack, "a.py", fine).is_empty(), "{fine}");
        }
        let sql = run(&pack, "app.py", "cur.execute(\"SELECT * FROM users WHERE id = \" + user_id)");
        assert_eq!((sql[0].rule.as_str(), sql[0].severity), ("no-raw-sql-building", Severity::Warning));
        assert_eq!(
            run(&pack, "app.rs", "let q = format!(\"DELETE FROM t WHERE id = {id}\");")[0].rule,
            "no-raw-sql-building"
        );
        assert!(run(&pack, "app.rs", "conn.execute(\"DELETE FROM t WHERE id = $1\", &[&id])").is_empty());
        let workflow = run(&pack, ".github/workflows/ci.yml", "on: push");
        assert_eq!((workflow[0].rule.as_str(), workflow[0].line), ("protected-paths", None));
        assert_eq!(run(&pack, "deploy/.env", "")[0].rule, "protected-paths");
    }

    #[test]
    fn patterns_are_scoped_to_paths_and_bad_ones_name_their_rule() {
        let rules: Vec<MandateRule> = serde_json::from_value(serde_json::json!([
            {"name": "no-todo-in-billing", "severity": "warning", "message": "Finish it.",
             "check": {"kind": "pattern", "pattern": "TODO", "paths": ["billing/**"]}},
            {"name": "broken", "severity": "warning", "message": "x", "check": {"kind": "pattern", "pattern": "(unclosed"}},
        ]))
        .expect("rules");
        assert_eq!(compile(&rules).err().map(|(i, _)| i), Some(1));
        let ok = &rules[..1];
        assert_eq!(run(ok, "billing/a.rs", "x\n// TODO")[0].line, Some(2));
        assert!(run(ok, "src/a.rs", "// TODO").is_empty());
        // Linear time: a pattern that makes backtracking engines explode is instant here.
        let evil = compile_pattern("(a+)+$").expect("compiles");
        let text = format!("{}!", "a".repeat(100_000));
        assert!(!evil.is_match(&text));
        assert!(compile_pattern(&"a".repeat(1001)).is_err());
    }
}
