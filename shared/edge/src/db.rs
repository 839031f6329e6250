//! A thin layer over Spin's SQLite (`fermyon:spin/sqlite@2.0.0`): typed
//! parameters, rows read by column name, and write transactions.

use std::rc::Rc;

use spin_sdk::sqlite::{Connection, Value};

/// A database failure. Shown to no client: the edge maps it to INTERNAL.
#[derive(Debug, Clone)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "database: {}", self.0)
    }
}

impl DbError {
    /// A UNIQUE constraint refused the write (e.g. a taken handle).
    pub fn is_unique_violation(&self) -> bool {
        self.0.contains("UNIQUE constraint failed")
    }

    /// The database is locked, busy, read-only, out of space or failing I/O:
    /// nothing is wrong with the request, and a retry may succeed.
    pub fn is_unavailable(&self) -> bool {
        const PASSING: [&str; 6] = [
            "database is locked",
            "database table is locked",
            "database or disk is full",
            "attempt to write a readonly database",
            "disk I/O error",
            "unable to open database file",
        ];
        PASSING.iter().any(|m| self.0.contains(m))
    }
}

#[cfg(test)]
mod tests {
    use super::{DbError, json_word_pattern};

    #[test]
    fn a_label_pattern_takes_wildcards_literally() {
        assert_eq!(json_word_pattern("needs_review"), r#"%"needs\_review"%"#);
        assert_eq!(json_word_pattern("ui"), r#"%"ui"%"#);
    }

    #[test]
    fn passing_storage_conditions_are_told_apart_from_bugs() {
        for passing in ["database is locked", "Io(\"database or disk is full\")", "disk I/O error"] {
            assert!(DbError(passing.into()).is_unavailable(), "{passing}");
        }
        for bug in
            ["no such table: lanes", "UNIQUE constraint failed: workspaces.handle", "near \"SELEC\": syntax error"]
        {
            assert!(!DbError(bug.into()).is_unavailable(), "{bug}");
        }
    }
}

/// A value that can be bound as a statement parameter.
pub trait Sql {
    fn to_value(&self) -> Value;
}

impl Sql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl Sql for &str {
    fn to_value(&self) -> Value {
        Value::Text((*self).to_owned())
    }
}
impl Sql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Sql for i64 {
    fn to_value(&self) -> Value {
        Value::Integer(*self)
    }
}
impl Sql for u64 {
    fn to_value(&self) -> Value {
        Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl Sql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl Sql for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
/// Prefixed ids bind as their text.
macro_rules! sql_ids {
    ($($id:ty),*) => {$(
        impl Sql for $id {
            fn to_value(&self) -> Value {
                Value::Text(self.as_str().to_owned())
            }
        }
    )*};
}
sql_ids!(
    switchyard_api::WorkspaceId,
    switchyard_api::TokenId,
    switchyard_api::LaneId,
    switchyard_api::HarnessId,
    switchyard_api::ToolId,
    switchyard_api::ToolCallId
);

impl<T: Sql> Sql for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Sql::to_value)
    }
}

/// A `LIKE … ESCAPE '\'` pattern that matches one whole word in a column
/// holding a JSON array of words (lane and issue labels): the word in its
/// quotes, with `%` and `_` (a label may hold `_`) taken literally.
pub fn json_word_pattern(word: &str) -> String {
    let literal = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%\"{literal}\"%")
}

/// One result row; columns are looked up by name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Rc<Vec<String>>,
    values: Vec<Value>,
}

impl Row {
    fn value(&self, column: &str) -> Result<&Value, DbError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| DbError(format!("no column `{column}` in the result")))
    }

    pub fn text(&self, column: &str) -> Result<String, DbError> {
        match self.value(column)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(DbError(format!("column `{column}`: expected text, found {other:?}"))),
        }
    }

    pub fn opt_text(&self, column: &str) -> Result<Option<String>, DbError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(DbError(format!("column `{column}`: expected text, found {other:?}"))),
        }
    }

    pub fn int(&self, column: &str) -> Result<i64, DbError> {
        match self.value(column)? {
            Value::Integer(i) => Ok(*i),
            other => Err(DbError(format!("column `{column}`: expected an integer, found {other:?}"))),
        }
    }

    pub fn opt_int(&self, column: &str) -> Result<Option<i64>, DbError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i)),
            other => Err(DbError(format!("column `{column}`: expected an integer, found {other:?}"))),
        }
    }

    /// A REAL column (an integer stored in it reads as its value).
    pub fn opt_real(&self, column: &str) -> Result<Option<f64>, DbError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Real(f) => Ok(Some(*f)),
            Value::Integer(i) => Ok(Some(*i as f64)),
            other => Err(DbError(format!("column `{column}`: expected a number, found {other:?}"))),
        }
    }

    /// A JSON column, parsed. Stored data that does not parse is an error,
    /// never a default: a check built on it must fail closed.
    pub fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, DbError> {
        let text = self.text(column)?;
        serde_json::from_str(&text).map_err(|e| DbError(format!("column `{column}`: stored JSON is unreadable: {e}")))
    }

    pub fn blob(&self, column: &str) -> Result<Vec<u8>, DbError> {
        match self.value(column)? {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(DbError(format!("column `{column}`: expected a blob, found {other:?}"))),
        }
    }
}

/// A connection to the `default` database.
pub struct Db(Connection);

impl Db {
    pub fn open() -> Result<Self, DbError> {
        Connection::open_default().map(Db).map_err(|e| DbError(format!("open: {e:?}")))
    }

    pub fn query(&self, sql: &str, params: &[&dyn Sql]) -> Result<Vec<Row>, DbError> {
        let params: Vec<Value> = params.iter().map(|p| p.to_value()).collect();
        let result = self.0.execute(sql, &params).map_err(|e| DbError(format!("{e:?}")))?;
        let columns = Rc::new(result.columns);
        Ok(result.rows.into_iter().map(|r| Row { columns: Rc::clone(&columns), values: r.values }).collect())
    }

    /// Whether the database answers a trivial query (for `health`).
    /// What `health` and `status-snapshot` report: `ok`; `read-only` (reads
    /// are served, writes answer 503 `STORAGE_UNAVAILABLE`); or `unavailable`.
    pub fn status(&self) -> &'static str {
        match (self.ping(), self.can_write()) {
            (true, true) => "ok",
            (true, false) => "read-only",
            (false, _) => "unavailable",
        }
    }

    pub fn ping(&self) -> bool {
        matches!(self.query_one("SELECT 1 AS ok", &[]), Ok(Some(_)))
    }

    /// Whether the database takes writes (for `health`): one row, overwritten
    /// in place at most every few seconds, so probing neither grows the file
    /// nor turns every health check into a write.
    pub fn can_write(&self) -> bool {
        let recently =
            self.query_one("SELECT at FROM health_probe WHERE id = 1 AND at > $1", &[&crate::clock::rfc3339_before(3)]);
        if matches!(recently, Ok(Some(_))) {
            return true;
        }
        let now = crate::clock::now_rfc3339();
        self.exec(
            "INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
            &[&now],
        )
        .is_ok()
    }

    pub fn query_one(&self, sql: &str, params: &[&dyn Sql]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    pub fn exec(&self, sql: &str, params: &[&dyn Sql]) -> Result<(), DbError> {
        self.query(sql, params).map(drop)
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`, so concurrent
    /// writers queue on the busy timeout instead of failing on upgrade);
    /// commits on `Ok`, rolls back on `Err`.
    pub fn transaction<T, E: From<DbError>>(&self, f: impl FnOnce(&Db) -> Result<T, E>) -> Result<T, E> {
        self.exec("BEGIN IMMEDIATE", &[])?;
        match f(self) {
            Ok(value) => {
                if let Err(e) = self.exec("COMMIT", &[]) {
                    let _ = self.exec("ROLLBACK", &[]);
                    return Err(e.into());
                }
                Ok(value)
            }
            Err(e) => {
                let _ = self.exec("ROLLBACK", &[]);
                Err(e)
            }
        }
    }
}
