//! Spin variables: `[variables]` declarations, component templates such as
//! `"Bearer {{ api_key }}"`, and `SPIN_VARIABLE_<NAME>` environment overrides.
//!
//! Everything is resolved once at start-up, so a missing required variable
//! stops the host with its name instead of failing a request later. Values
//! are never printed: [`Resolved`]'s `Debug` shows names only.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};

use serde::Deserialize;
use wasmtime::component::{HasSelf, Linker};

use super::fermyon::spin::variables as wit;
use crate::state::RequestState;

/// Spin's rule: lowercase ASCII letters, digits and underscores, starting with a letter.
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !starts_with_letter
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        || name.contains("__")
        || name.ends_with('_')
    {
        bail!(
            "invalid variable name `{name}`: use lowercase letters, digits and single underscores, starting with a letter"
        );
    }
    Ok(())
}

enum Part<'t> {
    Text(&'t str),
    Reference(&'t str),
}

fn parse_template(template: &str) -> Result<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unclosed `{{{{` in template `{template}`");
        };
        let name = after[..end].trim();
        check_name(name)?;
        parts.push(Part::Reference(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

/// The application variables a template refers to.
pub fn template_references(template: &str) -> Result<Vec<String>> {
    Ok(parse_template(template)?
        .into_iter()
        .filter_map(|p| match p {
            Part::Reference(name) => Some(name.to_owned()),
            Part::Text(_) => None,
        })
        .collect())
}

/// Where variable values come from, besides manifest defaults.
pub trait Provider {
    fn get(&self, name: &str) -> Option<String>;
}

/// Spin's environment provider: `SPIN_VARIABLE_API_KEY` sets `api_key`.
pub struct Environment;

impl Provider for Environment {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())).ok()
    }
}

impl Provider for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

/// A component's variables with their final values.
#[derive(Default)]
pub struct Resolved(HashMap<String, String>);

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Resolved {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Resolves one template (e.g. an `allowed_outbound_hosts` entry).
pub fn resolve_one(app: &BTreeMap<String, RawVariable>, template: &str, provider: &dyn Provider) -> Result<String> {
    let mut value = String::new();
    for part in parse_template(template)? {
        match part {
            Part::Text(text) => value.push_str(text),
            Part::Reference(reference) => value.push_str(&app_value(app, reference, provider)?),
        }
    }
    Ok(value)
}

/// Resolves one component's templates against the application variables.
pub fn resolve(
    app: &BTreeMap<String, RawVariable>,
    templates: &BTreeMap<String, String>,
    provider: &dyn Provider,
) -> Result<Resolved> {
    let mut values = HashMap::new();
    for (name, template) in templates {
        values.insert(name.clone(), resolve_one(app, template, provider)?);
    }
    Ok(Resolved(values))
}

fn app_value(app: &BTreeMap<String, RawVariable>, name: &str, provider: &dyn Provider) -> Result<String> {
    let Some(decl) = app.get(name) else {
        bail!("variable `{name}` is not declared in [variables]");
    };
    if let Some(value) = provider.get(name) {
        return Ok(value);
    }
    match &decl.default {
        Some(default) => Ok(default.clone()),
        None => bail!("required variable `{name}` has no value: set SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
    }
}

/// An application variable declared in `[variables]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariable {
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// Accepted for Spin compatibility; no variable value is ever printed.
    #[serde(default)]
    #[allow(dead_code)]
    pub secret: bool,
}

pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

impl wit::Host for RequestState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, wit::Error>> {
        if check_name(&name).is_err() {
            return Ok(Err(wit::Error::InvalidName(name)));
        }
        Ok(match self.component.variables.get(&name) {
            Some(value) => Ok(value.to_owned()),
            None => Err(wit::Error::Undefined(format!("no variable named `{name}`"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> BTreeMap<String, RawVariable> {
        let mut app = BTreeMap::new();
        app.insert("region".into(), RawVariable { default: Some("us-east-1".into()), required: false, secret: false });
        app.insert("api_key".into(), RawVariable { default: None, required: true, secret: true });
        app
    }

    fn templates(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_templates_and_overrides() {
        let env: HashMap<String, String> = [("api_key".to_owned(), "s3cret".to_owned())].into();
        let r =
            resolve(&app(), &templates(&[("region", "{{ region }}"), ("auth", "Bearer {{api_key}}!")]), &env).unwrap();
        assert_eq!(r.get("region"), Some("us-east-1"));
        assert_eq!(r.get("auth"), Some("Bearer s3cret!"));
        assert!(!format!("{r:?}").contains("s3cret"), "Debug must not show values");
    }

    #[test]
    fn provider_beats_the_default() {
        let env: HashMap<String, String> = [("region".to_owned(), "eu-west-1".to_owned())].into();
        let r = resolve(&app(), &templates(&[("r", "{{ region }}")]), &env).unwrap();
        assert_eq!(r.get("r"), Some("eu-west-1"));
    }

    #[test]
    fn a_missing_required_variable_names_the_environment_variable() {
        let e = resolve(&app(), &templates(&[("k", "{{ api_key }}")]), &HashMap::new()).unwrap_err().to_string();
        assert!(e.contains("SPIN_VARIABLE_API_KEY"), "{e}");
    }

    #[test]
    fn names() {
        assert!(check_name("api_key2").is_ok());
        for bad in ["", "Api", "2x", "a-b", "a__b", "a_"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(template_references("{{ unclosed").is_err());
    }
}
