//! The SQLite factor: `fermyon:spin/sqlite@2.0.0`. Its grant is the
//! component's `sqlite_databases`; its instance state is the open
//! connections (a resource table entry each, pooled per database file);
//! writers queue at the file's write gate in the host, not in SQLite.

use wasmtime::component::{HasSelf, Linker, Resource};

use super::fermyon::spin::sqlite;
use crate::state::RequestState;
use crate::storage::{Pooled, WriteTicket};

/// What the manifest grants: the databases the component may open.
pub type Grant = Vec<String>;

pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    sqlite::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

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
pub(super) async fn busy_retry<T>(retry: bool, mut run: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
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
