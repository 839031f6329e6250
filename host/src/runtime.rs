//! The wasmtime side: one engine, every component compiled and
//! pre-instantiated at start-up, a fresh instance per request or tick, each
//! with a memory cap and a deadline.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::manifest::Manifest;
use crate::outbound::AllowList;
use crate::state::{App, Grants, RequestState};
use crate::{platform, variables};

mod cron_bindings {
    wasmtime::component::bindgen!({
        path: "../wit/spin-cron.wit",
        world: "spin-cron",
        exports: { default: async },
    });
}
use cron_bindings::{SpinCronPre, fermyon::spin_cron::cron_types::Metadata};

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

pub struct Runtime {
    pub stats: Arc<Stats>,
    engine: Engine,
    app: Arc<App>,
    http: HashMap<String, (ProxyPre<RequestState>, Arc<Grants>)>,
    cron: HashMap<String, (SpinCronPre<RequestState>, Arc<Grants>)>,
    limits: Limits,
}

fn engine(limits: &Limits, cache_dir: Option<PathBuf>) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if let Some(dir) = cache_dir {
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create compile cache {}", dir.display()))?;
        let mut cache = wasmtime::CacheConfig::new();
        cache.with_directory(dir);
        config.cache(Some(wasmtime::Cache::new(cache).map_err(|e| anyhow!("{e}"))?));
    }
    let mut pool = PoolingAllocationConfig::default();
    let n = limits.max_instances;
    pool.total_component_instances(n)
        .total_core_instances(n * 16)
        .total_memories(n * 2)
        .total_tables(n * 8)
        .total_stacks(n)
        .max_memory_size(limits.max_memory);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| anyhow!("cannot configure wasmtime: {e}"))
}

impl Runtime {
    /// Compiles the components the manifest's triggers reach — all of them,
    /// or only `only` (used by `cron-tick`, which runs one component).
    pub fn new(
        manifest: &Manifest,
        app: Arc<App>,
        limits: Limits,
        cache_dir: Option<PathBuf>,
        only: Option<&str>,
    ) -> Result<Self> {
        let engine = engine(&limits, cache_dir)?;
        let mut linker: Linker<RequestState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow!("{e}"))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(|e| anyhow!("{e}"))?;
        platform::add_to_linker(&mut linker).map_err(|e| anyhow!("{e}"))?;

        let wanted = |id: &str| only.is_none_or(|o| o == id);
        let mut compiled: HashMap<String, (Component, Arc<Grants>)> = HashMap::new();
        let mut compile = |id: &str| -> Result<(Component, Arc<Grants>)> {
            if let Some(done) = compiled.get(id) {
                return Ok(done.clone());
            }
            let c = &manifest.components[id];
            if !c.source.is_file() {
                bail!(
                    "component `{id}`: {} does not exist; build it first ({})",
                    c.source.display(),
                    c.build_command.as_deref().unwrap_or("see its [component.{id}.build] section")
                );
            }
            let component = Component::from_file(&engine, &c.source)
                .map_err(|e| anyhow!("component `{id}`: cannot compile {}: {e}", c.source.display()))?;
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
                variables: variables::resolve(&manifest.variables, &c.variables, &variables::Environment)
                    .with_context(|| format!("component `{id}`"))?,
                environment: c.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            });
            compiled.insert(id.to_owned(), (component.clone(), Arc::clone(&grants)));
            Ok((component, grants))
        };

        let mut http = HashMap::new();
        for t in manifest.http_triggers.iter().filter(|t| wanted(&t.component)) {
            let (component, grants) = compile(&t.component)?;
            let pre = linker
                .instantiate_pre(&component)
                .and_then(ProxyPre::new)
                .map_err(|e| anyhow!("component `{}` cannot serve HTTP: {e}", t.component))?;
            http.insert(t.component.clone(), (pre, grants));
        }
        let mut cron = HashMap::new();
        for t in manifest.cron_triggers.iter().filter(|t| wanted(&t.component)) {
            let (component, grants) = compile(&t.component)?;
            let pre = linker
                .instantiate_pre(&component)
                .and_then(SpinCronPre::new)
                .map_err(|e| {
                    anyhow!(
                        "component `{}` cannot run as a cron trigger (does it export handle-cron-event of fermyon:spin-cron/spin-cron@2.0.0?): {e}",
                        t.component
                    )
                })?;
            cron.insert(t.component.clone(), (pre, grants));
        }
        if let Some(id) = only
            && !cron.contains_key(id)
            && !http.contains_key(id)
        {
            bail!("no trigger in the manifest runs component `{id}`");
        }

        let ticker = engine.weak();
        std::thread::Builder::new().name("epoch".into()).spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
        Ok(Self { stats: Arc::default(), engine, app, http, cron, limits })
    }

    fn store(&self, grants: &Arc<Grants>) -> Store<RequestState> {
        let deadline = Instant::now() + self.limits.request_timeout;
        let mut store =
            Store::new(&self.engine, RequestState::new(Arc::clone(&self.app), Arc::clone(grants), deadline));
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
    pub async fn handle_http(
        &self,
        component: &str,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, Failure> {
        let (pre, grants) =
            self.http.get(component).ok_or_else(|| Failure::Guest(anyhow!("component `{component}` is not routed")))?;
        let mut store = self.store(grants);
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
        let (pre, grants) =
            self.cron.get(component).ok_or_else(|| anyhow!("no cron trigger runs component `{component}`"))?;
        let mut store = self.store(grants);
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

fn classify(trap: wasmtime::Error) -> Failure {
    if matches!(trap.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt)) {
        Failure::Timeout
    } else {
        Failure::Guest(anyhow!("{trap:?}"))
    }
}
