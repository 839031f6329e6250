//! Page cursors: the last row's sort position (`created_at`-like time and id),
//! hex-encoded so clients treat it as opaque.

use crate::error::ApiError;

/// The cursor after a row at `(at, id)`.
pub fn encode(at: &str, id: &str) -> String {
    format!("{at}|{id}").bytes().map(|b| format!("{b:02x}")).collect()
}

/// The position a cursor from `endpoint` names; a foreign string is a 422 on `cursor`.
pub fn decode(cursor: &str, endpoint: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::validation("cursor", format!("is not a cursor returned by {endpoint}"));
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| cursor.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once('|').ok_or_else(bad)?;
    Ok((at.to_owned(), id.to_owned()))
}

/// The start position of a newest-first listing (after every stored time).
pub const NEWEST: (&str, &str) = ("9999", "");
