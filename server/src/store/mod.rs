//! The server's database, behind one type [`Db`] with two backends: one SQLite
//! file (WAL; the default, embedded) or a shared PostgreSQL, which lets several
//! server processes serve the same data.
//!
//! # Design
//! One layer, [`sql::Tx`], is what both backends implement: run a statement
//! written once (numbered placeholders, the SQL both databases accept), plus a
//! few hooks only PostgreSQL needs (advisory locks, NOTIFY, row locks). Every
//! query and every rule of the store is written once above it, as a function
//! of `&mut dyn Tx`; [`Db::write`] and [`Db::read`] open the transaction on
//! whichever backend is in use and commit it when the closure returns `Ok`.
//! The backends themselves are [`sqlite`] and [`pg`] (connection, transaction,
//! value conversion, schema DDL, PostgreSQL's LISTEN thread). See ADR 0008.
//!
//! Each submodule owns one concern's tables: [`tickets`] (ticket rows, change
//! numbers, listing columns), [`clients`] (devices' mutation records),
//! [`directory`] (users, units, groups), [`auth`] (SMS codes and sessions),
//! [`throttle`] (wrong login tries per account and address, lockouts),
//! [`uploads`] (tus upload records), [`review`] (weekly summaries, reference
//! files, the inbox). The rules that use them — applying a push, pulling,
//! escalating — live in `crate::service` and `crate::workflow`. All methods are
//! synchronous; the HTTP layer calls them on tokio's blocking pool (ADR 0002).

pub mod audit;
pub mod auth;
pub mod clients;
pub mod console;
pub mod directory;
pub mod listing;
pub mod open311;
pub mod pg;
pub mod report;
pub mod review;
mod schema;
pub mod sql;
mod sqlite;
pub mod throttle;
pub mod tickets;
pub mod uploads;

pub use crate::service::pull::PullResult;
pub use crate::service::push::{PushError, PushResult};

use crate::workflow::Workflow;
use sql::{Mode, Tx};
use std::path::Path;
use std::sync::{Arc, RwLock};
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
    /// A column read back is not of the type the code expects.
    #[error("stored data is unreadable: column {column} is {found}, not {wanted}")]
    Type {
        column: usize,
        wanted: &'static str,
        found: String,
    },
    /// The database's schema is newer than this server knows, or is broken.
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
    Sqlite(sqlite::Sqlite),
    Postgres(Box<pg::Pg>),
}

/// The file name of the database inside the data dir.
pub const DB_FILE: &str = "server.db";

impl Db {
    /// Open (or create) the SQLite database at `path`.
    pub fn open(path: &Path) -> StoreResult<Db> {
        Ok(Db {
            backend: Backend::Sqlite(sqlite::Sqlite::open(path)?),
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

    /// Run `f` in a write transaction, committed when it returns `Ok` and
    /// rolled back otherwise. SQLite: `BEGIN IMMEDIATE` (the one writer).
    /// PostgreSQL: READ COMMITTED; rules that must serialise take
    /// [`Tx::advisory_lock`] or row locks themselves.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(s) => s.transaction(Mode::Write, f),
            Backend::Postgres(p) => p.transaction(Mode::Write, f),
        }
    }

    /// Run `f` in a read-only transaction that sees one snapshot of the
    /// database throughout (SQLite: a deferred transaction; PostgreSQL:
    /// REPEATABLE READ, read only).
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(s) => s.transaction(Mode::Read, f),
            Backend::Postgres(p) => p.transaction(Mode::Read, f),
        }
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

    /// Close the database now: PostgreSQL's pooled connections are closed on
    /// this thread (blocking: call it off the async runtime), SQLite's
    /// connection checkpoints and closes. For an orderly shutdown; dropping a
    /// `Db` closes it too, but PostgreSQL's connections then close on a
    /// thread nobody waits for.
    pub fn close(self) {
        match self.backend {
            Backend::Sqlite(s) => drop(s),
            Backend::Postgres(p) => p.close(),
        }
    }

    /// Which backend this is: `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
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
