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

    /// How a request to `uri` is allowed: by an entry naming its host, or
    /// only by a wildcard (then the host checks where the name resolves).
    pub fn reach(&self, uri: &http::Uri) -> Reach {
        let Some(scheme) = uri.scheme_str() else { return Reach::Refused };
        let Some(host) = uri.host() else { return Reach::Refused };
        let Some(port) = uri.port_u16().or_else(|| default_port(scheme)) else { return Reach::Refused };
        let host = host.to_ascii_lowercase();
        let mut allowing = self.0.iter().filter(|p| p.allows(scheme, &host, port)).peekable();
        if allowing.peek().is_none() {
            Reach::Refused
        } else if allowing.any(|p| matches!(p.host, HostPattern::Exact(_))) {
            Reach::Named
        } else {
            Reach::Wildcard
        }
    }
}

/// How an allow-list lets a request out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Refused,
    /// An entry names the host: the operator chose it, private or not.
    Named,
    /// Only `*` or `*.domain` entries match: every address the name resolves
    /// to must be public (or listed in `--outbound-private`).
    Wildcard,
}

/// Addresses a wildcard-allowed request may reach although they are not
/// public (`--outbound-private`): an IP, or an IP and port.
#[derive(Debug, Clone, Default)]
pub struct PrivateExceptions(Vec<(std::net::IpAddr, Option<u16>)>);

impl PrivateExceptions {
    /// Parses `10.0.0.5, 127.0.0.1:8080, [::1]:9000`.
    pub fn parse(text: &str) -> Result<Self> {
        text.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|entry| {
                if let Ok(addr) = entry.parse::<std::net::SocketAddr>() {
                    return Ok((addr.ip(), Some(addr.port())));
                }
                let ip = entry.trim_start_matches('[').trim_end_matches(']');
                ip.parse().map(|ip| (ip, None)).with_context(|| format!("`{entry}`: expected an IP address or IP:port"))
            })
            .collect::<Result<_>>()
            .map(Self)
    }

    fn covers(&self, addr: std::net::SocketAddr) -> bool {
        self.0.iter().any(|(ip, port)| *ip == addr.ip() && port.is_none_or(|p| p == addr.port()))
    }
}

/// The resolved address to connect to, or why not: every address the name
/// resolves to must be public or excepted, so a DNS answer cannot point a
/// wildcard-allowed request at the metadata service or the LAN.
async fn resolve_public(
    host: String,
    port: u16,
    exceptions: &PrivateExceptions,
) -> Result<std::net::SocketAddr, String> {
    let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
        .collect();
    for addr in &addresses {
        if let Some(why) = switchyard_net::refusal(addr.ip())
            && !exceptions.covers(*addr)
        {
            return Err(format!("`{host}` resolves to {}, a {why} address", addr.ip()));
        }
    }
    addresses.first().copied().ok_or_else(|| format!("`{host}` resolves to no address"))
}

/// Outbound HTTP limited to the component's `allowed_outbound_hosts`, and
/// never to the deployment's own listening address (an allow-list entry such
/// as `http://127.0.0.1:*` must not let a component call the API it is part
/// of); a refused request fails with `HttpRequestDenied`, as under Spin.
pub struct OutboundPolicy {
    component: Arc<Grants>,
    listening: Option<std::net::SocketAddr>,
    exceptions: Arc<PrivateExceptions>,
}

impl OutboundPolicy {
    pub fn new(
        component: Arc<Grants>,
        listening: Option<std::net::SocketAddr>,
        exceptions: Arc<PrivateExceptions>,
    ) -> Self {
        Self { component, listening, exceptions }
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
        let reach = self.component.allowed_outbound_hosts.reach(request.uri());
        if reach == Reach::Refused {
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
        let component = self.component.id.clone();
        let exceptions = Arc::clone(&self.exceptions);
        Box::new(async move {
            use http_body_util::BodyExt;
            let mut request = request;
            if reach == Reach::Wildcard {
                let uri = request.uri().clone();
                let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
                let port = uri.port_u16().or_else(|| default_port(uri.scheme_str().unwrap_or("http"))).unwrap_or(80);
                let addr = match resolve_public(host, port, &exceptions).await {
                    Ok(addr) => addr,
                    Err(why) => {
                        eprintln!("Warning: component `{component}`: request to {uri} refused: {why}");
                        return Err(wasmtime_wasi_http::Error::DestinationIpProhibited);
                    }
                };
                // Plain HTTP connects to the address just checked (the Host
                // header keeps the name); TLS needs the name, so HTTPS
                // resolves once more when it connects.
                if uri.scheme_str() == Some("http") {
                    let mut parts = uri.into_parts();
                    parts.authority = addr.to_string().parse().ok();
                    if let Ok(pinned) = http::Uri::from_parts(parts) {
                        *request.uri_mut() = pinned;
                    }
                }
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    fn allows(l: &AllowList, uri: &str) -> bool {
        l.reach(&uri.parse().unwrap()) != Reach::Refused
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
    fn named_hosts_are_trusted_wildcards_are_checked() {
        let l = list(&["http://127.0.0.1:*", "https://*.example.com", "*://*:*"]);
        assert_eq!(l.reach(&"http://127.0.0.1:9/".parse().unwrap()), Reach::Named);
        assert_eq!(l.reach(&"https://a.example.com/".parse().unwrap()), Reach::Wildcard);
        assert_eq!(l.reach(&"http://10.0.0.1:80/".parse().unwrap()), Reach::Wildcard);
        assert_eq!(list(&["https://a.com"]).reach(&"https://b.com/".parse().unwrap()), Reach::Refused);
    }

    #[test]
    fn private_exceptions_name_addresses_and_ports() {
        let e = PrivateExceptions::parse("127.0.0.1:8080, 10.0.0.5,[::1]:9").unwrap();
        assert!(e.covers("127.0.0.1:8080".parse().unwrap()));
        assert!(!e.covers("127.0.0.1:8081".parse().unwrap()));
        assert!(e.covers("10.0.0.5:1".parse().unwrap()));
        assert!(e.covers("[::1]:9".parse().unwrap()));
        assert!(PrivateExceptions::parse("not-an-ip").is_err());
        assert!(PrivateExceptions::parse("").unwrap().0.is_empty());
    }

    #[tokio::test]
    async fn wildcard_requests_may_not_resolve_inward() {
        let none = PrivateExceptions::default();
        let err = resolve_public("127.0.0.1".into(), 80, &none).await.unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        let err = resolve_public("169.254.169.254".into(), 80, &none).await.unwrap_err();
        assert!(err.contains("link-local"), "{err}");
        let excepted = PrivateExceptions::parse("127.0.0.1:80").unwrap();
        assert_eq!(resolve_public("127.0.0.1".into(), 80, &excepted).await.unwrap(), "127.0.0.1:80".parse().unwrap());
        assert!(resolve_public("127.0.0.1".into(), 81, &excepted).await.is_err());
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
