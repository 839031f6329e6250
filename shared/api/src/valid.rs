//! Parse, don't validate: request fields that carry a rule are newtypes that
//! can only hold a valid value. Each deserialises through `TryFrom`, so a bad
//! value is refused while the body is parsed — the error names the field
//! (`claim[3]`, `labels[1]`) — and a handler holds only valid values. Each
//! one's JSON Schema carries the same bounds, so `docs/openapi.json` states
//! the rule a client must keep.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

/// Declares a string newtype: its rule (`fn(&str) -> Result<(), String>`,
/// run after `normalize` when one is given) and its JSON Schema.
macro_rules! rule_string {
    ($(#[$doc:meta])* $name:ident, rule: $rule:path, schema: $schema:tt $(, normalize: $normalize:expr)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, String> {
                $(let value = $normalize(value);)?
                $rule(&value)?;
                Ok(Self(value))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = String;

            fn try_from(value: &str) -> Result<Self, String> {
                Self::try_from(value.to_owned())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

// ---------------------------------------------------------------- the rules

/// A workspace handle: 3–40 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
pub fn handle_rule(h: &str) -> Result<(), String> {
    let ok_chars = h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(3..=40).contains(&h.len()) || !ok_chars || h.starts_with('-') || h.ends_with('-') {
        return Err("must be 3-40 lowercase letters, digits or dashes, not starting or ending with a dash".into());
    }
    Ok(())
}

/// A DNS domain such as `example.com` (lowercase, at least one dot).
pub fn domain_rule(d: &str) -> Result<(), String> {
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    if d.len() > 253 || !d.contains('.') || !labels_ok {
        return Err("must be a lowercase domain name such as example.com".into());
    }
    Ok(())
}

/// An email address (local part of 1–64 characters without spaces) whose
/// domain is a valid [`domain_rule`] once lowercased.
pub fn email_rule(email: &str) -> Result<(), String> {
    let (local, domain_part) = email.rsplit_once('@').ok_or("must be an email address")?;
    if local.is_empty() || local.chars().count() > 64 || local.contains(char::is_whitespace) {
        return Err("must be an email address".into());
    }
    domain_rule(&domain_part.to_ascii_lowercase()).map_err(|_| "must be an email address with a valid domain".into())
}

/// A short machine word — harness kinds, labels, capabilities: 1–64 of
/// `a-z`, `0-9`, `-`, `_`, `.`, `:`. Lanes and harnesses share this alphabet
/// so any lane label can be matched by a harness label.
pub fn word_rule(w: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&w.len())
        && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.:".contains(&b));
    if ok { Ok(()) } else { Err("must be 1-64 of a-z, 0-9, `-`, `_`, `.`, `:`".into()) }
}

/// A short free-text name: 1–100 characters, not blank, no control characters.
pub fn name_rule(n: &str) -> Result<(), String> {
    if n.trim().is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err("must be 1-100 characters without control characters".into());
    }
    Ok(())
}

/// A repository as the harness resolves it: 1–200 characters, no whitespace or control characters.
pub fn repository_rule(r: &str) -> Result<(), String> {
    if !(1..=200).contains(&r.chars().count()) || r.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("must be 1-200 characters without spaces".into());
    }
    Ok(())
}

/// A real calendar day written `YYYY-MM-DD`.
pub fn day_rule(d: &str) -> Result<(), String> {
    let ok = d.len() == 10 && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok();
    if !ok {
        return Err("must be a day written YYYY-MM-DD".into());
    }
    Ok(())
}

/// A path in a repository: 1–1024 bytes, relative, no control characters.
pub fn path_rule(p: &str) -> Result<(), String> {
    if p.is_empty() || p.len() > 1024 || p.starts_with('/') || p.chars().any(char::is_control) {
        return Err("must be a relative path of 1-1024 bytes without control characters".into());
    }
    Ok(())
}

/// A path glob relative to the repository root: `*` within a segment, `**`
/// as a whole segment; no classes, braces or escapes (so overlap is exact).
/// Wildcard characters (`*`, `?`; `**` counts two) one glob may hold: enough for any real scope,
/// few enough that no pair of globs is expensive to compare.
pub const MAX_GLOB_WILDCARDS: usize = 16;

pub fn glob_rule(glob: &str) -> Result<(), String> {
    if glob.is_empty() || glob.chars().count() > 512 {
        return Err("must be 1-512 characters".into());
    }
    if glob.starts_with('/') {
        return Err("must be relative to the repository root (no leading `/`)".into());
    }
    if glob.contains(['[', ']', '{', '}', '\\']) || glob.chars().any(char::is_control) {
        return Err("character classes, braces, backslashes and control characters are not supported".into());
    }
    for segment in glob.split('/') {
        if segment.is_empty() {
            return Err("has an empty path segment".into());
        }
        if segment == "." || segment == ".." {
            return Err("must not contain `.` or `..` segments".into());
        }
        if segment.contains("**") && segment != "**" {
            return Err("`**` must be a whole segment".into());
        }
    }
    let wildcards = glob.matches(['*', '?']).count();
    if wildcards > MAX_GLOB_WILDCARDS {
        return Err(format!("has {wildcards} wildcards; at most {MAX_GLOB_WILDCARDS} are allowed"));
    }
    Ok(())
}

/// A registered tool's name: 1–64 of letters, digits, `_`, `-`, `.`.
pub fn tool_name_rule(n: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if ok { Ok(()) } else { Err("must be 1-64 of letters, digits, `_`, `-`, `.`".into()) }
}

/// An `http://` or `https://` URL with a host, at most 2048 bytes.
pub fn http_url_rule(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let ok = url.len() <= 2048
        && rest.is_some_and(|r| {
            !r.is_empty() && !r.starts_with('/') && !r.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if ok { Ok(()) } else { Err("must be an http:// or https:// URL".into()) }
}

/// An outbound event type or family: `lane.completed`, `lane.*`, or `*` for every event.
pub fn event_filter_rule(f: &str) -> Result<(), String> {
    let ok_segment = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let segments: Vec<&str> = f.split('.').collect();
    let last = segments.len() - 1;
    let ok = f.len() <= 100
        && (f == "*" || segments.iter().enumerate().all(|(i, s)| ok_segment(s) || (*s == "*" && i == last && i > 0)));
    if ok { Ok(()) } else { Err("must be an event type such as `lane.completed`, `lane.*` or `*`".into()) }
}

/// A webhook signing secret a user chooses: 16–200 printable ASCII characters.
pub fn webhook_secret_rule(s: &str) -> Result<(), String> {
    let ok = (16..=200).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
    if ok { Ok(()) } else { Err("must be 16-200 printable characters without spaces".into()) }
}

fn text_rule<const MAX: usize>(t: &str) -> Result<(), String> {
    if t.trim().is_empty() || t.chars().count() > MAX {
        return Err(format!("must be 1-{MAX} characters"));
    }
    Ok(())
}

// ---------------------------------------------------------------- the types

rule_string!(
    /// A workspace handle: 3–40 lowercase letters, digits and dashes.
    Handle, rule: handle_rule,
    schema: {"type": "string", "minLength": 3, "maxLength": 40, "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"}
);
rule_string!(
    /// A lowercase DNS domain such as `example.com` (surrounding spaces and case are normalised).
    Domain, rule: domain_rule,
    schema: {"type": "string", "maxLength": 300, "pattern": "^\\s*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\\s*$"},
    normalize: |v: String| v.trim().to_ascii_lowercase()
);
rule_string!(
    /// An email address (surrounding spaces are dropped).
    Email, rule: email_rule,
    schema: {"type": "string", "minLength": 3, "maxLength": 300, "pattern": "^\\s*\\S{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\\s*$"},
    normalize: |v: String| v.trim().to_owned()
);
rule_string!(
    /// A machine word (harness kind, label, capability): 1–64 of `a-z 0-9 - _ . :`.
    Word, rule: word_rule,
    schema: {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z0-9_.:-]+$"}
);
rule_string!(
    /// A short human name: 1–100 characters, no control characters.
    Name, rule: name_rule,
    schema: {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"}
);
rule_string!(
    /// The repository a harness works in (a name it resolves locally).
    Repository, rule: repository_rule,
    schema: {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$"}
);
rule_string!(
    /// A path glob relative to the repository root (`src/**`, `docs/*.md`).
    Glob, rule: glob_rule,
    schema: {"type": "string", "minLength": 1, "maxLength": 512, "pattern": "^(?!(?:[^*?]*[*?]){17})(?!/)(?!.*//)(?!.*/$)(?!(.*/)?\\.\\.?(/|$))(?!.*[^/]\\*\\*)(?!.*\\*\\*[^/])[^\\[\\]{}\\\\\\u0000-\\u001f\\u007f-\\u009f]+$"}
);
rule_string!(
    /// A calendar day, `YYYY-MM-DD`.
    Day, rule: day_rule,
    schema: {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
);
rule_string!(
    /// A file path relative to the repository root.
    RelPath, rule: path_rule,
    schema: {"type": "string", "minLength": 1, "maxLength": 1024, "pattern": "^[^/\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"}
);
rule_string!(
    /// A registered tool's name: 1–64 of letters, digits, `_`, `-`, `.`.
    ToolName, rule: tool_name_rule,
    schema: {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_.-]+$"}
);
rule_string!(
    /// An `http://` or `https://` URL.
    HttpUrl, rule: http_url_rule,
    schema: {"type": "string", "maxLength": 2048, "pattern": "^https?://[^/\\s\\u0000-\\u001f\\u007f-\\u009f][^\\s\\u0000-\\u001f\\u007f-\\u009f]*$"}
);
rule_string!(
    /// A lane's brief: 1–100 000 bytes, not blank.
    Brief, rule: text_rule::<100_000>,
    schema: {"type": "string", "minLength": 1, "maxLength": 100_000, "pattern": "[^\\s\\u0085]"}
);
rule_string!(
    /// An interrupt's message: 1–20 000 bytes, not blank.
    Message, rule: text_rule::<20_000>,
    schema: {"type": "string", "minLength": 1, "maxLength": 20_000, "pattern": "[^\\s\\u0085]"}
);
rule_string!(
    /// A tool's description: 1–4 000 bytes, not blank.
    Description, rule: text_rule::<4_000>,
    schema: {"type": "string", "minLength": 1, "maxLength": 4_000, "pattern": "[^\\s\\u0085]"}
);

rule_string!(
    /// An outbound event type (`lane.completed`) or family (`lane.*`); `*` is every event.
    EventFilter, rule: event_filter_rule,
    schema: {"type": "string", "maxLength": 100, "pattern": "^(\\*|[a-z_]+(\\.[a-z_]+)*(\\.\\*)?)$"}
);
rule_string!(
    /// A webhook signing secret: 16–200 printable ASCII characters.
    WebhookSecret, rule: webhook_secret_rule,
    schema: {"type": "string", "minLength": 16, "maxLength": 200, "pattern": "^[!-~]+$"}
);

impl Email {
    /// The address's domain, lowercased.
    pub fn domain(&self) -> Domain {
        let domain = self.0.rsplit_once('@').map_or("", |(_, d)| d).to_ascii_lowercase();
        Domain(domain)
    }
}

/// A point in time bounding a range: an RFC 3339 time or a `YYYY-MM-DD` date
/// (midnight UTC), held in the audit log's own format (`…T…Z`, milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TimeBound(String);

impl TimeBound {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TimeBound {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let parsed = chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
            })
            .map_err(|_| "must be an RFC 3339 time or a YYYY-MM-DD date".to_owned())?;
        Ok(Self(parsed.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()))
    }
}

impl<'de> Deserialize<'de> for TimeBound {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for TimeBound {
    fn schema_name() -> Cow<'static, str> {
        "TimeBound".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An RFC 3339 time, or a YYYY-MM-DD date (midnight UTC).",
            "type": "string",
            "anyOf": [{"format": "date-time"}, {"format": "date"}],
        })
    }
}

/// A tool's input schema: a JSON object that is itself a valid JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct InputSchema(serde_json::Value);

impl InputSchema {
    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

impl TryFrom<serde_json::Value> for InputSchema {
    type Error = String;

    fn try_from(value: serde_json::Value) -> Result<Self, String> {
        if !value.is_object() {
            return Err("must be a JSON Schema object".into());
        }
        jsonschema::meta::validate(&value).map_err(|e| format!("is not a valid JSON Schema: {e}"))?;
        Ok(Self(value))
    }
}

impl<'de> Deserialize<'de> for InputSchema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::try_from(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for InputSchema {
    fn schema_name() -> Cow<'static, str> {
        "InputSchema".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "object", "description": "A JSON Schema (draft 2020-12 unless `$schema` says otherwise)."})
    }
}

/// An integer in `MIN..=MAX`. Also accepts the number as a string, since
/// query strings carry numbers as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Ranged<const MIN: u64, const MAX: u64>(u64);

impl<const MIN: u64, const MAX: u64> Ranged<MIN, MAX> {
    pub const fn get(self) -> u64 {
        self.0
    }

    pub fn new(value: u64) -> Result<Self, String> {
        if (MIN..=MAX).contains(&value) {
            Ok(Self(value))
        } else if MAX == u64::MAX {
            Err(format!("must be at least {MIN}"))
        } else {
            Err(format!("must be between {MIN} and {MAX}"))
        }
    }
}

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Ranged<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Number {
            Integer(u64),
            /// `5.0` is an integer to JSON Schema.
            Float(f64),
            Text(String),
        }
        let not_integer = || serde::de::Error::custom("expected a non-negative integer");
        // A missing field keeps serde's own message, which names it.
        let value = match Number::deserialize(d)
            .map_err(|e: D::Error| if e.to_string().starts_with("missing field") { e } else { not_integer() })?
        {
            Number::Integer(n) => n,
            Number::Float(f) if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 => f as u64,
            Number::Float(_) => return Err(not_integer()),
            Number::Text(t) => t.trim().parse().map_err(|_| not_integer())?,
        };
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

impl<const MIN: u64, const MAX: u64> JsonSchema for Ranged<MIN, MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Ranged_{MIN}_{MAX}").into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        if MAX == u64::MAX {
            json_schema!({"type": "integer", "minimum": MIN})
        } else {
            json_schema!({"type": "integer", "minimum": MIN, "maximum": MAX})
        }
    }
}

/// For `Option<u64>` fields (`deserialize_with = "optional_at_least::<_, 1>"`):
/// a [`Ranged`] from `MIN`, kept as a plain number for the handler.
pub fn optional_at_least<'de, D: Deserializer<'de>, const MIN: u64>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<Ranged<MIN, { u64::MAX }>>::deserialize(d)?.map(Ranged::get))
}

/// For `Option<bool>` fields: `true` / `false`, or the same as text (query strings carry text).
pub fn optional_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrText {
        Bool(bool),
        Text(String),
    }
    match Option::<BoolOrText>::deserialize(d)? {
        None => Ok(None),
        Some(BoolOrText::Bool(b)) => Ok(Some(b)),
        Some(BoolOrText::Text(t)) => match t.as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom("expected true or false")),
        },
    }
}

/// A list of `MIN..=MAX` items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct List<T, const MIN: usize, const MAX: usize>(Vec<T>);

impl<T, const MIN: usize, const MAX: usize> List<T, MIN, MAX> {
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T, const MIN: usize, const MAX: usize> Default for List<T, MIN, MAX> {
    /// The empty list (for optional fields; only meaningful when `MIN` is 0).
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T, const MIN: usize, const MAX: usize> std::ops::Deref for List<T, MIN, MAX> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: AsRef<str>, const MIN: usize, const MAX: usize> List<T, MIN, MAX> {
    /// The items as plain strings (for storage).
    pub fn strings(&self) -> Vec<String> {
        self.0.iter().map(|t| t.as_ref().to_owned()).collect()
    }
}

impl<'de, T: Deserialize<'de>, const MIN: usize, const MAX: usize> Deserialize<'de> for List<T, MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(d)?;
        if !(MIN..=MAX).contains(&items.len()) {
            let message = match (MIN, MAX) {
                (0, max) => format!("at most {max} entries"),
                (min, usize::MAX) => format!("must list at least {min}"),
                (min, max) => format!("must list {min}-{max} entries"),
            };
            return Err(serde::de::Error::custom(message));
        }
        Ok(Self(items))
    }
}

impl<T: JsonSchema, const MIN: usize, const MAX: usize> JsonSchema for List<T, MIN, MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("List_{}_{MIN}_{MAX}", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let items = generator.subschema_for::<T>();
        if MAX == usize::MAX {
            json_schema!({"type": "array", "items": items, "minItems": MIN})
        } else {
            json_schema!({"type": "array", "items": items, "minItems": MIN, "maxItems": MAX})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn handles() {
        assert!(Handle::try_from("acme-labs").is_ok());
        for bad in ["ab", "Acme", "-acme", "acme-", "ac me", &"a".repeat(41)] {
            assert!(Handle::try_from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_and_domains() {
        let email = Email::try_from(" Ada@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ada@Example.COM");
        assert_eq!(email.domain().as_str(), "example.com");
        for bad in ["ada", "@example.com", "ada@", "ada@localhost", "a da@example.com", "ada@exa_mple.com"] {
            assert!(Email::try_from(bad).is_err(), "{bad}");
        }
        assert!(Domain::try_from("sub.example.co.uk").is_ok());
        assert!(Domain::try_from("example").is_err());
        assert_eq!(Domain::try_from(" Example.COM ").unwrap().as_str(), "example.com");
    }

    #[test]
    fn words_names_and_texts() {
        assert!(Word::try_from("gpu:a100").is_ok());
        for bad in ["", "GPU", "a b", &"a".repeat(65)] {
            assert!(Word::try_from(bad).is_err(), "{bad}");
        }
        assert!(Name::try_from("scim sync").is_ok());
        assert!(Name::try_from("  ").is_err());
        assert!(Name::try_from("a\nb").is_err());
        assert!(Brief::try_from(" ").unwrap_err().contains("1-100000 characters"));
        assert!(Repository::try_from("a repo").is_err());
    }

    #[test]
    fn globs() {
        for ok in ["src/**", "docs/*.md", "**", "a/**/b"] {
            assert!(Glob::try_from(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/abs", "a//b", "a/../b", "src/[ab]", "a**b/c", "x{1,2}"] {
            assert!(Glob::try_from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_and_tool_names() {
        assert!(HttpUrl::try_from("https://tools.example.com/mcp").is_ok());
        for bad in ["ftp://x", "https://", "https:///x", "http://a b"] {
            assert!(HttpUrl::try_from(bad).is_err(), "{bad}");
        }
        assert!(ToolName::try_from("fs.read_file").is_ok());
        assert!(ToolName::try_from("fs read").is_err());
    }

    /// The schema a client sees must accept exactly what the rule accepts,
    /// or a fuzzer (and a client generating valid data) is misled.
    #[test]
    fn each_schema_agrees_with_its_rule() {
        fn agree<T: JsonSchema + TryFrom<String>>(samples: &[&str]) {
            let schema = schemars::schema_for!(T).to_value();
            for s in samples {
                let by_schema = jsonschema::is_valid(&schema, &serde_json::json!(s));
                let by_rule = T::try_from((*s).to_owned()).is_ok();
                assert_eq!(
                    by_schema,
                    by_rule,
                    "{}: {s:?} schema says {by_schema}, rule says {by_rule}",
                    T::schema_name()
                );
            }
        }
        let odd = ["", " ", "a", "-", "\u{1}", "\u{85}", "a b", "é", "\t", "a\nb", "..", "/", "//"];
        agree::<Handle>(&[&odd[..], &["acme", "ac", "-acme", "acme-", "ACME", "a-b-c", &"a".repeat(41)]].concat());
        agree::<Domain>(
            &[
                &odd[..],
                &[
                    "example.com",
                    " Example.COM ",
                    "-a.com",
                    "a-.com",
                    "a..com",
                    "com",
                    &format!("{}.com", "a".repeat(64)),
                ],
            ]
            .concat(),
        );
        agree::<Email>(
            &[
                &odd[..],
                &[
                    "a@example.com",
                    " A@Example.com ",
                    "a@b@example.com",
                    "a b@example.com",
                    "@example.com",
                    "a@localhost",
                    &format!("{}@x.com", "a".repeat(65)),
                ],
            ]
            .concat(),
        );
        agree::<Word>(&[&odd[..], &["gpu:a100", "claude-code", "GPU", &"a".repeat(65)]].concat());
        agree::<Name>(&[&odd[..], &["scim sync", " x ", "a\u{9f}b", &"é".repeat(100), &"é".repeat(101)]].concat());
        agree::<Repository>(&[&odd[..], &["org/repo", "repo\u{7f}", &"r".repeat(201)]].concat());
        agree::<Glob>(
            &[
                &odd[..],
                &[
                    "src/**",
                    "docs/*.md",
                    "**",
                    "a/**/b",
                    "a//b",
                    "a/",
                    "/a",
                    "a/../b",
                    "./a",
                    "a/.",
                    "src/[ab]",
                    "a**b",
                    "***",
                    "**a",
                    "a**",
                    "x{1,2}",
                    "a\\b",
                    ".hidden/x",
                    "a..b",
                    &"*a".repeat(16),
                    &"*a".repeat(17),
                    "a/**/b/**/c/?/d*e/*f*/**/g??",
                ],
            ]
            .concat(),
        );
        agree::<ToolName>(&[&odd[..], &["fs.read_file", "fs read", &"t".repeat(65)]].concat());
        agree::<HttpUrl>(
            &[
                &odd[..],
                &[
                    "https://tools.example.com/mcp",
                    "http://a",
                    "ftp://x",
                    "https://",
                    "https:///x",
                    "http://a b",
                    "http://a\u{1}",
                ],
            ]
            .concat(),
        );
        agree::<Brief>(&[&odd[..], &["do it", "\n\n", &"é".repeat(100_000), &"é".repeat(100_001)]].concat());
    }

    #[test]
    fn ranges_and_lists_refuse_while_parsing() {
        assert_eq!(parse::<Ranged<1, 10>>("3").unwrap().get(), 3);
        assert_eq!(parse::<Ranged<1, 10>>("\"7\"").unwrap().get(), 7);
        assert!(parse::<Ranged<1, 10>>("11").unwrap_err().contains("between 1 and 10"));
        assert!(parse::<Ranged<1, { u64::MAX }>>("0").unwrap_err().contains("at least 1"));
        assert!(parse::<Ranged<1, 10>>("-1").is_err());
        assert_eq!(parse::<List<Word, 1, 3>>(r#"["a","b"]"#).unwrap().len(), 2);
        assert!(parse::<List<Word, 1, 3>>("[]").unwrap_err().contains("1-3"));
        assert!(parse::<List<Word, 0, 1>>(r#"["a","b"]"#).unwrap_err().contains("at most 1"));
        assert!(parse::<List<Word, 0, 3>>(r#"["a","B"]"#).is_err());
    }
}
