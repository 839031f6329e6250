//! Handing interrupts to the agent exactly once, in id order.
//!
//! The server re-sends every interrupt above the acked id with each heartbeat
//! (and the dispatch answer carries the ones queued before the lane started),
//! so the same interrupt arrives many times. [`InterruptBook`] remembers what
//! was delivered; [`InterruptSink`] appends what is new to the lane's
//! interrupts file and says what to ack.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::protocol::Interrupt;

/// The ids already handed to the agent.
#[derive(Debug, Default)]
pub struct InterruptBook {
    delivered: BTreeSet<u64>,
}

impl InterruptBook {
    /// The interrupts in `incoming` not delivered yet, each once, in id order.
    pub fn fresh(&self, incoming: &[Interrupt]) -> Vec<Interrupt> {
        let mut fresh: Vec<Interrupt> = incoming.iter().filter(|i| !self.delivered.contains(&i.id)).cloned().collect();
        fresh.sort_by_key(|i| i.id);
        fresh.dedup_by_key(|i| i.id);
        fresh
    }

    pub fn mark_delivered(&mut self, id: u64) {
        self.delivered.insert(id);
    }

    /// The id to ack: the highest delivered, if any.
    pub fn ack(&self) -> Option<u64> {
        self.delivered.last().copied()
    }
}

/// One line of the interrupts file.
#[derive(Serialize)]
struct Line<'a> {
    id: u64,
    kind: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_reply_to: Option<&'a str>,
}

/// `{"id":7,"kind":"note","message":"…"}` followed by a newline (an `answer`
/// also names the question: `"in_reply_to":"inb_…"`).
pub fn jsonl_line(i: &Interrupt) -> String {
    let line = Line { id: i.id, kind: &i.kind, message: &i.message, in_reply_to: i.in_reply_to.as_deref() };
    let mut line = serde_json::to_string(&line).unwrap_or_else(|_| format!("{{\"id\":{}}}", i.id));
    line.push('\n');
    line
}

/// A lane's interrupts file (outside the worktree) plus its book.
///
/// Until [`InterruptSink::open`] has created the file, nothing is delivered
/// (and so nothing acked): the server simply sends those interrupts again.
#[derive(Debug, Default)]
pub struct InterruptSink {
    /// Set once the file exists.
    path: Option<PathBuf>,
    book: InterruptBook,
}

impl InterruptSink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Creates the file empty (truncating one left by an earlier run).
    pub fn open(&mut self, path: PathBuf) -> io::Result<()> {
        File::create(&path)?;
        self.path = Some(path);
        Ok(())
    }

    /// Appends each new interrupt as one JSON line, in id order, and returns
    /// the ones written. An interrupt is marked delivered only once its line
    /// is in the file; on a write error the rest wait for the next attempt.
    pub fn deliver(&mut self, incoming: &[Interrupt]) -> io::Result<Vec<Interrupt>> {
        let Some(path) = &self.path else {
            return Ok(Vec::new());
        };
        let fresh = self.book.fresh(incoming);
        if fresh.is_empty() {
            return Ok(fresh);
        }
        let mut file = OpenOptions::new().append(true).open(path)?;
        let mut written = Vec::with_capacity(fresh.len());
        for interrupt in fresh {
            // One write per line, so a reader never sees half an interrupt.
            file.write_all(jsonl_line(&interrupt).as_bytes())?;
            file.flush()?;
            self.book.mark_delivered(interrupt.id);
            written.push(interrupt);
        }
        Ok(written)
    }

    pub fn ack(&self) -> Option<u64> {
        self.book.ack()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn int(id: u64, message: &str) -> Interrupt {
        Interrupt { id, kind: "note".into(), message: message.into(), created_at: None, in_reply_to: None }
    }

    #[test]
    fn book_dedups_and_orders() {
        let mut book = InterruptBook::default();
        let fresh = book.fresh(&[int(9, "b"), int(7, "a"), int(9, "b")]);
        assert_eq!(fresh.iter().map(|i| i.id).collect::<Vec<_>>(), vec![7, 9]);
        for i in &fresh {
            book.mark_delivered(i.id);
        }
        assert_eq!(book.ack(), Some(9));
        // Re-sent until acked: nothing new, then only the new one.
        assert!(book.fresh(&[int(7, "a"), int(9, "b")]).is_empty());
        let fresh = book.fresh(&[int(9, "b"), int(10, "c")]);
        assert_eq!(fresh.iter().map(|i| i.id).collect::<Vec<_>>(), vec![10]);
        assert_eq!(InterruptBook::default().ack(), None);
    }

    #[test]
    fn sink_writes_each_interrupt_once_as_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lane_1.interrupts.jsonl");
        std::fs::write(&path, "stale\n").unwrap();
        let mut sink = InterruptSink::new();

        // Not opened yet: nothing delivered, nothing acked.
        assert!(sink.deliver(&[int(1, "early")]).unwrap().is_empty());
        assert_eq!(sink.ack(), None);

        sink.open(path.clone()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        let first = sink.deliver(&[int(8, "second"), int(1, "early")]).unwrap();
        assert_eq!(first.len(), 2);
        let again = sink.deliver(&[int(1, "early"), int(8, "second"), int(12, "say \"hi\"\nnow")]).unwrap();
        assert_eq!(again.iter().map(|i| i.id).collect::<Vec<_>>(), vec![12]);
        assert_eq!(sink.ack(), Some(12));

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(
            lines,
            vec![
                serde_json::json!({"id":1,"kind":"note","message":"early"}),
                serde_json::json!({"id":8,"kind":"note","message":"second"}),
                serde_json::json!({"id":12,"kind":"note","message":"say \"hi\"\nnow"}),
            ]
        );
    }
}
