//! Path globs for scope claims, and whether two of them can match a common path.
//!
//! Syntax: `/`-separated segments; `**` as a whole segment matches zero or
//! more segments; inside a segment `*` matches any run of characters and `?`
//! one character. Character classes and braces are refused so overlap can be
//! decided exactly: two globs overlap iff some path matches both, which is
//! checked by walking both patterns together (no string-prefix shortcuts).

use std::collections::HashMap;

/// The glob syntax rule lives with the wire type (`switchyard_api::Glob`),
/// so a claim is refused while its request is parsed.
pub use switchyard_api::valid::glob_rule as validate;

/// Whether a path can match both globs (both valid [`switchyard_api::Glob`]s).
pub fn overlap(a: &str, b: &str) -> bool {
    let a: Vec<&str> = a.split('/').collect();
    let b: Vec<&str> = b.split('/').collect();
    let mut memo = HashMap::new();
    segments_overlap(&a, &b, 0, 0, &mut memo)
}

fn segments_overlap(a: &[&str], b: &[&str], i: usize, j: usize, memo: &mut HashMap<(usize, usize), bool>) -> bool {
    if let Some(&known) = memo.get(&(i, j)) {
        return known;
    }
    let result = match (a.get(i), b.get(j)) {
        (None, None) => true,
        // `**` may match zero segments.
        (Some(&"**"), None) => segments_overlap(a, b, i + 1, j, memo),
        (None, Some(&"**")) => segments_overlap(a, b, i, j + 1, memo),
        (None, Some(_)) | (Some(_), None) => false,
        (Some(&"**"), Some(_)) => {
            // `**` matches nothing more, or swallows the segment b produces next.
            segments_overlap(a, b, i + 1, j, memo) || segments_overlap(a, b, i, j + 1, memo)
        }
        (Some(_), Some(&"**")) => segments_overlap(a, b, i, j + 1, memo) || segments_overlap(a, b, i + 1, j, memo),
        (Some(x), Some(y)) => segment_overlap(x, y) && segments_overlap(a, b, i + 1, j + 1, memo),
    };
    memo.insert((i, j), result);
    result
}

/// Whether some non-empty segment matches both single-segment patterns.
fn segment_overlap(x: &str, y: &str) -> bool {
    let x: Vec<char> = x.chars().collect();
    let y: Vec<char> = y.chars().collect();
    let mut memo = HashMap::new();
    chars_overlap(&x, &y, 0, 0, &mut memo)
}

fn chars_overlap(x: &[char], y: &[char], i: usize, j: usize, memo: &mut HashMap<(usize, usize), bool>) -> bool {
    if let Some(&known) = memo.get(&(i, j)) {
        return known;
    }
    let result = match (x.get(i), y.get(j)) {
        (None, None) => true,
        (Some('*'), _) if chars_overlap(x, y, i + 1, j, memo) => true,
        (_, Some('*')) if chars_overlap(x, y, i, j + 1, memo) => true,
        // A star consumes one character produced by the other side (or by another star).
        (Some('*'), Some(_)) => chars_overlap(x, y, i, j + 1, memo),
        (Some(_), Some('*')) => chars_overlap(x, y, i + 1, j, memo),
        (Some(p), Some(q)) => (*p == '?' || *q == '?' || p == q) && chars_overlap(x, y, i + 1, j + 1, memo),
        _ => false,
    };
    memo.insert((i, j), result);
    result
}

/// The literal start of every path `glob` matches: the characters before its
/// first wildcard, less a trailing `/` (a following `**` may match zero
/// segments and take that `/` with it). Two globs can overlap only if one's
/// literal prefix starts the other's ([`prefixes_compatible`]), so storage can
/// narrow the candidates cheaply before [`overlap`] decides exactly.
pub fn literal_prefix(glob: &str) -> &str {
    match glob.find(['*', '?']) {
        Some(end) => glob[..end].strip_suffix('/').unwrap_or(&glob[..end]),
        None => glob,
    }
}

/// Whether one literal prefix starts the other (a necessary condition for overlap).
pub fn prefixes_compatible(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Whether a path matches a glob (used by tests and by the harness's file checks).
pub fn matches(glob: &str, path: &str) -> bool {
    validate(path).is_ok() && !path.contains(['*', '?']) && overlap(glob, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(a: &str, b: &str) -> bool {
        let forward = overlap(a, b);
        assert_eq!(forward, overlap(b, a), "overlap must be symmetric for {a} / {b}");
        forward
    }

    #[test]
    fn overlapping_globs_always_have_compatible_literal_prefixes() {
        let globs = [
            "src/**",
            "src",
            "src/*.rs",
            "src/main.rs",
            "src/**/mod.rs",
            "srcx/**",
            "s*",
            "*",
            "**",
            "a/**/b",
            "a/b",
            "a/?",
            "a/bc/**",
            "a?/**",
            "ab/**",
            "docs/*.md",
            "docs/a.md",
            "**/test.rs",
            "x/**/y/**",
            "x/y",
            "x",
            "src/lib*.rs",
            "src/li?.rs",
            "src/lib.rs",
        ];
        for a in globs {
            for b in globs {
                if both(a, b) {
                    assert!(
                        prefixes_compatible(literal_prefix(a), literal_prefix(b)),
                        "`{a}` and `{b}` overlap but their prefixes `{}` and `{}` look incompatible",
                        literal_prefix(a),
                        literal_prefix(b)
                    );
                }
            }
        }
        assert_eq!(literal_prefix("src/**"), "src");
        assert_eq!(literal_prefix("src/lib*.rs"), "src/lib");
        assert_eq!(literal_prefix("docs/a.md"), "docs/a.md");
        assert_eq!(literal_prefix("**/x"), "");
        assert!(!prefixes_compatible("src", "docs"));
    }

    #[test]
    fn the_issue_examples() {
        assert!(both("src/**", "src/billing/*.rs"));
        assert!(!both("docs/*.md", "src/**"));
        assert!(!both("**/*.rs", "src/a.txt"));
        assert!(both("src/*/mod.rs", "src/net/*"));
    }

    #[test]
    fn not_a_string_prefix_test() {
        assert!(!both("src/bill/**", "src/billing/**"));
        assert!(!both("src/a", "src/ab"));
        assert!(both("src/a*", "src/ab"));
        assert!(both("**", "anything/at/all.txt"));
        assert!(both("src/**/test.rs", "src/**/*.rs"));
        assert!(!both("src/**/*.py", "src/**/*.rs"));
        assert!(both("a/**/b", "a/b"));
        assert!(both("a/**/b/**/c", "a/x/b/c"));
        assert!(!both("a/*/b", "a/b"));
        assert!(both("?.rs", "a.rs"));
        assert!(!both("?.rs", "ab.rs"));
        assert!(both("*a*", "*b*"));
        assert!(!both("*.rs", "*.py"));
        assert!(both("x*y", "*"));
    }

    #[test]
    fn matching_concrete_paths() {
        assert!(matches("src/**", "src/a/b.rs"));
        assert!(matches("src/**", "src"));
        assert!(!matches("src/*.rs", "src/a/b.rs"));
    }

    #[test]
    fn refuses_what_it_cannot_decide() {
        for bad in ["", "/abs", "src//a", "src/../x", "src/[ab].rs", "src/{a,b}", "src/a**"] {
            assert!(validate(bad).is_err(), "{bad}");
        }
        assert!(validate("src/**/*.rs").is_ok());
    }
}
