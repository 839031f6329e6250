//! `switchyard audit verify FILE (--public-key HEX | --jwks FILE)` (also
//! `verify-export`): checks a signed audit export (NDJSON or JSON) offline.
//! A summary when valid; the first bad line (and entry) when not.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use switchyard_domain::export::{ExportDocument, Line, VerifyingKey, verify_document, verify_ndjson};

fn keys(public_key: Option<String>, jwks: Option<PathBuf>) -> Result<Vec<VerifyingKey>, String> {
    match (public_key, jwks) {
        (Some(hex), _) => Ok(vec![VerifyingKey::from_hex(&hex)?]),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            VerifyingKey::from_jwks(&doc)
        }
        (None, None) => Err("give --public-key or --jwks".into()),
    }
}

fn open(file: &PathBuf) -> Result<Box<dyn BufRead>, String> {
    if file.as_os_str() == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, f)))
}

/// `switchyard workspace verify`: a workspace archive's digest and signature.
pub fn run_archive(file: PathBuf, public_key: Option<String>, jwks: Option<PathBuf>) -> Result<String, String> {
    let keys = keys(public_key, jwks)?;
    let verified = switchyard_domain::archive::verify(open(&file)?, &keys)
        .map_err(|(line, why)| format!("invalid: line {line}: {why}"))?;
    let counts: Vec<String> = verified.records.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    Ok(format!(
        "valid: archive of {} exported {}, signed by key {}: {}",
        verified.workspace_id,
        verified.exported_at,
        verified.key_id,
        counts.join(", ")
    ))
}

pub fn run(file: PathBuf, public_key: Option<String>, jwks: Option<PathBuf>) -> Result<String, String> {
    let keys = keys(public_key, jwks)?;
    let mut reader = open(&file)?;
    // NDJSON starts with a header line; anything else is read as the JSON document.
    let first = reader.fill_buf().map_err(|e| e.to_string())?;
    let first_line = first.split(|b| *b == b'\n').next().unwrap_or_default();
    let is_ndjson = matches!(serde_json::from_slice::<Line>(first_line), Ok(Line::Header(_)));
    let verified = if is_ndjson {
        verify_ndjson(reader, &keys)
    } else {
        let mut text = Vec::new();
        reader.read_to_end(&mut text).map_err(|e| e.to_string())?;
        let doc: ExportDocument = serde_json::from_slice(&text)
            .map_err(|e| format!("neither an NDJSON export nor a JSON export document: {e}"))?;
        verify_document(&doc, &keys)
    }
    .map_err(|bad| format!("invalid: {bad}"))?;
    let range = match (verified.first_seq, verified.last_seq) {
        (Some(a), Some(b)) => format!("seq {a}..={b}"),
        _ => "no entries".to_owned(),
    };
    Ok(format!(
        "valid: {} entries of {} ({range}), signed by key {}",
        verified.count, verified.workspace_id, verified.key_id
    ))
}
