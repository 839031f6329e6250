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
///
/// Linear or bounded-quadratic, never backtracking: when both patterns hold a
/// `*`, a common match exists iff their literal starts agree and their literal
/// ends agree (a string made of the longer start, both middles and the longer
/// end matches both). When one is `*`-free it fixes the length, and the other's
/// pieces between stars are placed leftmost in order (greedy is optimal: a
/// piece placed earlier leaves the most room for the next).
fn segment_overlap(x: &str, y: &str) -> bool {
    let x: Vec<char> = x.chars().collect();
    let y: Vec<char> = y.chars().collect();
    match (x.contains(&'*'), y.contains(&'*')) {
        (false, false) => x.len() == y.len() && agree(&x, &y),
        (true, false) => fits(&x, &y),
        (false, true) => fits(&y, &x),
        (true, true) => {
            let (x_start, x_end) = ends(&x);
            let (y_start, y_end) = ends(&y);
            let n = x_start.len().min(y_start.len());
            let m = x_end.len().min(y_end.len());
            agree(&x_start[..n], &y_start[..n]) && agree(&x_end[x_end.len() - m..], &y_end[y_end.len() - m..])
        }
    }
}

/// Whether two equally long runs of characters can be the same string.
fn agree(a: &[char], b: &[char]) -> bool {
    a.iter().zip(b).all(|(p, q)| *p == '?' || *q == '?' || p == q)
}

/// The characters before the first `*` and after the last.
fn ends(pattern: &[char]) -> (&[char], &[char]) {
    let first = pattern.iter().position(|c| *c == '*').unwrap_or(pattern.len());
    let last = pattern.iter().rposition(|c| *c == '*').map_or(pattern.len(), |i| i + 1);
    (&pattern[..first], &pattern[last..])
}

/// Whether the `*` pattern `starred` can match a string the `*`-free `fixed` matches.
fn fits(starred: &[char], fixed: &[char]) -> bool {
    let pieces: Vec<&[char]> = starred.split(|c| *c == '*').collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if first.len() + last.len() > fixed.len()
        || !agree(first, &fixed[..first.len()])
        || !agree(last, &fixed[fixed.len() - last.len()..])
    {
        return false;
    }
    let mut at = first.len();
    let end = fixed.len() - last.len();
    for piece in &pieces[1..pieces.len() - 1] {
        let found = (at..=end.saturating_sub(piece.len()))
            .take_while(|start| start + piece.len() <= end)
            .find(|start| agree(piece, &fixed[*start..*start + piece.len()]));
        match found {
            Some(start) => at = start + piece.len(),
            None => return false,
        }
    }
    true
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

    /// The exhaustive (memoised, quadratic) decision the fast one must agree with.
    fn oracle(x: &str, y: &str) -> bool {
        fn go(x: &[char], y: &[char], i: usize, j: usize, memo: &mut HashMap<(usize, usize), bool>) -> bool {
            if let Some(&known) = memo.get(&(i, j)) {
                return known;
            }
            let result = match (x.get(i), y.get(j)) {
                (None, None) => true,
                (Some('*'), _) if go(x, y, i + 1, j, memo) => true,
                (_, Some('*')) if go(x, y, i, j + 1, memo) => true,
                (Some('*'), Some(_)) => go(x, y, i, j + 1, memo),
                (Some(_), Some('*')) => go(x, y, i + 1, j, memo),
                (Some(p), Some(q)) => (*p == '?' || *q == '?' || p == q) && go(x, y, i + 1, j + 1, memo),
                _ => false,
            };
            memo.insert((i, j), result);
            result
        }
        let x: Vec<char> = x.chars().collect();
        let y: Vec<char> = y.chars().collect();
        go(&x, &y, 0, 0, &mut HashMap::new())
    }

    #[test]
    fn the_fast_segment_check_agrees_with_the_exhaustive_one() {
        // Every pattern of up to 4 characters over a small alphabet, against every other.
        let alphabet = ['a', 'b', '*', '?'];
        let mut patterns = Vec::new();
        for len in 1..=4u32 {
            for n in 0..4usize.pow(len) {
                let p: String = (0..len).map(|k| alphabet[(n / 4usize.pow(k)) % 4]).collect();
                patterns.push(p);
            }
        }
        for x in &patterns {
            for y in &patterns {
                assert_eq!(segment_overlap(x, y), oracle(x, y), "`{x}` / `{y}`");
            }
        }
    }

    #[test]
    fn star_heavy_globs_are_decided_in_linear_time() {
        let a = "*a".repeat(255);
        let b = "*b".repeat(255);
        let started = std::time::Instant::now();
        for _ in 0..100 {
            assert!(!overlap(&a, &b));
        }
        let fixed = "a".repeat(255);
        let pieces = format!("*{}b*", "a".repeat(100));
        assert!(!overlap(&pieces, &fixed));
        // Reported, not asserted: a benchmark, not a timed test.
        eprintln!("100 star-heavy comparisons: {:?}", started.elapsed());
    }

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
