//! `switchyard-host`: runs a Spin manifest (`spin.toml`) the way `spin up`
//! does, on wasmtime. It knows Spin, not Switchyard: nothing here is about
//! agents, lanes or workspaces.

#![forbid(unsafe_code)]

mod compile;
mod factors;
mod manifest;
mod runtime;
mod state;
mod storage;
mod triggers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::manifest::Manifest;
use crate::runtime::{Limits, Purpose, Runtime};
use crate::state::App;
use crate::storage::Storage;
use crate::triggers::admission::{Admission, AdmissionLimits};

#[derive(Parser)]
#[command(version, about = "Run a Spin manifest (spin.toml) locally, the way `spin up` does.")]
struct Cli {
    #[command(flatten)]
    app: AppArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP triggers and run cron triggers on schedule (the default).
    Up,
    /// Run one tick of a cron-triggered component now, then exit.
    CronTick {
        /// The component id, as in `[component.<id>]`.
        component: String,
    },
    /// Compile every component into the cache, then exit (a build step:
    /// the next start only loads them).
    Compile,
}

#[derive(Args)]
struct AppArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, global = true, env = "SWITCHYARD_LISTEN", default_value = "127.0.0.1:3000")]
    listen: String,
    /// The Spin manifest to run.
    #[arg(long, global = true, env = "SWITCHYARD_MANIFEST", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Where SQLite databases and the key-value store live (kept across restarts).
    #[arg(long, global = true, env = "SWITCHYARD_DATA_DIR", default_value = ".switchyard/data")]
    data_dir: PathBuf,
    /// Compiled-component cache; makes a restart with unchanged `.wasm` files fast.
    #[arg(long, global = true, env = "SWITCHYARD_CACHE_DIR", default_value = ".switchyard/cache")]
    cache_dir: PathBuf,
    /// SQL migrations applied to the `default` database at start-up
    /// (default: `migrations/` beside the manifest).
    #[arg(long, global = true, env = "SWITCHYARD_MIGRATIONS")]
    migrations: Option<PathBuf>,
    /// Per-request deadline in seconds; a guest still running is stopped.
    #[arg(long, global = true, env = "SWITCHYARD_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Linear-memory cap per instance, in MiB.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_MEMORY_MIB", default_value_t = 128)]
    max_memory_mib: usize,
    /// Instances that may run at once.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_INSTANCES", default_value_t = 256)]
    max_instances: u32,
    /// How components become machine code: `tiered` serves Winch-compiled code
    /// at once and swaps in Cranelift's as it is ready.
    /// Non-public addresses (`IP` or `IP:port`, comma-separated) that requests
    /// allowed only by a wildcard `allowed_outbound_hosts` entry may still
    /// reach, e.g. an on-premises webhook receiver; every other private,
    /// loopback or link-local destination of such a request is refused.
    #[arg(long, global = true, env = "SWITCHYARD_OUTBOUND_PRIVATE", default_value = "")]
    outbound_private: String,
    /// A Spin runtime config file; its `[llm_compute]` (type `remote_http`: an
    /// OpenAI-compatible server) serves `fermyon:spin/llm`.
    #[arg(long, global = true, env = "SWITCHYARD_RUNTIME_CONFIG_FILE")]
    runtime_config_file: Option<PathBuf>,
    #[arg(long, global = true, env = "SWITCHYARD_COMPILER", value_enum, default_value = "tiered")]
    compiler: compile::Compiler,
    #[command(flatten)]
    admission: AdmissionArgs,
    /// Shut down when standard input closes: a supervisor (the test harness)
    /// that dies without cleaning up takes the host with it.
    #[arg(long, global = true, hide = true)]
    exit_on_stdin_close: bool,
}

/// The limits a request passes before it may take an instance (see `docs/SECURITY.md`).
#[derive(Args)]
struct AdmissionArgs {
    /// Requests that may run at once (streams not counted).
    #[arg(long, global = true, env = "SWITCHYARD_MAX_CONCURRENT", default_value_t = 64)]
    max_concurrent: usize,
    /// Requests that may wait for a slot; more are refused with 503 at once.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_WAITING", default_value_t = 1024)]
    max_waiting: usize,
    /// Milliseconds a request may wait for a slot before 503.
    #[arg(long, global = true, env = "SWITCHYARD_QUEUE_WAIT_MS", default_value_t = 5000)]
    queue_wait_ms: u64,
    /// Streaming responses (SSE, NDJSON) open at once.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_STREAMS", default_value_t = 128)]
    max_streams: usize,
    /// Largest request body, in KiB; a larger one is refused with 413 before it is read.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_BODY_KIB", default_value_t = 1024)]
    max_body_kib: usize,
    /// Request-body bytes held at once, all requests together, in MiB.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_BODY_IN_FLIGHT_MIB", default_value_t = 64)]
    max_body_in_flight_mib: usize,
    /// Seconds a client may take to send a request's headers (and a keep-alive connection may idle).
    #[arg(long, global = true, env = "SWITCHYARD_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body.
    #[arg(long, global = true, env = "SWITCHYARD_BODY_TIMEOUT_SECS", default_value_t = 10)]
    body_timeout_secs: u64,
    /// Open connections; more wait in the listen backlog.
    #[arg(long, global = true, env = "SWITCHYARD_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
}

impl AdmissionArgs {
    /// The limits, checked against the instance pool they protect.
    fn limits(&self, max_instances: u32) -> Result<AdmissionLimits> {
        let running = self.max_concurrent.max(1) + self.max_streams.max(1);
        if running >= max_instances as usize {
            bail!(
                "--max-concurrent ({}) plus --max-streams ({}) must stay below --max-instances ({max_instances}), \
                 which cron ticks share",
                self.max_concurrent,
                self.max_streams
            );
        }
        Ok(AdmissionLimits {
            max_concurrent: self.max_concurrent.max(1),
            max_waiting: self.max_waiting,
            queue_wait: Duration::from_millis(self.queue_wait_ms),
            max_streams: self.max_streams.max(1),
            max_body: self.max_body_kib.saturating_mul(1024),
            max_body_in_flight: self.max_body_in_flight_mib.saturating_mul(1024 * 1024),
            header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
        })
    }
}

impl AppArgs {
    /// Makes every path absolute against the current directory, once, before
    /// anything uses it (wasmtime's cache refuses a relative directory).
    fn absolutize(&mut self) -> Result<()> {
        let absolute = |p: &PathBuf| {
            std::path::absolute(p)
                .with_context(|| format!("cannot resolve {} against the current directory", p.display()))
        };
        self.manifest = absolute(&self.manifest)?;
        self.data_dir = absolute(&self.data_dir)?;
        self.cache_dir = absolute(&self.cache_dir)?;
        self.migrations = self.migrations.as_ref().map(absolute).transpose()?;
        Ok(())
    }
}

struct Loaded {
    manifest: Manifest,
    runtime: Arc<Runtime>,
}

/// Reads the manifest, opens storage (applying migrations unless only
/// compiling), resolves the components' grants and starts compiling in the
/// background.
fn load(args: &AppArgs, purpose: Purpose<'_>) -> Result<Loaded> {
    let started = Instant::now();
    let manifest = Manifest::load(&args.manifest)?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
    let storage = Storage::open(&args.data_dir, manifest.sqlite_labels())?;
    let migrations = args.migrations.clone().unwrap_or_else(|| manifest.base_dir.join("migrations"));
    if purpose != Purpose::Compile {
        for name in storage.migrate(&migrations)? {
            println!("Applied migration {name}");
        }
    }
    let limits = Limits {
        request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
        max_memory: args.max_memory_mib.max(1) * 1024 * 1024,
        max_instances: args.max_instances.max(1),
    };
    let outbound_private = factors::outbound::PrivateExceptions::parse(&args.outbound_private)
        .context("--outbound-private (SWITCHYARD_OUTBOUND_PRIVATE)")?;
    let llm = match &args.runtime_config_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the runtime config {}", path.display()))?;
            factors::llm::load(&text).with_context(|| format!("runtime config {}", path.display()))?
        }
        None => None,
    };
    let app = Arc::new(App {
        storage,
        max_memory: limits.max_memory,
        listening: std::sync::OnceLock::new(),
        outbound_private: Arc::new(outbound_private),
        llm,
    });
    let runtime = Runtime::new(&manifest, app, limits, Some(args.cache_dir.clone()), args.compiler, purpose)?;
    println!(
        "Loaded {} ({} components, compiling in the background) in {:.0} ms",
        manifest.app_name,
        manifest.components.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(Loaded { manifest, runtime: Arc::new(runtime) })
}

/// Says so when the environment makes every request slower.
fn warn_about_backtraces() {
    let on = |name: &str| std::env::var(name).is_ok_and(|v| v != "0");
    if on("RUST_BACKTRACE") && std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        eprintln!(
            "Warning: RUST_BACKTRACE is set, so wasmtime captures a backtrace for an internal error value \
             on every request (about 15% of throughput); set RUST_LIB_BACKTRACE=0 to keep panic backtraces without it"
        );
    }
}

async fn up(args: &AppArgs) -> Result<()> {
    warn_about_backtraces();
    let admission = Admission::new(args.admission.limits(args.max_instances)?);
    let Loaded { manifest, runtime } = load(args, Purpose::Serve)?;
    let checkpointed = Arc::clone(&runtime.app);
    std::thread::Builder::new().name("checkpoint".into()).spawn(move || {
        loop {
            std::thread::sleep(storage::CHECKPOINT_EVERY);
            checkpointed.storage.checkpoint();
        }
    })?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local: SocketAddr = listener.local_addr()?;
    let _ = runtime.app.listening.set(local);

    let routes: Vec<_> = manifest.http_triggers.iter().map(|t| (t.route.clone(), t.component.clone())).collect();
    // Handlers first: whoever reads "Serving" may signal at once.
    let shutdown = shutdown_signal(args.exit_on_stdin_close);
    println!("Serving http://{local}");
    println!("Available Routes:");
    for (route, component) in &routes {
        println!("  {component}: http://{local}{}", route.raw());
    }
    for trigger in &manifest.cron_triggers {
        println!("  {}: cron `{}`", trigger.component, trigger.expression);
        tokio::spawn(triggers::cron::run_schedule(Arc::clone(&runtime), trigger.clone()));
    }

    let server = Arc::new(triggers::http::Server::new(Arc::clone(&runtime), routes, local, admission));
    triggers::http::serve(listener, server, shutdown).await?;
    println!("Stopped: {}", runtime.stats.summary());
    Ok(())
}

/// Resolves on SIGINT or SIGTERM, or (when asked) when standard input closes.
/// The signal handlers are installed when this is called, not when it is
/// first polled: a signal sent right after start-up is not lost (and does not
/// kill the process by default disposition).
fn shutdown_signal(exit_on_stdin_close: bool) -> impl std::future::Future<Output = ()> {
    let signals = signals();
    async move {
        if exit_on_stdin_close {
            tokio::select! {
                () = stdin_closed() => println!("Standard input closed: shutting down"),
                () = signals => {}
            }
        } else {
            signals.await;
        }
    }
}

async fn stdin_closed() {
    let (closed, wait) = tokio::sync::oneshot::channel::<()>();
    // A plain thread: tokio's stdin would keep the runtime from shutting down.
    let spawned = std::thread::Builder::new().name("stdin-watch".into()).spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    if spawned.is_ok() {
        let _ = wait.await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// Installs the SIGINT and SIGTERM handlers now; the future resolves on either.
#[cfg(unix)]
fn signals() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let int = signal(SignalKind::interrupt());
    let term = signal(SignalKind::terminate());
    async move {
        match (int, term) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => tokio::signal::ctrl_c().await.unwrap_or_default(),
        }
    }
}

#[cfg(not(unix))]
fn signals() -> impl std::future::Future<Output = ()> {
    async { tokio::signal::ctrl_c().await.unwrap_or_default() }
}

fn main() -> std::process::ExitCode {
    let mut cli = Cli::parse();
    if let Err(e) = cli.app.absolutize() {
        eprintln!("Error: {e:#}");
        return std::process::ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            None | Some(Command::Up) => up(&cli.app).await,
            Some(Command::Compile) => {
                let loaded = load(&cli.app, Purpose::Compile)?;
                loaded.runtime.wait_compiled().await
            }
            Some(Command::CronTick { component }) => {
                let loaded = load(&cli.app, Purpose::Tick(component))?;
                if triggers::cron::tick(&loaded.runtime, component).await {
                    Ok(())
                } else {
                    anyhow::bail!("cron tick of `{component}` failed")
                }
            }
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
