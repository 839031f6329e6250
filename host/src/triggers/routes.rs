//! HTTP routing the way Spin does it: exact routes and `/...` wildcards,
//! the most specific match wins, no match is a 404.

use anyhow::{Result, bail};

/// A route from `[[trigger.http]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route as written in the manifest (`/api/...`).
    raw: String,
    /// The route without a trailing `/...` and without a trailing slash (`/api`).
    base: String,
    wildcard: bool,
}

/// The outcome of matching a request path against a route.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteMatch<'r> {
    pub route: &'r Route,
    /// The part of the path after the route's base (`/a/b` for `/api/a/b`).
    pub path_info: String,
}

impl Route {
    pub fn parse(raw: &str) -> Result<Self> {
        if !raw.starts_with('/') {
            bail!("`{raw}` must start with `/`");
        }
        if raw.contains(['?', '#']) {
            bail!("`{raw}` must not contain a query or fragment");
        }
        let (base, wildcard) = match raw.strip_suffix("/...") {
            Some(base) => (base, true),
            None if raw.contains("...") => bail!("`{raw}`: `...` is only allowed as the last segment"),
            None => (raw, false),
        };
        Ok(Self { raw: raw.to_owned(), base: base.trim_end_matches('/').to_owned(), wildcard })
    }

    /// As written in the manifest (Spin's `spin-raw-component-route`).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Without the wildcard (Spin's `spin-component-route`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn matches(&self, path: &str) -> Option<String> {
        let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path };
        if self.wildcard {
            let rest = if self.base.is_empty() { Some(path) } else { path.strip_prefix(&self.base) };
            match rest {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => Some(rest.to_owned()),
                _ => None,
            }
        } else if trimmed == self.base || (self.base.is_empty() && trimmed == "/") {
            Some(String::new())
        } else {
            None
        }
    }

    /// Exact routes beat wildcards; a longer wildcard base beats a shorter one.
    fn specificity(&self) -> (bool, usize) {
        (!self.wildcard, self.base.len())
    }
}

/// Finds the most specific route for `path`, with the index of its trigger.
pub fn find<'r, I>(routes: I, path: &str) -> Option<(usize, RouteMatch<'r>)>
where
    I: IntoIterator<Item = &'r Route>,
{
    routes
        .into_iter()
        .enumerate()
        .filter_map(|(i, route)| route.matches(path).map(|info| (i, RouteMatch { route, path_info: info })))
        .max_by_key(|(_, m)| m.route.specificity())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(raw: &[&str]) -> Vec<Route> {
        raw.iter().map(|r| Route::parse(r).unwrap()).collect()
    }

    fn winner(table: &[Route], path: &str) -> Option<(String, String)> {
        find(table, path).map(|(_, m)| (m.route.raw().to_owned(), m.path_info))
    }

    #[test]
    fn exact_beats_wildcard_and_longer_wildcard_beats_shorter() {
        let t = routes(&["/...", "/api/...", "/api/health", "/api/admin/..."]);
        assert_eq!(winner(&t, "/api/health"), Some(("/api/health".into(), "".into())));
        assert_eq!(winner(&t, "/api/health/x"), Some(("/api/...".into(), "/health/x".into())));
        assert_eq!(winner(&t, "/api/admin/users"), Some(("/api/admin/...".into(), "/users".into())));
        assert_eq!(winner(&t, "/api"), Some(("/api/...".into(), "".into())));
        assert_eq!(winner(&t, "/other"), Some(("/...".into(), "/other".into())));
    }

    #[test]
    fn a_prefix_of_a_segment_is_not_a_match() {
        let t = routes(&["/api/..."]);
        assert_eq!(winner(&t, "/apis"), None);
    }

    #[test]
    fn exact_routes_ignore_a_trailing_slash_and_nothing_else() {
        let t = routes(&["/functions/v1/health"]);
        assert!(winner(&t, "/functions/v1/health/").is_some());
        assert_eq!(winner(&t, "/functions/v1/healthz"), None);
        assert_eq!(winner(&t, "/functions/v1"), None);
    }

    #[test]
    fn refuses_malformed_routes() {
        assert!(Route::parse("api").is_err());
        assert!(Route::parse("/a/.../b").is_err());
        assert!(Route::parse("/a?x=1").is_err());
    }
}
