//! The PostgreSQL backend: a small pool of synchronous connections (the `Db`
//! methods run on tokio's blocking pool, as with SQLite), the schema and its
//! migrations ([`schema`]), one file per concern mirroring the SQLite code
//! (`sync`, `directory`, `auth`, `uploads`), and cross-process pokes by
//! LISTEN/NOTIFY ([`listen`]). No TLS: the database is on loopback or a private
//! network.

mod auth;
mod directory;
mod escalation;
pub mod listen;
mod listing;
mod review;
pub mod schema;
mod sync;
mod uploads;

use super::StoreError;
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use std::sync::Arc;
use std::time::Duration;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// At most this many connections per server process.
const POOL_SIZE: u32 = 16;

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
            .build(PostgresConnectionManager::new(config.clone(), NoTls))?;
        Ok(Pg {
            pool: Some(pool),
            config,
            instance: random_hex(8),
            alive: Arc::new(()),
        })
    }

    fn conn(&self) -> Result<Conn, StoreError> {
        match &self.pool {
            Some(p) => Ok(p.get()?),
            None => Err(StoreError::Schema("the database is closed".into())),
        }
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
