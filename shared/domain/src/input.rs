//! Parsing request bodies so every failure names the offending field.

use serde::de::DeserializeOwned;

/// A body that did not parse: the field at fault (dotted path, or `body`
/// when the document itself is malformed) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The name between the first pair of backticks in a serde message
/// (`missing field `handle``, `unknown field `admin`, expected …`).
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." { name.to_owned() } else { format!("{path}.{name}") }
}

/// Parses JSON into `T`; an empty body counts as `{}`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(FieldError { field: "body".into(), message: "expected a JSON object".into() });
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let field = match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => "body".to_owned(),
            serde_json::error::Category::Data => {
                if message.starts_with("missing field") {
                    // The path points at the object that lacks the field.
                    backticked(&message).map_or(path.clone(), |name| join(&path, name))
                } else if path.is_empty() || path == "." {
                    "body".to_owned()
                } else {
                    path
                }
            }
        };
        let message = match message.find(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        FieldError { field, message }
    })
}

/// Parses `a=1&b=x` into `T` by way of a JSON object of strings.
pub fn parse_query<T: DeserializeOwned>(pairs: impl Iterator<Item = (String, String)>) -> Result<T, FieldError> {
    let mut object = serde_json::Map::new();
    for (k, v) in pairs {
        if object.insert(k.clone(), serde_json::Value::String(v)).is_some() {
            return Err(FieldError { field: k, message: "given more than once".into() });
        }
    }
    parse_json(serde_json::Value::Object(object).to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        tags: Option<Vec<u8>>,
    }

    fn field(body: &str) -> String {
        parse_json::<Outer>(body.as_bytes()).unwrap_err().field
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(field(r#"{}"#), "name");
        assert_eq!(field(r#"{"name": 3}"#), "name");
        assert_eq!(field(r#"{"name": "a", "admin": true}"#), "admin");
        assert_eq!(field(r#"{"name": "a", "inner": {"n": "x"}}"#), "inner.n");
        assert_eq!(field(r#"{"name": "a", "inner": {}}"#), "inner.n");
        assert_eq!(field(r#"{"name": "a", "inner": {"n": 1, "m": 2}}"#), "inner.m");
        assert_eq!(field(r#"{"name": "a", "tags": [1, "x"]}"#), "tags[1]");
        assert_eq!(field(r#"{"name": "#), "body");
        assert_eq!(field(r#"[1]"#), "body");
        assert!(parse_json::<Outer>(b"").unwrap_err().message.contains("name"));
    }

    #[test]
    fn query_strings_parse_like_json_strings() {
        #[derive(Deserialize)]
        struct Q {
            workspace: String,
        }
        let q: Q = parse_query([("workspace".to_owned(), "acme".to_owned())].into_iter()).unwrap();
        assert_eq!(q.workspace, "acme");
        let dup = parse_query::<Q>(
            [("workspace".to_owned(), "a".to_owned()), ("workspace".to_owned(), "b".to_owned())].into_iter(),
        );
        assert_eq!(dup.err().unwrap().field, "workspace");
    }
}
