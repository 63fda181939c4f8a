//! The device database: one SQLite file in WAL mode behind one writer connection,
//! plus a folder of photo files beside it.
//!
//! Every change the user makes is one transaction: a submit writes the ticket, its
//! photos' new owner and its outbox entries together, so a killed process leaves
//! either all of it or none of it. Photo files are written (and fsynced) before
//! the row that names them, so a row never points at a missing file.

pub mod schema;

use crate::error::{Error, Result};
use minqing_protocol::{Actor, ClientId, Role, UserId};
use rusqlite::{Connection, OptionalExtension, Transaction};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "minqing.db";

/// The open device store.
pub struct Store {
    conn: Mutex<Connection>,
    dir: PathBuf,
    /// Bumped whenever new reference data is stored (caches compare it).
    reference_gen: std::sync::atomic::AtomicU64,
}

impl Store {
    /// Open (creating or upgrading) the store in `dir`, sealing personal data
    /// with `key` ([`crate::seal`], 32 bytes). Entries left `sending` by a
    /// process that died mid-send return to `pending`; values an older build
    /// wrote in the clear are sealed.
    pub fn open(dir: &Path, key: &[u8]) -> Result<Store> {
        let sealer = std::sync::Arc::new(crate::seal::Sealer::new(key)?);
        std::fs::create_dir_all(dir.join("photos"))?;
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        crate::seal::install(&conn, sealer)?;
        // Freed space is zeroed: a value sealed in place leaves no plaintext.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit is on disk before submit returns, power cut included.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::init(&mut conn)?;
        let store = Store {
            conn: Mutex::new(conn),
            dir: dir.to_path_buf(),
            reference_gen: Default::default(),
        };
        let sealed = store.write(|tx| {
            ensure_client_id(tx)?;
            crate::outbox::recover_interrupted(tx)?;
            crate::seal::seal_plaintext(tx)
        })?;
        if sealed > 0 {
            // The old plaintext may sit in WAL frames: fold them in and cut the WAL.
            store.read(|c| {
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
                Ok(())
            })?;
            tracing::info!(values = sealed, "sealed personal data written in the clear");
        }
        let swept = store.read(|c| crate::photos::sweep_orphans(c, &store.photo_dir()))?;
        if swept > 0 {
            tracing::info!(files = swept, "removed orphaned photo files");
        }
        Ok(store)
    }

    /// Changes whenever new reference data is stored.
    pub fn reference_generation(&self) -> u64 {
        self.reference_gen.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn bump_reference_generation(&self) {
        self.reference_gen
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn photo_dir(&self) -> PathBuf {
        self.dir.join("photos")
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the
        // transaction rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in one write transaction; commit on `Ok`, roll back on `Err`.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Run `f` with the connection for reading.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        f(&conn)
    }

    /// `PRAGMA integrity_check`, `"ok"` when healthy.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
    }
}

pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// A sealed `meta` value ([`crate::seal`]); `None` when absent or unreadable.
pub fn meta_get_sealed(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT unseal(value) FROM meta WHERE key = ?1",
            [key],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Store `value` sealed under `key`.
pub fn meta_set_sealed(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, seal(?2))
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn ensure_client_id(tx: &Transaction<'_>) -> Result<ClientId> {
    if let Some(v) = meta_get(tx, "client_id")? {
        return v.parse().map_err(|_| Error::Invalid {
            field: "client_id",
            reason: "stored client id is not a UUID".into(),
        });
    }
    let id = ClientId::new();
    meta_set(tx, "client_id", &id.to_string())?;
    Ok(id)
}

pub fn client_id(conn: &Connection) -> Result<ClientId> {
    meta_get(conn, "client_id")?
        .and_then(|v| v.parse().ok())
        .ok_or(Error::NotFound {
            what: "client id",
            id: String::new(),
        })
}

/// The user this device acts for. Until login binds a real account, the device
/// acts as a local deputy whose submissions the server files under the account
/// that pushes them.
pub fn profile(conn: &Connection) -> Result<Actor> {
    if let Some(v) = meta_get(conn, "profile")? {
        return Ok(serde_json::from_str(&v)?);
    }
    let user = match meta_get(conn, "local_user")? {
        Some(v) => v.parse().map_err(|_| Error::Invalid {
            field: "local_user",
            reason: "stored user id is not a UUID".into(),
        })?,
        None => {
            let id = UserId::new();
            meta_set(conn, "local_user", &id.to_string())?;
            id
        }
    };
    Ok(Actor {
        user,
        role: Role::CityDeputy,
        unit: None,
        groups: Vec::new(),
    })
}

pub fn set_profile(conn: &Connection, actor: &Actor) -> Result<()> {
    meta_set(conn, "profile", &serde_json::to_string(actor)?)
}

/// Milliseconds since the epoch by this device's clock. Used for local display
/// order only; the server stamps the authoritative times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
