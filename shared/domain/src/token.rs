//! Credentials: personal access tokens `sl_pat_<id>_<secret>` (row `tok_<id>`)
//! and harness credentials `sl_hns_<id>_<secret>` (row `hns_<id>`).
//!
//! The id part finds the row; the secret is stored only as a
//! SHA-256 hash (it has 200 random bits, so a slow hash adds nothing) and
//! compared in constant time.

use switchyard_api::{HarnessId, TokenId};

/// Every PAT starts with this.
pub const PAT_PREFIX: &str = "sl_pat_";
/// Every harness credential starts with this.
pub const HARNESS_PREFIX: &str = "sl_hns_";
/// Characters in the secret part.
pub const SECRET_LEN: usize = 40;

/// A PAT split into its parts.
#[derive(Debug, PartialEq, Eq)]
pub struct ParsedPat<'t> {
    pub token_id: TokenId,
    pub secret: &'t str,
}

/// Random bytes needed to mint one token.
pub struct PatEntropy {
    pub id: [u8; switchyard_api::ID_BODY_LEN],
    pub secret: [u8; SECRET_LEN],
}

/// A minted token: the string shown once, its id, and the hash to store.
#[derive(Debug)]
pub struct MintedPat {
    pub token: String,
    pub token_id: TokenId,
    pub secret_hash: String,
}

/// `(credential, secret hash)` for an id body and secret bytes.
fn mint_parts(prefix: &str, id_body: &str, secret_bytes: &[u8; SECRET_LEN]) -> (String, String) {
    let secret: String = secret_bytes.iter().map(|b| switchyard_api::ID_ALPHABET[(*b as usize) % 32] as char).collect();
    (format!("{prefix}{id_body}_{secret}"), hash_secret(&secret))
}

pub fn mint(entropy: &PatEntropy) -> MintedPat {
    let token_id = TokenId::from_random(&entropy.id);
    let (token, secret_hash) = mint_parts(PAT_PREFIX, &token_id.as_str()[TokenId::PREFIX.len()..], &entropy.secret);
    MintedPat { token, secret_hash, token_id }
}

/// A minted harness credential: the string shown once, the harness id, the hash to store.
#[derive(Debug)]
pub struct MintedHarness {
    pub credential: String,
    pub harness_id: HarnessId,
    pub secret_hash: String,
}

pub fn mint_harness(entropy: &PatEntropy) -> MintedHarness {
    let harness_id = HarnessId::from_random(&entropy.id);
    let (credential, secret_hash) =
        mint_parts(HARNESS_PREFIX, &harness_id.as_str()[HarnessId::PREFIX.len()..], &entropy.secret);
    MintedHarness { credential, harness_id, secret_hash }
}

/// `(id body, secret)` of `prefix<id>_<secret>`, when well formed.
fn split<'t>(token: &'t str, prefix: &str) -> Option<(&'t str, &'t str)> {
    let (id_body, secret) = token.strip_prefix(prefix)?.split_once('_')?;
    let ok = secret.len() == SECRET_LEN && secret.bytes().all(|b| switchyard_api::ID_ALPHABET.contains(&b));
    ok.then_some((id_body, secret))
}

/// Splits a PAT; `None` when it is not shaped like one.
pub fn parse(token: &str) -> Option<ParsedPat<'_>> {
    let (id_body, secret) = split(token, PAT_PREFIX)?;
    let token_id = TokenId::parse(&format!("{}{id_body}", TokenId::PREFIX))?;
    Some(ParsedPat { token_id, secret })
}

/// Splits a harness credential into its harness id and secret.
pub fn parse_harness(credential: &str) -> Option<(HarnessId, &str)> {
    let (id_body, secret) = split(credential, HARNESS_PREFIX)?;
    Some((HarnessId::parse(&format!("{}{id_body}", HarnessId::PREFIX))?, secret))
}

pub fn hash_secret(secret: &str) -> String {
    crate::sha256_hex(format!("switchyard-pat-v1:{secret}").as_bytes())
}

/// Compares two equal-length strings without an early exit.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `secret` matches a stored hash.
pub fn verify(secret: &str, stored_hash: &str) -> bool {
    constant_time_eq(&hash_secret(secret), stored_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entropy(seed: u8) -> PatEntropy {
        PatEntropy { id: [seed; 20], secret: [seed.wrapping_add(3); SECRET_LEN] }
    }

    #[test]
    fn a_minted_token_parses_back_and_verifies() {
        let minted = mint(&entropy(9));
        assert!(minted.token.starts_with("sl_pat_"));
        let parsed = parse(&minted.token).unwrap();
        assert_eq!(parsed.token_id, minted.token_id);
        assert!(verify(parsed.secret, &minted.secret_hash));
        assert!(!minted.secret_hash.contains(parsed.secret));
    }

    #[test]
    fn harness_credentials_are_not_pats() {
        let minted = mint_harness(&entropy(4));
        let (id, secret) = parse_harness(&minted.credential).unwrap();
        assert_eq!(id, minted.harness_id);
        assert!(verify(secret, &minted.secret_hash));
        assert_eq!(parse(&minted.credential), None);
        assert_eq!(parse_harness(&mint(&entropy(4)).token), None);
    }

    #[test]
    fn malformed_and_tampered_tokens_are_refused() {
        let minted = mint(&entropy(1));
        assert_eq!(parse("sl_pat_"), None);
        assert_eq!(parse("sl_pat_abc"), None);
        assert_eq!(parse(&minted.token[..minted.token.len() - 1]), None);
        assert_eq!(parse(&minted.token.replace("sl_pat_", "sl_pak_")), None);
        let mut tampered = minted.token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'a' { 'b' } else { 'a' });
        let parsed = parse(&tampered).unwrap();
        assert!(!verify(parsed.secret, &minted.secret_hash));
    }
}
