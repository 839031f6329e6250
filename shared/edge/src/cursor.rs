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

/// Where a newest-first listing starts: after `cursor`, or at the newest row.
pub fn start(cursor: Option<&str>, endpoint: &str) -> Result<(String, String), ApiError> {
    match cursor {
        Some(c) => decode(c, endpoint),
        None => Ok((NEWEST.0.to_owned(), NEWEST.1.to_owned())),
    }
}

/// One page from `rows` fetched with `limit + 1`: the first `limit` rows, and
/// the cursor after the last of them when there are more.
pub fn page<T>(mut rows: Vec<T>, limit: u64, position: impl Fn(&T) -> (&str, &str)) -> switchyard_api::Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| {
            let (at, id) = position(r);
            encode(at, id)
        })
    } else {
        None
    };
    switchyard_api::Page { data: rows, next_cursor }
}
