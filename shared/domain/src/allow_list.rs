//! Spin's `allowed_outbound_hosts` patterns, as far as a component needs to
//! know them: whether a URL the user gives will ever be let out, so it can be
//! refused when it is stored rather than fail at every use. Syntax:
//! `scheme://host[:port]`, scheme `http`, `https` or `*`; host a name, `*` or
//! `*.domain`; port a number, `*` or `lo..hi` (hi excluded); no port means the
//! scheme's default.

/// Whether `url` (an `http(s)://` URL) is allowed by `pattern`; `Err` when the
/// pattern itself is malformed.
pub fn allows(pattern: &str, url: &str) -> Result<bool, String> {
    let malformed = || format!("`{pattern}` is not a `scheme://host[:port]` pattern");
    let (p_scheme, p_rest) = pattern.split_once("://").ok_or_else(malformed)?;
    let (p_host, p_port) = split_host_port(p_rest.trim_end_matches('/'));
    let Some((scheme, rest)) = url.split_once("://") else { return Ok(false) };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = split_host_port(authority);
    let host = host.to_ascii_lowercase();
    let default_port = |s: &str| match s {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let Some(port) = port.map_or(default_port(&scheme), |p| p.parse::<u32>().ok()) else { return Ok(false) };

    let scheme_ok = p_scheme == "*" || p_scheme.eq_ignore_ascii_case(&scheme);
    let p_host = p_host.to_ascii_lowercase();
    let host_ok = match p_host.strip_prefix("*.") {
        _ if p_host == "*" => true,
        Some(suffix) => host.strip_suffix(suffix).is_some_and(|prefix| prefix.ends_with('.')),
        None => p_host == host,
    };
    let port_ok = match p_port {
        Some("*") => true,
        Some(spec) => match spec.split_once("..") {
            Some((lo, hi)) => {
                let (lo, hi) =
                    (lo.parse::<u32>().map_err(|_| malformed())?, hi.parse::<u32>().map_err(|_| malformed())?);
                (lo..hi).contains(&port)
            }
            None => spec.parse::<u32>().map_err(|_| malformed())? == port,
        },
        None => default_port(&p_scheme.to_ascii_lowercase()).is_some_and(|d| d == port),
    };
    Ok(scheme_ok && host_ok && port_ok)
}

/// `host[:port]`, IPv6 literals in brackets kept whole.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn patterns_match_like_spin() {
        let yes = [
            ("https://*:443", "https://tools.example.com/mcp"),
            ("https://*:443", "https://tools.example.com:443/mcp"),
            ("http://127.0.0.1:*", "http://127.0.0.1:8931/mcp"),
            ("https://*.example.com", "https://a.b.example.com/x"),
            ("*://localhost:3000", "http://localhost:3000/"),
            ("http://localhost:3000..3010", "http://localhost:3009"),
            ("https://api.example.com", "https://API.example.com/v1"),
        ];
        for (pattern, url) in yes {
            assert_eq!(allows(pattern, url), Ok(true), "{pattern} {url}");
        }
        let no = [
            ("https://*:443", "http://tools.example.com/mcp"),
            ("https://*:443", "https://tools.example.com:8443/mcp"),
            ("https://*.example.com", "https://example.com/"),
            ("https://*.example.com", "https://evil-example.com/"),
            ("http://localhost:3000..3010", "http://localhost:3010"),
            ("http://127.0.0.1:*", "http://127.0.0.2:80"),
            ("https://api.example.com", "https://user@evil.com/"),
        ];
        for (pattern, url) in no {
            assert_eq!(allows(pattern, url), Ok(false), "{pattern} {url}");
        }
        assert!(allows("nonsense", "http://x").is_err());
        assert!(allows("http://x:abc", "http://x").is_err());
    }
}
