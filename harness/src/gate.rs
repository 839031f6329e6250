//! The approval gate: the agent's `git commit` and `git push` wait for the
//! workspace's policy, and for a member when a rule (or the built-in gate)
//! asks for one.
//!
//! The same socket carries the agent's questions: `"$SWITCHYARD_HARNESS" gate
//! question "$SWITCHYARD_GATE_SOCKET" "<question>" [option…]` puts one in the
//! workspace's inbox (the lane waits in `input_required`), and the answer
//! arrives as an `answer` line in the interrupts file.
//!
//! Each lane's worktree gets `commit-msg` and `pre-push` hooks (through
//! `core.hooksPath` in the agent's environment) that run
//! `switchyard-harness gate <commit|push> <socket>`. That asks the harness,
//! over the lane's Unix socket `<work-dir>/<name>.gate.sock`, one JSON line
//! each way; the harness asks the server (`harness-action`) and, when the
//! answer is "wait", asks again every second until a member decides, the
//! request expires or the lane ends. The agent never holds the harness's
//! credential: all it can do through the socket is ask, as git does. Anything
//! that goes wrong on the way — no socket, no server, a malformed answer —
//! refuses the commit or push (fail closed).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use crate::lane::LaneShared;
use crate::protocol::{ActionAnswer, Client};

/// How often a waiting request is asked about again.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// The most paths sent with one action (the server's limit).
const MAX_PATHS: usize = 1000;
/// The longest request line a hook may send.
const MAX_REQUEST_BYTES: u64 = 256 * 1024;

/// What a hook (or the agent, with `switchyard-harness ask`) asks.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GateRequest {
    /// `commit`, `push` or `question`.
    pub kind: String,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// For `question`: what the agent asks, and the answers it offers.
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    /// For `push`: the branches it pushes to (`refs/heads/…` on the remote).
    #[serde(default)]
    pub branches: Vec<String>,
}

/// What the harness answers: go on, or not and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateAnswer {
    pub allow: bool,
    pub message: String,
}

impl GateAnswer {
    fn allow(message: impl Into<String>) -> Self {
        Self { allow: true, message: message.into() }
    }

    fn deny(message: impl Into<String>) -> Self {
        Self { allow: false, message: message.into() }
    }
}

// ---------------------------------------------------------------- the harness side

/// Writes the lane's hooks into `dir`, each calling this binary with `socket`.
pub fn install_hooks(dir: &Path, socket: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let exe = std::env::current_exe()?;
    std::fs::create_dir_all(dir)?;
    for (hook, kind) in [("commit-msg", "commit"), ("pre-push", "push")] {
        let script = format!(
            "#!/bin/sh\n# Installed by switchyard-harness: asks the workspace's policy first.\nexec {} gate {kind} {} \"$@\"\n",
            sh_quote(&exe.to_string_lossy()),
            sh_quote(&socket.to_string_lossy())
        );
        let path = dir.join(hook);
        std::fs::write(&path, script)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Answers the lane's hooks until the lane ends (the task is aborted then).
pub async fn serve(listener: UnixListener, client: Client, lane_id: String, shared: Arc<LaneShared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                log!("lane {lane_id}: the approval gate stopped accepting: {e}");
                return;
            }
        };
        let (client, lane_id, shared) = (client.clone(), lane_id.clone(), shared.clone());
        tokio::spawn(async move { answer_hook(stream, &client, &lane_id, &shared).await });
    }
}

async fn answer_hook(stream: UnixStream, client: &Client, lane_id: &str, shared: &LaneShared) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let read = tokio::io::BufReader::new(read.take(MAX_REQUEST_BYTES)).read_line(&mut line).await;
    let answer = match read.map(|_| serde_json::from_str::<GateRequest>(&line)) {
        Ok(Ok(request)) => decide(client, lane_id, shared, request).await,
        Ok(Err(e)) => GateAnswer::deny(format!("malformed request: {e}")),
        Err(e) => GateAnswer::deny(format!("cannot read the request: {e}")),
    };
    let mut reply = serde_json::to_string(&answer).unwrap_or_else(|_| r#"{"allow":false,"message":""}"#.into());
    reply.push('\n');
    let _ = write.write_all(reply.as_bytes()).await;
}

/// Asks the server, then waits out a request for approval.
async fn decide(client: &Client, lane_id: &str, shared: &LaneShared, request: GateRequest) -> GateAnswer {
    if request.kind == "question" {
        return ask_person(client, lane_id, request).await;
    }
    let mut paths = request.paths;
    paths.truncate(MAX_PATHS);
    let action = serde_json::json!({"kind": request.kind, "paths": paths, "summary": request.summary});
    let first = match client.action(lane_id, &action).await {
        Ok(answer) => answer,
        Err(e) => return GateAnswer::deny(format!("refused: {e}")),
    };
    let Some(approval) = first.approval.as_ref().filter(|_| first.outcome == "require_approval") else {
        let answer = settled(&first, &request.kind);
        report_branches(client, lane_id, &answer, &request.branches).await;
        return answer;
    };
    log!("lane {lane_id}: {} waits for approval {} ({})", request.kind, approval.approval_id, approval.reason);
    let id = approval.approval_id.clone();
    loop {
        tokio::time::sleep(POLL_EVERY).await;
        if shared.is_cancelled() {
            return GateAnswer::deny("the lane was cancelled");
        }
        match client.approval(lane_id, &id).await {
            Ok(answer) if answer.outcome == "require_approval" => continue,
            Ok(answer) => {
                log!(
                    "lane {lane_id}: approval {id} is {}",
                    answer.approval.as_ref().map_or("decided", |a| a.state.as_str())
                );
                let settled = settled(&answer, &request.kind);
                report_branches(client, lane_id, &settled, &request.branches).await;
                return settled;
            }
            Err(e) if e.is_retryable() => continue,
            Err(e) => return GateAnswer::deny(format!("refused: {e}")),
        }
    }
}

/// Tells the server which branch an allowed push goes to, so the forge's
/// events for that branch (pull request, checks) reach the lane. A failed
/// report does not stop the push: it is logged.
async fn report_branches(client: &Client, lane_id: &str, answer: &GateAnswer, branches: &[String]) {
    if !answer.allow {
        return;
    }
    for branch in branches {
        let event = crate::protocol::Event::Branch { branch: branch.clone() };
        match client.events(lane_id, std::slice::from_ref(&event)).await {
            Ok(_) => log!("lane {lane_id}: pushes to branch {branch}"),
            Err(e) => log!("lane {lane_id}: could not report branch {branch}: {e}"),
        }
    }
}

/// Puts the agent's question in the workspace's inbox; the answer comes
/// back as an `answer` line in the interrupts file.
async fn ask_person(client: &Client, lane_id: &str, request: GateRequest) -> GateAnswer {
    let Some(question) = request.question.filter(|q| !q.trim().is_empty()) else {
        return GateAnswer::deny("a question needs text");
    };
    let event = crate::protocol::Event::Question { question, options: request.options };
    match client.events(lane_id, std::slice::from_ref(&event)).await {
        Ok(_) => {
            log!("lane {lane_id}: the agent asked a question; waiting for its answer");
            GateAnswer::allow("asked; the answer will arrive in SWITCHYARD_INTERRUPTS_FILE as kind \"answer\"")
        }
        Err(e) => GateAnswer::deny(format!("cannot ask: {e}")),
    }
}

/// The final answer for a decided action.
fn settled(answer: &ActionAnswer, kind: &str) -> GateAnswer {
    let decided = answer.approval.as_ref().map(|a| {
        let by = a.decided_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
        let note = a.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        format!("{}{by}{note}", a.state)
    });
    match answer.outcome.as_str() {
        "allow" | "warn" => GateAnswer::allow(decided.unwrap_or_else(|| format!("{kind} allowed by policy"))),
        _ => GateAnswer::deny(decided.unwrap_or_else(|| format!("{kind} refused by policy"))),
    }
}

// ---------------------------------------------------------------- the hook side

/// `switchyard-harness gate <commit|push> <socket> [hook arguments]`, run by
/// a git hook in the worktree. Returns the exit status: 0 lets git go on.
pub fn hook_main(args: &[String]) -> i32 {
    let (Some(kind), Some(socket)) = (args.first(), args.get(1)) else {
        eprintln!("usage: switchyard-harness gate <commit|push> <socket> [hook arguments]");
        return 2;
    };
    let hook_args = &args[2..];
    let request = match kind.as_str() {
        "commit" => commit_request(hook_args.first().map(String::as_str)),
        "push" => push_request(hook_args.first().map(String::as_str)),
        "question" => GateRequest {
            kind: "question".into(),
            question: hook_args.first().cloned(),
            options: hook_args.get(1..).unwrap_or_default().to_vec(),
            ..GateRequest::default()
        },
        other => {
            eprintln!("switchyard: unknown gate `{other}`");
            return 2;
        }
    };
    match ask(Path::new(socket), &request) {
        Ok(answer) if answer.allow => {
            eprintln!("switchyard: {kind} allowed ({})", answer.message);
            0
        }
        Ok(answer) => {
            eprintln!("switchyard: {kind} refused: {}", answer.message);
            1
        }
        Err(e) => {
            eprintln!("switchyard: {kind} refused: cannot reach the harness's approval gate: {e}");
            1
        }
    }
}

fn ask(socket: &Path, request: &GateRequest) -> std::io::Result<GateAnswer> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket)?;
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(serde_json::from_str(&reply)?)
}

/// `git` in the hook's working directory; its output lines (empty when git fails).
fn git_lines(args: &[&str]) -> Vec<String> {
    match std::process::Command::new("git").args(args).output() {
        Ok(out) if out.status.success() => {
            String::from_utf8_lossy(&out.stdout).split('\0').filter(|p| !p.is_empty()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    }
}

/// The staged paths and the message's first line (`commit-msg` gets the message file).
fn commit_request(message_file: Option<&str>) -> GateRequest {
    let paths = git_lines(&["diff", "--cached", "--name-only", "-z"]);
    let summary = message_file
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|m| m.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned));
    GateRequest { kind: "commit".into(), paths, summary, ..GateRequest::default() }
}

/// What is pushed where (`pre-push` reads `<local ref> <local sha> <remote ref> <remote sha>` lines).
fn push_request(remote: Option<&str>) -> GateRequest {
    let mut input = String::new();
    let _ = std::io::stdin().take(1024 * 1024).read_to_string(&mut input);
    let mut paths = Vec::new();
    let mut summary = Vec::new();
    let mut branches = Vec::new();
    for line in input.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, remote_ref, remote_sha] = fields[..] else { continue };
        summary.push(format!("{local_ref} -> {} {remote_ref}", remote.unwrap_or("remote")));
        if let Some(branch) = remote_ref.strip_prefix("refs/heads/")
            && !local_sha.bytes().all(|b| b == b'0')
        {
            branches.push(branch.to_owned());
        }
        let new = remote_sha.bytes().all(|b| b == b'0');
        let changed = if new {
            git_lines(&["log", "--format=", "--name-only", "-z", local_sha, "--not", "--remotes"])
        } else {
            git_lines(&["diff", "--name-only", "-z", remote_sha, local_sha])
        };
        paths.extend(changed.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()));
    }
    paths.sort();
    paths.dedup();
    GateRequest {
        kind: "push".into(),
        paths,
        summary: Some(summary.join("; ")).filter(|s| !s.is_empty()),
        branches,
        ..GateRequest::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hooks_quote_their_paths() {
        assert_eq!(sh_quote("/tmp/it's here"), r"'/tmp/it'\''s here'");
        let dir = tempfile::tempdir().unwrap();
        install_hooks(&dir.path().join("hooks"), Path::new("/tmp/x y.sock")).unwrap();
        let hook = std::fs::read_to_string(dir.path().join("hooks/pre-push")).unwrap();
        assert!(hook.contains(" gate push '/tmp/x y.sock' \"$@\""), "{hook}");
    }

    #[test]
    fn an_unreachable_gate_refuses() {
        let request = GateRequest { kind: "push".into(), ..GateRequest::default() };
        assert!(ask(Path::new("/nonexistent/gate.sock"), &request).is_err());
        assert_eq!(hook_main(&["push".into()]), 2);
    }
}
