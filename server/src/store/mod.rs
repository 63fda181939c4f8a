//! The server's database, behind one type [`Db`] with two backends: one SQLite
//! file (WAL; the default, embedded) or a shared PostgreSQL ([`pg`]), which lets
//! several server processes serve the same data.
//!
//! Each submodule owns one concern: [`sync`] (push/pull), [`directory`] (users,
//! units, groups), [`auth`] (SMS codes and sessions), [`uploads`] (tus upload
//! records). It defines the concern's types and semantics and the SQLite
//! implementation; [`pg`] mirrors each for PostgreSQL, and [`dispatch`] forwards
//! every public method of [`Db`] to the backend in use. All methods are
//! synchronous; the HTTP layer calls them on tokio's blocking pool.

pub mod auth;
pub mod directory;
mod dispatch;
mod escalation;
mod listing;
pub mod pg;
pub mod review;
mod schema;
pub mod sync;
pub mod uploads;

pub use sync::{PullResult, PushError, PushResult};

use crate::workflow::Workflow;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// A failure of the database itself: transient from the caller's view (the HTTP
/// layer answers 503 + Retry-After), and nothing was committed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storage: {}", pg_detail(.0))]
    Postgres(#[from] postgres::Error),
    /// No PostgreSQL connection could be had in time.
    #[error("storage: connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The database's schema is newer than this server knows.
    #[error("storage: {0}")]
    Schema(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A PostgreSQL error with its cause ("db error" alone says little).
fn pg_detail(e: &postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// The server's database; which backend is chosen when it is opened.
pub struct Db {
    backend: Backend,
    /// The clocks' data, used to schedule escalation whenever a ticket is written.
    workflow: RwLock<Arc<Workflow>>,
}

enum Backend {
    Sqlite(Sqlite),
    Postgres(Box<pg::Pg>),
}

/// The embedded backend: one SQLite connection behind a mutex.
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
}

/// The file name of the database inside the data dir.
pub const DB_FILE: &str = "server.db";

impl Db {
    /// Open (or create) the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Db, rusqlite::Error> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::init(&mut conn)?;
        Ok(Db {
            backend: Backend::Sqlite(Sqlite {
                conn: Mutex::new(conn),
            }),
            workflow: RwLock::default(),
        })
    }

    /// Connect to PostgreSQL at `url` (`postgres://user@host:port/db`, no TLS)
    /// and bring its schema up to date. Blocking: call it off the async runtime.
    pub fn connect_postgres(url: &str) -> Result<Db, StoreError> {
        Ok(Db {
            backend: Backend::Postgres(Box::new(pg::Pg::connect(url)?)),
            workflow: RwLock::default(),
        })
    }

    /// Have `poke` called whenever another server process sharing this database
    /// changed something a client may want to pull. SQLite is one process's
    /// alone, so there it never fires; on PostgreSQL a background thread listens
    /// (LISTEN/NOTIFY) for as long as this `Db` lives.
    pub fn forward_pokes(&self, poke: impl Fn() + Send + 'static) {
        match &self.backend {
            Backend::Sqlite(_) => {}
            Backend::Postgres(p) => p.forward_pokes(poke),
        }
    }

    /// The clocks' data in use.
    pub fn workflow(&self) -> Arc<Workflow> {
        self.workflow
            .read()
            .map(|w| w.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Use `wf` from now on, and have the scheduler look at every open ticket
    /// again (a new calendar year or policy moves deadlines).
    pub fn set_workflow(&self, wf: Workflow) -> StoreResult<()> {
        match self.workflow.write() {
            Ok(mut w) => *w = Arc::new(wf),
            Err(p) => *p.into_inner() = Arc::new(wf),
        }
        self.rescan_open()
    }

    /// Which backend this is: `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

impl Sqlite {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-transaction rolls the transaction back on drop, so a
        // poisoned lock still guards a consistent database.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Milliseconds since the Unix epoch, by the server's clock (the only clock
/// that orders anything).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
