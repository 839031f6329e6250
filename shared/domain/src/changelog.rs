//! Changelog entries from merged pull requests: the category their labels
//! give, the summary their body gives, and the Atom feed a reader follows.

use switchyard_api::ChangelogEntry;

/// Labels that keep a pull request out of an automatic changelog.
pub const SKIP_LABELS: [&str; 3] = ["no-changelog", "skip-changelog", "changelog:skip"];

/// Categories by precedence; the first whose labels a pull request carries wins.
const CATEGORIES: [(&str, &[&str]); 7] = [
    ("Breaking changes", &["breaking", "breaking-change", "breaking change", "semver:major"]),
    ("Security", &["security"]),
    ("Features", &["feature", "enhancement", "feat", "semver:minor"]),
    ("Fixes", &["bug", "fix", "bugfix", "semver:patch"]),
    ("Performance", &["performance", "perf"]),
    ("Documentation", &["docs", "documentation"]),
    ("Deprecations", &["deprecation", "deprecated"]),
];

/// What the changelog files a pull request under.
pub fn category(labels: &[String]) -> &'static str {
    let lower: Vec<String> = labels.iter().map(|l| l.trim().to_ascii_lowercase()).collect();
    CATEGORIES
        .iter()
        .find(|(_, names)| lower.iter().any(|l| names.contains(&l.as_str())))
        .map_or("Other changes", |(name, _)| name)
}

/// Whether a label asks to leave the pull request out of the changelog.
pub fn skipped(labels: &[String]) -> bool {
    labels.iter().any(|l| SKIP_LABELS.contains(&l.trim().to_ascii_lowercase().as_str()))
}

/// The summary: a `Changelog` section of the body if there is one, else its
/// first paragraph (HTML comments and headings skipped), else the title; at
/// most 500 characters.
pub fn summary(title: &str, body: Option<&str>) -> String {
    let body = strip_comments(body.unwrap_or(""));
    let lines: Vec<&str> = body.lines().collect();
    let section = lines
        .iter()
        .position(|l| is_heading(l) && l.to_ascii_lowercase().contains("changelog"))
        .map(|i| lines[i + 1..].iter().take_while(|l| !is_heading(l)).copied().collect::<Vec<_>>().join("\n"));
    let source = section.unwrap_or_else(|| lines.join("\n"));
    let paragraph: Vec<&str> = source
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || is_heading(l))
        .take_while(|l| !l.is_empty() && !is_heading(l))
        .collect();
    let text = if paragraph.is_empty() { title.trim().to_owned() } else { paragraph.join(" ") };
    truncate(&text, 500)
}

fn is_heading(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        rest = rest[start..].find("-->").map_or("", |end| &rest[start + end + 3..]);
    }
    out.push_str(rest);
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

fn xml(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).fold(
        String::with_capacity(text.len()),
        |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
            out
        },
    )
}

/// The Atom (RFC 4287) feed of a workspace's entries, newest first; `self_url`
/// is where the feed is read, `updated` the newest entry's time (or now).
pub fn atom(handle: &str, self_url: &str, updated: &str, entries: &[ChangelogEntry]) -> String {
    let mut feed = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>tag:switchyard,2026:changelog/{h}</id>\n<title>{h} changelog</title>\n<updated>{u}</updated>\n\
         <link rel=\"self\" href=\"{s}\"/>\n<generator>Switchyard</generator>\n",
        h = xml(handle),
        u = xml(updated),
        s = xml(self_url)
    );
    for e in entries {
        feed.push_str(&format!(
            "<entry>\n<id>tag:switchyard,2026:changelog/{h}/{id}</id>\n<title>[{cat}] {title} (#{n})</title>\n\
             <updated>{at}</updated>\n<published>{at}</published>\n<author><name>{author}</name></author>\n\
             <category term=\"{cat}\"/>\n{link}<summary type=\"text\">{summary}</summary>\n</entry>\n",
            h = xml(handle),
            id = xml(e.id.as_str()),
            cat = xml(&e.category),
            title = xml(&e.title),
            n = e.pr_number,
            at = xml(&e.published_at),
            author = xml(e.author.as_deref().unwrap_or(&e.published_by)),
            link = e.url.as_deref().map(|u| format!("<link href=\"{}\"/>\n", xml(u))).unwrap_or_default(),
            summary = xml(&e.summary),
        ));
    }
    feed.push_str("</feed>\n");
    feed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn labels_pick_the_most_important_category() {
        assert_eq!(category(&labels(&["bug", "Breaking Change"])), "Breaking changes");
        assert_eq!(category(&labels(&["enhancement"])), "Features");
        assert_eq!(category(&labels(&["bug", "docs"])), "Fixes");
        assert_eq!(category(&labels(&["chore"])), "Other changes");
        assert!(skipped(&labels(&["No-Changelog"])));
    }

    #[test]
    fn summaries_prefer_a_changelog_section_then_the_first_paragraph() {
        let body =
            "<!-- template -->\n## Why\nBecause.\n\n## Changelog\nLogin works again\nafter a timeout.\n\n## Tests\nx";
        assert_eq!(summary("t", Some(body)), "Login works again after a timeout.");
        assert_eq!(summary("t", Some("First para\nline two.\n\nSecond.")), "First para line two.");
        assert_eq!(summary("The title", Some("<!-- only a comment -->")), "The title");
        assert_eq!(summary("The title", None), "The title");
        assert_eq!(summary("t", Some(&"x".repeat(900))).chars().count(), 500);
    }

    #[test]
    fn atom_escapes_what_it_quotes() {
        let entry = ChangelogEntry {
            id: switchyard_api::ChangelogId::parse("chg_1").unwrap(),
            repository: "o/a".into(),
            pr_number: 7,
            title: "Fix <script> & \"quotes\"".into(),
            summary: "a < b".into(),
            category: "Fixes".into(),
            labels: vec![],
            author: None,
            merge_commit: None,
            url: Some("https://x/?a=1&b=2".into()),
            published_by: "ana".into(),
            published_at: "2026-12-02T00:00:00Z".into(),
        };
        let feed = atom("acme", "https://h/changelog?workspace=acme&format=atom", "2026-12-02T00:00:00Z", &[entry]);
        assert!(feed.contains("Fix &lt;script&gt; &amp; &quot;quotes&quot; (#7)"));
        assert!(feed.contains("href=\"https://x/?a=1&amp;b=2\""));
        assert!(feed.contains("<summary type=\"text\">a &lt; b</summary>"));
        assert!(!feed.contains("<script>"));
    }
}
