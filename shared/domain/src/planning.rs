//! Planning rules: an issue's place in the queue, a prompt template's
//! variables and how they are filled, a review's effect on a version's
//! health, and what makes two signals the same.

use switchyard_api::{IssueType, Priority, QueueScore};

/// The most the queue score's age part adds (one per hour waiting).
pub const MAX_AGE: u32 = 48;
/// The most repeated signals add (two per repeat).
pub const MAX_SIGNALS: u32 = 20;
/// What each point of an active goal's weight (0–3) adds.
pub const GOAL_POINT: u32 = 10;

/// The queue's score: priority first (its steps of 100 are more than the
/// other parts can add together: 48 + 20 + 30), then time waiting, repeats
/// and the weight of the issue's goal while that goal is active.
pub fn score(priority: Priority, waited_secs: u64, signal_count: u64, goal_weight: u32) -> QueueScore {
    let priority = match priority {
        Priority::Urgent => 400,
        Priority::High => 300,
        Priority::Normal => 200,
        Priority::Low => 100,
    };
    let age = u32::try_from(waited_secs / 3600).unwrap_or(MAX_AGE).min(MAX_AGE);
    let signals =
        u32::try_from(signal_count.saturating_sub(1).saturating_mul(2)).unwrap_or(MAX_SIGNALS).min(MAX_SIGNALS);
    let goal = goal_weight.min(3) * GOAL_POINT;
    QueueScore { priority, age, signals, goal, total: priority + age + signals + goal }
}

/// The numeric rank a priority is stored with, for ordering in SQL.
pub fn priority_rank(priority: Priority) -> i64 {
    match priority {
        Priority::Low => 1,
        Priority::Normal => 2,
        Priority::High => 3,
        Priority::Urgent => 4,
    }
}

/// The variables a template may use.
pub const VARIABLES: [&str; 10] = [
    "issue.title",
    "issue.body",
    "issue.number",
    "issue.type",
    "issue.priority",
    "issue.labels",
    "issue.signal_count",
    "project.name",
    "project.repository",
    "project.goal",
];

/// The `{{ name }}` placeholders of a template, in order; an unknown name or
/// an unclosed `{{` is refused, naming it.
pub fn placeholders(template: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("a `{{` is never closed with `}}`")?;
        let name = after[..end].trim();
        if !VARIABLES.contains(&name) {
            return Err(format!("unknown variable `{{{{{name}}}}}`; known: {}", VARIABLES.join(", ")));
        }
        found.push(name.to_owned());
        rest = &after[end + 2..];
    }
    Ok(found)
}

/// Fills a template (already checked by [`placeholders`]); `value` gives each
/// variable's text (empty when the issue has none).
pub fn hydrate(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push_str(&value(after[..end].trim()));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    tidy(&out)
}

/// Trims a filled prompt and closes the gaps empty values leave (at most one blank line in a row).
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim().lines() {
        blank_run = if line.trim().is_empty() { blank_run + 1 } else { 0 };
        if blank_run <= 1 {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_end().to_owned()
}

/// The prompt used when a workspace has no template for an issue's type nor a `default` one.
pub const BUILT_IN_TEMPLATE: &str = "Work on issue #{{issue.number}} ({{issue.type}}, {{issue.priority}} priority): \
{{issue.title}}\n\n{{issue.body}}\n\nMake the change, test it, and summarise what you did.";

/// The template name an issue's type asks for, then the fallback.
pub fn template_names(issue_type: IssueType) -> [&'static str; 2] {
    [issue_type.as_str(), "default"]
}

/// The weight of the newest review in a version's health.
pub const EWMA_ALPHA: f64 = 0.3;

/// A version's health after a review scored `score` (1–5): the first review
/// sets it; each later one moves it by [`EWMA_ALPHA`] of the difference.
pub fn ewma(previous: Option<f64>, score: u64) -> f64 {
    let score = score as f64;
    match previous {
        None => score,
        Some(h) => EWMA_ALPHA.mul_add(score - h, h),
    }
}

/// A signal's fingerprint: the one given, else its title, with case and runs
/// of whitespace and digits (ids, counts, line numbers) evened out so that
/// repeats of one problem match.
pub fn fingerprint(given: Option<&str>, title: &str) -> String {
    if let Some(f) = given {
        return f.trim().to_owned();
    }
    let mut out = String::with_capacity(title.len());
    let mut last = ' ';
    for c in title.trim().chars() {
        let c = if c.is_ascii_digit() { '#' } else { c.to_ascii_lowercase() };
        let c = if c.is_whitespace() { ' ' } else { c };
        if !(c == last && (c == ' ' || c == '#')) {
            out.push(c);
        }
        last = c;
    }
    out
}

/// A Sentry webhook read as a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentrySignal {
    pub title: String,
    pub body: String,
    /// `sentry:<issue id>`: every event of one Sentry issue folds into one issue here.
    pub fingerprint: String,
    pub priority: Priority,
    /// The application's own files in the stack trace, innermost first.
    pub files: Vec<String>,
}

/// Reads a Sentry integration webhook (`Sentry-Hook-Resource` `issue`,
/// `error` or `event_alert`); other resources and actions are none.
pub fn sentry_signal(resource: &str, payload: &serde_json::Value) -> Result<Option<SentrySignal>, String> {
    use serde_json::Value;
    let (object, issue_id) = match resource {
        "issue" => {
            let issue = payload.pointer("/data/issue").ok_or("no `data.issue`")?;
            let id = issue
                .get("id")
                .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())));
            (issue, id)
        }
        "error" | "event_alert" => {
            let key = if resource == "error" { "/data/error" } else { "/data/event" };
            let event = payload.pointer(key).ok_or_else(|| format!("no `{}`", &key[1..].replace('/', ".")))?;
            let id = event
                .get("issue_id")
                .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())));
            (event, id)
        }
        _ => return Ok(None),
    };
    let action = payload.get("action").and_then(Value::as_str).unwrap_or("created");
    if !matches!(action, "created" | "triggered" | "unresolved") {
        return Ok(None);
    }
    let text = |p: &str| object.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let title = text("/title").ok_or("no `title`")?;
    let issue_id = issue_id.ok_or("no issue id")?;
    let priority = match text("/level").as_deref() {
        Some("fatal") => Priority::Urgent,
        Some("error") => Priority::High,
        Some("warning") => Priority::Normal,
        _ => Priority::Low,
    };
    let mut body = String::new();
    if let Some(culprit) = text("/culprit") {
        body.push_str(&format!("Culprit: {culprit}\n"));
    }
    let mut files = Vec::new();
    let exceptions = object.pointer("/exception/values").and_then(Value::as_array).cloned().unwrap_or_default();
    for exception in &exceptions {
        let kind = exception.get("type").and_then(Value::as_str).unwrap_or("Error");
        let value = exception.get("value").and_then(Value::as_str).unwrap_or("");
        body.push_str(&format!("\n{kind}: {value}\n"));
        let frames = exception.pointer("/stacktrace/frames").and_then(Value::as_array).cloned().unwrap_or_default();
        // Sentry lists frames outermost first; the error is in the last.
        for frame in frames.iter().rev() {
            let file = frame.get("filename").and_then(Value::as_str).unwrap_or("?");
            let function = frame.get("function").and_then(Value::as_str).unwrap_or("?");
            let line = frame.get("lineno").and_then(Value::as_u64).map(|n| format!(":{n}")).unwrap_or_default();
            body.push_str(&format!("  at {function} ({file}{line})\n"));
            let in_app = frame.get("in_app").and_then(Value::as_bool).unwrap_or(false);
            if in_app && file != "?" && !files.contains(&file.to_owned()) {
                files.push(file.to_owned());
            }
        }
    }
    if let Some(url) = text("/web_url").or_else(|| text("/permalink")) {
        body.push_str(&format!("\nSentry: {url}\n"));
    }
    Ok(Some(SentrySignal {
        title,
        body: body.trim().to_owned(),
        fingerprint: format!("sentry:{issue_id}"),
        priority,
        files,
    }))
}

/// A PostHog webhook read as a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosthogSignal {
    pub title: String,
    pub body: String,
    /// `posthog:<exception fingerprint>`, else `posthog:<event>:<title evened out>`.
    pub fingerprint: String,
    pub priority: Priority,
    pub issue_type: IssueType,
}

/// Reads a PostHog webhook (`{"event": {"event", "properties", …}, "person": …}`):
/// an `$exception` is a high-priority bug; any other event a normal task
/// named after the event and the page it happened on.
pub fn posthog_signal(payload: &serde_json::Value) -> Result<PosthogSignal, String> {
    use serde_json::Value;
    let event = payload.get("event").filter(|e| e.is_object()).ok_or("no `event` object")?;
    let name = event.get("event").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or("no `event.event`")?;
    let prop = |key: &str| event.pointer(&format!("/properties/{key}")).and_then(Value::as_str).map(str::to_owned);
    let url = prop("$current_url").or_else(|| event.get("url").and_then(Value::as_str).map(str::to_owned));
    let (title, priority, issue_type) = if name == "$exception" {
        let kind = prop("$exception_type").unwrap_or_else(|| "Error".to_owned());
        let message = prop("$exception_message").unwrap_or_default();
        (format!("{kind}: {message}").trim_end_matches([':', ' ']).to_owned(), Priority::High, IssueType::Bug)
    } else {
        let place = url.as_deref().map(|u| format!(" on {u}")).unwrap_or_default();
        (format!("{name}{place}"), Priority::Normal, IssueType::Task)
    };
    let title: String = title.chars().take(200).collect();
    let fingerprint = match prop("$exception_fingerprint") {
        Some(fp) if name == "$exception" => format!("posthog:{fp}"),
        _ => format!("posthog:{name}:{}", fingerprint(None, &title)),
    };
    let mut body = format!("PostHog event `{name}`");
    if let Some(id) = event.get("distinct_id").and_then(Value::as_str) {
        body.push_str(&format!(" from `{id}`"));
    }
    body.push('\n');
    if let Some(url) = &url {
        body.push_str(&format!("Page: {url}\n"));
    }
    if let Some(stack) = prop("$exception_stack_trace_raw") {
        body.push_str(&format!("\n{}\n", stack.chars().take(4000).collect::<String>()));
    }
    if let Some(link) = event.get("url").and_then(Value::as_str).filter(|u| url.as_deref() != Some(*u)) {
        body.push_str(&format!("PostHog: {link}\n"));
    }
    Ok(PosthogSignal { title, body: body.trim().to_owned(), fingerprint, priority, issue_type })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_always_outranks_age_repeats_and_goals() {
        let old_normal = score(Priority::Normal, 10 * 86_400, 1_000, 3);
        let new_high = score(Priority::High, 0, 1, 0);
        assert!(new_high.total > old_normal.total, "{new_high:?} vs {old_normal:?}");
        assert_eq!(old_normal.total, 298);
        assert_eq!(
            score(Priority::Low, 7200, 3, 1),
            QueueScore { priority: 100, age: 2, signals: 4, goal: 10, total: 116 }
        );
        assert_eq!(score(Priority::Urgent, 0, 0, 0).total, 400);
        assert_eq!(score(Priority::Normal, 0, 0, 7).goal, 30);
    }

    #[test]
    fn posthog_exceptions_and_events_become_signals() {
        let exception = serde_json::json!({"event": {"uuid": "0190-a", "event": "$exception", "distinct_id": "u1",
            "properties": {"$exception_type": "TypeError", "$exception_message": "x is undefined on order 81",
                "$current_url": "https://shop.example/checkout", "$exception_fingerprint": "fp-9"}},
            "person": {"properties": {"email": "ann@example.com"}}});
        let s = posthog_signal(&exception).unwrap();
        assert_eq!(s.title, "TypeError: x is undefined on order 81");
        assert_eq!(
            (s.fingerprint.as_str(), s.priority, s.issue_type),
            ("posthog:fp-9", Priority::High, IssueType::Bug)
        );
        assert!(s.body.contains("https://shop.example/checkout"), "{}", s.body);
        let no_fp = serde_json::json!({"event": {"event": "$exception", "properties": {"$exception_type": "E",
            "$exception_message": "timeout after 3000 ms"}}});
        let again = serde_json::json!({"event": {"event": "$exception", "properties": {"$exception_type": "E",
            "$exception_message": "timeout after 45 ms"}}});
        assert_eq!(posthog_signal(&no_fp).unwrap().fingerprint, posthog_signal(&again).unwrap().fingerprint);
        let rage = serde_json::json!({"event": {"event": "$rageclick", "properties": {"$current_url": "https://shop.example/cart"}}});
        let s = posthog_signal(&rage).unwrap();
        assert_eq!((s.title.as_str(), s.issue_type), ("$rageclick on https://shop.example/cart", IssueType::Task));
        assert!(posthog_signal(&serde_json::json!({"hello": 1})).is_err());
    }

    #[test]
    fn templates_name_known_variables_and_fill_them() {
        let t = "Fix {{issue.title}} in {{ project.repository }}.";
        assert_eq!(placeholders(t).unwrap(), ["issue.title", "project.repository"]);
        assert!(placeholders("{{issue.secret}}").unwrap_err().contains("unknown variable `{{issue.secret}}`"));
        assert!(placeholders("{{issue.title").is_err());
        let filled = hydrate(t, |v| if v == "issue.title" { "the login".into() } else { "acme/shop".into() });
        assert_eq!(filled, "Fix the login in acme/shop.");
        assert!(placeholders(BUILT_IN_TEMPLATE).is_ok());
        // A value that looks like a placeholder is not filled again.
        assert_eq!(hydrate("{{issue.title}}", |_| "{{issue.body}}".into()), "{{issue.body}}");
        // Empty values leave no gaps.
        let filled = hydrate(BUILT_IN_TEMPLATE, |v| if v == "issue.body" { String::new() } else { "x".into() });
        assert!(!filled.contains("\n\n\n"), "{filled:?}");
    }

    #[test]
    fn health_is_an_ewma_of_reviews() {
        let h = ewma(None, 4);
        assert_eq!(h, 4.0);
        let h = ewma(Some(h), 1);
        assert!((h - 3.1).abs() < 1e-9, "{h}");
        let h = ewma(Some(h), 5);
        assert!((h - 3.67).abs() < 1e-9, "{h}");
    }

    #[test]
    fn fingerprints_even_out_ids_and_spacing() {
        assert_eq!(
            fingerprint(None, "Timeout  after 3000 ms on ORDER 81"),
            fingerprint(None, "timeout after 45 ms on order 7")
        );
        assert_ne!(fingerprint(None, "timeout on order"), fingerprint(None, "timeout on invoice"));
        assert_eq!(fingerprint(Some(" sentry:123 "), "x"), "sentry:123");
    }

    #[test]
    fn sentry_errors_become_signals_with_their_trace() {
        let payload = serde_json::json!({"action": "created", "data": {"error": {
            "issue_id": "1170820242", "title": "ZeroDivisionError: division by zero", "level": "error",
            "culprit": "billing.totals in compute", "web_url": "https://sentry.io/organizations/acme/issues/1170820242/",
            "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero", "stacktrace": {"frames": [
                {"filename": "venv/lib/flask/app.py", "function": "dispatch", "lineno": 10, "in_app": false},
                {"filename": "src/billing/handlers.py", "function": "invoice", "lineno": 40, "in_app": true},
                {"filename": "src/billing/totals.py", "function": "compute", "lineno": 12, "in_app": true}]}}]}}}});
        let s = sentry_signal("error", &payload).unwrap().unwrap();
        assert_eq!((s.fingerprint.as_str(), s.priority), ("sentry:1170820242", Priority::High));
        assert_eq!(s.files, ["src/billing/totals.py", "src/billing/handlers.py"]);
        assert!(s.body.contains("at compute (src/billing/totals.py:12)"), "{}", s.body);
        let issue =
            serde_json::json!({"action": "created", "data": {"issue": {"id": "7", "title": "boom", "level": "fatal"}}});
        assert_eq!(sentry_signal("issue", &issue).unwrap().unwrap().priority, Priority::Urgent);
        let resolved = serde_json::json!({"action": "resolved", "data": {"issue": {"id": "7", "title": "boom"}}});
        assert_eq!(sentry_signal("issue", &resolved).unwrap(), None);
        assert_eq!(sentry_signal("installation", &serde_json::json!({})).unwrap(), None);
        assert!(sentry_signal("error", &serde_json::json!({"data": {}})).is_err());
    }
}
