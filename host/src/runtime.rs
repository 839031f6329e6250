//! The wasmtime side: one engine, every component compiled and
//! pre-instantiated at start-up, a fresh instance per request or tick, each
//! with a memory cap and a deadline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Strategy, UpdateDeadline};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::compile::{CompileQueue, Compiler, Slot, Tier};
use crate::factors::Grants;
use crate::factors::outbound::AllowList;
use crate::factors::{self, variables};
use crate::manifest::Manifest;
use crate::state::{App, RequestState};

pub(crate) mod cron_bindings {
    wasmtime::component::bindgen!({
        path: "../wit/spin-cron.wit",
        world: "spin-cron",
        exports: { default: async },
    });
}
use cron_bindings::fermyon::spin_cron::cron_types::Metadata;

/// How often the epoch advances; the granularity of deadlines and of the
/// cooperative yields that keep a spinning guest from hogging a worker thread.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Host-wide limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Per-request deadline (wall clock, guest and host time together).
    pub request_timeout: Duration,
    /// Linear-memory cap per instance, in bytes.
    pub max_memory: usize,
    /// Instances that may run at once; more wait for a slot in the pool.
    pub max_instances: u32,
}

/// Why a request produced no response from the guest.
#[derive(Debug)]
pub enum Failure {
    /// The guest trapped, returned no response, or failed to instantiate.
    Guest(anyhow::Error),
    /// The deadline passed before the response head was ready.
    Timeout,
    /// Every instance of the pool is in use (admission control keeps this rare).
    Busy,
}

/// Counters printed at shutdown (the benchmark reads them).
#[derive(Debug, Default)]
pub struct Stats {
    pub instances: AtomicU64,
    pub instantiate_nanos: AtomicU64,
}

impl Stats {
    fn record(&self, took: Duration) {
        self.instances.fetch_add(1, Ordering::Relaxed);
        self.instantiate_nanos.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// `instances N, mean instantiate X µs`.
    pub fn summary(&self) -> String {
        let n = self.instances.load(Ordering::Relaxed);
        let nanos = self.instantiate_nanos.load(Ordering::Relaxed);
        let mean = if n == 0 { 0.0 } else { nanos as f64 / n as f64 / 1000.0 };
        format!("instances {n}, mean instantiate {mean:.1} µs")
    }
}

/// What the host was started to do; it decides which components are prepared
/// and whether their grants (variables, outbound hosts) are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// Serve every trigger (`up`).
    Serve,
    /// Run one tick of this cron component (`cron-tick`).
    Tick(&'a str),
    /// Fill the compile cache (`compile`): nothing runs, so no variable or
    /// secret is needed.
    Compile,
}

pub struct Runtime {
    pub stats: Arc<Stats>,
    pub app: Arc<App>,
    /// Every component a trigger reaches, by id.
    components: HashMap<String, Arc<Slot>>,
    queue: Arc<CompileQueue>,
    limits: Limits,
}

/// One engine per compiler: the same settings, a different strategy.
fn engine(limits: &Limits, cache_dir: Option<&Path>, strategy: Strategy) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.strategy(strategy);
    if let Some(dir) = cache_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create compile cache {}", dir.display()))?;
        let mut cache = wasmtime::CacheConfig::new();
        // Fast zstd for new entries, and never the background recompression at
        // level 20 that would compete with requests for the two cores.
        cache
            .with_directory(dir)
            .with_baseline_compression_level(1)
            .with_optimized_compression_usage_counter_threshold(u64::MAX)
            .with_worker_event_queue_size(1024);
        config.cache(Some(wasmtime::Cache::new(cache).map_err(|e| anyhow!("{e}"))?));
    }
    let mut pool = PoolingAllocationConfig::default();
    let n = limits.max_instances;
    pool.total_component_instances(n)
        .total_core_instances(n * 16)
        .total_memories(n * 2)
        .total_tables(n * 8)
        .total_stacks(n)
        .max_memory_size(limits.max_memory)
        // Reset a reused slot's dirty pages in place instead of handing them
        // back to the kernel (`madvise`, one TLB shoot-down IPI to every core
        // per request) and faulting them in again on the next request. With
        // PAGEMAP_SCAN (Linux 6.7+) only the pages the request touched are reset.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| anyhow!("cannot configure wasmtime: {e}"))
}

/// Bytes of memory and table a slot may reset in place between instances
/// (measured: 4 MiB and 16 MiB serve alike; a request touches far less).
const KEEP_RESIDENT: usize = 4 << 20;

fn tier(
    name: &'static str,
    strategy: Strategy,
    optimized: bool,
    limits: &Limits,
    cache_dir: Option<&Path>,
) -> Result<Arc<Tier>> {
    let engine = engine(limits, cache_dir, strategy)?;
    let mut linker: Linker<RequestState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow!("{e}"))?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(|e| anyhow!("{e}"))?;
    factors::add_to_linker(&mut linker).map_err(|e| anyhow!("{e}"))?;
    let rank = match strategy {
        Strategy::Winch => 0,
        _ => 1,
    };
    Ok(Arc::new(Tier { name, rank, engine, linker, optimized }))
}

impl Runtime {
    /// Prepares the components the manifest's triggers reach — all of them,
    /// or the one a tick runs — and starts compiling them in the background.
    /// Requests wait for their own component only; [`Runtime::wait_compiled`]
    /// waits for all.
    pub fn new(
        manifest: &Manifest,
        app: Arc<App>,
        limits: Limits,
        cache_dir: Option<PathBuf>,
        compiler: Compiler,
        purpose: Purpose<'_>,
    ) -> Result<Self> {
        let wanted = |id: &str| !matches!(purpose, Purpose::Tick(only) if only != id);
        let mut slots: Vec<Slot> = Vec::new();
        let triggers = manifest
            .http_triggers
            .iter()
            .map(|t| (&t.component, true))
            .chain(manifest.cron_triggers.iter().map(|t| (&t.component, false)));
        for (id, http) in triggers.filter(|(id, _)| wanted(id)) {
            let at = match slots.iter().position(|s| &s.id == id) {
                Some(at) => at,
                None => {
                    slots.push(prepare(manifest, id, purpose != Purpose::Compile)?);
                    slots.len() - 1
                }
            };
            slots[at].serves_http |= http;
            slots[at].runs_cron |= !http;
        }
        if let Purpose::Tick(id) = purpose
            && slots.is_empty()
        {
            bail!("no trigger in the manifest runs component `{id}`");
        }

        let dir = cache_dir.as_deref();
        let tiers = match compiler {
            Compiler::Tiered => vec![
                tier("winch", Strategy::Winch, false, &limits, dir)?,
                tier("cranelift", Strategy::Cranelift, true, &limits, dir)?,
            ],
            Compiler::Cranelift => vec![tier("cranelift", Strategy::Cranelift, true, &limits, dir)?],
            Compiler::Winch => vec![tier("winch", Strategy::Winch, true, &limits, dir)?],
        };
        let slots: Vec<Arc<Slot>> = slots.into_iter().map(Arc::new).collect();
        let components = slots.iter().map(|s| (s.id.clone(), Arc::clone(s))).collect();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(slots.len());
        let queue = CompileQueue::start(&slots, &tiers, cache_dir, threads);

        let engines: Vec<_> = tiers.iter().map(|t| t.engine.weak()).collect();
        std::thread::Builder::new().name("epoch".into()).spawn(move || {
            loop {
                let live: Vec<Engine> = engines.iter().filter_map(|e| e.upgrade()).collect();
                if live.is_empty() {
                    return;
                }
                live.iter().for_each(Engine::increment_epoch);
                drop(live);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
        Ok(Self { stats: Arc::default(), app, components, queue, limits })
    }

    /// Waits until every component has its final code; fails naming each one that has none.
    pub async fn wait_compiled(&self) -> Result<()> {
        let slots: Vec<Arc<Slot>> = self.components.values().cloned().collect();
        self.queue.finish(&slots).await.map_err(|e| anyhow!("{e}"))
    }

    fn store(&self, engine: &Engine, grants: &Arc<Grants>) -> Store<RequestState> {
        let deadline = Instant::now() + self.limits.request_timeout;
        let mut store = Store::new(engine, RequestState::new(Arc::clone(&self.app), Arc::clone(grants), deadline));
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Err(wasmtime::Trap::Interrupt.into())
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    /// Runs one HTTP request through a fresh instance of `component`.
    pub async fn handle_http<B>(
        &self,
        component: &str,
        request: hyper::Request<B>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, Failure>
    where
        B: hyper::body::Body<Data = bytes::Bytes, Error = hyper::Error> + Send + 'static,
    {
        let slot = self
            .components
            .get(component)
            .filter(|s| s.serves_http)
            .ok_or_else(|| Failure::Guest(anyhow!("component `{component}` is not routed")))?;
        let compiled = self.queue.compiled(slot).await.map_err(|e| Failure::Guest(anyhow!("{e}")))?;
        let pre = compiled.http.as_ref().ok_or_else(|| Failure::Guest(anyhow!("`{component}` serves no HTTP")))?;
        let mut store = self.store(&compiled.tier.engine, &slot.grants);
        let deadline = tokio::time::Instant::from_std(store.data().deadline);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (req, out) = {
            let mut http = store.data_mut().http();
            let req = http.new_incoming_request(Scheme::Http, request).map_err(|e| Failure::Guest(anyhow!("{e}")))?;
            let out = http.new_response_outparam(sender).map_err(|e| Failure::Guest(anyhow!("{e}")))?;
            (req, out)
        };
        let pre = pre.clone();
        let stats = Arc::clone(&self.stats);
        let task = tokio::spawn(tokio::time::timeout_at(deadline, async move {
            let started = Instant::now();
            let proxy = pre.instantiate_async(&mut store).await?;
            stats.record(started.elapsed());
            proxy.wasi_http_incoming_handler().call_handle(&mut store, req, out).await
        }));

        match tokio::time::timeout_at(deadline, receiver).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(code))) => Err(Failure::Guest(anyhow!("guest answered with error code {code:?}"))),
            Ok(Err(_dropped)) => Err(match task.await {
                Ok(Ok(Ok(()))) => Failure::Guest(anyhow!("guest returned without setting a response")),
                Ok(Ok(Err(trap))) => classify(trap),
                Ok(Err(_elapsed)) => Failure::Timeout,
                Err(join) => Failure::Guest(anyhow!("guest task failed: {join}")),
            }),
            Err(_elapsed) => {
                task.abort();
                Err(Failure::Timeout)
            }
        }
    }

    /// Runs one cron tick of `component` and waits for it.
    pub async fn run_cron(&self, component: &str) -> Result<()> {
        let slot = self
            .components
            .get(component)
            .filter(|s| s.runs_cron)
            .ok_or_else(|| anyhow!("no cron trigger runs component `{component}`"))?;
        let compiled = self.queue.compiled(slot).await.map_err(|e| anyhow!("{e}"))?;
        let pre = compiled.cron.as_ref().ok_or_else(|| anyhow!("`{component}` runs no cron trigger"))?;
        let mut store = self.store(&compiled.tier.engine, &slot.grants);
        let deadline = tokio::time::Instant::from_std(store.data().deadline);
        let timestamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let run = async {
            let started = Instant::now();
            let instance = pre.instantiate_async(&mut store).await?;
            self.stats.record(started.elapsed());
            instance.call_handle_cron_event(&mut store, Metadata { timestamp }).await
        };
        match tokio::time::timeout_at(deadline, run).await {
            Err(_) => bail!("cron tick of `{component}` passed its deadline"),
            Ok(Err(trap)) => bail!("cron tick of `{component}` trapped: {trap:?}"),
            Ok(Ok(Err(cron_bindings::fermyon::spin_cron::cron_types::Error::Other(message)))) => {
                bail!("cron tick of `{component}` failed: {message}")
            }
            Ok(Ok(Ok(()))) => Ok(()),
        }
    }
}

/// Checks a component's file and resolves its grants before anything is
/// served, so a typo or a missing build fails start-up rather than the first
/// request. Without `resolve_grants` (compiling only) it gets none.
fn prepare(manifest: &Manifest, id: &str, resolve_grants: bool) -> Result<Slot> {
    let c = &manifest.components[id];
    let build = || c.build_command.clone().unwrap_or_else(|| format!("see its [component.{id}.build] section"));
    let mut magic = [0u8; 8];
    let read = std::fs::File::open(&c.source).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic));
    if read.is_err() {
        bail!("component `{id}`: {} does not exist; build it first ({})", c.source.display(), build());
    }
    if magic[..4] != *b"\0asm" {
        bail!("component `{id}`: {} is not a WebAssembly file", c.source.display());
    }
    if !resolve_grants {
        let grants = Grants {
            id: id.to_owned(),
            allowed_outbound_hosts: AllowList::default(),
            key_value_stores: Vec::new(),
            sqlite_databases: Vec::new(),
            ai_models: Vec::new(),
            variables: variables::Resolved::default(),
            environment: Vec::new(),
        };
        return Ok(Slot::new(id, c.source.clone(), Arc::new(grants)));
    }
    let outbound = c
        .allowed_outbound_hosts
        .iter()
        .map(|entry| variables::resolve_one(&manifest.variables, entry, &variables::Environment))
        .collect::<Result<Vec<_>>>()
        .and_then(|entries| AllowList::parse(&entries))
        .with_context(|| format!("component `{id}`: allowed_outbound_hosts"))?;
    let grants = Arc::new(Grants {
        id: id.to_owned(),
        allowed_outbound_hosts: outbound,
        key_value_stores: c.key_value_stores.clone(),
        sqlite_databases: c.sqlite_databases.clone(),
        ai_models: c.ai_models.clone(),
        variables: variables::resolve(&manifest.variables, &c.variables, &variables::Environment)
            .with_context(|| format!("component `{id}`"))?,
        environment: c.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    });
    Ok(Slot::new(id, c.source.clone(), grants))
}

fn classify(trap: wasmtime::Error) -> Failure {
    if matches!(trap.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt)) {
        Failure::Timeout
    } else if trap.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
        Failure::Busy
    } else {
        Failure::Guest(anyhow!("{trap:?}"))
    }
}
