//! The PostgreSQL backend: a small pool of synchronous connections (the `Db`
//! methods run on tokio's blocking pool, as with SQLite — ADR 0002), each with
//! its prepared statements cached; [`Tx`] for their transactions, with the
//! placeholders of the shared SQL rewritten (`sql::to_postgres`) and values
//! converted to each parameter's and column's type; the schema and its
//! migrations ([`schema`]); cross-process pokes by LISTEN/NOTIFY ([`listen`]).
//! No TLS: the database is on loopback or a private network.

pub mod listen;
pub mod schema;

use super::sql::{self, Dialect, Mode, Row, Tx, Value};
use super::{StoreError, StoreResult};
use bytes::BytesMut;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// At most this many connections per server process.
const POOL_SIZE: u32 = 16;

/// Held (per transaction) by every transaction that writes tickets, so change
/// numbers are taken in commit order and a chase and a claim never interleave.
pub(crate) const TICKET_WRITE_LOCK: i64 = 0x6d69_6e71_0002;

/// A pooled connection with the statements it has prepared.
pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Opens [`PgConn`]s for the pool.
struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

type Pool = r2d2::Pool<Manager>;

pub(crate) struct Pg {
    /// Always `Some` until dropped (see `Drop`).
    pool: Option<Pool>,
    config: postgres::Config,
    /// Tells this process's own notifications apart from other processes'.
    instance: String,
    /// The listener thread stops once this is gone.
    alive: Arc<()>,
}

impl Pg {
    pub(crate) fn connect(url: &str) -> Result<Pg, StoreError> {
        let config: postgres::Config = url.parse()?;
        // One direct connection first: a wrong URL or password is reported as
        // such, not as a pool timeout.
        schema::init(&mut config.connect(NoTls)?)?;
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .error_handler(Box::new(LogErrors))
            .build(Manager {
                config: config.clone(),
            })?;
        Ok(Pg {
            pool: Some(pool),
            config,
            instance: random_hex(8),
            alive: Arc::new(()),
        })
    }

    pub(crate) fn transaction<T, E: From<StoreError>>(
        &self,
        mode: Mode,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = match &self.pool {
            Some(p) => p.get().map_err(StoreError::from)?,
            None => return Err(StoreError::Schema("the database is closed".into()).into()),
        };
        let PgConn { client, statements } = &mut *conn;
        let mut tx = match mode {
            Mode::Write => client.transaction(),
            Mode::Read => client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start(),
        }
        .map_err(StoreError::from)?;
        let out = f(&mut PgTx {
            tx: &mut tx,
            statements,
            instance: &self.instance,
        })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    pub(crate) fn forward_pokes(&self, poke: impl Fn() + Send + 'static) {
        listen::spawn(
            self.config.clone(),
            self.instance.clone(),
            Arc::downgrade(&self.alive),
            poke,
        );
    }
}

impl Pg {
    /// Close every pooled connection now, on this (blocking) thread — unlike
    /// dropping, which leaves it to a thread of its own that the process may
    /// not wait for.
    pub(crate) fn close(mut self) {
        drop(self.pool.take());
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Closing a synchronous client blocks on its own small runtime, which
        // tokio forbids inside an async context (a server dropped as its
        // runtime shuts down): close the connections on a plain thread.
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new()
                .name("minqing-pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

/// A transaction on one pooled connection.
pub(crate) struct PgTx<'a, 'c> {
    tx: &'a mut postgres::Transaction<'c>,
    statements: &'a mut HashMap<String, Statement>,
    instance: &'a str,
}

impl<'a, 'c> PgTx<'a, 'c> {
    /// A transaction outside the pool (schema migrations), with a cache of
    /// its own.
    pub(crate) fn raw(
        tx: &'a mut postgres::Transaction<'c>,
        statements: &'a mut HashMap<String, Statement>,
    ) -> Self {
        PgTx {
            tx,
            statements,
            instance: "",
        }
    }

    fn statement(&mut self, sql: &str) -> StoreResult<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(&sql::to_postgres(sql))?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn params(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> StoreResult<u64> {
        let stmt = self.statement(sql)?;
        Ok(self.tx.execute(&stmt, &params(args))?)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> StoreResult<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let rows = self.tx.query(&stmt, &params(args))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut row = Vec::with_capacity(r.len());
            for i in 0..r.len() {
                row.push(r.try_get::<_, Value>(i)?);
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn advisory_lock(&mut self, key: i64) -> StoreResult<()> {
        self.execute("SELECT pg_advisory_xact_lock(?1)", sql::args![key])?;
        Ok(())
    }

    fn notify_on_commit(&mut self) -> StoreResult<()> {
        let instance = self.instance.to_owned();
        self.execute(
            "SELECT pg_notify(?1, ?2)",
            sql::args![listen::CHANNEL, instance],
        )?;
        Ok(())
    }
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Value {
    /// Each value as the type the parameter has: integers as `INT2/4/8` or
    /// `BOOLEAN`, booleans as `BOOLEAN` or integers, text as text, reals as
    /// `FLOAT4/8`. A value that does not fit the parameter is an error.
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let int = |i: i64, out: &mut BytesMut| -> Result<IsNull, BoxError> {
            match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                _ => Err(format!("an integer for a {ty} parameter").into()),
            }
        };
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => int(*i, out),
            Value::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                _ => int(i64::from(*b), out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(format!("a real for a {ty} parameter").into()),
            },
            Value::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            _ => Value::Text(<&str>::from_sql(ty, raw)?.to_owned()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::FLOAT8
                | Type::FLOAT4
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
        )
    }
}

/// Why the pool could not open a connection goes to the server's log.
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<postgres::Error> for LogErrors {
    fn handle_error(&self, error: postgres::Error) {
        tracing::warn!(%error, "cannot open a PostgreSQL connection");
    }
}

/// `n` random bytes as lower-case hex.
pub(crate) fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    // Without an OS random source the all-zero value still works: it only
    // weakens the foreign-cursor check and the self-notification filter.
    let _ = getrandom::fill(&mut b);
    hex::encode(b)
}

/// Create an empty database beside the one `url` names and return its URL:
/// for tests and tools that need a fresh, isolated database each.
pub fn create_scratch_database(url: &str) -> Result<String, StoreError> {
    let name = format!("scratch_{}", random_hex(8));
    let mut client = url.parse::<postgres::Config>()?.connect(NoTls)?;
    client.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let mut u = url::Url::parse(url).map_err(|e| StoreError::Schema(format!("url: {e}")))?;
    u.set_path(&name);
    Ok(u.to_string())
}
