//! What a component instance can reach while it serves one request or tick:
//! its WASI context, its outbound policy, its grants and the shared storage.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::outbound::AllowList;
use crate::storage::Storage;
use crate::variables;

/// Shared by every request: storage and host-wide settings.
#[derive(Debug)]
pub struct App {
    pub storage: Storage,
    /// Per-instance linear memory cap in bytes.
    pub max_memory: usize,
}

/// A component's grants from the manifest, resolved once at start-up.
#[derive(Debug)]
pub struct Grants {
    pub id: String,
    pub allowed_outbound_hosts: AllowList,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub variables: variables::Resolved,
    pub environment: Vec<(String, String)>,
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
            outbound: OutboundPolicy { component: Arc::clone(&component) },
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

/// Outbound HTTP limited to the component's `allowed_outbound_hosts`; a
/// refused request fails with `HttpRequestDenied`, as under Spin.
pub struct OutboundPolicy {
    component: Arc<Grants>,
}

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<wasmtime_wasi_http::WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        if !self.component.allowed_outbound_hosts.allows(request.uri()) {
            let uri = request.uri();
            let destination = format!(
                "{}://{}",
                uri.scheme_str().unwrap_or("http"),
                uri.authority().map(|a| a.as_str()).unwrap_or("")
            );
            eprintln!(
                "Warning: component `{}` tried to make an outbound network connection to disallowed destination '{destination}'. \
                 To allow it, add \"{destination}\" to allowed_outbound_hosts in its [component.{}] section.",
                self.component.id, self.component.id
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            ))
        })
    }
}
