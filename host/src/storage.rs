//! The data directory: one SQLite file per database label, one SQLite file for
//! every key-value store, and the migrations applied to the `default` database.
//!
//! Connections are WAL with `synchronous=NORMAL` (durable across process
//! crashes; a power loss may drop the last transactions — the trade that makes
//! a write ~0.14 ms instead of ~3.6 ms), never checkpoint on a request's path,
//! and are pooled so a request does not pay for opening a file.
//!
//! Writers of one file queue on a [`WriteGate`] in the host instead of in
//! SQLite: SQLite's busy handler polls with sleeps of up to 100 ms, so under
//! contention most of a writer's time was spent asleep while the lock was
//! free. Readers never wait (WAL).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::Connection;

/// How long a writer waits for another before "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the host checkpoints the WAL files.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
const MAX_IDLE: usize = 64;
/// Page cache per connection, in KiB (SQLite's default is 2000). Pooled
/// connections each keep their own cache, which fills as the database grows:
/// with the default, resident memory crept for as long as a 30-minute soak
/// ran. The file's pages stay in the OS page cache, shared, either way.
const CACHE_KIB: usize = 512;

/// A pool of connections to one SQLite file, and the gate its writers pass.
#[derive(Debug)]
pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    gate: WriteGate,
}

/// One writer at a time per database file, queued in the host (first come,
/// first served; a waiting request holds no thread), held from a
/// transaction's first write to its end.
#[derive(Debug, Default, Clone)]
pub struct WriteGate(Arc<tokio::sync::Mutex<()>>);

/// The right to write, until dropped.
pub type WriteTicket = tokio::sync::OwnedMutexGuard<()>;

impl WriteGate {
    /// Waits up to the busy timeout for the right to write; `None` when
    /// another writer held it all that time (the caller answers "database is
    /// locked", as SQLite would).
    pub async fn enter(&self) -> Option<WriteTicket> {
        tokio::time::timeout(BUSY_TIMEOUT, Arc::clone(&self.0).lock_owned()).await.ok()
    }
}

/// A connection borrowed from a [`Pool`]; it goes back on drop, with any
/// transaction the guest left open rolled back.
#[derive(Debug)]
pub struct Pooled {
    conn: Option<Connection>,
    pool: Arc<Pool>,
}

impl Pool {
    pub fn open(path: PathBuf) -> Result<Arc<Self>> {
        let pool = Arc::new(Self { path, idle: Mutex::new(Vec::new()), gate: WriteGate::default() });
        // Open once now so a bad path fails at start-up, not on the first request.
        drop(pool.get()?);
        Ok(pool)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)
            .with_context(|| format!("cannot open SQLite database {}", self.path.display()))?;
        // No waiting inside SQLite (its busy handler sleeps on the thread):
        // this process's writers queue at the gate, and a lock held by
        // another process is retried asynchronously (platform::busy_retry).
        conn.busy_timeout(Duration::ZERO)?;
        // No request ever checkpoints (an automatic checkpoint stalls the
        // request whose commit crosses 1000 pages, fsync included): the
        // host's checkpointer thread does it, see `Storage::checkpoint`.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
        Ok(conn)
    }

    /// Copies committed WAL pages into the database file without blocking
    /// readers or writers (a PASSIVE checkpoint).
    fn checkpoint(self: &Arc<Self>) -> Result<()> {
        self.get()?.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn get(self: &Arc<Self>) -> Result<Pooled> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect()?,
        };
        Ok(Pooled { conn: Some(conn), pool: Arc::clone(self) })
    }
}

impl Pooled {
    /// The gate writers of this connection's file pass.
    pub fn gate(&self) -> &WriteGate {
        &self.pool.gate
    }
}

impl std::ops::Deref for Pooled {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a pooled connection is present until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return; // a connection we cannot reset is closed, not reused
        }
        let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// Everything stored under the data directory.
#[derive(Debug)]
pub struct Storage {
    sqlite: HashMap<String, Arc<Pool>>,
    key_value: Arc<Pool>,
}

impl Storage {
    /// Opens (creating when missing) the databases named in the manifest.
    pub fn open<'a>(data_dir: &Path, sqlite_labels: impl Iterator<Item = &'a str>) -> Result<Self> {
        let sqlite_dir = data_dir.join("sqlite");
        std::fs::create_dir_all(&sqlite_dir)
            .with_context(|| format!("cannot create data directory {}", sqlite_dir.display()))?;
        let mut sqlite = HashMap::new();
        for label in sqlite_labels {
            if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                bail!("sqlite database label `{label}`: use letters, digits, `_` or `-`");
            }
            sqlite.insert(label.to_owned(), Pool::open(sqlite_dir.join(format!("{label}.db")))?);
        }
        let key_value = Pool::open(data_dir.join("key-value.db"))?;
        key_value.get()?.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                 store TEXT NOT NULL,
                 key   TEXT NOT NULL,
                 value BLOB NOT NULL,
                 PRIMARY KEY (store, key)
             ) WITHOUT ROWID;",
        )?;
        Ok(Self { sqlite, key_value })
    }

    pub fn sqlite(&self, label: &str) -> Option<&Arc<Pool>> {
        self.sqlite.get(label)
    }

    pub fn key_value(&self) -> &Arc<Pool> {
        &self.key_value
    }

    /// Checkpoints every database file; the host calls it from its own
    /// thread every [`CHECKPOINT_EVERY`], off every request's path.
    pub fn checkpoint(&self) {
        for (name, pool) in self.sqlite.iter().map(|(l, p)| (l.as_str(), p)).chain([("key-value", &self.key_value)]) {
            if let Err(e) = pool.checkpoint() {
                eprintln!("Warning: checkpoint of {name} failed: {e:#}");
            }
        }
    }

    /// Applies `migrations/*.sql` to the `default` database in file-name order,
    /// each once, each in its own transaction, recorded in `_spin_migrations`.
    /// Returns the names applied now.
    pub fn migrate(&self, dir: &Path) -> Result<Vec<String>> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let Some(pool) = self.sqlite("default") else {
            bail!("{} holds migrations but no component lists \"default\" in sqlite_databases", dir.display());
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();

        let mut conn = pool.get()?;
        let conn = conn.conn.as_mut().expect("present");
        // Start-up may wait for another process (e.g. a `cron-tick` run).
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // SQLite's procedure for changing a table's constraints (rebuild,
        // drop, rename) needs foreign keys off; each migration is checked
        // with `foreign_key_check` before it commits instead.
        conn.pragma_update(None, "foreign_keys", false)?;
        let applied = Self::apply(conn, files);
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(Duration::ZERO)?;
        applied
    }

    fn apply(conn: &mut Connection, files: Vec<PathBuf>) -> Result<Vec<String>> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS _spin_migrations (
                 name TEXT PRIMARY KEY,
                 applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
             );",
        )?;
        let mut applied = Vec::new();
        for file in files {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let done: bool =
                conn.query_row("SELECT EXISTS (SELECT 1 FROM _spin_migrations WHERE name = ?1)", [&name], |r| {
                    r.get(0)
                })?;
            if done {
                continue;
            }
            let sql =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read migration {}", file.display()))?;
            let tx = conn.transaction()?;
            tx.execute_batch(&sql).with_context(|| format!("migration {} failed", file.display()))?;
            let dangling: i64 = tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
            if dangling > 0 {
                bail!("migration {} leaves {dangling} rows whose foreign keys point nowhere", file.display());
            }
            tx.execute("INSERT INTO _spin_migrations (name) VALUES (?1)", [&name])?;
            tx.commit()?;
            applied.push(name);
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_in_order_and_a_failure_names_the_file() {
        let data = tempdir();
        let migrations = data.join("m");
        std::fs::create_dir_all(&migrations).unwrap();
        std::fs::write(migrations.join("0002_b.sql"), "INSERT INTO t VALUES (2);").unwrap();
        std::fs::write(migrations.join("0001_a.sql"), "CREATE TABLE t (x INTEGER);").unwrap();
        let storage = Storage::open(&data, ["default"].into_iter()).unwrap();
        assert_eq!(storage.migrate(&migrations).unwrap(), vec!["0001_a.sql", "0002_b.sql"]);
        assert!(storage.migrate(&migrations).unwrap().is_empty());

        std::fs::write(migrations.join("0003_bad.sql"), "CREATE TABLE oops (;").unwrap();
        let err = format!("{:#}", storage.migrate(&migrations).unwrap_err());
        assert!(err.contains("0003_bad.sql") && err.contains("syntax error"), "{err}");
        let count: i64 = storage
            .sqlite("default")
            .unwrap()
            .get()
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn a_returned_connection_has_no_open_transaction() {
        let data = tempdir();
        let storage = Storage::open(&data, ["default"].into_iter()).unwrap();
        let pool = storage.sqlite("default").unwrap();
        let conn = pool.get().unwrap();
        conn.execute_batch("CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES (1);").unwrap();
        drop(conn);
        let conn = pool.get().unwrap();
        assert!(conn.is_autocommit());
        let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn requests_never_checkpoint_and_the_checkpointer_empties_the_wal() {
        let data = tempdir();
        let storage = Storage::open(&data, ["default"].into_iter()).unwrap();
        let conn = storage.sqlite("default").unwrap().get().unwrap();
        conn.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        for _ in 0..50 {
            conn.execute("INSERT INTO t VALUES (zeroblob(100000))", []).unwrap();
        }
        let size = |name: &str| std::fs::metadata(data.join("sqlite").join(name)).unwrap().len();
        assert!(size("default.db-wal") > 4_000_000, "the 5 MB written are in the WAL");
        assert!(size("default.db") < 1_000_000, "no request copied them into the database file");
        storage.checkpoint();
        assert!(size("default.db") > 4_000_000, "the checkpointer did");
    }

    #[tokio::test]
    async fn writers_pass_the_gate_one_at_a_time_and_a_released_ticket_lets_the_next_in() {
        let data = tempdir();
        let storage = Storage::open(&data, ["default"].into_iter()).unwrap();
        let pool = Arc::clone(storage.sqlite("default").unwrap());
        let first = pool.get().unwrap();
        let ticket = first.gate().enter().await.expect("a free gate opens");
        let second = pool.get().unwrap();
        let mut waiting = Box::pin(second.gate().enter());
        // The second writer is queued while the first holds the ticket.
        assert!(futures_poll_once(waiting.as_mut()).await.is_none());
        drop(ticket);
        assert!(waiting.await.is_some(), "the queued writer gets the ticket once it is released");
    }

    /// Polls a future once: `Some` if it finished.
    async fn futures_poll_once<F: Future + Unpin>(f: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            out = f => Some(out),
            () = tokio::task::yield_now() => None,
        }
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "switchyard-host-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
