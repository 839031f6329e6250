//! Context engine rules: how an entry ranks for a query (full-text relevance
//! blended with path proximity and confidence), how confidence decays with
//! time since an entry was last confirmed, and how a question becomes a
//! safe full-text query.

use crate::glob;

/// Days after which an unconfirmed entry's confidence has halved.
pub const HALF_LIFE_DAYS: f64 = 90.0;
/// Below this confidence an entry is stale: no longer served.
pub const FLOOR: f64 = 0.2;
/// Weights of the ranking blend (they sum to 1).
pub const TEXT_WEIGHT: f64 = 0.5;
pub const PATH_WEIGHT: f64 = 0.3;
pub const CONFIDENCE_WEIGHT: f64 = 0.2;

/// Words too common to say anything about a question.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "i", "in", "is", "it", "of",
    "on", "or", "should", "the", "this", "to", "what", "when", "where", "which", "who", "why", "with", "we",
];

/// The question's words: lowercase letters and digits, without stopwords
/// and repeats, at most 32.
pub fn terms(question: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in question.split(|c: char| !c.is_alphanumeric()).map(str::to_lowercase) {
        if word.len() > 1 && !STOPWORDS.contains(&word.as_str()) && !out.contains(&word) && out.len() < 32 {
            out.push(word);
        }
    }
    out
}

/// An FTS5 `MATCH` expression for the question: its terms quoted and OR-ed,
/// each also as a prefix (`"lint"*` finds `linting`). Quoting means no term
/// is read as FTS syntax. None when the question has no usable term.
pub fn fts_query(question: &str) -> Option<String> {
    let terms = terms(question);
    (!terms.is_empty()).then(|| terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" OR "))
}

/// FTS5's `bm25()` (negative; lower is more relevant) as 0–1, higher better.
pub fn text_score(bm25: f64) -> f64 {
    let s = (-bm25).max(0.0);
    s / (1.0 + s)
}

/// How near an entry's globs are to the queried paths: 1 when a glob covers a
/// path; otherwise the share of the path's directories the glob's literal
/// prefix has in common with it, × 0.8. Returns the best, and why.
pub fn path_proximity(globs: &[String], paths: &[String]) -> (f64, Option<String>) {
    let mut best = (0.0, None);
    for g in globs {
        for p in paths {
            if glob::matches(g, p) {
                return (1.0, Some(format!("{g} covers {p}")));
            }
            let dirs: Vec<&str> = p.split('/').collect();
            let dirs = &dirs[..dirs.len().saturating_sub(1)];
            if dirs.is_empty() {
                continue;
            }
            let literal: Vec<&str> = g.split('/').take_while(|part| !part.contains(['*', '?', '['])).collect();
            let shared = dirs.iter().zip(&literal).take_while(|(a, b)| a == b).count();
            #[allow(clippy::cast_precision_loss)]
            let near = 0.8 * shared as f64 / dirs.len() as f64;
            if near > best.0 {
                best = (near, Some(format!("{g} is near {p}")));
            }
        }
    }
    best
}

/// The ranking blend.
pub fn blend(text: f64, path: f64, confidence: f64) -> f64 {
    TEXT_WEIGHT * text + PATH_WEIGHT * path + CONFIDENCE_WEIGHT * confidence
}

/// The blend when a model's embeddings are in: meaning takes a share from each part.
pub fn blend_semantic(text: f64, semantic: f64, path: f64, confidence: f64) -> f64 {
    0.35 * text + 0.25 * semantic + 0.25 * path + 0.15 * confidence
}

/// Below this cosine an entry is not close enough in meaning to be a candidate by meaning alone.
pub const SEMANTIC_FLOOR: f64 = 0.35;

/// Cosine similarity of two embeddings, clamped to 0–1 (0 for mismatched or empty vectors).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 { 0.0 } else { (dot / (na.sqrt() * nb.sqrt())).clamp(0.0, 1.0) }
}

/// What identifies an embedded text (SHA-256, hex): unchanged text is not embedded again.
pub fn text_hash(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// An embedding as stored: little-endian `f32`s.
pub fn vector_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// [`vector_to_bytes`] back; `None` for a length that is not whole `f32`s.
pub fn vector_from_bytes(b: &[u8]) -> Option<Vec<f32>> {
    b.len().is_multiple_of(4).then(|| b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// Confidence `days` after the entry was last confirmed at `base`.
pub fn decayed(base: f64, days: f64) -> f64 {
    base * 0.5f64.powf(days.max(0.0) / HALF_LIFE_DAYS)
}

/// About how many tokens a text costs an agent (four characters each).
pub fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The question's terms that `text` contains (for `why`).
pub fn matched_terms(question: &str, text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    terms(question).into_iter().filter(|t| text.contains(t.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_become_quoted_prefix_queries() {
        assert_eq!(fts_query("How do we format the Rust code?").unwrap(), r#""format"* OR "rust"* OR "code"*"#);
        assert_eq!(fts_query("the a of ?"), None);
        // FTS syntax in a question is only ever a quoted word.
        assert_eq!(fts_query(r#"NEAR("x" y) OR -zz"#).unwrap(), r#""near"* OR "zz"*"#);
    }

    #[test]
    fn path_proximity_prefers_a_covering_glob_then_a_shared_directory() {
        let globs = vec!["src/billing/**".to_owned()];
        assert_eq!(path_proximity(&globs, &["src/billing/totals.py".into()]).0, 1.0);
        let (near, why) = path_proximity(&globs, &["src/cart/add.py".into()]);
        assert!((near - 0.4).abs() < 1e-9, "{near}");
        assert!(why.unwrap().contains("near"));
        assert_eq!(path_proximity(&globs, &["docs/README.md".into()]).0, 0.0);
        assert_eq!(path_proximity(&[], &["src/x.rs".into()]).0, 0.0);
    }

    #[test]
    fn confidence_halves_every_half_life_and_scores_blend() {
        assert!((decayed(0.8, 0.0) - 0.8).abs() < 1e-9);
        assert!((decayed(0.8, HALF_LIFE_DAYS) - 0.4).abs() < 1e-9);
        assert!(decayed(0.8, 2.0 * HALF_LIFE_DAYS) < FLOOR + 1e-9);
        assert_eq!(text_score(0.0), 0.0);
        assert!((text_score(-3.0) - 0.75).abs() < 1e-9);
        assert!((blend(1.0, 1.0, 1.0) - 1.0).abs() < 1e-9);
        assert!((blend_semantic(1.0, 1.0, 1.0, 1.0) - 1.0).abs() < 1e-9);
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-9);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert_eq!(cosine(&[1.0, 0.0], &[-1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 2.0]), 0.0);
        let v = [0.5f32, -1.25, 3.0];
        assert_eq!(vector_from_bytes(&vector_to_bytes(&v)).unwrap(), v);
        assert!(vector_from_bytes(&[1, 2, 3]).is_none());
        assert_eq!(tokens("12345"), 2);
        assert_eq!(matched_terms("rustfmt config width", "Use rustfmt with max_width 120"), ["rustfmt", "width"]);
    }
}
