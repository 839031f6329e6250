//! The key-value factor: `fermyon:spin/key-value@2.0.0`. Its grant is the
//! component's `key_value_stores`; its instance state is the open stores (a
//! label each, naming a namespace in the key-value database).

use wasmtime::component::{HasSelf, Linker, Resource};

use super::fermyon::spin::key_value;
use crate::state::RequestState;

/// What the manifest grants: the stores the component may open.
pub type Grant = Vec<String>;

pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    key_value::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

/// An open `fermyon:spin/key-value` store: its label names a namespace in the
/// key-value database.
pub struct KeyValueStore {
    pub(super) label: String,
}

fn kv_error(e: rusqlite::Error) -> key_value::Error {
    key_value::Error::Other(e.to_string())
}

impl RequestState {
    /// Runs `f` on a key-value connection (reads: WAL readers never wait).
    pub(super) fn kv<T>(
        &mut self,
        store: &Resource<KeyValueStore>,
        f: impl FnOnce(&rusqlite::Connection, &str) -> rusqlite::Result<T>,
    ) -> wasmtime::Result<Result<T, key_value::Error>> {
        let label = self.table.get(store)?.label.clone();
        let conn = match self.app.storage.key_value().get() {
            Ok(conn) => conn,
            Err(e) => return Ok(Err(key_value::Error::Other(format!("{e:#}")))),
        };
        Ok(f(&conn, &label).map_err(kv_error))
    }

    /// Runs the write `f` on a key-value connection once through the file's write gate.
    pub(super) async fn kv_write<T: Send>(
        &mut self,
        store: &Resource<KeyValueStore>,
        f: impl Fn(&rusqlite::Connection, &str) -> rusqlite::Result<T> + Send,
    ) -> wasmtime::Result<Result<T, key_value::Error>> {
        let label = self.table.get(store)?.label.clone();
        Ok(self.kv_write_at(label, f).await)
    }

    /// [`Self::kv_write`] for a store named by its label.
    pub(super) async fn kv_write_at<T: Send>(
        &mut self,
        label: String,
        f: impl Fn(&rusqlite::Connection, &str) -> rusqlite::Result<T> + Send,
    ) -> Result<T, key_value::Error> {
        let mut conn = match self.app.storage.key_value().get() {
            Ok(conn) => conn,
            Err(e) => return Err(key_value::Error::Other(format!("{e:#}"))),
        };
        let gate = conn.gate().clone();
        let Some(_ticket) = gate.enter().await else {
            return Err(key_value::Error::Other("database is locked".into()));
        };
        let conn = &mut conn;
        super::sqlite::busy_retry(true, move || f(conn, &label)).await.map_err(kv_error)
    }
}

/// The statements both key-value interfaces run (`fermyon:spin/key-value`
/// here, `wasi:keyvalue` in `wasi_key_value.rs`).
pub(super) mod sql {
    use rusqlite::{Connection, OptionalExtension, Result};

    pub fn get(c: &Connection, label: &str, key: &str) -> Result<Option<Vec<u8>>> {
        c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
            .query_row((label, key), |r| r.get(0))
            .optional()
    }

    pub fn set(c: &Connection, label: &str, key: &str, value: &[u8]) -> Result<()> {
        c.prepare_cached(
            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
        )?
        .execute((label, key, value))
        .map(drop)
    }

    pub fn delete(c: &Connection, label: &str, key: &str) -> Result<()> {
        c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?.execute((label, key)).map(drop)
    }

    pub fn exists(c: &Connection, label: &str, key: &str) -> Result<bool> {
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2)")?
            .query_row((label, key), |r| r.get(0))
    }

    /// Keys after `after`, in order, at most `limit` (negative: all).
    pub fn keys(c: &Connection, label: &str, after: &str, limit: i64) -> Result<Vec<String>> {
        c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 AND key > ?2 ORDER BY key LIMIT ?3")?
            .query_map((label, after, limit), |r| r.get(0))?
            .collect()
    }
}

impl key_value::Host for RequestState {}

impl key_value::HostStore for RequestState {
    fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<KeyValueStore>, key_value::Error>> {
        if !self.component.key_value_stores.contains(&label) {
            return Ok(Err(key_value::Error::AccessDenied));
        }
        Ok(Ok(self.table.push(KeyValueStore { label })?))
    }

    fn get(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, key_value::Error>> {
        self.kv(&store, |c, label| sql::get(c, label, &key))
    }

    async fn set(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        self.kv_write(&store, |c, label| sql::set(c, label, &key, &value)).await
    }

    async fn delete(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        self.kv_write(&store, |c, label| sql::delete(c, label, &key)).await
    }

    fn exists(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        self.kv(&store, |c, label| sql::exists(c, label, &key))
    }

    fn get_keys(&mut self, store: Resource<KeyValueStore>) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        self.kv(&store, |c, label| sql::keys(c, label, "", -1))
    }

    fn drop(&mut self, store: Resource<KeyValueStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}
