//! `switchyard-host`: runs a Spin manifest (`spin.toml`) the way `spin up`
//! does, on wasmtime. It knows Spin, not Switchyard: nothing here is about
//! agents, lanes or workspaces.

#![forbid(unsafe_code)]

mod manifest;
mod outbound;
mod platform;
mod routes;
mod runtime;
mod server;
mod state;
mod storage;
mod variables;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::manifest::Manifest;
use crate::runtime::{Limits, Runtime};
use crate::state::App;
use crate::storage::Storage;

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
}

struct Loaded {
    manifest: Manifest,
    runtime: Arc<Runtime>,
}

fn load(args: &AppArgs, only: Option<&str>) -> Result<Loaded> {
    let started = Instant::now();
    let manifest = Manifest::load(&args.manifest)?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
    let storage = Storage::open(&args.data_dir, manifest.sqlite_labels())?;
    let migrations = args.migrations.clone().unwrap_or_else(|| manifest.base_dir.join("migrations"));
    for name in storage.migrate(&migrations)? {
        println!("Applied migration {name}");
    }
    let limits = Limits {
        request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
        max_memory: args.max_memory_mib.max(1) * 1024 * 1024,
        max_instances: args.max_instances.max(1),
    };
    let app = Arc::new(App { storage, max_memory: limits.max_memory });
    let runtime = Runtime::new(&manifest, app, limits, Some(args.cache_dir.clone()), only)?;
    println!(
        "Loaded {} ({} components) in {:.0} ms",
        manifest.app_name,
        manifest.components.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(Loaded { manifest, runtime: Arc::new(runtime) })
}

async fn up(args: &AppArgs) -> Result<()> {
    let Loaded { manifest, runtime } = load(args, None)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local: SocketAddr = listener.local_addr()?;

    let routes: Vec<_> = manifest.http_triggers.iter().map(|t| (t.route.clone(), t.component.clone())).collect();
    println!("Serving http://{local}");
    println!("Available Routes:");
    for (route, component) in &routes {
        println!("  {component}: http://{local}{}", route.raw());
    }
    for trigger in &manifest.cron_triggers {
        println!("  {}: cron `{}`", trigger.component, trigger.expression);
        tokio::spawn(run_schedule(Arc::clone(&runtime), trigger.clone()));
    }

    let server = Arc::new(server::Server::new(Arc::clone(&runtime), routes, local));
    server::serve(listener, server, shutdown_signal()).await?;
    println!("Stopped: {}", runtime.stats.summary());
    Ok(())
}

/// Fires a cron trigger on its schedule (UTC), forever.
async fn run_schedule(runtime: Arc<Runtime>, trigger: manifest::CronTrigger) {
    for next in trigger.schedule.upcoming_owned(chrono::Utc) {
        let wait = (next - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        tick(&runtime, &trigger.component).await;
    }
}

async fn tick(runtime: &Runtime, component: &str) -> bool {
    let started = Instant::now();
    let outcome = runtime.run_cron(component).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let time = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    match outcome {
        Ok(()) => {
            println!("{time} cron {component} ok {took:.2}ms");
            true
        }
        Err(e) => {
            eprintln!("{time} cron {component} failed {took:.2}ms: {e:#}");
            false
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return ctrl_c.await.unwrap_or_default(),
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or_default();
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
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
            Some(Command::CronTick { component }) => {
                let loaded = load(&cli.app, Some(component))?;
                if tick(&loaded.runtime, component).await {
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
