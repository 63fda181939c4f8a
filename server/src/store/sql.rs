//! The one storage layer both databases implement: a transaction that runs SQL
//! written once (ADR 0008).
//!
//! # Design
//! Every statement of the store is written once, in the common subset of SQLite
//! and PostgreSQL, with numbered placeholders `?1 … ?N`. [`Tx`] runs it on the
//! backend in use: SQLite takes it as it is; PostgreSQL gets the placeholders
//! rewritten to `$1 … $N` ([`to_postgres`]) and the statement prepared once per
//! connection. Values cross the boundary as [`Value`]s, converted to whatever
//! type the column has on each side (`BOOLEAN` on PostgreSQL is `INTEGER` 0/1
//! on SQLite; `INTEGER` there is `BIGINT` here), so the SQL never says which
//! database it runs on. What only PostgreSQL has is a hook that SQLite answers
//! with nothing to do: [`Tx::advisory_lock`] (SQLite's write transaction is
//! already exclusive), [`Tx::notify_on_commit`] (SQLite serves one process),
//! [`Tx::for_update`] / [`Tx::skip_locked`] (row locks).
//!
//! Business rules are written once above this layer, as functions of
//! `&mut dyn Tx` (`store::*`, `service::*`); the backends are the few lines in
//! `store::sqlite` and `store::pg` that implement the trait.
//!
//! # Common SQL
//! Both accept: `INSERT … ON CONFLICT (…) DO UPDATE SET … = excluded.…`,
//! `ON CONFLICT DO NOTHING`, `RETURNING`, multi-row `VALUES`, `TRUE`/`FALSE`,
//! `COALESCE`, `"offset"` (quoted: a keyword in PostgreSQL). Not used: `INSERT
//! OR …` (SQLite only), `last_insert_rowid()` (use `RETURNING`), `::` casts and
//! `ANY($1)` (PostgreSQL only), `?` without a number.

use super::{StoreError, StoreResult};

/// Which database a transaction runs on (for the few hooks that differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Writes (SQLite `BEGIN IMMEDIATE`; PostgreSQL READ COMMITTED).
    Write,
    /// Reads of one snapshot (SQLite deferred; PostgreSQL REPEATABLE READ,
    /// read only).
    Read,
}

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}
/// Counts, ids and offsets: above `i64::MAX` they are clamped (no such value
/// is ever stored).
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The arguments of a statement: `args![a, b, c]` (anything `Into<Value>`).
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::store::sql::Value::from($v)),*][..]
    };
}
pub use args;

/// A value read back from a row, by type.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }
}
impl FromValue for u64 {
    /// Negative stored values (never written) read as 0.
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i.max(0) as u64)
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as `T`. Errors: [`StoreError::Corrupt`]-like
    /// [`StoreError::Type`] when the column is missing or of another type.
    pub fn get<T: FromValue>(&self, i: usize) -> StoreResult<T> {
        let v = self.0.get(i).ok_or_else(|| StoreError::Type {
            column: i,
            wanted: std::any::type_name::<T>(),
            found: "no such column".into(),
        })?;
        T::from_value(v).ok_or_else(|| StoreError::Type {
            column: i,
            wanted: std::any::type_name::<T>(),
            found: format!("{v:?}"),
        })
    }
}

/// An open transaction on either database. Committed by whoever opened it
/// (`Db::write`, `Db::read`) when the closure returns `Ok`, rolled back
/// otherwise.
pub trait Tx {
    fn dialect(&self) -> Dialect;

    /// Run a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Value]) -> StoreResult<u64>;

    /// Run a query; every row.
    fn query(&mut self, sql: &str, args: &[Value]) -> StoreResult<Vec<Row>>;

    /// PostgreSQL: hold the transaction-level advisory lock `key` until the
    /// end of the transaction. SQLite: nothing (a write transaction is already
    /// the only writer).
    fn advisory_lock(&mut self, key: i64) -> StoreResult<()>;

    /// PostgreSQL: tell the other server processes, when this transaction
    /// commits, that clients may want to pull (`NOTIFY`, see `pg::listen`).
    /// SQLite: nothing (one process).
    fn notify_on_commit(&mut self) -> StoreResult<()>;

    /// At most one row.
    fn query_opt(&mut self, sql: &str, args: &[Value]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// Exactly one row (an aggregate, `RETURNING` of one insert).
    fn query_one(&mut self, sql: &str, args: &[Value]) -> StoreResult<Row> {
        self.query_opt(sql, args)?
            .ok_or_else(|| StoreError::Schema(format!("no row from: {sql}")))
    }

    /// `" FOR UPDATE"` on PostgreSQL (lock the rows read), `""` on SQLite.
    fn for_update(&self) -> &'static str {
        match self.dialect() {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        }
    }

    /// `" FOR UPDATE SKIP LOCKED"` on PostgreSQL (rows another transaction
    /// holds are left to it), `""` on SQLite.
    fn skip_locked(&self) -> &'static str {
        match self.dialect() {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        }
    }
}

/// `?1 … ?N` → `$1 … $N`, outside quoted strings and identifiers.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// `(?s, ?s+1, …)` for `n` values starting at placeholder `start`: the list of
/// an `IN (…)`.
pub fn list(start: usize, n: usize) -> String {
    let items: Vec<String> = (start..start + n).map(|i| format!("?{i}")).collect();
    format!("({})", items.join(", "))
}

/// `(?1, ?2, ?3), (?4, ?5, ?6), …`: `rows` rows of `cols` values, for a
/// multi-row `VALUES`.
pub fn rows(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| list(r * cols + 1, cols))
        .collect::<Vec<_>>()
        .join(", ")
}

/// At most this many values in one statement (SQLite's limit is 32,766;
/// PostgreSQL's 65,535): multi-row writes go in chunks below it.
pub const MAX_ARGS: usize = 30_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_quotes_only() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $12"
        );
        assert_eq!(to_postgres("SELECT '?' || ?1"), "SELECT '?' || $1");
        assert_eq!(to_postgres("SELECT 'it''s ?1'"), "SELECT 'it''s ?1'");
    }

    #[test]
    fn lists_and_rows() {
        assert_eq!(list(3, 2), "(?3, ?4)");
        assert_eq!(rows(2, 3), "(?1, ?2, ?3), (?4, ?5, ?6)");
    }

    #[test]
    fn values_read_back_across_representations() {
        let r = Row(vec![
            Value::Int(1),
            Value::Bool(true),
            Value::Null,
            Value::Text("x".into()),
        ]);
        assert!(r.get::<bool>(0).expect("int as bool"));
        assert_eq!(r.get::<i64>(1).expect("bool as int"), 1);
        assert_eq!(r.get::<Option<String>>(2).expect("null"), None);
        assert_eq!(r.get::<String>(3).expect("text"), "x");
        assert!(r.get::<i64>(3).is_err());
        assert!(r.get::<i64>(9).is_err());
    }
}
