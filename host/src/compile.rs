//! Getting components ready without making anyone wait for all of them.
//!
//! The host listens at once; one thread per core works a queue of compile
//! jobs in manifest order, and a request for a component still waiting moves
//! that component to the front. With the tiered compiler (the default) each
//! component is first compiled by Winch, wasmtime's baseline compiler (about
//! 4.5× faster to compile, measured in `docs/PERFORMANCE.md`), then recompiled
//! by Cranelift in the background and swapped in, so start-up is fast and
//! steady-state code is optimised. Both results go to wasmtime's on-disk cache,
//! keyed by content; a component whose optimised code is known to be cached
//! skips the baseline tier.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::factors::Grants;
use crate::runtime::cron_bindings::SpinCronPre;
use crate::state::RequestState;

/// Which compiler(s) turn components into machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compiler {
    /// Winch first (fast to compile), then Cranelift in the background.
    Tiered,
    /// Cranelift only: optimised code, slower start with an empty cache.
    Cranelift,
    /// Winch only: fastest start, slower code.
    Winch,
}

/// One compiler with its engine and linker (an engine compiles one way).
pub struct Tier {
    pub name: &'static str,
    /// Higher is better code; a tier never replaces code of a higher rank.
    pub rank: u8,
    pub engine: Engine,
    pub linker: Linker<RequestState>,
    /// Whether this tier's code is final (no better tier follows).
    pub optimized: bool,
}

/// A component linked once (`InstancePre`) by one tier; each request only instantiates.
pub struct Compiled {
    pub tier: Arc<Tier>,
    pub http: Option<ProxyPre<RequestState>>,
    pub cron: Option<SpinCronPre<RequestState>>,
}

/// One component: its grants (resolved up front, so a bad variable stops
/// start-up) and its best compiled form so far.
pub struct Slot {
    pub id: String,
    pub source: PathBuf,
    pub grants: Arc<Grants>,
    pub serves_http: bool,
    pub runs_cron: bool,
    current: RwLock<Option<Arc<Compiled>>>,
    /// Compile jobs queued or running for this component; it has failed only
    /// when the last one ends without code.
    jobs: AtomicUsize,
    failed: OnceLock<String>,
    done: tokio::sync::Notify,
}

impl Slot {
    pub fn new(id: &str, source: PathBuf, grants: Arc<Grants>) -> Self {
        Self {
            id: id.to_owned(),
            source,
            grants,
            serves_http: false,
            runs_cron: false,
            current: RwLock::new(None),
            jobs: AtomicUsize::new(0),
            failed: OnceLock::new(),
            done: tokio::sync::Notify::new(),
        }
    }

    fn current(&self) -> Option<Arc<Compiled>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Compile jobs (a component and a tier) and the threads that work them.
pub struct CompileQueue {
    waiting: Mutex<VecDeque<(Arc<Slot>, Arc<Tier>)>>,
    cache_dir: Option<PathBuf>,
    /// Components with no usable code yet; at zero, every route can serve.
    unserved: AtomicUsize,
    /// Jobs not finished; at zero, every component has its final code.
    unfinished: AtomicUsize,
    /// Notified when `unfinished` reaches zero.
    all_done: tokio::sync::Notify,
    started: Instant,
}

impl CompileQueue {
    /// Queues every slot — in the final tier only when its optimised code is
    /// known to be cached, else in each tier — and starts `threads` workers.
    pub fn start(slots: &[Arc<Slot>], tiers: &[Arc<Tier>], cache_dir: Option<PathBuf>, threads: usize) -> Arc<Self> {
        let last = tiers.len() - 1;
        let mut first_pass = VecDeque::new();
        let mut later = VecDeque::new();
        for slot in slots {
            let cached = cache_dir
                .as_deref()
                .is_some_and(|dir| optimized_marker(dir, &slot.source, &tiers[last]).is_some_and(|m| m.is_file()));
            if cached || last == 0 {
                slot.jobs.store(1, Ordering::Release);
                first_pass.push_back((Arc::clone(slot), Arc::clone(&tiers[last])));
            } else {
                slot.jobs.store(tiers.len(), Ordering::Release);
                first_pass.push_back((Arc::clone(slot), Arc::clone(&tiers[0])));
                for tier in &tiers[1..] {
                    later.push_back((Arc::clone(slot), Arc::clone(tier)));
                }
            }
        }
        first_pass.extend(later);
        let queue = Arc::new(Self {
            unfinished: AtomicUsize::new(first_pass.len()),
            unserved: AtomicUsize::new(slots.len()),
            all_done: tokio::sync::Notify::new(),
            waiting: Mutex::new(first_pass),
            cache_dir,
            started: Instant::now(),
        });
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new().name(format!("compile-{i}")).spawn(move || queue.work());
            if let Err(e) = spawned {
                eprintln!("Warning: cannot start compile thread {i}: {e}");
            }
        }
        queue
    }

    /// The best compiled form of `slot` so far, waiting (and moving it to the
    /// front of the queue) when it has none yet.
    pub async fn compiled(&self, slot: &Slot) -> Result<Arc<Compiled>, String> {
        loop {
            let done = slot.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if let Some(compiled) = slot.current() {
                return Ok(compiled);
            }
            if let Some(error) = slot.failed.get() {
                return Err(error.clone());
            }
            self.hurry(&slot.id);
            done.await;
        }
    }

    /// Moves a component's first waiting job to the front of the queue.
    fn hurry(&self, id: &str) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = waiting.iter().position(|(s, _)| s.id == id)
            && at > 0
            && let Some(job) = waiting.remove(at)
        {
            waiting.push_front(job);
        }
    }

    /// A compile thread: takes the next job until none is left.
    fn work(&self) {
        loop {
            let next = self.waiting.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
            let Some((slot, tier)) = next else { return };
            let started = Instant::now();
            // A panic in the compiler must not take the thread with it (waiters would hang).
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compile(&slot, &tier)))
                .unwrap_or_else(|_| Err(format!("component `{}`: the {} compiler panicked", slot.id, tier.name)));
            let took = started.elapsed().as_secs_f64() * 1000.0;
            let last_job = slot.jobs.fetch_sub(1, Ordering::AcqRel) == 1;
            let mut first_code = false;
            match result {
                Ok(compiled) => {
                    println!("Compiled {} with {} in {took:.0} ms", slot.id, tier.name);
                    if tier.optimized
                        && let Some(marker) =
                            self.cache_dir.as_deref().and_then(|d| optimized_marker(d, &slot.source, &tier))
                    {
                        let _ = marker.parent().map(std::fs::create_dir_all);
                        let _ = std::fs::write(marker, slot.id.as_bytes());
                    }
                    let mut current = slot.current.write().unwrap_or_else(|p| p.into_inner());
                    first_code = current.is_none();
                    // Tiers may finish out of order (a request can hurry the later one).
                    if current.as_ref().is_none_or(|c| c.tier.rank <= tier.rank) {
                        *current = Some(Arc::new(compiled));
                    }
                }
                Err(e) if slot.current().is_some() || !last_job => {
                    eprintln!(
                        "Warning: {e}; {}",
                        if last_job { "keeping the code it has" } else { "trying its next compiler" }
                    )
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    let _ = slot.failed.set(e);
                }
            }
            slot.done.notify_waiters();
            if (first_code || slot.failed.get().is_some() && last_job)
                && self.unserved.fetch_sub(1, Ordering::AcqRel) == 1
            {
                println!("Ready: every component compiled {:.0} ms after start-up", self.elapsed_ms());
            }
            if self.unfinished.fetch_sub(1, Ordering::AcqRel) == 1 {
                println!("Optimized: every component has its final code {:.0} ms after start-up", self.elapsed_ms());
                self.all_done.notify_waiters();
            }
        }
    }

    fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// Waits until every job is done (the `compile` command); fails naming
    /// each component that has no code.
    pub async fn finish(&self, slots: &[Arc<Slot>]) -> Result<(), String> {
        let mut failed = Vec::new();
        for slot in slots {
            if let Err(e) = self.compiled(slot).await {
                failed.push(e);
            }
        }
        loop {
            let done = self.all_done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if self.unfinished.load(Ordering::Acquire) == 0 {
                break;
            }
            done.await;
        }
        if failed.is_empty() { Ok(()) } else { Err(failed.join("\n")) }
    }
}

/// Compiles (or loads from the cache) and links one component with one tier.
fn compile(slot: &Slot, tier: &Arc<Tier>) -> Result<Compiled, String> {
    let id = &slot.id;
    let component = Component::from_file(&tier.engine, &slot.source)
        .map_err(|e| format!("component `{id}`: cannot compile {}: {e}", slot.source.display()))?;
    let pre = tier
        .linker
        .instantiate_pre(&component)
        .map_err(|e| format!("component `{id}`: cannot link its imports: {e}"))?;
    let http = if slot.serves_http {
        Some(ProxyPre::new(pre.clone()).map_err(|e| format!("component `{id}` cannot serve HTTP: {e}"))?)
    } else {
        None
    };
    let cron = if slot.runs_cron {
        Some(SpinCronPre::new(pre).map_err(|e| {
            format!(
                "component `{id}` cannot run as a cron trigger (does it export handle-cron-event of fermyon:spin-cron/spin-cron@2.0.0?): {e}"
            )
        })?)
    } else {
        None
    };
    Ok(Compiled { tier: Arc::clone(tier), http, cron })
}

/// A file saying "this `.wasm` (path, size, modification time) has code from
/// `tier` (its engine's compatibility hash) in the cache". A stale or missing
/// marker only costs a baseline compile; wasmtime's cache itself is keyed by
/// content and settings, so it can never serve wrong code.
fn optimized_marker(cache_dir: &Path, source: &Path, tier: &Tier) -> Option<PathBuf> {
    let meta = std::fs::metadata(source).ok()?;
    let mut hasher = std::hash::DefaultHasher::new();
    (source, meta.len(), meta.modified().ok()?, tier.name, env!("CARGO_PKG_VERSION")).hash(&mut hasher);
    tier.engine.precompile_compatibility_hash().hash(&mut hasher);
    Some(cache_dir.join("switchyard-optimized").join(format!("{:016x}", hasher.finish())))
}
