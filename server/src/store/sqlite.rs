//! The embedded backend: one SQLite connection (WAL, `synchronous = FULL`)
//! behind a mutex, and [`Tx`] for its transactions. SQL runs as written;
//! statements are cached by the connection (`prepare_cached`).

use super::sql::{Dialect, Mode, Row, Tx, Value};
use super::{schema, StoreError, StoreResult};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;

pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
}

impl Sqlite {
    pub(crate) fn open(path: &Path) -> StoreResult<Sqlite> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(256);
        schema::init(&mut conn)?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn transaction<T, E: From<StoreError>>(
        &self,
        mode: Mode,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        // A panic mid-transaction rolls the transaction back on drop, so a
        // poisoned lock still guards a consistent database.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let behavior = match mode {
            Mode::Write => TransactionBehavior::Immediate,
            Mode::Read => TransactionBehavior::Deferred,
        };
        let tx = conn
            .transaction_with_behavior(behavior)
            .map_err(StoreError::from)?;
        let out = f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// Statements on a connection inside an open transaction.
struct SqliteTx<'a>(&'a Connection);

/// Run shared store code inside a transaction opened elsewhere (migrations).
pub(crate) fn in_transaction<T>(
    tx: &rusqlite::Transaction<'_>,
    f: impl FnOnce(&mut dyn Tx) -> StoreResult<T>,
) -> StoreResult<T> {
    f(&mut SqliteTx(tx))
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Int(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*f)),
            Value::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(*b))),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn value(v: ValueRef<'_>) -> StoreResult<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| StoreError::Schema(format!("text column is not UTF-8: {e}")))?
                .to_owned(),
        ),
        ValueRef::Blob(_) => return Err(StoreError::Schema("unexpected BLOB column".into())),
    })
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> StoreResult<u64> {
        let mut stmt = self.0.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(args))? as u64)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> StoreResult<Vec<Row>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(value(r.get_ref(i)?)?);
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn advisory_lock(&mut self, _key: i64) -> StoreResult<()> {
        // BEGIN IMMEDIATE already made this transaction the only writer.
        Ok(())
    }

    fn notify_on_commit(&mut self) -> StoreResult<()> {
        // One process: its own clients are poked by the caller.
        Ok(())
    }
}
