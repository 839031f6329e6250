//! Running one lane: a fresh git worktree, the agent command in its own
//! process group, its output and file changes streamed to the server, the
//! server's signals and interrupts passed on, and a final report.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nix::sys::signal::{Signal as Sig, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, sleep, timeout_at};

use crate::git::{self, GIT_LOCATION_VARS, StatusTracker};
use crate::interrupts::InterruptSink;
use crate::protocol::{self, Client, DispatchedLane, Event, Interrupt, MAX_EVENTS_PER_CALL, Signal, Stream};

/// Send buffered events at least this often…
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// …or as soon as this many are waiting.
const FLUSH_AT: usize = 50;
/// How often the worktree is checked for file changes.
const STATUS_EVERY: Duration = Duration::from_secs(1);
/// Without a status change, a snapshot is still tried every this many checks.
const CHECKPOINT_EVERY_TICKS: u64 = 5;
/// SIGTERM, then SIGKILL after this long.
const KILL_AFTER: Duration = Duration::from_secs(5);
/// After the agent exits, how long its pipes may stay open (held by children).
const DRAIN_FOR: Duration = Duration::from_secs(2);
/// Longer output lines are split into several `output` events.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// The longest `summary` sent with `completed`.
const MAX_SUMMARY_CHARS: usize = 2000;

mod agent;
mod outbox;
mod process;
mod registry;
mod text;

use agent::*;
pub use agent::{BriefVia, LaneConfig};
use outbox::*;
use process::*;
pub use registry::{LaneShared, Lanes};
use text::*;

/// How a lane ended, from this harness's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Failed,
    Cancelled,
}

/// Where a lane's files live.
#[derive(Debug)]
struct Prepared {
    worktree: PathBuf,
    interrupts_file: PathBuf,
    brief_file: Option<PathBuf>,
    /// The context entries for the brief, as markdown (`SWITCHYARD_CONTEXT_FILE`).
    context_file: PathBuf,
    /// The private index snapshots are taken with.
    snapshot_index: PathBuf,
    /// The agent's git hooks (`core.hooksPath`): they ask the approval gate.
    hooks_dir: PathBuf,
    /// The approval gate's socket, served while the agent runs (see `gate.rs`).
    gate: Option<tokio::net::UnixListener>,
    gate_socket: PathBuf,
    /// The commit the worktree started from: diffs and mandates cover everything since.
    base: Option<String>,
}

/// Runs `lane` to the end and reports it. `shared` must already be in the
/// harness's [`Lanes`] so heartbeats reach it.
pub async fn run(cfg: Arc<LaneConfig>, client: Client, shared: Arc<LaneShared>, lane: DispatchedLane) -> Outcome {
    let id = &lane.lane_id;
    let gate_client = client.clone();
    let outbox = Outbox::spawn(client, shared.clone());
    let prepared = match &lane.job {
        Some(job) => Err(extraction_job(&cfg, &lane, job, &outbox).await),
        None => Ok(prepare(&cfg, &shared, &lane).await),
    };
    let (outcome, done) = match prepared {
        Err(finished) => finished,
        Ok(Err(error)) => {
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            (Outcome::Failed, format!("lane {id} failed: {error}"))
        }
        Ok(Ok(mut prepared)) => {
            let gate = prepared
                .gate
                .take()
                .map(|listener| tokio::spawn(crate::gate::serve(listener, gate_client, id.clone(), shared.clone())));
            let (outcome, done) = supervise(&cfg, &shared, &lane, &prepared, &outbox).await;
            if let Some(gate) = gate {
                gate.abort();
            }
            let _ = std::fs::remove_file(gate_socket(&cfg, &lane));
            (outcome, format!("{done}; worktree kept at {}", prepared.worktree.display()))
        }
    };
    if outcome == Outcome::Cancelled {
        outbox.abandon();
        log!("lane {id} cancelled; no longer reporting it");
        return outcome;
    }
    if !outbox.finish().await {
        log!("lane {id} cancelled before its final report was sent; no longer reporting it");
        return Outcome::Cancelled;
    }
    // Logged once the server has the report, so a watcher can rely on it.
    log!("{done}");
    outcome
}

/// Validates the lane, opens its interrupts file, creates its worktree and
/// (with `--brief-via file`) writes the brief. Errors are the lane's `failed` message.
async fn prepare(cfg: &LaneConfig, shared: &LaneShared, lane: &DispatchedLane) -> Result<Prepared, String> {
    let repository = lane.repository.as_deref().ok_or("the lane names no repository")?;
    check_repository(repository)?;
    check_name("lane", &lane.lane_id)?;
    let name = worktree_name(&lane.lane_id, lane.attempt);
    let worktree = cfg.work_dir.join(&name);
    let interrupts_file = cfg.work_dir.join(format!("{name}.interrupts.jsonl"));

    // The interrupts file exists before the agent starts, with whatever was
    // queued before dispatch already in it.
    shared
        .sink()
        .open(interrupts_file.clone())
        .map_err(|e| format!("cannot create {}: {e}", interrupts_file.display()))?;
    shared.deliver(&lane.interrupts);

    let repo = cfg.repos_dir.join(repository);
    if !repo.is_dir() {
        return Err(format!("repository {repository:?} not found: {} is not a directory", repo.display()));
    }
    if worktree.exists() {
        return Err(format!("worktree path {} already exists", worktree.display()));
    }
    let start = match lane.start_commit.as_deref() {
        Some(commit) if is_commit(commit) => commit,
        Some(other) => return Err(format!("the lane's start commit {other:?} is not a commit id")),
        None => "HEAD",
    };
    git::add_worktree(&repo, &worktree, start)
        .await
        .map_err(|e| format!("cannot create a worktree of {repository:?}: {e:#}"))?;
    log!("lane {}: worktree {}", lane.lane_id, worktree.display());
    // Diffs and mandates cover everything since the work began: for a restored
    // snapshot, since the lane that took it started.
    let base = match lane.start_commit.as_deref() {
        Some(commit) => git::snapshot_base(&worktree, commit).await.ok(),
        None => git::head(&worktree).await.ok(),
    };

    let context_file = cfg.work_dir.join(format!("{name}.context.md"));
    std::fs::write(&context_file, context_markdown(&lane.context))
        .map_err(|e| format!("cannot write {}: {e}", context_file.display()))?;
    let snapshot_index = cfg.work_dir.join(format!("{name}.snapshot-index"));
    let brief_file = if cfg.brief_via == BriefVia::File {
        let path = cfg.work_dir.join(format!("{name}.brief.md"));
        std::fs::write(&path, &lane.brief).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Some(path)
    } else {
        None
    };
    // Hooks that cannot reach the gate refuse: a gate that cannot be opened fails closed.
    let hooks_dir = cfg.work_dir.join(format!("{name}.hooks"));
    let socket = gate_socket(cfg, lane);
    crate::gate::install_hooks(&hooks_dir, &socket)
        .map_err(|e| format!("cannot write git hooks in {}: {e}", hooks_dir.display()))?;
    let _ = std::fs::remove_file(&socket);
    let gate = match tokio::net::UnixListener::bind(&socket) {
        Ok(listener) => Some(listener),
        Err(e) => {
            log!(
                "lane {}: cannot open the approval gate {}: {e}; commits and pushes will be refused",
                lane.lane_id,
                socket.display()
            );
            None
        }
    };
    Ok(Prepared {
        worktree,
        interrupts_file,
        brief_file,
        context_file,
        snapshot_index,
        hooks_dir,
        gate,
        gate_socket: socket,
        base,
    })
}

/// A commit id as git prints it (abbreviated or full, SHA-1 or SHA-256).
fn is_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An extraction job: no agent. A worktree of the repository's HEAD is read
/// by [`crate::extract`] and what it finds is sent as one `context` report.
async fn extraction_job(cfg: &LaneConfig, lane: &DispatchedLane, job: &str, outbox: &Outbox) -> (Outcome, String) {
    let id = &lane.lane_id;
    let read = async {
        let repository = lane.repository.as_deref().ok_or("the lane names no repository")?;
        check_repository(repository)?;
        check_name("lane", &lane.lane_id)?;
        let repo = cfg.repos_dir.join(repository);
        if !repo.is_dir() {
            return Err(format!("repository {repository:?} not found: {} is not a directory", repo.display()));
        }
        let worktree = cfg.work_dir.join(worktree_name(&lane.lane_id, lane.attempt));
        if worktree.exists() {
            return Err(format!("worktree path {} already exists", worktree.display()));
        }
        git::add_worktree(&repo, &worktree, "HEAD")
            .await
            .map_err(|e| format!("cannot create a worktree of {repository:?}: {e:#}"))?;
        let commit = git::head(&worktree).await.map_err(|e| format!("{e:#}"))?;
        let (root, job_name, at) = (worktree.clone(), job.to_owned(), commit.clone());
        let found = tokio::task::spawn_blocking(move || crate::extract::extract(&root, &job_name, &at))
            .await
            .map_err(|e| format!("the extraction stopped: {e}"))?;
        Ok((commit, found))
    };
    match read.await {
        Ok((commit, found)) => {
            let n = found.len();
            let short = commit[..commit.len().min(12)].to_owned();
            outbox.push(Event::Context { job: job.to_owned(), commit, entries: found });
            let summary = format!("extracted {n} {job} entries at {short}");
            outbox.push(Event::Completed { exit_code: 0, summary: summary.clone(), diff_stat: None, changes: None });
            (Outcome::Completed, format!("lane {id} (extraction job) completed: {summary}"))
        }
        Err(error) => {
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            (Outcome::Failed, format!("lane {id} (extraction job) failed: {error}"))
        }
    }
}

/// The context file: each entry as a markdown section, best first.
fn context_markdown(entries: &[protocol::ContextEntry]) -> String {
    let mut out = String::from(
        "# Context for this lane\n\nWhat Switchyard's context engine knows that bears on this brief, best first.\n",
    );
    if entries.is_empty() {
        out.push_str("\nNo context entries matched this lane.\n");
    }
    for e in entries {
        out.push_str(&format!(
            "\n## {} ({}, confidence {:.2})\n\n{}\n",
            e.title,
            e.dimension,
            e.confidence,
            e.body.trim()
        ));
        if let Some(path) = &e.source_path {
            let at = e.source_commit.as_deref().map(|c| format!(" at {}", &c[..c.len().min(12)])).unwrap_or_default();
            out.push_str(&format!("\nSource: {path}{at} (entry {})\n", e.entry_id));
        }
    }
    out
}

/// `<work-dir>/<name>.gate.sock`.
fn gate_socket(cfg: &LaneConfig, lane: &DispatchedLane) -> PathBuf {
    cfg.work_dir.join(format!("{}.gate.sock", worktree_name(&lane.lane_id, lane.attempt)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plain_components() {
        for ok in ["demo", "my-repo_2", "lane_abc123", "a.b", "acme/shop", "group/sub/app"] {
            assert!(check_repository(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "/abs", "a//b", "a/", "..", "a/../b", "a..b", ".hidden", "a/.git", ".", "a\\b", "a\nb", "a/b/c/d/e/f"]
        {
            let err = check_repository(bad).unwrap_err();
            assert!(err.contains("invalid repository name"), "{bad}: {err}");
        }
        assert!(check_name("lane", "a/b").is_err());
    }

    #[test]
    fn worktree_names() {
        assert_eq!(worktree_name("lane_x", 1), "lane_x");
        assert_eq!(worktree_name("lane_x", 0), "lane_x");
        assert_eq!(worktree_name("lane_x", 3), "lane_x-attempt-3");
    }

    #[test]
    fn line_splitter() {
        let mut s = LineSplitter::new(8);
        assert_eq!(s.push(b"one\r\ntw"), vec!["one"]);
        assert_eq!(s.push(b"o\n\nthree"), vec!["two", ""]);
        assert_eq!(s.finish().as_deref(), Some("three"));
        assert_eq!(s.finish(), None);
        // Long lines are split; a multi-byte character is never cut in two.
        let mut s = LineSplitter::new(8);
        assert_eq!(s.push("abcdefghij\n".as_bytes()), vec!["abcdefgh", "ij"]);
        assert_eq!(s.push("abcdefgé\n".as_bytes()), vec!["abcdefg", "é"]);
        assert_eq!(s.push(b"\xff\n"), vec!["\u{fffd}"]);
    }

    #[test]
    fn summary_prefers_the_last_stdout_line() {
        let mut s = Summary::default();
        assert_eq!(s.text(), "");
        s.see(Stream::Stderr, "warming up");
        assert_eq!(s.text(), "warming up");
        s.see(Stream::Stdout, "  done: 3 files  ");
        s.see(Stream::Stdout, "   ");
        s.see(Stream::Stderr, "bye");
        assert_eq!(s.text(), "done: 3 files");
    }

    #[test]
    fn exit_codes() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(&ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(&ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(&ExitStatus::from_raw(15)), 143); // killed by SIGTERM
    }

    #[test]
    fn signals_cancel_is_final_and_unknown_ignored() {
        let shared = LaneShared::new("lane_1");
        let mut rx = shared.subscribe();
        shared.apply(Signal::Run);
        assert!(!rx.has_changed().unwrap());
        shared.apply(Signal::Pause);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), Signal::Pause);
        shared.apply(Signal::Unknown);
        assert_eq!(*rx.borrow(), Signal::Pause);
        shared.apply(Signal::Cancel);
        shared.apply(Signal::Run);
        assert!(shared.is_cancelled());
    }

    #[test]
    fn registry_acks_and_replacement() {
        let lanes = Lanes::default();
        let a = LaneShared::new("lane_a");
        lanes.insert(a.clone());
        assert!(lanes.acks().is_empty());
        let dir = tempfile::tempdir().unwrap();
        a.sink().open(dir.path().join("a.jsonl")).unwrap();
        a.deliver(&[Interrupt {
            id: 4,
            kind: "note".into(),
            message: "m".into(),
            created_at: None,
            in_reply_to: None,
        }]);
        assert_eq!(lanes.acks(), BTreeMap::from([("lane_a".to_owned(), 4)]));

        let a2 = LaneShared::new("lane_a");
        lanes.insert(a2.clone());
        assert!(a.is_cancelled());
        lanes.remove(&a); // the stale run leaving must not drop the new one
        assert!(lanes.get("lane_a").is_some_and(|cur| Arc::ptr_eq(&cur, &a2)));
        lanes.remove(&a2);
        assert!(lanes.all().is_empty());
    }
}
