//! The agent's environment contract: how it gets its brief (`--brief-via`),
//! and the command line, working directory, process group and variables it runs with.

use super::*;

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

/// The agent command: `sh -c <command>` in the worktree, in a new process
/// group, with the lane in its environment.
pub(super) fn agent_command(cfg: &LaneConfig, lane: &DispatchedLane, p: &Prepared) -> Command {
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
        .env("SWITCHYARD_CONTEXT_FILE", &p.context_file)
        .env("SWITCHYARD_LABELS", serde_json::to_string(&lane.labels).unwrap_or_else(|_| "[]".into()))
        .env("SWITCHYARD_ATTEMPT", lane.attempt.to_string())
        .env("SWITCHYARD_WORKTREE", &p.worktree)
        // git ≥ 2.31 reads configuration from the environment: the lane's
        // hooks ask the approval gate before a commit or push.
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "core.hooksPath")
        .env("GIT_CONFIG_VALUE_0", &p.hooks_dir)
        // To ask a person: "$SWITCHYARD_HARNESS" gate question "$SWITCHYARD_GATE_SOCKET" "…" [option…]
        .env("SWITCHYARD_GATE_SOCKET", &p.gate_socket)
        .env("SWITCHYARD_HARNESS", std::env::current_exe().unwrap_or_default());
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
