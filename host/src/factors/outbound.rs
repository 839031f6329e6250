//! `allowed_outbound_hosts`: which outbound HTTP requests a component may make.
//!
//! Entries look like Spin's: `https://api.example.com`, `http://127.0.0.1:*`,
//! `https://*.example.com:8443`, `*://localhost:3000`, `http://localhost:3000..3010`.
//! A missing port means the scheme's default port; a port range `a..b` excludes
//! `b`, as in Spin.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use wasmtime_wasi_http::WasiHttpHooks;

use super::Grants;

#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemePattern {
    Any,
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com` matches `a.example.com` and `a.b.example.com`.
    Subdomain(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    /// `lo..hi`, `hi` excluded (u32 so that port 65535 fits).
    Range(u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    scheme: SchemePattern,
    host: HostPattern,
    port: PortPattern,
}

/// A component's parsed allow-list; empty means no outbound HTTP at all.
#[derive(Debug, Clone, Default)]
pub struct AllowList(Vec<Pattern>);

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl Pattern {
    fn parse(entry: &str) -> Result<Self> {
        let (scheme, rest) =
            entry.split_once("://").with_context(|| format!("`{entry}`: expected `scheme://host[:port]`"))?;
        let scheme = match scheme {
            "*" => SchemePattern::Any,
            "http" | "https" => SchemePattern::Exact(scheme.to_owned()),
            other => bail!("`{entry}`: unsupported scheme `{other}` (use http, https or *)"),
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            bail!("`{entry}`: paths are not allowed, only scheme, host and port");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !rest.starts_with('[') => (host, Some(port)),
            _ => (rest, None),
        };
        let host = host.to_ascii_lowercase();
        let host = if host == "*" {
            HostPattern::Any
        } else if let Some(suffix) = host.strip_prefix("*.") {
            HostPattern::Subdomain(suffix.to_owned())
        } else if host.is_empty() || host.contains('*') {
            bail!("`{entry}`: host must be a name, `*` or `*.domain`");
        } else {
            HostPattern::Exact(host)
        };
        let port = match port {
            Some("*") => PortPattern::Any,
            Some(p) => match p.split_once("..") {
                Some((lo, hi)) => PortPattern::Range(parse_port(entry, lo)?.into(), parse_port(entry, hi)?.into()),
                None => {
                    let p = parse_port(entry, p)?;
                    PortPattern::Range(p.into(), u32::from(p) + 1)
                }
            },
            None => match &scheme {
                SchemePattern::Exact(s) => {
                    let p = u32::from(default_port(s).unwrap_or(80));
                    PortPattern::Range(p, p + 1)
                }
                SchemePattern::Any => bail!("`{entry}`: a `*` scheme needs an explicit port"),
            },
        };
        Ok(Self { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = match &self.scheme {
            SchemePattern::Any => true,
            SchemePattern::Exact(s) => s == scheme,
        };
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomain(suffix) => {
                host.strip_suffix(suffix.as_str()).is_some_and(|prefix| prefix.ends_with('.'))
            }
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Range(lo, hi) => (lo..hi).contains(&u32::from(port)),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn parse_port(entry: &str, port: &str) -> Result<u16> {
    port.parse().with_context(|| format!("`{entry}`: invalid port `{port}`"))
}

impl AllowList {
    pub fn parse(entries: &[String]) -> Result<Self> {
        entries.iter().map(|e| Pattern::parse(e)).collect::<Result<_>>().map(Self)
    }

    /// Whether a request to `uri` may leave the host.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let Some(scheme) = uri.scheme_str() else { return false };
        let Some(host) = uri.host() else { return false };
        let Some(port) = uri.port_u16().or_else(|| default_port(scheme)) else { return false };
        let host = host.to_ascii_lowercase();
        self.0.iter().any(|p| p.allows(scheme, &host, port))
    }
}

/// Outbound HTTP limited to the component's `allowed_outbound_hosts`, and
/// never to the deployment's own listening address (an allow-list entry such
/// as `http://127.0.0.1:*` must not let a component call the API it is part
/// of); a refused request fails with `HttpRequestDenied`, as under Spin.
pub struct OutboundPolicy {
    component: Arc<Grants>,
    listening: Option<std::net::SocketAddr>,
}

impl OutboundPolicy {
    pub fn new(component: Arc<Grants>, listening: Option<std::net::SocketAddr>) -> Self {
        Self { component, listening }
    }

    /// Whether `uri` names this deployment's own listener: its port on a
    /// loopback, unspecified or its own address (names other than `localhost`
    /// are not resolved here).
    fn is_self(&self, uri: &http::Uri) -> bool {
        let Some(own) = self.listening else { return false };
        let port = uri.port_u16().or_else(|| default_port(uri.scheme_str().unwrap_or("http")));
        if port != Some(own.port()) {
            return false;
        }
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified() || ip == own.ip())
    }
}

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<wasmtime_wasi_http::WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        if self.is_self(request.uri()) {
            eprintln!(
                "Warning: component `{}` tried to call the deployment's own address ({}); refused",
                self.component.id,
                request.uri()
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        if !self.component.allowed_outbound_hosts.allows(request.uri()) {
            let uri = request.uri();
            let destination = format!(
                "{}://{}",
                uri.scheme_str().unwrap_or("http"),
                uri.authority().map(|a| a.as_str()).unwrap_or("")
            );
            eprintln!(
                "Warning: component `{}` tried to make an outbound network connection to disallowed destination '{destination}'. \
                 To allow it, add \"{destination}\" to allowed_outbound_hosts in its [component.{}] section.",
                self.component.id, self.component.id
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    fn allows(l: &AllowList, uri: &str) -> bool {
        l.allows(&uri.parse().unwrap())
    }

    #[test]
    fn exact_hosts_use_the_default_port() {
        let l = list(&["https://api.example.com"]);
        assert!(allows(&l, "https://api.example.com/v1"));
        assert!(allows(&l, "https://API.example.com:443/"));
        assert!(!allows(&l, "http://api.example.com/"));
        assert!(!allows(&l, "https://api.example.com:8443/"));
        assert!(!allows(&l, "https://evil.com/"));
    }

    #[test]
    fn wildcards_and_ranges() {
        let l = list(&["http://127.0.0.1:*", "https://*.example.com", "*://localhost:3000..3002"]);
        assert!(allows(&l, "http://127.0.0.1:54321/mcp"));
        assert!(!allows(&l, "https://127.0.0.1:54321/"));
        assert!(allows(&l, "https://a.b.example.com/"));
        assert!(!allows(&l, "https://example.com/"));
        assert!(!allows(&l, "https://badexample.com/"));
        assert!(allows(&l, "http://localhost:3001/"));
        assert!(!allows(&l, "http://localhost:3002/"));
    }

    #[test]
    fn empty_list_allows_nothing() {
        assert!(!allows(&AllowList::default(), "http://127.0.0.1/"));
    }

    #[test]
    fn refuses_malformed_entries() {
        for bad in ["example.com", "ftp://x.com", "*://x.com", "http://x.com/path", "http://a*b.com", "http://x:99999"]
        {
            assert!(AllowList::parse(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }
}
