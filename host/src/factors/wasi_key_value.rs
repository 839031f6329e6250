//! The key-value factor's second face: `wasi:keyvalue/{store,atomics}@0.2.0-draft2`,
//! over the same stores (and grant) as `fermyon:spin/key-value`. Its point is
//! `atomics.increment`: one SQL statement, so concurrent counters (rate
//! limits) never lose an update as a read-then-write would.

use wasmtime::component::{HasSelf, Linker, Resource};

use super::fermyon::spin::key_value::Error as SpinError;
use super::key_value::{KeyValueStore, sql};
use crate::state::RequestState;

wasmtime::component::bindgen!({
    path: "wit/wasi-keyvalue.wit",
    world: "host-keyvalue",
    imports: {
        "wasi:keyvalue/store.[method]bucket.set": async | trappable,
        "wasi:keyvalue/store.[method]bucket.delete": async | trappable,
        "wasi:keyvalue/atomics.increment": async | trappable,
        "wasi:keyvalue/atomics.swap": async | trappable,
        default: trappable,
    },
    with: {
        "wasi:keyvalue/store.bucket": crate::factors::key_value::KeyValueStore,
        "wasi:keyvalue/atomics.cas": crate::factors::wasi_key_value::Cas,
    },
});

use wasi::keyvalue::{atomics, store};

/// Keys one `list-keys` page holds.
const PAGE: i64 = 1000;

pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    store::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    atomics::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

/// A compare-and-swap in progress: the value the key had when it began.
pub struct Cas {
    label: String,
    key: String,
    seen: Option<Vec<u8>>,
}

fn error(e: SpinError) -> store::Error {
    match e {
        SpinError::NoSuchStore => store::Error::NoSuchStore,
        SpinError::AccessDenied => store::Error::AccessDenied,
        SpinError::StoreTableFull => store::Error::Other("too many open stores".into()),
        SpinError::Other(m) => store::Error::Other(m),
    }
}

impl store::Host for RequestState {
    fn open(&mut self, identifier: String) -> wasmtime::Result<Result<Resource<KeyValueStore>, store::Error>> {
        if !self.component.key_value_stores.contains(&identifier) {
            return Ok(Err(store::Error::AccessDenied));
        }
        Ok(Ok(self.table.push(KeyValueStore { label: identifier })?))
    }
}

impl store::HostBucket for RequestState {
    fn get(
        &mut self,
        bucket: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(self.kv(&bucket, |c, label| sql::get(c, label, &key))?.map_err(error))
    }

    async fn set(
        &mut self,
        bucket: Resource<KeyValueStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let written = self.kv_write(&bucket, |c, label| sql::set(c, label, &key, &value)).await?;
        Ok(written.map_err(error))
    }

    async fn delete(
        &mut self,
        bucket: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let deleted = self.kv_write(&bucket, |c, label| sql::delete(c, label, &key)).await?;
        Ok(deleted.map_err(error))
    }

    fn exists(&mut self, bucket: Resource<KeyValueStore>, key: String) -> wasmtime::Result<Result<bool, store::Error>> {
        Ok(self.kv(&bucket, |c, label| sql::exists(c, label, &key))?.map_err(error))
    }

    fn list_keys(
        &mut self,
        bucket: Resource<KeyValueStore>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        let after = cursor.unwrap_or_default();
        let keys = self.kv(&bucket, |c, label| sql::keys(c, label, &after, PAGE))?;
        Ok(keys.map_err(error).map(|keys| {
            let cursor = (keys.len() as i64 == PAGE).then(|| keys.last().cloned()).flatten();
            store::KeyResponse { keys, cursor }
        }))
    }

    fn drop(&mut self, bucket: Resource<KeyValueStore>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for RequestState {
    async fn increment(
        &mut self,
        bucket: Resource<KeyValueStore>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        // The count is kept as decimal text, so `get` reads it like any value.
        let counted = self
            .kv_write(&bucket, |c, label| {
                c.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, CAST(CAST(?3 AS TEXT) AS BLOB))
                     ON CONFLICT (store, key) DO UPDATE
                     SET value = CAST(CAST(CAST(CAST(value AS TEXT) AS INTEGER) + ?3 AS TEXT) AS BLOB)
                     RETURNING CAST(CAST(value AS TEXT) AS INTEGER)",
                )?
                .query_row((label, &key, delta), |r| r.get(0))
            })
            .await?;
        Ok(counted.map_err(error))
    }

    async fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let Cas { label, key, seen } = self.table.delete(cas)?;
        let swapped = self
            .kv_write_at(label.clone(), |c, label| {
                let changed = match &seen {
                    Some(old) => c
                        .prepare_cached(
                            "UPDATE spin_key_value SET value = ?3 WHERE store = ?1 AND key = ?2 AND value = ?4",
                        )?
                        .execute((label, &key, &value, old))?,
                    None => c
                        .prepare_cached(
                            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                             ON CONFLICT (store, key) DO NOTHING",
                        )?
                        .execute((label, &key, &value))?,
                };
                if changed == 1 { Ok(None) } else { sql::get(c, label, &key).map(Some) }
            })
            .await;
        Ok(match swapped {
            Err(e) => Err(atomics::CasError::StoreError(error(e))),
            Ok(None) => Ok(()),
            Ok(Some(now)) => {
                let retry = self.table.push(Cas { label, key, seen: now })?;
                Err(atomics::CasError::CasFailed(retry))
            }
        })
    }
}

impl atomics::HostCas for RequestState {
    fn new(
        &mut self,
        bucket: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        let label = self.table.get(&bucket)?.label.clone();
        let seen = match self.kv(&bucket, |c, label| sql::get(c, label, &key))? {
            Ok(seen) => seen,
            Err(e) => return Ok(Err(error(e))),
        };
        Ok(Ok(self.table.push(Cas { label, key, seen })?))
    }

    fn current(&mut self, cas: Resource<Cas>) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(Ok(self.table.get(&cas)?.seen.clone()))
    }

    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
