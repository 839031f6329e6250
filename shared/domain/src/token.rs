//! Personal access tokens: `sl_pat_<id>_<secret>`.
//!
//! The id part finds the row (`tok_<id>`); the secret is stored only as a
//! SHA-256 hash (it has 200 random bits, so a slow hash adds nothing) and
//! compared in constant time.

use switchyard_api::TokenId;

/// Every PAT starts with this.
pub const PAT_PREFIX: &str = "sl_pat_";
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

pub fn mint(entropy: &PatEntropy) -> MintedPat {
    let token_id = TokenId::from_random(&entropy.id);
    let secret: String = entropy
        .secret
        .iter()
        .map(|b| switchyard_api::ID_ALPHABET[(*b as usize) % 32] as char)
        .collect();
    let id_body = &token_id.as_str()[TokenId::PREFIX.len()..];
    MintedPat {
        token: format!("{PAT_PREFIX}{id_body}_{secret}"),
        secret_hash: hash_secret(&secret),
        token_id,
    }
}

/// Splits a PAT; `None` when it is not shaped like one.
pub fn parse(token: &str) -> Option<ParsedPat<'_>> {
    let rest = token.strip_prefix(PAT_PREFIX)?;
    let (id_body, secret) = rest.split_once('_')?;
    if secret.len() != SECRET_LEN || !secret.bytes().all(|b| switchyard_api::ID_ALPHABET.contains(&b)) {
        return None;
    }
    let token_id = TokenId::parse(&format!("{}{id_body}", TokenId::PREFIX))?;
    Some(ParsedPat { token_id, secret })
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
