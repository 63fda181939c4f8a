//! The server's database: one SQLite file (WAL) holding tickets and their change
//! sequence, the directory of users, login state and upload records.
//!
//! Each submodule owns one concern and adds methods to [`Db`]:
//! [`sync`] (push/pull), [`directory`] (users, units, groups), [`auth`] (SMS codes
//! and sessions), [`uploads`] (tus upload records). All methods are synchronous;
//! the HTTP layer calls them on tokio's blocking pool.

pub mod auth;
pub mod directory;
mod schema;
pub mod sync;
pub mod uploads;

pub use sync::{PullResult, PushError, PushResult};

use rusqlite::Connection;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// A failure of the database itself: transient from the caller's view (the HTTP
/// layer answers 503 + Retry-After), and nothing was committed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

pub struct Db {
    conn: Mutex<Connection>,
}

/// The file name of the database inside the data dir.
pub const DB_FILE: &str = "server.db";

impl Db {
    pub fn open(path: &Path) -> Result<Db, rusqlite::Error> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::init(&mut conn)?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

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
