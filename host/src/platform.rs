//! Host side of Spin's platform interfaces (`fermyon:spin/*@2.0.0`): SQLite,
//! key-value and variables, each limited to what the component's manifest
//! entry grants.

use wasmtime::component::{HasSelf, Linker, Resource};

use crate::state::RequestState;
use crate::storage::{Pooled, WriteTicket};

wasmtime::component::bindgen!({
    path: "wit/spin-platform.wit",
    world: "host-platform",
    imports: {
        // Writers wait for the database's write gate without holding a thread.
        "fermyon:spin/sqlite.[method]connection.execute": async | trappable,
        "fermyon:spin/key-value.[method]store.set": async | trappable,
        "fermyon:spin/key-value.[method]store.delete": async | trappable,
        default: trappable,
    },
    with: {
        "fermyon:spin/sqlite.connection": SqliteConnection,
        "fermyon:spin/key-value.store": KeyValueStore,
    },
});

use fermyon::spin::{key_value, sqlite, variables};

/// An open `fermyon:spin/sqlite` connection: a pooled rusqlite connection and,
/// while it is writing, the right to write (released when the connection is
/// back in autocommit mode — after the write, or at COMMIT / ROLLBACK).
pub struct SqliteConnection {
    // Declared first so a transaction left open is rolled back before the ticket is released.
    conn: Pooled,
    ticket: Option<WriteTicket>,
}

impl SqliteConnection {
    async fn execute(
        &mut self,
        statement: &str,
        parameters: Vec<sqlite::Value>,
    ) -> Result<sqlite::QueryResult, sqlite::Error> {
        let io = |e: rusqlite::Error| sqlite::Error::Io(e.to_string());
        if self.ticket.is_none()
            && (begins_write_transaction(statement) || !self.conn.prepare_cached(statement).map_err(io)?.readonly())
        {
            // (A clone of the gate: the future must not borrow the connection across the wait.)
            let gate = self.conn.gate().clone();
            let ticket = gate.enter().await.ok_or_else(|| sqlite::Error::Io("database is locked".into()))?;
            self.ticket = Some(ticket);
        }
        let retry = self.conn.is_autocommit();
        let conn = &mut self.conn;
        let result = busy_retry(retry, move || execute(conn, statement, &parameters)).await.map_err(io);
        if self.conn.is_autocommit() {
            self.ticket = None;
        }
        result
    }
}

/// Runs a statement; while SQLite answers `SQLITE_BUSY` (another *process*
/// holds the lock — writers of this one queue at the gate) and `retry` says
/// a rerun is safe (no transaction was open), sleeps without holding the
/// thread and tries again, for up to the busy timeout.
async fn busy_retry<T>(retry: bool, mut run: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let give_up = std::time::Instant::now() + crate::storage::BUSY_TIMEOUT;
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        match run() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if retry && e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < give_up =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// `BEGIN IMMEDIATE` / `BEGIN EXCLUSIVE` take SQLite's write lock at once,
/// though SQLite counts them as read-only statements.
fn begins_write_transaction(statement: &str) -> bool {
    let mut words = statement.split(|c: char| c.is_whitespace() || c == ';').filter(|w| !w.is_empty());
    words.next().is_some_and(|w| w.eq_ignore_ascii_case("BEGIN"))
        && words.next().is_some_and(|w| w.eq_ignore_ascii_case("IMMEDIATE") || w.eq_ignore_ascii_case("EXCLUSIVE"))
}

/// An open `fermyon:spin/key-value` store: its label names a namespace in the
/// key-value database.
pub struct KeyValueStore {
    label: String,
}

pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    sqlite::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    key_value::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    variables::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    Ok(())
}

// ---------------------------------------------------------------- sqlite

/// Borrows a guest value for binding (no copy, so a retried statement binds it again for free).
fn to_sql(value: &sqlite::Value) -> rusqlite::types::ToSqlOutput<'_> {
    use rusqlite::types::ValueRef as V;
    rusqlite::types::ToSqlOutput::Borrowed(match value {
        sqlite::Value::Integer(i) => V::Integer(*i),
        sqlite::Value::Real(f) => V::Real(*f),
        sqlite::Value::Text(s) => V::Text(s.as_bytes()),
        sqlite::Value::Blob(b) => V::Blob(b),
        sqlite::Value::Null => V::Null,
    })
}

fn from_sql(value: rusqlite::types::ValueRef<'_>) -> sqlite::Value {
    use rusqlite::types::ValueRef as V;
    match value {
        V::Integer(i) => sqlite::Value::Integer(i),
        V::Real(f) => sqlite::Value::Real(f),
        V::Text(t) => sqlite::Value::Text(String::from_utf8_lossy(t).into_owned()),
        V::Blob(b) => sqlite::Value::Blob(b.to_vec()),
        V::Null => sqlite::Value::Null,
    }
}

fn execute(
    conn: &rusqlite::Connection,
    statement: &str,
    parameters: &[sqlite::Value],
) -> rusqlite::Result<sqlite::QueryResult> {
    let mut stmt = conn.prepare_cached(statement)?;
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let params = rusqlite::params_from_iter(parameters.iter().map(to_sql));
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns.len()).map(|i| row.get_ref(i).map(from_sql)).collect::<Result<_, _>>()?;
        out.push(sqlite::RowResult { values });
    }
    Ok(sqlite::QueryResult { columns, rows: out })
}

impl sqlite::Host for RequestState {}

impl sqlite::HostConnection for RequestState {
    fn open(&mut self, database: String) -> wasmtime::Result<Result<Resource<SqliteConnection>, sqlite::Error>> {
        if !self.component.sqlite_databases.contains(&database) {
            return Ok(Err(sqlite::Error::AccessDenied));
        }
        let Some(pool) = self.app.storage.sqlite(&database) else {
            return Ok(Err(sqlite::Error::NoSuchDatabase));
        };
        match pool.get() {
            Ok(conn) => Ok(Ok(self.table.push(SqliteConnection { conn, ticket: None })?)),
            Err(e) => Ok(Err(sqlite::Error::Io(format!("{e:#}")))),
        }
    }

    async fn execute(
        &mut self,
        conn: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<sqlite::Value>,
    ) -> wasmtime::Result<Result<sqlite::QueryResult, sqlite::Error>> {
        let conn = self.table.get_mut(&conn)?;
        Ok(conn.execute(&statement, parameters).await)
    }

    fn drop(&mut self, conn: Resource<SqliteConnection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

// ---------------------------------------------------------------- key-value

fn kv_error(e: rusqlite::Error) -> key_value::Error {
    key_value::Error::Other(e.to_string())
}

impl RequestState {
    /// Runs `f` on a key-value connection (reads: WAL readers never wait).
    fn kv<T>(
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
    async fn kv_write(
        &mut self,
        store: &Resource<KeyValueStore>,
        f: impl Fn(&rusqlite::Connection, &str) -> rusqlite::Result<()> + Send,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let label = self.table.get(store)?.label.clone();
        let mut conn = match self.app.storage.key_value().get() {
            Ok(conn) => conn,
            Err(e) => return Ok(Err(key_value::Error::Other(format!("{e:#}")))),
        };
        let gate = conn.gate().clone();
        let Some(_ticket) = gate.enter().await else {
            return Ok(Err(key_value::Error::Other("database is locked".into())));
        };
        let conn = &mut conn;
        Ok(busy_retry(true, move || f(conn, &label)).await.map_err(kv_error))
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
        use rusqlite::OptionalExtension;
        self.kv(&store, |c, label| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row((label, &key), |r| r.get(0))
                .optional()
        })
    }

    async fn set(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        self.kv_write(&store, |c, label| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute((label, &key, &value))
            .map(drop)
        })
        .await
    }

    async fn delete(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        self.kv_write(&store, |c, label| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute((label, &key))
                .map(drop)
        })
        .await
    }

    fn exists(
        &mut self,
        store: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        self.kv(&store, |c, label| {
            c.prepare_cached("SELECT EXISTS (SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2)")?
                .query_row((label, &key), |r| r.get(0))
        })
    }

    fn get_keys(&mut self, store: Resource<KeyValueStore>) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        self.kv(&store, |c, label| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?
                .query_map([label], |r| r.get(0))?
                .collect()
        })
    }

    fn drop(&mut self, store: Resource<KeyValueStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

// ---------------------------------------------------------------- variables

impl variables::Host for RequestState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if crate::variables::check_name(&name).is_err() {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(match self.component.variables.get(&name) {
            Some(value) => Ok(value.to_owned()),
            None => Err(variables::Error::Undefined(format!("no variable named `{name}`"))),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_transactions_are_recognised_whatever_the_spacing_or_case() {
        for yes in ["BEGIN IMMEDIATE", "begin  exclusive;", "\n Begin Immediate Transaction"] {
            assert!(super::begins_write_transaction(yes), "{yes}");
        }
        for no in ["BEGIN", "BEGIN DEFERRED", "SELECT 1", "COMMIT", "", "BEGINIMMEDIATE"] {
            assert!(!super::begins_write_transaction(no), "{no}");
        }
    }
}
