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
/// SIGTERM, then SIGKILL after this long.
const KILL_AFTER: Duration = Duration::from_secs(5);
/// After the agent exits, how long its pipes may stay open (held by children).
const DRAIN_FOR: Duration = Duration::from_secs(2);
/// Longer output lines are split into several `output` events.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// The longest `summary` sent with `completed`.
const MAX_SUMMARY_CHARS: usize = 2000;

/// How the agent receives its brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BriefVia {
    /// Written to the agent's stdin, which is then closed.
    Stdin,
    /// In `SWITCHYARD_BRIEF`.
    Env,
    /// In `<work-dir>/<lane>.brief.md`, named by `SWITCHYARD_BRIEF_FILE`.
    File,
}

/// What every lane needs from the command line.
#[derive(Debug)]
pub struct LaneConfig {
    /// Absolute; lanes name repositories directly under it.
    pub repos_dir: PathBuf,
    /// Absolute; worktrees and per-lane files go here.
    pub work_dir: PathBuf,
    /// Run with `sh -c` in the worktree.
    pub command: String,
    pub brief_via: BriefVia,
}

// ---------------------------------------------------------------- shared state

/// The part of a running lane the heartbeat loop talks to: the signal the
/// server wants applied and the interrupts file.
#[derive(Debug)]
pub struct LaneShared {
    pub lane_id: String,
    signal: watch::Sender<Signal>,
    interrupts: Mutex<InterruptSink>,
}

impl LaneShared {
    pub fn new(lane_id: &str) -> Arc<Self> {
        Arc::new(Self {
            lane_id: lane_id.to_owned(),
            signal: watch::Sender::new(Signal::Run),
            interrupts: Mutex::new(InterruptSink::new()),
        })
    }

    /// Records the signal the server wants; the lane acts on changes. Cancel
    /// is final, and signals this harness does not know are ignored.
    pub fn apply(&self, wanted: Signal) {
        self.signal.send_if_modified(|current| {
            let next = match (wanted, *current) {
                (_, Signal::Cancel) | (Signal::Unknown, _) => *current,
                (wanted, _) => wanted,
            };
            let changed = next != *current;
            *current = next;
            changed
        });
    }

    pub fn is_cancelled(&self) -> bool {
        *self.signal.borrow() == Signal::Cancel
    }

    fn subscribe(&self) -> watch::Receiver<Signal> {
        self.signal.subscribe()
    }

    fn sink(&self) -> std::sync::MutexGuard<'_, InterruptSink> {
        self.interrupts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands new interrupts to the agent (see [`InterruptSink::deliver`]).
    pub fn deliver(&self, incoming: &[Interrupt]) {
        if incoming.is_empty() {
            return;
        }
        let mut sink = self.sink();
        match sink.deliver(incoming) {
            Ok(written) => {
                for i in written {
                    log!("lane {}: interrupt {} ({}) delivered", self.lane_id, i.id, i.kind);
                }
            }
            Err(e) => log!(
                "lane {}: cannot append to {}: {e} (will retry with the next heartbeat)",
                self.lane_id,
                sink.path().map(|p| p.display().to_string()).unwrap_or_default()
            ),
        }
    }

    /// The highest interrupt id handed to the agent, to ack.
    pub fn ack(&self) -> Option<u64> {
        self.sink().ack()
    }
}

/// The lanes this harness runs, by id.
#[derive(Debug, Clone, Default)]
pub struct Lanes(Arc<Mutex<HashMap<String, Arc<LaneShared>>>>);

impl Lanes {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LaneShared>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a lane; one already running under the same id (the server
    /// dispatched it again, so that run is stale) is told to cancel.
    pub fn insert(&self, shared: Arc<LaneShared>) {
        if let Some(old) = self.map().insert(shared.lane_id.clone(), shared) {
            log!("lane {}: dispatched again; cancelling the earlier run", old.lane_id);
            old.apply(Signal::Cancel);
        }
    }

    /// Removes this lane's entry (not a newer one with the same id).
    pub fn remove(&self, shared: &Arc<LaneShared>) {
        let mut map = self.map();
        if map.get(&shared.lane_id).is_some_and(|cur| Arc::ptr_eq(cur, shared)) {
            map.remove(&shared.lane_id);
        }
    }

    pub fn get(&self, lane_id: &str) -> Option<Arc<LaneShared>> {
        self.map().get(lane_id).cloned()
    }

    pub fn all(&self) -> Vec<Arc<LaneShared>> {
        self.map().values().cloned().collect()
    }

    /// `acks` for the next heartbeat.
    pub fn acks(&self) -> BTreeMap<String, u64> {
        self.all().into_iter().filter_map(|l| l.ack().map(|id| (l.lane_id.clone(), id))).collect()
    }
}

// ---------------------------------------------------------------- pure helpers

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

/// The worktree directory name: the lane id, with the attempt appended for a
/// retried lane so an earlier attempt's worktree is kept, not reused.
pub fn worktree_name(lane_id: &str, attempt: u32) -> String {
    if attempt <= 1 { lane_id.to_owned() } else { format!("{lane_id}-attempt-{attempt}") }
}

/// The exit code to report: the process's, or 128 + the signal that killed it
/// (as a shell would say).
pub fn exit_code(status: &ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(sig)) => 128 + i64::from(sig),
        (None, None) => -1,
    }
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

    fn text(bytes: &[u8]) -> String {
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

// ---------------------------------------------------------------- outbox

/// Queues a lane's events and sends them in order, batched, retrying
/// transient failures so nothing is lost. Runs as its own task so a slow or
/// unreachable server never blocks the agent's pipes.
struct Outbox {
    tx: Option<mpsc::UnboundedSender<Event>>,
    task: JoinHandle<bool>,
}

impl Outbox {
    fn spawn(client: Client, shared: Arc<LaneShared>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(pump(client, shared, rx));
        Self { tx: Some(tx), task }
    }

    fn push(&self, event: Event) {
        if let Some(tx) = &self.tx {
            // Fails only once the pump stopped (409 or cancel): then nothing is wanted.
            let _ = tx.send(event);
        }
    }

    /// Sends everything queued; false if the lane was cancelled (or taken
    /// away with a 409) first.
    async fn finish(mut self) -> bool {
        self.tx = None;
        (&mut self.task).await.unwrap_or(false)
    }

    /// Drops whatever is queued: a cancelled lane is not reported on.
    fn abandon(self) {
        self.task.abort();
    }
}

/// The outbox task: flush every [`FLUSH_EVERY`] or at [`FLUSH_AT`] events.
/// Returns true once the channel is closed and everything was sent.
async fn pump(client: Client, shared: Arc<LaneShared>, mut rx: mpsc::UnboundedReceiver<Event>) -> bool {
    let mut queue = VecDeque::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut open = true;
    loop {
        tokio::select! {
            event = rx.recv(), if open => match event {
                Some(event) => {
                    queue.push_back(event);
                    if queue.len() < FLUSH_AT {
                        continue;
                    }
                }
                None => open = false,
            },
            _ = tick.tick() => {}
        }
        if !flush(&client, &shared, &mut queue).await {
            return false;
        }
        if !open && queue.is_empty() {
            return true;
        }
    }
}

/// Sends `queue` in calls of at most [`MAX_EVENTS_PER_CALL`]; keeps retrying
/// transient failures. False if the lane is cancelled or no longer ours.
async fn flush(client: &Client, shared: &LaneShared, queue: &mut VecDeque<Event>) -> bool {
    let lane_id = &shared.lane_id;
    let mut backoff = Duration::from_millis(250);
    while !queue.is_empty() {
        if shared.is_cancelled() {
            return false;
        }
        let n = queue.len().min(MAX_EVENTS_PER_CALL);
        let batch: Vec<Event> = queue.iter().take(n).cloned().collect();
        match client.events(lane_id, &batch).await {
            Ok(answer) => {
                queue.drain(..n);
                backoff = Duration::from_millis(250);
                if let Some(signal) = protocol::effective_signal(&answer.state, answer.signal) {
                    shared.apply(signal);
                }
            }
            Err(e) if e.is_conflict() => {
                log!("lane {lane_id}: harness-event answered 409 ({e}); treating it as cancel");
                shared.apply(Signal::Cancel);
                return false;
            }
            Err(e) if e.is_retryable() => {
                log!("lane {lane_id}: sending {n} event(s) failed: {e}; retrying in {}ms", backoff.as_millis());
                sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                log!("lane {lane_id}: server refused {n} event(s): {e}; dropping them");
                queue.drain(..n);
            }
        }
    }
    true
}

// ---------------------------------------------------------------- running a lane

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
}

/// Runs `lane` to the end and reports it. `shared` must already be in the
/// harness's [`Lanes`] so heartbeats reach it.
pub async fn run(cfg: Arc<LaneConfig>, client: Client, shared: Arc<LaneShared>, lane: DispatchedLane) -> Outcome {
    let id = &lane.lane_id;
    let outbox = Outbox::spawn(client, shared.clone());
    let (outcome, done) = match prepare(&cfg, &shared, &lane).await {
        Err(error) => {
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            (Outcome::Failed, format!("lane {id} failed: {error}"))
        }
        Ok(prepared) => {
            let (outcome, done) = supervise(&cfg, &shared, &lane, &prepared, &outbox).await;
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
    check_name("repository", repository)?;
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
    git::add_worktree(&repo, &worktree)
        .await
        .map_err(|e| format!("cannot create a worktree of {repository:?}: {e:#}"))?;
    log!("lane {}: worktree {}", lane.lane_id, worktree.display());

    let brief_file = if cfg.brief_via == BriefVia::File {
        let path = cfg.work_dir.join(format!("{name}.brief.md"));
        std::fs::write(&path, &lane.brief).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Some(path)
    } else {
        None
    };
    Ok(Prepared { worktree, interrupts_file, brief_file })
}

/// The agent command: `sh -c <command>` in the worktree, in a new process
/// group, with the lane in its environment.
fn agent_command(cfg: &LaneConfig, lane: &DispatchedLane, p: &Prepared) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(&cfg.command).current_dir(&p.worktree).process_group(0).kill_on_drop(true);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // The agent must not see the harness's PAT, nor git variables that would
    // point its git at another repository.
    for var in GIT_LOCATION_VARS.iter().chain(&["SWITCHYARD_TOKEN", "SWITCHYARD_BRIEF", "SWITCHYARD_BRIEF_FILE"]) {
        cmd.env_remove(var);
    }
    cmd.env("SWITCHYARD_LANE_ID", &lane.lane_id)
        .env("SWITCHYARD_REPOSITORY", lane.repository.as_deref().unwrap_or_default())
        .env("SWITCHYARD_CLAIM", serde_json::to_string(&lane.claim).unwrap_or_else(|_| "[]".into()))
        .env("SWITCHYARD_INTERRUPTS_FILE", &p.interrupts_file)
        .env("SWITCHYARD_LABELS", serde_json::to_string(&lane.labels).unwrap_or_else(|_| "[]".into()))
        .env("SWITCHYARD_ATTEMPT", lane.attempt.to_string())
        .env("SWITCHYARD_WORKTREE", &p.worktree);
    for (var, budget) in
        [("SWITCHYARD_TOKEN_BUDGET", lane.token_budget), ("SWITCHYARD_COST_BUDGET_CENTS", lane.cost_budget_cents)]
    {
        match budget {
            Some(n) => cmd.env(var, n.to_string()),
            None => cmd.env_remove(var),
        };
    }
    match cfg.brief_via {
        BriefVia::Stdin => {
            cmd.stdin(Stdio::piped());
        }
        BriefVia::Env => {
            cmd.stdin(Stdio::null()).env("SWITCHYARD_BRIEF", &lane.brief);
        }
        BriefVia::File => {
            cmd.stdin(Stdio::null());
            if let Some(path) = &p.brief_file {
                cmd.env("SWITCHYARD_BRIEF_FILE", path);
            }
        }
    }
    cmd
}

/// Starts the agent and watches it until it exits or is cancelled.
async fn supervise(
    cfg: &LaneConfig,
    shared: &LaneShared,
    lane: &DispatchedLane,
    p: &Prepared,
    outbox: &Outbox,
) -> (Outcome, String) {
    let id = &lane.lane_id;
    if shared.is_cancelled() {
        log!("lane {id}: cancelled before its agent started");
        return (Outcome::Cancelled, String::new());
    }
    let mut child = match agent_command(cfg, lane, p).spawn() {
        Ok(child) => child,
        Err(e) => {
            let error = format!("cannot start the agent command: {e}");
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            return (Outcome::Failed, format!("lane {id} failed: {error}"));
        }
    };
    let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) else {
        // It exited (and was reaped) already; there is no group to signal.
        return finish_exited(lane, p, child.wait().await, Summary::default(), outbox).await;
    };
    // process_group(0): the agent leads a new group whose id is its pid.
    let group = Pid::from_raw(pid);
    log!("lane {id}: agent started (pid {pid}, process group {pid})");

    let mut readers = Vec::new();
    let (line_tx, mut lines) = mpsc::channel(1024);
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(read_lines(out, Stream::Stdout, line_tx.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(read_lines(err, Stream::Stderr, line_tx.clone())));
    }
    drop(line_tx);
    if let Some(mut stdin) = child.stdin.take() {
        let brief = lane.brief.clone();
        // A task, so an agent that never reads stdin cannot block the lane;
        // dropping stdin at the end closes it.
        readers.push(tokio::spawn(async move {
            let _ = stdin.write_all(brief.as_bytes()).await;
        }));
    }

    let mut signals = shared.subscribe();
    signals.mark_changed(); // act on a signal that arrived before the agent started
    let mut status_tick = tokio::time::interval(STATUS_EVERY);
    status_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tracker = StatusTracker::default();
    let mut summary = Summary::default();
    let mut stopped = false;
    let mut lines_open = true;

    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Ok(()) = signals.changed() => {
                let wanted = *signals.borrow_and_update();
                match wanted {
                    Signal::Pause if !stopped => {
                        send_group(group, Sig::SIGSTOP);
                        stopped = true;
                        log!("lane {id}: signal pause: agent stopped (SIGSTOP)");
                    }
                    Signal::Run if stopped => {
                        send_group(group, Sig::SIGCONT);
                        stopped = false;
                        log!("lane {id}: signal run: agent continued (SIGCONT)");
                    }
                    Signal::Cancel => {
                        log!("lane {id}: signal cancel: terminating agent (SIGTERM)");
                        terminate(&mut child, group, id).await;
                        readers.iter().for_each(JoinHandle::abort);
                        return (Outcome::Cancelled, String::new());
                    }
                    _ => {}
                }
            }
            line = lines.recv(), if lines_open => match line {
                Some((stream, line)) => {
                    summary.see(stream, &line);
                    outbox.push(Event::Output { stream, line });
                }
                None => lines_open = false,
            },
            _ = status_tick.tick() => report_changes(&p.worktree, &mut tracker, outbox, id).await,
        }
    };

    // Processes the agent left behind in its group would keep changing the
    // worktree after the diff is taken.
    if group_alive(group) {
        log!("lane {id}: terminating processes left in the agent's process group");
        terminate_group(group, id).await;
    }
    // Whatever is still in the pipes, for a little while.
    let deadline = Instant::now() + DRAIN_FOR;
    while lines_open {
        match timeout_at(deadline, lines.recv()).await {
            Ok(Some((stream, line))) => {
                summary.see(stream, &line);
                outbox.push(Event::Output { stream, line });
            }
            Ok(None) | Err(_) => lines_open = false,
        }
    }
    readers.iter().for_each(JoinHandle::abort);
    report_changes(&p.worktree, &mut tracker, outbox, id).await;
    finish_exited(lane, p, status, summary, outbox).await
}

/// The agent exited on its own: stage and measure its work, then queue
/// `completed` (exit code 0) or `failed`. Returns the line to log once sent.
async fn finish_exited(
    lane: &DispatchedLane,
    p: &Prepared,
    status: std::io::Result<ExitStatus>,
    summary: Summary,
    outbox: &Outbox,
) -> (Outcome, String) {
    let id = &lane.lane_id;
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            let error = format!("lost track of the agent: {e}");
            outbox.push(Event::Failed { exit_code: None, error: error.clone() });
            return (Outcome::Failed, format!("lane {id} failed: {error}"));
        }
    };
    let code = exit_code(&status);
    log!("lane {id}: agent exited with code {code}");
    let diff_stat = match git::diff_stat(&p.worktree).await {
        Ok(stat) => Some(stat),
        Err(e) => {
            log!("lane {id}: cannot compute the diff summary: {e:#}");
            None
        }
    };
    let stat_text = diff_stat
        .map(|s| format!("{} file(s) changed, +{} -{}", s.files_changed, s.insertions, s.deletions))
        .unwrap_or_else(|| "no diff summary".into());
    if code == 0 {
        outbox.push(Event::Completed { exit_code: 0, summary: summary.text(), diff_stat });
        (Outcome::Completed, format!("lane {id} completed exit code 0 ({stat_text})"))
    } else {
        let error = match std::os::unix::process::ExitStatusExt::signal(&status) {
            Some(sig) => format!("agent was killed by signal {sig}"),
            None => format!("agent exited with code {code}"),
        };
        outbox.push(Event::Failed { exit_code: Some(code), error: error.clone() });
        (Outcome::Failed, format!("lane {id} failed exit code {code} ({error}; {stat_text})"))
    }
}

/// Queues a `file_change` event for each path whose status appeared or changed.
async fn report_changes(worktree: &Path, tracker: &mut StatusTracker, outbox: &Outbox, lane_id: &str) {
    match git::status(worktree).await {
        Ok(now) => {
            for (path, change) in tracker.update(now) {
                outbox.push(Event::FileChange { path, change });
            }
        }
        Err(e) => log!("lane {lane_id}: git status failed: {e:#}"),
    }
}

/// Forwards a pipe's lines to the lane loop.
async fn read_lines<R: AsyncRead + Unpin>(mut pipe: R, stream: Stream, tx: mpsc::Sender<(Stream, String)>) {
    let mut splitter = LineSplitter::new(MAX_LINE_BYTES);
    let mut chunk = vec![0u8; 8192];
    loop {
        let n = match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for line in splitter.push(&chunk[..n]) {
            if tx.send((stream, line)).await.is_err() {
                return;
            }
        }
    }
    if let Some(line) = splitter.finish() {
        let _ = tx.send((stream, line)).await;
    }
}

// ---------------------------------------------------------------- signals

/// Signals the whole process group; it may be gone already, which is fine.
fn send_group(group: Pid, sig: Sig) {
    let _ = killpg(group, sig);
}

/// Whether any process is left in the group.
fn group_alive(group: Pid) -> bool {
    killpg(group, None).is_ok()
}

/// SIGTERM (and SIGCONT, in case it is paused) to the group; SIGKILL if
/// anything in it is still alive after [`KILL_AFTER`]. Reaps the agent.
async fn terminate(child: &mut Child, group: Pid, lane_id: &str) {
    send_group(group, Sig::SIGTERM);
    send_group(group, Sig::SIGCONT);
    let deadline = Instant::now() + KILL_AFTER;
    if timeout_at(deadline, child.wait()).await.is_err() || !wait_group(group, deadline).await {
        log!("lane {lane_id}: agent still alive after {}s: SIGKILL", KILL_AFTER.as_secs());
        send_group(group, Sig::SIGKILL);
    }
    let _ = child.wait().await;
}

/// [`terminate`] for a group whose leader has exited already.
async fn terminate_group(group: Pid, lane_id: &str) {
    send_group(group, Sig::SIGTERM);
    send_group(group, Sig::SIGCONT);
    if !wait_group(group, Instant::now() + KILL_AFTER).await {
        log!("lane {lane_id}: processes still alive after {}s: SIGKILL", KILL_AFTER.as_secs());
        send_group(group, Sig::SIGKILL);
    }
}

/// Waits until the group is empty; false if it is not by `deadline`.
async fn wait_group(group: Pid, deadline: Instant) -> bool {
    while group_alive(group) {
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(50)).await;
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plain_components() {
        for ok in ["demo", "my-repo_2", "lane_abc123", "a.b"] {
            assert!(check_name("repository", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/b", "/abs", "..", "a..b", ".hidden", ".", "a\\b", "a\nb"] {
            let err = check_name("repository", bad).unwrap_err();
            assert!(err.contains("invalid repository name"), "{bad}: {err}");
        }
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
        a.deliver(&[Interrupt { id: 4, kind: "note".into(), message: "m".into(), created_at: None }]);
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
