//! Webhook signatures (groundwork for issue 12): verifying what a forge
//! sends — GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, hex)
//! and GitLab's `X-Gitlab-Token` (a shared secret) — and signing what we send
//! per the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64>`, secrets `whsec_<base64>`). Every
//! comparison is constant-time; a rotated secret verifies alongside the old
//! one during its overlap window (pass both).

use constant_time_eq::constant_time_eq;
use ct_codecs::{Base64, Decoder, Encoder, Hex};
use hmac_sha256::HMAC;

/// Why a signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature header at all.
    Missing,
    /// Not in the expected format (`sha256=<hex>`, `v1,<base64>`, …).
    Malformed,
    /// Well formed, but no secret produces it.
    Mismatch,
    /// A Standard Webhooks timestamp outside the tolerance (a replay, or a skewed clock).
    Stale,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "no signature",
            Self::Malformed => "malformed signature",
            Self::Mismatch => "signature does not match",
            Self::Stale => "timestamp outside the tolerance",
        })
    }
}

/// Verifies GitHub's `X-Hub-Signature-256: sha256=<hex>` over the raw `body`
/// against any of `secrets` (the current one and, while rotating, the previous).
pub fn verify_github(secrets: &[&[u8]], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex = header.strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    let mut given = [0u8; 32];
    let decoded = Hex::decode(&mut given, hex.as_bytes(), None).map_err(|_| SignatureError::Malformed)?;
    if decoded.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    if secrets.iter().any(|s| constant_time_eq(&HMAC::mac(body, s), &given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verifies GitLab's `X-Gitlab-Token` against any of `secrets`.
pub fn verify_gitlab(secrets: &[&str], header: Option<&str>) -> Result<(), SignatureError> {
    let given = header.ok_or(SignatureError::Missing)?;
    // Every secret is compared (no early exit on the first match).
    let matched = secrets.iter().fold(false, |m, s| constant_time_eq(s.as_bytes(), given.as_bytes()) | m);
    if matched { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// The key bytes of a `whsec_<base64>` secret.
pub fn standard_key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let mut key = vec![0u8; encoded.len()];
    let len = Base64::decode(&mut key, encoded.as_bytes(), None).map_err(|_| SignatureError::Malformed)?.len();
    key.truncate(len);
    if key.is_empty() {
        return Err(SignatureError::Malformed);
    }
    Ok(key)
}

/// The `webhook-signature` value for a message: `v1,<base64 HMAC-SHA256 of "id.timestamp.payload">`.
pub fn standard_sign(key: &[u8], msg_id: &str, timestamp: u64, payload: &[u8]) -> String {
    let mut signed = format!("{msg_id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(payload);
    let mac = HMAC::mac(&signed, key);
    let mut out = [0u8; 44];
    let encoded = Base64::encode_to_str(&mut out, mac).unwrap_or_default();
    format!("v1,{encoded}")
}

/// Verifies a Standard Webhooks message: one of the space-separated `v1,…`
/// signatures matches, and the timestamp is within `tolerance` seconds of `now`.
pub fn standard_verify(
    key: &[u8],
    msg_id: &str,
    timestamp: u64,
    payload: &[u8],
    signatures: &str,
    now: u64,
    tolerance: u64,
) -> Result<(), SignatureError> {
    if timestamp.abs_diff(now) > tolerance {
        return Err(SignatureError::Stale);
    }
    let expected = standard_sign(key, msg_id, timestamp, payload);
    let mut seen = false;
    let mut matched = false;
    for candidate in signatures.split_whitespace().filter(|s| s.starts_with("v1,")) {
        seen = true;
        matched |= constant_time_eq(candidate.as_bytes(), expected.as_bytes());
    }
    match (seen, matched) {
        (_, true) => Ok(()),
        (false, false) => Err(SignatureError::Malformed),
        (true, false) => Err(SignatureError::Mismatch),
    }
}

/// A new `whsec_<base64>` secret from 24 random bytes.
pub fn standard_secret(random: &[u8; 24]) -> String {
    let mut out = [0u8; 32];
    format!("whsec_{}", Base64::encode_to_str(&mut out, random).unwrap_or_default())
}

/// The default retry schedule, seconds after the previous attempt: the
/// Standard Webhooks reference's (immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h) — eight attempts over about a day and a day's half.
pub const DEFAULT_SCHEDULE: [u64; 8] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// Parses a schedule such as `0,5,300` (seconds); at least one entry, each at most a week.
pub fn parse_schedule(text: &str) -> Result<Vec<u64>, String> {
    let steps: Vec<u64> = text
        .split(',')
        .map(|s| s.trim().parse::<u64>().map_err(|_| format!("`{s}` is not a number of seconds")))
        .collect::<Result<_, _>>()?;
    if steps.is_empty() || steps.len() > 20 || steps.iter().any(|s| *s > 604_800) {
        return Err("a schedule has 1-20 steps of at most 604800 seconds".into());
    }
    Ok(steps)
}

/// Seconds to wait before attempt `attempts + 1` after `attempts` failed, or
/// none when the schedule is used up (the delivery is dead). `random` spreads
/// retries by up to ±20 % so that a receiver that comes back is not hit by
/// every waiting delivery in the same second.
pub fn next_delay(schedule: &[u64], attempts: u32, random: u32) -> Option<u64> {
    let base = *schedule.get(usize::try_from(attempts).ok()?)?;
    let spread = base / 5;
    if spread == 0 {
        return Some(base);
    }
    let offset = u64::from(random) % (2 * spread + 1);
    Some(base - spread + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_end_and_spread() {
        let s = DEFAULT_SCHEDULE;
        assert_eq!(next_delay(&s, 0, 12345), Some(0), "the first attempt is immediate");
        assert_eq!(next_delay(&s, 1, 7), Some(5 - 1 + 7 % 3));
        for r in [0, 1, 999, u32::MAX] {
            let d = next_delay(&s, 2, r).unwrap();
            assert!((240..=360).contains(&d), "{d}");
        }
        assert_eq!(next_delay(&s, 8, 0), None, "eight attempts, then dead");
        assert_eq!(parse_schedule("0, 1,2").unwrap(), vec![0, 1, 2]);
        assert!(parse_schedule("").is_err());
        assert!(parse_schedule("1,x").is_err());
        assert!(parse_schedule("9999999").is_err());
    }

    #[test]
    fn generated_secrets_round_trip() {
        let secret = standard_secret(&[7u8; 24]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(standard_key(&secret).unwrap(), vec![7u8; 24]);
    }

    #[test]
    fn githubs_documented_example_verifies() {
        let secret: &[u8] = b"It's a Secret to Everybody";
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(verify_github(&[secret], b"Hello, World!", Some(header)), Ok(()));
        assert_eq!(verify_github(&[secret], b"Hello, World?", Some(header)), Err(SignatureError::Mismatch));
        assert_eq!(verify_github(&[b"old", secret], b"Hello, World!", Some(header)), Ok(()), "rotation overlap");
        assert_eq!(verify_github(&[secret], b"x", None), Err(SignatureError::Missing));
        assert_eq!(verify_github(&[secret], b"x", Some("sha1=abc")), Err(SignatureError::Malformed));
        assert_eq!(verify_github(&[secret], b"x", Some("sha256=zz")), Err(SignatureError::Malformed));
        assert_eq!(verify_github(&[secret], b"x", Some("sha256=abcd")), Err(SignatureError::Malformed));
    }

    #[test]
    fn gitlab_tokens_compare_whole() {
        assert_eq!(verify_gitlab(&["s3cret"], Some("s3cret")), Ok(()));
        assert_eq!(verify_gitlab(&["s3cret"], Some("s3cre")), Err(SignatureError::Mismatch));
        assert_eq!(verify_gitlab(&["new", "s3cret"], Some("s3cret")), Ok(()));
        assert_eq!(verify_gitlab(&["s3cret"], None), Err(SignatureError::Missing));
    }

    #[test]
    fn the_standard_webhooks_test_vector_signs_and_verifies() {
        // The specification's own example.
        let key = standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        let (id, ts, payload) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#);
        let signature = standard_sign(&key, id, ts, payload);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = format!("v1,bm90IGl0 {signature}");
        assert_eq!(standard_verify(&key, id, ts, payload, &header, ts + 10, 300), Ok(()));
        assert_eq!(standard_verify(&key, id, ts, b"{}", &signature, ts, 300), Err(SignatureError::Mismatch));
        assert_eq!(standard_verify(&key, id, ts, payload, &signature, ts + 301, 300), Err(SignatureError::Stale));
        assert_eq!(standard_verify(&key, id, ts, payload, "v2,abc", ts, 300), Err(SignatureError::Malformed));
        assert!(standard_key("whsec_").is_err() && standard_key("whsec_!!!").is_err());
    }
}
