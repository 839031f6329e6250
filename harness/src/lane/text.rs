//! Text the harness handles: path-component names, worktree names, an
//! agent's output split into bounded lines, and the summary of its last lines.

use super::*;

/// Refuses names that are not a single plain path component: empty, with a
/// `/`, `\` or `..`, starting with `.`, or with control characters.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.contains('/')
        || name.contains('\\')
        || name.contains("..")
        || name.starts_with('.')
        || name.chars().any(char::is_control);
    if bad { Err(format!("invalid {what} name {name:?}: must be a plain directory name")) } else { Ok(()) }
}

/// A repository name: plain directory names joined by `/` (a forge's
/// `owner/name`, or GitLab's `group/subgroup/name`), at most five deep.
pub fn check_repository(name: &str) -> Result<(), String> {
    let segments: Vec<&str> = name.split('/').collect();
    if segments.len() > 5 || segments.iter().any(|s| check_name("repository", s).is_err()) {
        return Err(format!(
            "invalid repository name {name:?}: must be a plain directory name, or names joined by `/` (owner/name)"
        ));
    }
    Ok(())
}

/// The worktree directory name: the lane id, with the attempt appended for a
/// retried lane so an earlier attempt's worktree is kept, not reused.
pub fn worktree_name(lane_id: &str, attempt: u32) -> String {
    if attempt <= 1 { lane_id.to_owned() } else { format!("{lane_id}-attempt-{attempt}") }
}

/// Cuts a byte stream into lines (without `\n` / `\r\n`), splitting lines
/// longer than `max` bytes at a UTF-8 boundary; invalid UTF-8 is replaced.
#[derive(Debug)]
pub struct LineSplitter {
    buf: Vec<u8>,
    max: usize,
}

impl LineSplitter {
    pub fn new(max: usize) -> Self {
        Self { buf: Vec::new(), max: max.max(4) }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                lines.push(Self::text(&std::mem::take(&mut self.buf)));
            } else {
                self.buf.push(b);
                if self.buf.len() >= self.max {
                    let cut = match std::str::from_utf8(&self.buf) {
                        // An incomplete character at the end waits for the next line.
                        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => e.valid_up_to(),
                        _ => self.buf.len(),
                    };
                    let rest = self.buf.split_off(cut);
                    lines.push(Self::text(&std::mem::replace(&mut self.buf, rest)));
                }
            }
        }
        lines
    }

    /// What is left after the stream ended without a final newline.
    pub fn finish(&mut self) -> Option<String> {
        (!self.buf.is_empty()).then(|| Self::text(&std::mem::take(&mut self.buf)))
    }

    pub(super) fn text(bytes: &[u8]) -> String {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// The `summary` of a completed lane: the last non-empty stdout line, or the
/// last non-empty stderr line when stdout had none.
#[derive(Debug, Default)]
pub struct Summary {
    stdout: Option<String>,
    stderr: Option<String>,
}

impl Summary {
    pub fn see(&mut self, stream: Stream, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        let slot = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        *slot = Some(line.chars().take(MAX_SUMMARY_CHARS).collect());
    }

    pub fn text(&self) -> String {
        self.stdout.clone().or_else(|| self.stderr.clone()).unwrap_or_default()
    }
}
