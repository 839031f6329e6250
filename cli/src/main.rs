//! `switchyard`: the command line for a Switchyard server — sign in once per
//! server profile, dispatch lanes and watch them live, stop them, answer the
//! inbox and approvals, mint and revoke tokens, export and verify the audit
//! log. Every command takes `--json` for scripts; errors print the server's
//! code, message and request id; exit codes are listed in [`api::exit`].

#![forbid(unsafe_code)]

mod api;
mod commands;
mod profiles;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::api::Failure;

#[derive(Parser)]
#[command(
    name = "switchyard",
    version,
    about = "The command line for Switchyard, the control plane for AI coding agents."
)]
pub struct Cli {
    /// The stored profile to use (see `login`).
    #[arg(long, global = true, env = "SWITCHYARD_PROFILE", default_value = "default")]
    pub profile: String,
    /// The server, instead of the profile's (e.g. http://127.0.0.1:3000).
    #[arg(long, global = true, env = "SWITCHYARD_URL")]
    pub url: Option<String>,
    /// A token (`sl_pat_…`), instead of the profile's.
    #[arg(long, global = true, env = "SWITCHYARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print JSON (the server's answer, or `{"error": …}`) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Store a server and a token as a profile (the token is checked first; the file is mode 0600).
    Login {
        /// The token; `-` reads it from standard input (default: SWITCHYARD_TOKEN / --token).
        #[arg(long = "with-token")]
        with_token: Option<String>,
    },
    /// Forget a profile.
    Logout,
    /// Agent lanes: dispatch, list, read, watch, pause, resume, cancel, interrupt.
    #[command(subcommand)]
    Lanes(Lanes),
    /// Questions agents asked people.
    #[command(subcommand)]
    Inbox(Inbox),
    /// Requests waiting for a member's approval.
    #[command(subcommand)]
    Approvals(Approvals),
    /// Approve what a lane waits for (its dispatch, a commit or push, a completion).
    Approve(Decide),
    /// Refuse what a lane waits for.
    Reject(Decide),
    /// API tokens.
    #[command(subcommand)]
    Tokens(Tokens),
    /// The signed audit log.
    #[command(subcommand)]
    Audit(Audit),
    /// The whole workspace as a signed archive.
    #[command(subcommand)]
    Workspace(Workspace),
    /// Verify a signed audit export offline (the same as `audit verify`).
    #[command(hide = true)]
    VerifyExport(VerifyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
}

#[derive(Subcommand)]
pub enum Lanes {
    /// Dispatch a lane (agent-run).
    Run(RunLane),
    /// List lanes, newest first.
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        repository: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One lane with its tool log, pending interrupts, checks and context.
    Get { run_id: String },
    /// Follow a lane live until it ends: state, tokens against its budget, output.
    Watch { run_id: String },
    /// Pause a lane (its agent is stopped).
    Pause { run_id: String },
    /// Resume a paused lane.
    Resume { run_id: String },
    /// Cancel a lane (its agent is terminated).
    Cancel { run_id: String },
    /// Send a running agent a note or a redirection.
    Interrupt {
        run_id: String,
        #[arg(long)]
        message: String,
        #[arg(long, default_value = "note", value_parser = ["note", "redirect"])]
        kind: String,
    },
}

#[derive(Args)]
pub struct RunLane {
    #[arg(long, default_value = "script")]
    pub harness_kind: String,
    #[arg(long)]
    pub repository: String,
    /// A path glob the lane may edit (repeatable).
    #[arg(long = "claim", required = true)]
    pub claim: Vec<String>,
    /// The brief; `-` reads it from standard input.
    #[arg(long, conflicts_with = "brief_file", required_unless_present = "brief_file")]
    pub brief: Option<String>,
    #[arg(long)]
    pub brief_file: Option<PathBuf>,
    #[arg(long)]
    pub token_budget: Option<u64>,
    /// A label the harness must hold (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Watch it until it ends (exit code as `lanes watch`).
    #[arg(long)]
    pub watch: bool,
}

#[derive(Subcommand)]
pub enum Inbox {
    /// Open questions.
    List,
    /// Answer a question (the agent gets the answer as an interrupt).
    Answer { item_id: String, answer: String },
}

#[derive(Subcommand)]
pub enum Approvals {
    /// Pending requests.
    List,
}

#[derive(Args)]
pub struct Decide {
    pub run_id: String,
    /// Which request (default: the lane's pending one).
    #[arg(long)]
    pub approval: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Subcommand)]
pub enum Tokens {
    /// Mint a token; its secret is shown once.
    Issue {
        #[arg(long)]
        name: String,
        /// A scope (repeatable), e.g. lanes:read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// Revoke a token by its id (`tok_…`).
    Revoke { token_id: String },
    /// List the workspace's tokens (never their secrets).
    List {
        /// Include revoked and expired tokens.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum Audit {
    /// Download the signed audit log (NDJSON) to a file or standard output.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a signed export offline.
    Verify(VerifyArgs),
}

#[derive(Subcommand)]
pub enum Workspace {
    /// Download the signed workspace archive (NDJSON) to a file or standard output.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a workspace archive's digest and signature offline.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The export file (NDJSON or JSON); `-` reads standard input.
    pub file: PathBuf,
    /// The signing public key, 64 hex digits.
    #[arg(long, conflicts_with = "jwks", required_unless_present = "jwks")]
    pub public_key: Option<String>,
    /// A JWKS document (e.g. saved from /.well-known/jwks.json).
    #[arg(long)]
    pub jwks: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let archive = matches!(cli.command, Command::Workspace(_));
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "switchyard", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Command::Man => {
            return match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&Failure::Usage(e.to_string()), json),
            };
        }
        Command::VerifyExport(args)
        | Command::Audit(Audit::Verify(args))
        | Command::Workspace(Workspace::Verify(args)) => {
            let checked = if archive { verify::run_archive } else { verify::run };
            return match checked(args.file, args.public_key, args.jwks) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(problem) => {
                    eprintln!("{problem}");
                    ExitCode::from(api::exit::REFUSED)
                }
            };
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&Failure::Usage(e.to_string()), json),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => fail(&failure, json),
    }
}

fn fail(failure: &Failure, json: bool) -> ExitCode {
    if json {
        println!("{}", failure.to_json());
    } else {
        eprintln!("{}", failure.line());
    }
    ExitCode::from(failure.exit_code())
}
