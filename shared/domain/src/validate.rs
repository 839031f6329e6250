//! Field rules shared by several endpoints. Each returns a message that names
//! what is wrong; the edge attaches the field name.

/// A workspace handle: 3–40 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
pub fn handle(h: &str) -> Result<(), String> {
    let ok_chars = h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(3..=40).contains(&h.len()) || !ok_chars || h.starts_with('-') || h.ends_with('-') {
        return Err("must be 3-40 lowercase letters, digits or dashes, not starting or ending with a dash".into());
    }
    Ok(())
}

/// A DNS domain such as `example.com` (lowercase, at least one dot).
pub fn domain(d: &str) -> Result<(), String> {
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    if d.len() > 253 || !d.contains('.') || !labels_ok {
        return Err("must be a lowercase domain name such as example.com".into());
    }
    Ok(())
}

/// The (lowercased) domain of an email address.
pub fn email_domain(email: &str) -> Result<String, String> {
    let (local, domain_part) = email.rsplit_once('@').ok_or("must be an email address")?;
    if local.is_empty() || local.len() > 64 || email.len() > 254 || local.contains(char::is_whitespace) {
        return Err("must be an email address".into());
    }
    let d = domain_part.to_ascii_lowercase();
    domain(&d).map_err(|_| "must be an email address with a valid domain".to_string())?;
    Ok(d)
}

/// A short machine word — harness kinds, labels, capabilities: 1–64 of
/// `a-z`, `0-9`, `-`, `_`, `.`, `:`. Lanes and harnesses share this alphabet
/// so any lane label can be matched by a harness label.
pub fn word(w: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&w.len())
        && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.:".contains(&b));
    if ok { Ok(()) } else { Err("must be 1-64 of a-z, 0-9, `-`, `_`, `.`, `:`".into()) }
}

/// A list of [`word`]s of at most `max`; the error names the bad entry's index.
pub fn words(list: &[String], max: usize) -> Result<(), (Option<usize>, String)> {
    if list.len() > max {
        return Err((None, format!("at most {max} entries")));
    }
    for (i, w) in list.iter().enumerate() {
        word(w).map_err(|m| (Some(i), m))?;
    }
    Ok(())
}

/// A short free-text name: 1–100 characters, no control characters.
pub fn name(n: &str) -> Result<(), String> {
    let len = n.chars().count();
    if n.trim().is_empty() || len > 100 || n.chars().any(char::is_control) {
        return Err("must be 1-100 characters without control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        assert!(handle("acme-labs").is_ok());
        for bad in ["ab", "Acme", "-acme", "acme-", "ac me", &"a".repeat(41)] {
            assert!(handle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_and_domains() {
        assert_eq!(email_domain("Ada@Example.COM").unwrap(), "example.com");
        for bad in ["ada", "@example.com", "ada@", "ada@localhost", "a da@example.com", "ada@exa_mple.com"] {
            assert!(email_domain(bad).is_err(), "{bad}");
        }
        assert!(domain("sub.example.co.uk").is_ok());
        assert!(domain("example").is_err());
    }

    #[test]
    fn words_share_one_alphabet() {
        assert!(word("gpu:a100").is_ok());
        assert!(word("claude-code").is_ok());
        for bad in ["", "GPU", "a b", &"a".repeat(65)] {
            assert!(word(bad).is_err(), "{bad}");
        }
        let list = vec!["ok".to_owned(), "Not".to_owned()];
        assert_eq!(words(&list, 5).unwrap_err().0, Some(1));
        assert_eq!(words(&list, 1).unwrap_err().0, None);
    }

    #[test]
    fn names() {
        assert!(name("scim sync").is_ok());
        assert!(name("  ").is_err());
        assert!(name("a\nb").is_err());
    }
}
