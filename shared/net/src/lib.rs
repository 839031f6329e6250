//! Which network addresses an outbound webhook may reach: only public
//! unicast ones. Loopback, link-local (with the cloud
//! metadata address 169.254.169.254), private, shared (CGNAT), unique-local,
//! multicast, documentation and reserved ranges are refused — checked at
//! registration on literal addresses and again on every address a name
//! resolves to at delivery time, so a DNS answer cannot point a hook inward.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, for the error a user sees.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let why = match (a, b, c) {
        (0, _, _) => "this-network (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "private",
        (169, 254, _) => "link-local (including the cloud metadata address)",
        (100, 64..=127, _) => "shared address space (carrier-grade NAT)",
        (192, 0, 0) => "IETF protocol assignments",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast",
        _ => return None,
    };
    Some(why)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    // An IPv4 address in IPv6 clothing is judged as the IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) embeds an IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [hi, lo] = [s[6].to_be_bytes(), s[7].to_be_bytes()];
        return refusal_v4(Ipv4Addr::new(hi[0], hi[1], lo[0], lo[1]));
    }
    let why = match s[0] {
        0xfe80..=0xfebf => "link-local",
        0xfc00..=0xfdff => "unique-local",
        0xff00..=0xffff => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x2002 => {
            // 6to4 embeds an IPv4 address in bits 16..48.
            let [hi, lo] = [s[1].to_be_bytes(), s[2].to_be_bytes()];
            return refusal_v4(Ipv4Addr::new(hi[0], hi[1], lo[0], lo[1]));
        }
        0x0000 => "reserved",
        _ => return None,
    };
    Some(why)
}

/// Names that always mean this machine, whatever a resolver says.
pub fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") || host.ends_with(".internal")
}

/// Why the host of a URL (a name, an IPv4 address or a bracketed IPv6 one)
/// may not be a webhook's target before any name is resolved: a refused
/// address, a name that always means this machine, or a numeric form a
/// resolver reads as an address (`127.1`, `2130706433`, `0x7f.1`) — no public
/// name ends in a numeric label.
pub fn host_refusal(host: &str) -> Option<String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return refusal(ip).map(|why| format!("{ip} is not a public address ({why})"));
    }
    if is_local_name(bare) {
        return Some(format!("`{bare}` names this machine"));
    }
    let last = bare.trim_end_matches('.').rsplit('.').next().unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last
                .strip_prefix("0x")
                .or_else(|| last.strip_prefix("0X"))
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())));
    if numeric || bare.starts_with("0x") || bare.starts_with("0X") {
        return Some(format!("`{bare}` is a numeric address form, not a public name"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn inward_addresses_are_refused_and_public_ones_pass() {
        for refused in [
            "127.0.0.1",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.2.10",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:0001::1",
        ] {
            assert!(refusal(ip(refused)).is_some(), "{refused} must be refused");
        }
        for allowed in ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert_eq!(refusal(ip(allowed)), None, "{allowed} is public");
        }
        assert_eq!(refusal(ip("169.254.169.254")), Some("link-local (including the cloud metadata address)"));
    }

    #[test]
    fn local_names_are_refused_by_name() {
        for name in ["localhost", "LOCALHOST.", "api.localhost", "printer.local", "metadata.google.internal"] {
            assert!(is_local_name(name), "{name}");
        }
        assert!(!is_local_name("hooks.example.com"));
    }

    #[test]
    fn hosts_are_judged_before_resolution() {
        assert!(host_refusal("169.254.169.254").unwrap().contains("link-local"));
        assert!(host_refusal("[::1]").is_some());
        assert!(host_refusal("localhost").is_some());
        for numeric in ["127.1", "2130706433", "0x7f.1", "0x7f000001", "10.1"] {
            assert!(host_refusal(numeric).is_some(), "{numeric}");
        }
        for fine in ["hooks.example.com", "93.184.216.34", "example.io.", "a1.b2c"] {
            assert_eq!(host_refusal(fine), None, "{fine}");
        }
    }
}
