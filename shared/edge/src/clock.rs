//! Time and randomness from the host (WASI clocks and random).

/// Now as RFC 3339 UTC with milliseconds (sorts as text).
pub fn now_rfc3339() -> String {
    format(chrono::Utc::now())
}

/// `seconds` from now, in the same format.
pub fn rfc3339_after(seconds: u64) -> String {
    let delta = chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2_000));
    format(chrono::Utc::now() + delta)
}

/// `seconds` ago, in the same format.
pub fn rfc3339_before(seconds: u64) -> String {
    let delta = chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2_000));
    format(chrono::Utc::now() - delta)
}

fn format(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Unix time in milliseconds.
pub fn now_millis() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
}

pub fn now_unix() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

/// Cryptographically secure random bytes (WASI `random`).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The host's CSPRNG failing is not recoverable; trapping yields a 500.
    getrandom::fill(&mut bytes).expect("the host provides randomness");
    bytes
}
