#![forbid(unsafe_code)]
//! `switchyard-harness`: the reference harness. It sits next to local git
//! repositories, registers with a Switchyard server, heartbeats, claims lanes
//! and runs a configured agent command for each, streaming what happens back
//! (protocol: `harness-register`, `-dispatch`, `-heartbeat`, `-event`).
//!
//! # What the agent gets
//!
//! For each lane the harness creates a detached worktree `<work-dir>/<name>`
//! of `<repos-dir>/<repository>`, where `<name>` is the lane id (for a retried
//! lane, `<lane_id>-attempt-<n>`, so the earlier attempt's worktree is kept),
//! and runs `sh -c "<command>"` there, in its own process group, with:
//!
//! - `SWITCHYARD_LANE_ID`, `SWITCHYARD_REPOSITORY`, `SWITCHYARD_ATTEMPT`,
//!   `SWITCHYARD_WORKTREE`, `SWITCHYARD_CLAIM` and `SWITCHYARD_LABELS` (JSON
//!   arrays), `SWITCHYARD_TOKEN_BUDGET` / `SWITCHYARD_COST_BUDGET_CENTS` when set;
//! - the brief on stdin (closed after it), or in `SWITCHYARD_BRIEF`
//!   (`--brief-via env`), or in the file named by `SWITCHYARD_BRIEF_FILE`
//!   (`--brief-via file`, `<work-dir>/<name>.brief.md`);
//! - `SWITCHYARD_INTERRUPTS_FILE`: see below;
//! - not `SWITCHYARD_TOKEN` (the PAT stays with the harness), nor `GIT_DIR`
//!   and friends.
//!
//! Everything it prints is sent as `output` events and changed files as
//! `file_change` events while it works. Exit code 0 is `completed`, with the
//! last non-empty stdout line (else stderr line) as summary and a diff stat of
//! everything it changed, which is left staged in the worktree; anything else
//! is `failed`. The worktree is kept for inspection.
//!
//! # Interrupts: how notes and redirections reach a running agent
//!
//! Users can queue interrupts on a lane (`note`: extra information;
//! `redirect`: a change of direction the agent must follow). The harness
//! appends each one, exactly once and in id order, as one JSON line
//!
//! ```text
//! {"id":7,"kind":"note","message":"also update the changelog"}
//! ```
//!
//! to the file named by `SWITCHYARD_INTERRUPTS_FILE`
//! (`<work-dir>/<name>.interrupts.jsonl`, outside the worktree so it never
//! shows up in the diff). The file exists before the agent starts, holding
//! the interrupts queued before dispatch (or empty). An agent follows it like
//! `tail -f`: remember how many lines it has read and look again between
//! steps. Each line is written with a single `write`, so a reader never sees
//! half a line. An id is acked to the server (in the next heartbeat) only
//! after its line is in the file; until then the server keeps re-sending it,
//! and the harness de-duplicates by id.
//!
//! # Signals
//!
//! `pause` stops the agent's process group (SIGSTOP), `run` continues it
//! (SIGCONT); `cancel` (or a 409 from `harness-event`) sends SIGTERM, then
//! SIGKILL after 5 s, and the lane is no longer reported on. Ctrl-C or SIGTERM
//! to the harness terminates every agent the same way and exits.
//!
//! # Commits and pushes wait for the workspace's policy
//!
//! The agent's git runs the lane's `commit-msg` and `pre-push` hooks
//! (`core.hooksPath`, set through `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_0` /
//! `GIT_CONFIG_VALUE_0`). They ask the server through the harness
//! (`harness-action`): a commit or push a rule denies fails; one that needs
//! a member's approval (by default, every commit and push) blocks until a
//! member approves it (`lane-approve`) or it is refused, expires or the lane
//! ends. See `gate.rs`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One line on stderr per notable thing, prefixed with seconds since start.
macro_rules! log {
    ($($arg:tt)*) => {
        eprintln!("switchyard-harness [{:>8.3}s] {}", $crate::uptime(), format_args!($($arg)*))
    };
}

mod extract;
mod gate;
mod git;
mod interrupts;
mod lane;
mod protocol;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinSet;

use crate::lane::{BriefVia, LaneConfig, LaneShared, Lanes};
use crate::protocol::{Client, HeartbeatAnswer, RegisterRequest, Signal};

static START: OnceLock<Instant> = OnceLock::new();

fn uptime() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Registers with a Switchyard server, claims lanes and runs an agent command
/// for each in a fresh git worktree.
#[derive(Debug, Parser)]
#[command(name = "switchyard-harness", version, about)]
struct Cli {
    /// The server, e.g. http://127.0.0.1:3000.
    #[arg(long, env = "SWITCHYARD_URL")]
    url: String,
    /// A workspace PAT (`sl_pat_…`) with scope `lanes:write`, used only to register.
    #[arg(long, env = "SWITCHYARD_TOKEN", hide_env_values = true)]
    token: String,
    /// The harness kind lanes ask for (e.g. `script`, `claude-code`).
    #[arg(long, default_value = "script")]
    kind: String,
    /// A name for this harness, shown to users.
    #[arg(long, default_value = "harness")]
    name: String,
    /// Holds the git repositories lanes name (`<repos-dir>/<repository>`).
    #[arg(long)]
    repos_dir: PathBuf,
    /// Where worktrees and per-lane files are created (made if missing).
    #[arg(long)]
    work_dir: PathBuf,
    /// The agent command, run with `sh -c` in the lane's worktree.
    #[arg(long = "command", value_name = "COMMAND")]
    agent_command: String,
    /// How the agent receives the brief.
    #[arg(long, value_enum, default_value_t = BriefVia::Stdin)]
    brief_via: BriefVia,
    /// A label lanes may require (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    labels: Vec<String>,
    /// A capability to advertise (repeatable).
    #[arg(long = "capability", value_name = "CAPABILITY")]
    capabilities: Vec<String>,
    /// The lease to ask for; heartbeats renew it.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=300))]
    lease_seconds: u64,
    /// How often to ask for work while below --max-lanes.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    poll_interval_ms: u64,
    /// Lanes run at the same time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    max_lanes: u64,
    /// Claim one lane, exit when it has finished.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    START.get_or_init(Instant::now);
    // `switchyard-harness gate …` is what the agent's git hooks run.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("gate") {
        std::process::exit(gate::hook_main(&args[1..]));
    }
    let cli = Cli::parse();
    let cfg = Arc::new(lane_config(&cli)?);
    log!(
        "repositories in {}, worktrees in {}, agent: sh -c {:?} (brief via {})",
        cfg.repos_dir.display(),
        cfg.work_dir.display(),
        cfg.command,
        format!("{:?}", cfg.brief_via).to_lowercase()
    );

    let pat_client = Client::new(&cli.url, &cli.token)?;
    let registered = register(&pat_client, &cli).await?;
    let interval = Duration::from_secs(registered.heartbeat_interval_seconds.max(1));
    log!(
        "registered harness {} as {:?} (kind {}, heartbeat every {}s, lease {}s)",
        registered.harness_id,
        registered.name,
        registered.kind,
        interval.as_secs(),
        registered.lease_seconds
    );
    let client = pat_client.with_token(&registered.credential);

    let lanes = Lanes::default();
    let mut heartbeat = tokio::spawn(heartbeat_loop(client.clone(), lanes.clone(), interval));
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;

    let poll = Duration::from_millis(cli.poll_interval_ms);
    let max_lanes = usize::try_from(cli.max_lanes).unwrap_or(1);
    let mut tasks = JoinSet::new();
    let mut claimed = 0u64;
    let mut next_dispatch = tokio::time::Instant::now();
    let mut backoff = poll;
    loop {
        let may_claim = tasks.len() < max_lanes && !(cli.once && claimed > 0);
        tokio::select! {
            _ = sigint.recv() => {
                shutdown(&lanes, &mut tasks, "interrupted (SIGINT)").await;
                return Ok(());
            }
            _ = sigterm.recv() => {
                shutdown(&lanes, &mut tasks, "terminated (SIGTERM)").await;
                return Ok(());
            }
            ended = &mut heartbeat => {
                let error = ended.unwrap_or_else(|e| anyhow!("heartbeat task failed: {e}"));
                shutdown(&lanes, &mut tasks, "cannot heartbeat").await;
                return Err(error);
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {
                if cli.once {
                    log!("--once: the lane has finished; exiting");
                    return Ok(());
                }
            }
            _ = tokio::time::sleep_until(next_dispatch), if may_claim => {
                match client.dispatch().await {
                    Ok(Some(dispatched)) => {
                        claimed += 1;
                        backoff = poll;
                        log!(
                            "claimed lane {} (repository {}, attempt {}, {} interrupt(s))",
                            dispatched.lane_id,
                            dispatched.repository.as_deref().unwrap_or("(none)"),
                            dispatched.attempt,
                            dispatched.interrupts.len()
                        );
                        let shared = LaneShared::new(&dispatched.lane_id);
                        lanes.insert(shared.clone());
                        let (cfg, client, lanes) = (cfg.clone(), client.clone(), lanes.clone());
                        tasks.spawn(async move {
                            lane::run(cfg, client, shared.clone(), dispatched).await;
                            lanes.remove(&shared);
                        });
                        next_dispatch = tokio::time::Instant::now() + poll;
                    }
                    Ok(None) => next_dispatch = tokio::time::Instant::now() + poll,
                    Err(e) => {
                        log!("dispatch failed: {e}; retrying in {}ms", backoff.as_millis());
                        next_dispatch = tokio::time::Instant::now() + backoff;
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
        }
    }
}

/// Resolves the directories and the command once, so lanes see absolute paths.
fn lane_config(cli: &Cli) -> Result<LaneConfig> {
    let git_ok = std::process::Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success());
    if !git_ok {
        bail!("git is not installed (or not on PATH)");
    }
    let repos_dir = cli.repos_dir.canonicalize().with_context(|| format!("--repos-dir {}", cli.repos_dir.display()))?;
    std::fs::create_dir_all(&cli.work_dir)
        .with_context(|| format!("cannot create --work-dir {}", cli.work_dir.display()))?;
    let work_dir = cli.work_dir.canonicalize().with_context(|| format!("--work-dir {}", cli.work_dir.display()))?;
    let cwd = std::env::current_dir().context("no current directory")?;
    if cli.agent_command.trim().is_empty() {
        bail!("--command is empty");
    }
    Ok(LaneConfig { repos_dir, work_dir, command: resolve_command(&cli.agent_command, &cwd), brief_via: cli.brief_via })
}

/// The agent runs in its worktree, so a relative program path such as
/// `scripts/agent.sh --flag` is made absolute against the harness's own
/// directory when it exists there. Everything else is left to `sh`.
fn resolve_command(command: &str, cwd: &Path) -> String {
    let trimmed = command.trim_start();
    let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let (program, rest) = trimmed.split_at(end);
    let path = Path::new(program);
    if !program.contains('/') || path.is_absolute() || !cwd.join(path).exists() {
        return command.to_owned();
    }
    let absolute: PathBuf = cwd.join(path).components().filter(|c| *c != std::path::Component::CurDir).collect();
    format!("{}{rest}", shell_quote(&absolute.to_string_lossy()))
}

/// Quotes `s` for `sh` unless it is plainly safe.
fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c));
    if safe { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// Registers, retrying while the server is unreachable; a refusal is fatal.
async fn register(client: &Client, cli: &Cli) -> Result<protocol::Registered> {
    let req = RegisterRequest {
        kind: &cli.kind,
        name: &cli.name,
        capabilities: &cli.capabilities,
        labels: &cli.labels,
        lease_seconds: cli.lease_seconds,
    };
    let mut backoff = Duration::from_millis(500);
    loop {
        match client.register(&req).await {
            Ok(registered) => return Ok(registered),
            Err(e) if e.is_retryable() => {
                log!("register failed: {e}; retrying in {}ms", backoff.as_millis());
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
            Err(e) => bail!("registration refused: {e}"),
        }
    }
}

/// Heartbeats every `interval` (sooner after a failure), acking delivered
/// interrupts and passing signals and new interrupts to the lanes. Returns
/// only when the server rejects the credential (revoked harness).
async fn heartbeat_loop(client: Client, lanes: Lanes, interval: Duration) -> anyhow::Error {
    let mut backoff = Duration::from_secs(1);
    // Log the first success and the first after failures, not every beat.
    let mut quiet = false;
    loop {
        let started = tokio::time::Instant::now();
        match client.heartbeat(&lanes.acks()).await {
            Ok(answer) => {
                if !quiet {
                    log!("heartbeat ok (lease expires at {})", answer.lease_expires_at.as_deref().unwrap_or("?"));
                    quiet = true;
                }
                backoff = Duration::from_secs(1);
                apply_heartbeat(&lanes, &answer);
                tokio::time::sleep_until(started + interval).await;
            }
            Err(e) if e.is_unauthorized() => {
                return anyhow!("heartbeat refused: {e} (was this harness revoked?)");
            }
            Err(e) => {
                let wait = backoff.min(interval);
                log!("heartbeat failed: {e}; retrying in {}ms", wait.as_millis());
                quiet = false;
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(interval);
            }
        }
    }
}

/// Hands each lane we run its new interrupts and its signal; lanes we do not
/// run are ignored.
fn apply_heartbeat(lanes: &Lanes, answer: &HeartbeatAnswer) {
    for entry in &answer.lanes {
        let Some(shared) = lanes.get(&entry.lane_id) else { continue };
        shared.deliver(&entry.interrupts);
        if let Some(signal) = entry.effective_signal() {
            shared.apply(signal);
        }
    }
}

/// Terminates every agent (SIGTERM, SIGKILL after 5 s) and waits for the lanes.
async fn shutdown(lanes: &Lanes, tasks: &mut JoinSet<()>, why: &str) {
    log!("{why}: terminating {} running lane(s) and exiting", tasks.len());
    for shared in lanes.all() {
        shared.apply(Signal::Cancel);
    }
    let all_done = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(8), all_done).await.is_err() {
        log!("lanes did not stop in time; exiting anyway");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn relative_programs_become_absolute() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/agent.sh"), "").unwrap();
        let base = dir.path().to_string_lossy().into_owned();
        let abs = resolve_command("bin/agent.sh --flag x", dir.path());
        assert_eq!(abs, format!("{} --flag x", shell_quote(&format!("{base}/bin/agent.sh"))));
        // Unchanged: no slash, absolute, missing, or a shell construct.
        assert_eq!(resolve_command("./bin/agent.sh", dir.path()), shell_quote(&format!("{base}/bin/agent.sh")));
        for cmd in ["agent --x", "/usr/bin/env true", "nope/agent.sh", "echo hi | cat"] {
            assert_eq!(resolve_command(cmd, dir.path()), cmd);
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/a/b-c.sh"), "/a/b-c.sh");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn cli_parses_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "switchyard-harness",
            "--url",
            "http://127.0.0.1:3000",
            "--token",
            "sl_pat_x",
            "--kind",
            "script",
            "--name",
            "h1",
            "--repos-dir",
            "/r",
            "--work-dir",
            "/w",
            "--command",
            "agent.sh --flag",
            "--brief-via",
            "file",
            "--label",
            "linux",
            "--label",
            "gpu",
            "--capability",
            "git",
            "--lease-seconds",
            "60",
            "--poll-interval-ms",
            "100",
            "--max-lanes",
            "2",
            "--once",
        ])
        .unwrap();
        assert_eq!(cli.labels, ["linux", "gpu"]);
        assert_eq!(cli.capabilities, ["git"]);
        assert_eq!(cli.brief_via, BriefVia::File);
        assert_eq!((cli.lease_seconds, cli.poll_interval_ms, cli.max_lanes, cli.once), (60, 100, 2, true));
        assert_eq!(cli.agent_command, "agent.sh --flag");
        let too_short = Cli::try_parse_from([
            "h",
            "--url",
            "u",
            "--token",
            "t",
            "--repos-dir",
            "r",
            "--work-dir",
            "w",
            "--command",
            "c",
            "--lease-seconds",
            "2",
        ]);
        assert!(too_short.is_err());
    }
}
