//! The device database schema: the current `VERSION`, the DDL a fresh database
//! gets, and the ordered upgrades an older one goes through (`upgrade_from`).
//!
//! Rules: an upgrade only adds (tables, columns, indexes) or moves data; it never
//! deletes a draft, a ticket, a photo or an outbox entry. `tests::migrated_equals_fresh`
//! checks that every path to `VERSION` ends in the same schema and keeps unsent data.

use rusqlite::{Connection, Transaction};

/// The schema version this build writes.
pub const VERSION: u32 = 3;

/// The whole schema at `VERSION`, for a new database.
pub const CREATE: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE drafts (
    id              TEXT PRIMARY KEY,
    text            TEXT NOT NULL DEFAULT '',
    category        TEXT,
    item            TEXT,
    latitude        REAL,
    longitude       REAL,
    accuracy_m      REAL,
    location_source TEXT,
    address         TEXT,
    channel         TEXT NOT NULL DEFAULT 'field_capture',
    mentioned_unit  TEXT,
    constituent     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE TABLE photos (
    id              TEXT PRIMARY KEY,
    draft_id        TEXT REFERENCES drafts(id) ON DELETE SET NULL,
    ticket_id       TEXT,
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    original_sha256 TEXT NOT NULL,
    upload_sha256   TEXT NOT NULL,
    upload_bytes    INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    taken_at        INTEGER,
    latitude        REAL,
    longitude       REAL,
    altitude_m      REAL,
    info            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE TABLE tickets (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sealed     TEXT
);
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id    INTEGER UNIQUE,
    kind           TEXT NOT NULL,
    ticket_id      TEXT NOT NULL,
    photo_id       TEXT,
    payload        TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    state          TEXT NOT NULL,
    depends_on     INTEGER REFERENCES outbox(id),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    reject_reason  TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    upload_url     TEXT,
    upload_offset  INTEGER NOT NULL DEFAULT 0,
    sealed         TEXT
);
CREATE TABLE reference (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    TEXT NOT NULL,
    body       TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    ticket_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text_zh    TEXT NOT NULL,
    text_en    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE ticket_seen (
    ticket_id TEXT PRIMARY KEY,
    events    INTEGER NOT NULL
);
CREATE INDEX photos_by_draft ON photos(draft_id, position);
CREATE INDEX photos_by_ticket ON photos(ticket_id, position);
CREATE INDEX outbox_by_state ON outbox(state, mutation_id);
CREATE INDEX outbox_by_ticket ON outbox(ticket_id, id);
";

/// Version 1, as first shipped. Kept verbatim so tests can build a v1 database.
pub const CREATE_V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE drafts (
    id TEXT PRIMARY KEY, text TEXT NOT NULL DEFAULT '', category TEXT, item TEXT,
    latitude REAL, longitude REAL, accuracy_m REAL, location_source TEXT, address TEXT,
    channel TEXT NOT NULL DEFAULT 'field_capture', mentioned_unit TEXT, constituent TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE TABLE photos (
    id TEXT PRIMARY KEY, draft_id TEXT REFERENCES drafts(id) ON DELETE SET NULL,
    ticket_id TEXT, position INTEGER NOT NULL, kind TEXT NOT NULL,
    original_sha256 TEXT NOT NULL, upload_sha256 TEXT NOT NULL, upload_bytes INTEGER NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, taken_at INTEGER,
    latitude REAL, longitude REAL, altitude_m REAL, info TEXT NOT NULL, created_at INTEGER NOT NULL
);
CREATE TABLE tickets (
    id TEXT PRIMARY KEY, state TEXT NOT NULL, body TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id INTEGER UNIQUE, kind TEXT NOT NULL,
    ticket_id TEXT NOT NULL, photo_id TEXT, payload TEXT NOT NULL, schema_version INTEGER NOT NULL,
    state TEXT NOT NULL, depends_on INTEGER REFERENCES outbox(id),
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, reject_reason TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX photos_by_draft ON photos(draft_id, position);
CREATE INDEX photos_by_ticket ON photos(ticket_id, position);
CREATE INDEX outbox_by_state ON outbox(state, mutation_id);
";

/// Why a database cannot be opened at this build's version.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("database schema version {found} is newer than this app's {supported}")]
    TooNew { found: u32, supported: u32 },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// Bring `conn` to `VERSION`: create it fresh, or upgrade step by step, in one
/// transaction. A failed upgrade leaves the database as it was.
pub fn init(conn: &mut Connection) -> Result<(), SchemaError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found == VERSION {
        return Ok(());
    }
    if found > VERSION {
        return Err(SchemaError::TooNew {
            found,
            supported: VERSION,
        });
    }
    let tx = conn.transaction()?;
    if found == 0 && !has_tables(&tx)? {
        tx.execute_batch(CREATE)?;
    } else {
        for from in found.max(1)..VERSION {
            upgrade_from(&tx, from)?;
        }
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

fn has_tables(tx: &Transaction<'_>) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// One step: from version `from` to `from + 1`.
pub fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        // v2: resumable uploads remember their tus URL and confirmed offset, and
        // per-ticket outbox order gets an index.
        1 => tx.execute_batch(
            "ALTER TABLE outbox ADD COLUMN upload_url TEXT;
             ALTER TABLE outbox ADD COLUMN upload_offset INTEGER NOT NULL DEFAULT 0;
             CREATE INDEX outbox_by_ticket ON outbox(ticket_id, id);",
        ),
        // v3: reference data and the inbox kept for offline use, what the user
        // has seen of each ticket (unread marks), and sealed (encrypted)
        // columns for the constituent's contact (`crate::seal`).
        2 => tx.execute_batch(
            "ALTER TABLE tickets ADD COLUMN sealed TEXT;
             ALTER TABLE outbox ADD COLUMN sealed TEXT;
             CREATE TABLE reference (
                 id INTEGER PRIMARY KEY CHECK (id = 1), version TEXT NOT NULL,
                 body TEXT NOT NULL, fetched_at INTEGER NOT NULL
             );
             CREATE TABLE notifications (
                 id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, kind TEXT NOT NULL,
                 text_zh TEXT NOT NULL, text_en TEXT NOT NULL, created_at INTEGER NOT NULL,
                 read INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE ticket_seen (ticket_id TEXT PRIMARY KEY, events INTEGER NOT NULL);",
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables, columns (name, type, not-null, default, pk) and indexes, normalised.
    fn describe(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut stmt = conn
            .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .expect("prepare");
        let objects: Vec<(String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (kind, name, table) in objects {
            out.push(format!("{kind} {name} on {table}"));
            let pragma = if kind == "table" {
                format!("PRAGMA table_info({name})")
            } else {
                format!("PRAGMA index_info({name})")
            };
            let mut cols = conn.prepare(&pragma).expect("pragma");
            let n = cols.column_count();
            let rows: Vec<String> = cols
                .query_map([], |r| {
                    let mut parts = Vec::new();
                    for i in 0..n {
                        let v: rusqlite::types::Value = r.get(i)?;
                        parts.push(format!("{v:?}"));
                    }
                    Ok(parts.join(","))
                })
                .expect("cols")
                .collect::<Result<_, _>>()
                .expect("rows");
            out.extend(rows.into_iter().map(|c| format!("  {c}")));
        }
        out
    }

    #[test]
    fn migrated_equals_fresh() {
        let mut fresh = Connection::open_in_memory().expect("open");
        init(&mut fresh).expect("fresh");

        let mut old = Connection::open_in_memory().expect("open");
        old.execute_batch(CREATE_V1).expect("v1");
        old.pragma_update(None, "user_version", 1).expect("version");
        // Unsent data written by a v1 app.
        old.execute_batch(
            "INSERT INTO drafts (id, text, created_at, updated_at) VALUES ('d1', '井盖', 1, 1);
             INSERT INTO tickets VALUES ('t1', 'pool', '{}', 1, 1);
             INSERT INTO outbox (mutation_id, kind, ticket_id, payload, schema_version, state, created_at, updated_at)
                 VALUES (1, 'create_ticket', 't1', '{}', 1, 'pending', 1, 1);",
        )
        .expect("data");
        init(&mut old).expect("upgrade");

        assert_eq!(describe(&old), describe(&fresh));
        let version: u32 = old
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, VERSION);
        let kept: (String, i64, String, i64) = old
            .query_row(
                "SELECT d.text, o.mutation_id, o.state, o.upload_offset FROM drafts d, outbox o",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("kept");
        assert_eq!(kept, ("井盖".into(), 1, "pending".into(), 0));
    }

    #[test]
    fn a_newer_database_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", VERSION + 1)
            .expect("version");
        assert!(matches!(init(&mut conn), Err(SchemaError::TooNew { .. })));
    }

    #[test]
    fn init_is_idempotent() {
        let mut conn = Connection::open_in_memory().expect("open");
        init(&mut conn).expect("first");
        let before = describe(&conn);
        init(&mut conn).expect("second");
        assert_eq!(describe(&conn), before);
    }
}
