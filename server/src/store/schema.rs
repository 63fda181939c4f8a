//! The sync store's SQLite schema (version 1).

use rusqlite::Connection;

pub const VERSION: u32 = 1;

const CREATE: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE clients (
    client_id        TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    last_mutation_id INTEGER NOT NULL
);
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL
);
CREATE TABLE tickets (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
);
CREATE INDEX tickets_by_seq ON tickets(seq);
CREATE TABLE rejections (
    client_id   TEXT NOT NULL,
    mutation_id INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);
";

pub fn init(conn: &mut Connection) -> rusqlite::Result<()> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found == VERSION {
        return Ok(());
    }
    if found > VERSION {
        // A database written by a newer server: refuse rather than misread it.
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "database schema version {found} is newer than this server's {VERSION}"
        )));
    }
    let tx = conn.transaction()?;
    tx.execute_batch(CREATE)?;
    // A random epoch makes cursors from any other database unknown here.
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(8))))",
        [],
    )?;
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()
}
