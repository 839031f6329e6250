//! Every response the suite receives through [`crate::Call`] is checked
//! against the committed OpenAPI document (`docs/openapi.json`): the status
//! must be documented for the operation, the media type too, and a JSON body
//! must validate against the documented schema (a real JSON Schema 2020-12
//! validator). So the whole suite is the conformance test, and a wire change
//! that the document does not carry fails the tests that see it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = crate::workspace_root().join("docs/openapi.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

type Validators = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;

/// A validator for `schema`, whose `$ref`s point into the document's components.
fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(key) {
        return v.clone();
    }
    let mut root = json!({"components": document()["components"]});
    for (k, v) in schema.as_object().into_iter().flatten() {
        root[k] = v.clone();
    }
    let built = Arc::new(jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{key}: bad schema: {e}")));
    cache.lock().unwrap().insert(key.to_owned(), built.clone());
    built
}

/// Follows a `#/components/…` reference.
fn follow(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            document().pointer(pointer).unwrap_or(&Value::Null)
        }
        None => value,
    }
}

/// Checks one response against the document; `Err` says what contradicts it.
/// Paths the document does not list (test components) and methods an
/// operation does not have (answered 405) are not checked.
pub fn check(path: &str, method: &str, status: u16, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    let Some(operation) = document()["paths"].get(path).and_then(|item| item.get(method.to_lowercase())) else {
        return Ok(());
    };
    let what = format!("{method} {path} → {status}");
    let Some(response) = operation["responses"].get(status.to_string()).map(follow) else {
        return Err(format!("{what}: status not documented"));
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return if body.is_empty() { Ok(()) } else { Err(format!("{what}: documented without a body, but has one")) };
    };
    let media = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim();
    let Some(entry) = content.get(media) else {
        let documented: Vec<&String> = content.keys().collect();
        return Err(format!("{what}: content type `{media}` not documented (documented: {documented:?})"));
    };
    let key = format!("{what} {media}");
    match media {
        "application/json" | "application/problem+json" => {
            let instance: Value = serde_json::from_slice(body).map_err(|e| format!("{what}: body is not JSON: {e}"))?;
            validate(&key, &entry["schema"], &instance)
        }
        // Streamed: each line (NDJSON) is checked against the documented item schema.
        "application/x-ndjson" => {
            for (i, line) in body.split(|b| *b == b'\n').enumerate().filter(|(_, l)| !l.is_empty()) {
                let instance: Value =
                    serde_json::from_slice(line).map_err(|e| format!("{what}: line {} is not JSON: {e}", i + 1))?;
                validate(&key, &entry["schema"]["x-item-schema"], &instance)
                    .map_err(|e| format!("line {}: {e}", i + 1))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn validate(key: &str, schema: &Value, instance: &Value) -> Result<(), String> {
    let validator = validator(key, schema);
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at `{}`", e, e.instance_path())).take(5).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{key} contradicts docs/openapi.json: {}\nbody: {instance}", errors.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn contradictions_are_caught() {
        let health = "/functions/v1/health";
        let good = br#"{"status":"ok","database":"ok","region":"us-east-1","version":"0.1.0"}"#;
        assert_eq!(check(health, "GET", 200, Some("application/json"), good), Ok(()));
        let wrong_type = br#"{"status":1,"database":"ok","region":"us-east-1","version":"0.1.0"}"#;
        assert!(check(health, "GET", 200, Some("application/json"), wrong_type).unwrap_err().contains("status"));
        assert!(check(health, "GET", 200, Some("application/json"), b"{}").is_err(), "required fields");
        assert!(check(health, "GET", 299, Some("application/json"), good).unwrap_err().contains("not documented"));
        assert!(check(health, "GET", 200, Some("text/html"), good).unwrap_err().contains("text/html"));
        let error = br#"{"error":{"code":"NOPE","message":"m","request_id":"req_1"}}"#;
        assert!(check(health, "GET", 405, Some("application/json"), error).is_err(), "unknown error code");
        let line = br#"{"type":"header","version":1}"#;
        assert!(check("/functions/v1/audit-log-export", "POST", 200, Some("application/x-ndjson"), line).is_err());
        assert_eq!(check("/functions/v1/not-documented", "GET", 200, None, b"anything"), Ok(()));
    }
}
