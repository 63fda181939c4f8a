//! The server database's PostgreSQL schema, the same tables as SQLite's.
//! `VERSION` counts schema changes; `upgrade_from` takes an older database
//! forward one step at a time inside one transaction; the version lives in the
//! one-row `schema_version` table. Server processes starting at once migrate
//! one after the other (an advisory lock), and the test `migrated_equals_fresh`
//! (tests/pg_store.rs) proves a migrated database matches a fresh one.

use super::super::StoreError;
use super::random_hex;
use postgres::{Client, Transaction};

pub const VERSION: i32 = 17;

/// Held (per transaction) while the schema is checked or migrated.
const MIGRATION_LOCK: i64 = 0x6d69_6e71_0001;

/// Version 1: the sync store.
pub const V1: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE clients (
    client_id        TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    last_mutation_id BIGINT NOT NULL
);
CREATE TABLE changes (
    seq       BIGSERIAL PRIMARY KEY,
    ticket_id TEXT NOT NULL
);
CREATE TABLE tickets (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    seq  BIGINT NOT NULL
);
CREATE INDEX tickets_by_seq ON tickets(seq);
CREATE TABLE rejections (
    client_id   TEXT NOT NULL,
    mutation_id BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);
";

/// Version 2: the directory (who is who), login, and photo uploads.
const V2: &str = r#"
CREATE TABLE units (
    id      TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind    TEXT NOT NULL
);
CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    jurisdiction TEXT NOT NULL
);
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    phone         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit_id       TEXT REFERENCES units(id),
    jurisdiction  TEXT,
    password_hash TEXT
);
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups(id),
    user_id  TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
);
CREATE TABLE sms_codes (
    phone        TEXT PRIMARY KEY,
    code_hash    TEXT,
    expires_at   BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    last_sent_at BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    sends        BIGINT NOT NULL
);
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    device          TEXT NOT NULL,
    access_hash     TEXT NOT NULL UNIQUE,
    access_expires  BIGINT NOT NULL,
    refresh_hash    TEXT NOT NULL UNIQUE,
    refresh_expires BIGINT NOT NULL,
    -- The refresh token this one replaced: presenting it again means it was
    -- stolen or replayed, and the whole session is revoked.
    prev_refresh_hash TEXT,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX sessions_by_prev_refresh ON sessions(prev_refresh_hash);
CREATE TABLE uploads (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    photo_id     TEXT NOT NULL UNIQUE,
    ticket_id    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    length       BIGINT NOT NULL,
    "offset"     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    completed_at BIGINT
);
"#;

/// Version 3: when the escalation scheduler must next look at a ticket; open
/// tickets of an older database are due for a look at once (0).
const V3: &str = "
ALTER TABLE tickets ADD COLUMN next_due BIGINT;
CREATE INDEX tickets_by_due ON tickets(next_due) WHERE next_due IS NOT NULL;
UPDATE tickets SET next_due = 0 WHERE (body::jsonb ->> 'state') NOT IN ('closed', 'merged');
";

/// Version 4: a unit's stable key, which routing rules name.
const V4: &str = "
ALTER TABLE units ADD COLUMN key TEXT;
CREATE UNIQUE INDEX units_by_key ON units(key) WHERE key IS NOT NULL;
";

/// Version 5: the deputies' weekly summaries (一周一结报).
const V5: &str = "
CREATE TABLE weekly_summaries (
    user_id  TEXT NOT NULL REFERENCES users(id),
    week     TEXT NOT NULL,
    contacts BIGINT NOT NULL,
    note     TEXT NOT NULL,
    filed_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, week)
);
";

/// Version 6: reference data an admin loads (taxonomy, routing rules, calendar
/// years), as the validated text of each file.
const V6: &str = "
CREATE TABLE reference_data (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
";

/// Version 7: the in-app inbox (a decline tells the coordinators, a chase
/// the people it names).
const V7: &str = "
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    ticket_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text_zh    TEXT NOT NULL,
    text_en    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_by_user ON notifications(user_id, id);
";

/// Version 8: jurisdictions (the city, its streets and towns) as data.
const V8: &str = "
CREATE TABLE jurisdictions (
    code    TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind    TEXT NOT NULL,
    parent  TEXT REFERENCES jurisdictions(code)
);
";

/// Version 9: listing columns copied from the ticket body (see
/// `store::listing`); filled for existing tickets by `tickets::backfill`.
const V9: &str = "
ALTER TABLE tickets ADD COLUMN created_at BIGINT;
ALTER TABLE tickets ADD COLUMN category TEXT;
ALTER TABLE tickets ADD COLUMN open BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN assignment_list TEXT;
CREATE INDEX tickets_by_created ON tickets(created_at);
CREATE INDEX tickets_open_by_created ON tickets(created_at) WHERE open;
CREATE INDEX tickets_open_by_category ON tickets(category) WHERE open;
CREATE INDEX tickets_by_list ON tickets(assignment_list) WHERE assignment_list IS NOT NULL;
";

/// Version 10: which change each client's mutation id was applied as (see
/// the SQLite schema).
const V10: &str = "
CREATE TABLE client_mutations (
    client_id   TEXT NOT NULL,
    mutation_id BIGINT NOT NULL,
    event_id    TEXT NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);
";

/// Version 12: the audit of who was shown a constituent's contact, and when an
/// upload was attached (see the SQLite schema).
const V12: &str = "
CREATE TABLE contact_access (
    id BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    via       TEXT NOT NULL
);
CREATE INDEX contact_access_by_ticket ON contact_access(ticket_id, id);
CREATE INDEX contact_access_by_user ON contact_access(user_id, id);
ALTER TABLE uploads ADD COLUMN attached_at BIGINT;
UPDATE uploads SET attached_at = completed_at WHERE completed_at IS NOT NULL;
CREATE INDEX uploads_open_by_user ON uploads(user_id) WHERE attached_at IS NULL;
";

/// Version 13: codes and tokens as HMAC-SHA256 under the server secret (old
/// sessions end, unused codes are void), wrong code guesses counted per number
/// over a window, and `login_throttle` (see the SQLite schema).
const V13: &str = "
DELETE FROM sessions;
UPDATE sms_codes SET code_hash = NULL;
ALTER TABLE sms_codes ADD COLUMN attempts_since BIGINT NOT NULL DEFAULT 0;
CREATE TABLE login_throttle (
    scope           TEXT NOT NULL,
    subject         TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    blocked_until   BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
";

/// Version 14: the console's listing columns (see the SQLite schema).
const V14: &str = "
ALTER TABLE tickets ADD COLUMN state TEXT;
ALTER TABLE tickets ADD COLUMN group_id TEXT;
ALTER TABLE tickets ADD COLUMN jurisdiction TEXT;
ALTER TABLE tickets ADD COLUMN unit_id TEXT;
ALTER TABLE tickets ADD COLUMN reporter TEXT;
ALTER TABLE tickets ADD COLUMN co_reporters TEXT;
ALTER TABLE tickets ADD COLUMN item TEXT;
ALTER TABLE tickets ADD COLUMN updated_at BIGINT;
ALTER TABLE tickets ADD COLUMN search TEXT;
ALTER TABLE tickets ADD COLUMN warn_at BIGINT;
ALTER TABLE tickets ADD COLUMN due_at BIGINT;
ALTER TABLE tickets ADD COLUMN last_chase_at BIGINT;
ALTER TABLE tickets ADD COLUMN last_chase_level BIGINT;
CREATE INDEX tickets_by_group ON tickets(group_id, created_at);
CREATE INDEX tickets_by_unit ON tickets(unit_id, created_at);
CREATE INDEX tickets_open_by_due ON tickets(due_at) WHERE open;
UPDATE tickets SET next_due = 0 WHERE open;
";

/// Version 15: Open311 API keys (see the SQLite schema).
const V15: &str = "
CREATE TABLE open311_keys (
    id         TEXT PRIMARY KEY,
    key_hash   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    group_id   TEXT,
    label      TEXT NOT NULL,
    issued_by  TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX open311_keys_by_hash ON open311_keys(key_hash);
";

/// Version 16: push devices, the delivery outbox and its attempts (see the
/// SQLite schema).
const V16: &str = "
CREATE TABLE push_devices (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    provider    TEXT NOT NULL,
    token       TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    language    TEXT NOT NULL,
    app_version TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX push_devices_by_token ON push_devices(provider, token);
CREATE INDEX push_devices_by_user ON push_devices(user_id);
CREATE TABLE push_deliveries (
    id BIGSERIAL PRIMARY KEY,
    notification_id BIGINT NOT NULL,
    device_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    provider        TEXT NOT NULL,
    ticket_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_at         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE UNIQUE INDEX push_deliveries_once ON push_deliveries(notification_id, device_id);
CREATE INDEX push_deliveries_due ON push_deliveries(state, next_at);
CREATE INDEX push_deliveries_by_user ON push_deliveries(user_id, id);
CREATE TABLE push_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id    BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    provider       TEXT NOT NULL,
    status         BIGINT,
    outcome        TEXT NOT NULL,
    detail         TEXT,
    retry_after_ms BIGINT,
    elapsed_ms     BIGINT NOT NULL
);
CREATE INDEX push_attempts_by_delivery ON push_attempts(delivery_id, id);
";

/// Bring the database to [`VERSION`]: create it when empty, migrate it when
/// older, refuse it when newer.
pub fn init(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let found = version(&mut tx)?;
    if found == VERSION {
        return Ok(());
    }
    if found > VERSION {
        // A database written by a newer server: refuse rather than misread it.
        return Err(StoreError::Schema(format!(
            "database schema version {found} is newer than this server's {VERSION}"
        )));
    }
    if found == 0 {
        tx.batch_execute(V1)?;
        // A random epoch makes cursors from any other database unknown here.
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('epoch', $1)",
            &[&random_hex(8)],
        )?;
        tx.execute("INSERT INTO schema_version (version) VALUES (1)", &[])?;
        upgrade_from(&mut tx, 1)?;
    } else {
        upgrade_from(&mut tx, found)?;
    }
    tx.execute("UPDATE schema_version SET version = $1", &[&VERSION])?;
    tx.commit()?;
    Ok(())
}

/// The stored schema version; 0 for an empty database.
pub fn version(tx: &mut Transaction<'_>) -> Result<i32, StoreError> {
    let exists: bool = tx
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = tx.query_opt("SELECT version FROM schema_version", &[])?;
    Ok(row.map(|r| r.get(0)).unwrap_or(0))
}

/// Version 17: the SMS fallback's decisions, the groups' robots and their
/// posts (see the SQLite schema).
const V17: &str = "
CREATE TABLE sms_fallbacks (
    notification_id BIGINT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL,
    day          BIGINT NOT NULL,
    decided_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    provider_ref TEXT,
    error        TEXT
);
CREATE INDEX sms_fallbacks_by_user_day ON sms_fallbacks(user_id, day);
CREATE INDEX notifications_unread_by_time ON notifications(created_at) WHERE read_at IS NULL;
CREATE TABLE group_robots (
    group_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    webhook    TEXT NOT NULL,
    secret     TEXT,
    since      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, kind)
);
CREATE TABLE robot_posts (
    id BIGSERIAL PRIMARY KEY,
    group_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    ticket_id  TEXT NOT NULL,
    what       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    next_at    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,
    error      TEXT
);
CREATE UNIQUE INDEX robot_posts_once ON robot_posts(group_id, kind, event_id);
CREATE INDEX robot_posts_due ON robot_posts(state, next_at);
CREATE INDEX robot_posts_by_robot ON robot_posts(group_id, kind, sent_at);
";

/// Take a database at `version` forward to [`VERSION`].
fn upgrade_from(tx: &mut Transaction<'_>, version: i32) -> Result<(), StoreError> {
    if version < 2 {
        tx.batch_execute(V2)?;
    }
    if version < 3 {
        tx.batch_execute(V3)?;
    }
    if version < 4 {
        tx.batch_execute(V4)?;
    }
    if version < 5 {
        tx.batch_execute(V5)?;
    }
    if version < 6 {
        tx.batch_execute(V6)?;
    }
    if version < 7 {
        tx.batch_execute(V7)?;
    }
    if version < 8 {
        tx.batch_execute(V8)?;
    }
    if version < 9 {
        tx.batch_execute(V9)?;
        let mut cache = std::collections::HashMap::new();
        super::super::tickets::backfill(&mut super::PgTx::raw(tx, &mut cache))?;
    }
    if version < 10 {
        tx.batch_execute(V10)?;
    }
    // Version 11 only brought SQLite's indexes level with these; the two
    // schemas keep one version number.
    if version < 12 {
        tx.batch_execute(V12)?;
    }
    if version < 13 {
        tx.batch_execute(V13)?;
    }
    if version < 14 {
        tx.batch_execute(V14)?;
        let mut cache = std::collections::HashMap::new();
        super::super::tickets::backfill_listing(&mut super::PgTx::raw(tx, &mut cache))?;
    }
    if version < 15 {
        tx.batch_execute(V15)?;
    }
    if version < 16 {
        tx.batch_execute(V16)?;
    }
    if version < 17 {
        tx.batch_execute(V17)?;
    }
    Ok(())
}
