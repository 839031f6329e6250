//! Host capabilities as factors, as Spin structures its runtime: one module
//! per capability a component can be granted, each owning its grant from the
//! manifest, its per-instance state and its linker setup.
//!
//! - [`sqlite`] — `fermyon:spin/sqlite`, granted by `sqlite_databases`;
//! - [`key_value`] — `fermyon:spin/key-value`, granted by `key_value_stores`,
//!   and [`wasi_key_value`] — `wasi:keyvalue/{store,atomics}` over the same stores;
//! - [`variables`] — `fermyon:spin/variables`: `[variables]`, component
//!   templates and `SPIN_VARIABLE_*`, granted by `[component.<id>.variables]`;
//! - [`outbound`] — `wasi:http/outgoing-handler`, granted by `allowed_outbound_hosts`;
//! - [`llm`] — `fermyon:spin/llm`, granted by `ai_models`, served by the
//!   runtime config's `[llm_compute]` (an OpenAI-compatible server).
//!
//! To add a capability: put its WIT in `host/wit/` (and in the `bindgen!`
//! world below if it is a Spin platform interface), add a module here with
//! its `Grant`, its resource types and `Host` impls on `RequestState`, and an
//! `add_to_linker`; add its grant to [`Grants`] (resolved in
//! `runtime::prepare` from the manifest key `manifest.rs` reads and checks)
//! and call its `add_to_linker` from [`add_to_linker`].

pub mod key_value;
pub mod llm;
pub mod outbound;
pub mod sqlite;
pub mod variables;
pub mod wasi_key_value;

use wasmtime::component::Linker;

use crate::state::RequestState;

wasmtime::component::bindgen!({
    path: "wit/spin-platform.wit",
    world: "host-platform",
    imports: {
        // Writers wait for the database's write gate without holding a thread.
        "fermyon:spin/sqlite.[method]connection.execute": async | trappable,
        "fermyon:spin/key-value.[method]store.set": async | trappable,
        "fermyon:spin/key-value.[method]store.delete": async | trappable,
        // The model server is called without holding a thread.
        "fermyon:spin/llm.generate-embeddings": async | trappable,
        "fermyon:spin/llm.infer": async | trappable,
        default: trappable,
    },
    with: {
        "fermyon:spin/sqlite.connection": sqlite::SqliteConnection,
        "fermyon:spin/key-value.store": key_value::KeyValueStore,
    },
});

/// A component's grants from the manifest, resolved once at start-up.
#[derive(Debug)]
pub struct Grants {
    pub id: String,
    pub allowed_outbound_hosts: outbound::AllowList,
    pub key_value_stores: key_value::Grant,
    pub sqlite_databases: sqlite::Grant,
    pub ai_models: llm::Grant,
    pub variables: variables::Resolved,
    pub environment: Vec<(String, String)>,
}

/// Every factor's interfaces (WASI and `wasi:http` are added by the runtime).
pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    sqlite::add_to_linker(linker)?;
    key_value::add_to_linker(linker)?;
    wasi_key_value::add_to_linker(linker)?;
    variables::add_to_linker(linker)?;
    llm::add_to_linker(linker)?;
    Ok(())
}
