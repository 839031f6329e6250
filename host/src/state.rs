//! What a component instance can reach while it serves one request or tick:
//! its WASI context, its outbound policy, its grants and the shared storage.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::factors::Grants;
use crate::factors::outbound::OutboundPolicy;
use crate::storage::Storage;

/// Shared by every request: storage and host-wide settings.
#[derive(Debug)]
pub struct App {
    pub storage: Storage,
    /// Per-instance linear memory cap in bytes.
    pub max_memory: usize,
    /// Where the HTTP trigger listens, once bound: never an outbound destination.
    pub listening: std::sync::OnceLock<std::net::SocketAddr>,
    /// Non-public addresses wildcard-allowed requests may still reach.
    pub outbound_private: Arc<crate::factors::outbound::PrivateExceptions>,
    /// The runtime config's `[llm_compute]`, if any.
    pub llm: Option<crate::factors::llm::Compute>,
}

/// The store data of one instance.
pub struct RequestState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub outbound: OutboundPolicy,
    pub limits: StoreLimits,
    pub component: Arc<Grants>,
    pub app: Arc<App>,
    /// When the epoch callback traps the guest.
    pub deadline: Instant,
}

impl RequestState {
    pub fn new(app: Arc<App>, component: Arc<Grants>, deadline: Instant) -> Self {
        let wasi = WasiCtx::builder().inherit_stdout().inherit_stderr().envs(&component.environment).build();
        let limits =
            wasmtime::StoreLimitsBuilder::new().memory_size(app.max_memory).trap_on_grow_failure(false).build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: OutboundPolicy::new(
                Arc::clone(&component),
                app.listening.get().copied(),
                Arc::clone(&app.outbound_private),
            ),
            limits,
            component,
            app,
            deadline,
        }
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}
