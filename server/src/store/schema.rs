//! The server database's SQLite schema. `VERSION` counts schema changes;
//! `upgrade_from` takes an older database forward one step at a time, and the
//! `migrated_equals_fresh` test proves the result matches a fresh database.

use super::StoreResult;
use rusqlite::{Connection, Transaction};

pub const VERSION: u32 = 17;

/// Version 1: the sync store.
const V1: &str = "
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

/// Version 2: the directory (who is who), login, and photo uploads.
const V2: &str = "
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
    expires_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    last_sent_at INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    sends        INTEGER NOT NULL
);
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    device          TEXT NOT NULL,
    access_hash     TEXT NOT NULL UNIQUE,
    access_expires  INTEGER NOT NULL,
    refresh_hash    TEXT NOT NULL UNIQUE,
    refresh_expires INTEGER NOT NULL,
    -- The refresh token this one replaced: presenting it again means it was
    -- stolen or replayed, and the whole session is revoked.
    prev_refresh_hash TEXT,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE TABLE uploads (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    photo_id     TEXT NOT NULL UNIQUE,
    ticket_id    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    length       INTEGER NOT NULL,
    offset       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    completed_at INTEGER
);
";

/// Version 3: when the escalation scheduler must next look at a ticket. Open
/// tickets of an older database are due for a look at once (0), which computes it.
const V3: &str = "
ALTER TABLE tickets ADD COLUMN next_due INTEGER;
CREATE INDEX tickets_by_due ON tickets(next_due) WHERE next_due IS NOT NULL;
UPDATE tickets SET next_due = 0
 WHERE json_valid(body) AND json_extract(body, '$.state') NOT IN ('closed', 'merged');
";

/// Version 4: a unit's stable key, which routing rules name (`mobile`,
/// `local:xiashi`, …).
const V4: &str = "
ALTER TABLE units ADD COLUMN key TEXT;
CREATE UNIQUE INDEX units_by_key ON units(key) WHERE key IS NOT NULL;
";

/// Version 5: the deputies' weekly summaries (一周一结报).
const V5: &str = "
CREATE TABLE weekly_summaries (
    user_id  TEXT NOT NULL REFERENCES users(id),
    week     TEXT NOT NULL,
    contacts INTEGER NOT NULL,
    note     TEXT NOT NULL,
    filed_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, week)
);
";

/// Version 6: reference data an admin loads (taxonomy, routing rules, calendar
/// years), as the validated text of each file.
const V6: &str = "
CREATE TABLE reference_data (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
";

/// Version 7: the in-app inbox (a decline tells the coordinators, a chase
/// the people it names).
const V7: &str = "
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    ticket_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text_zh    TEXT NOT NULL,
    text_en    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
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
/// `store::listing`), so views read only the rows they show. Filled for
/// existing tickets by `tickets::backfill`.
const V9: &str = "
ALTER TABLE tickets ADD COLUMN created_at INTEGER;
ALTER TABLE tickets ADD COLUMN category TEXT;
ALTER TABLE tickets ADD COLUMN open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN assignment_list TEXT;
CREATE INDEX tickets_by_created ON tickets(created_at);
CREATE INDEX tickets_open_by_created ON tickets(created_at) WHERE open = 1;
CREATE INDEX tickets_open_by_category ON tickets(category) WHERE open = 1;
CREATE INDEX tickets_by_list ON tickets(assignment_list) WHERE assignment_list IS NOT NULL;
";

/// Version 10: which change each client's mutation id was applied as (its
/// event id), so a replay is told from a new mutation that reuses the id
/// (`store::sync`, "Forks"). Mutations applied before v10 have no row and are
/// taken as replays, as before.
const V10: &str = "
CREATE TABLE client_mutations (
    client_id   TEXT NOT NULL,
    mutation_id INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);
";

/// Version 11: the index PostgreSQL had from v2 (a replayed refresh token is
/// looked up by the token it replaced), found missing here by the test that
/// both schemas are the same (`tests/schemas.rs`); and the partial indexes of
/// open tickets say `open = TRUE`, as the SQL both databases share does
/// (SQLite uses a partial index only for the very term it names).
const V11: &str = "
CREATE INDEX sessions_by_prev_refresh ON sessions(prev_refresh_hash);
DROP INDEX tickets_open_by_created;
DROP INDEX tickets_open_by_category;
CREATE INDEX tickets_open_by_created ON tickets(created_at) WHERE open = TRUE;
CREATE INDEX tickets_open_by_category ON tickets(category) WHERE open = TRUE;
";

/// Version 12: who was shown a constituent's private contact, when, on which
/// item (`crate::access`, the audit an admin reads); and when an upload's
/// photo was attached to its ticket, so finished uploads nobody attached
/// expire (`crate::uploads`). Uploads finished before v12 count as attached:
/// an upgrade never removes a photo.
const V12: &str = "
CREATE TABLE contact_access (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    via       TEXT NOT NULL
);
CREATE INDEX contact_access_by_ticket ON contact_access(ticket_id, id);
CREATE INDEX contact_access_by_user ON contact_access(user_id, id);
ALTER TABLE uploads ADD COLUMN attached_at INTEGER;
UPDATE uploads SET attached_at = completed_at WHERE completed_at IS NOT NULL;
CREATE INDEX uploads_open_by_user ON uploads(user_id) WHERE attached_at IS NULL;
";

/// Version 13 (issue 16, items 2–3): codes and tokens are stored as HMAC-SHA256 under
/// the server secret (`crate::secret`), no longer as plain SHA-256, which a
/// copy of the database could be checked against. Old hashes cannot be turned
/// into new ones: existing sessions end (everyone logs in again) and codes not
/// yet used are void. Wrong code guesses count per number over a window
/// (`attempts_since`, across codes); wrong login tries per account and per
/// client address, and lockouts, are kept in `login_throttle`.
const V13: &str = "
DELETE FROM sessions;
UPDATE sms_codes SET code_hash = NULL;
ALTER TABLE sms_codes ADD COLUMN attempts_since INTEGER NOT NULL DEFAULT 0;
CREATE TABLE login_throttle (
    scope           TEXT NOT NULL,
    subject         TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    blocked_until   INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL,
    PRIMARY KEY (scope, subject)
);
";

/// Version 14 (issue 13, the staff console): more listing columns, so the
/// supervision board and the item list filter, count, search, sort and page
/// in SQL (`store::listing`): the state, group, town/street, assigned unit,
/// reporter and co-reporters, item, time of the last event, the searchable
/// text (text and address), when the earliest running clock turns yellow and
/// red (`warn_at`, `due_at`, computed with the calendar whenever the ticket
/// or its `next_due` is written), and the last chase. Filled for existing
/// tickets by `tickets::backfill`; their clock columns by the scheduler's
/// next look (open tickets are due at once).
const V14: &str = "
ALTER TABLE tickets ADD COLUMN state TEXT;
ALTER TABLE tickets ADD COLUMN group_id TEXT;
ALTER TABLE tickets ADD COLUMN jurisdiction TEXT;
ALTER TABLE tickets ADD COLUMN unit_id TEXT;
ALTER TABLE tickets ADD COLUMN reporter TEXT;
ALTER TABLE tickets ADD COLUMN co_reporters TEXT;
ALTER TABLE tickets ADD COLUMN item TEXT;
ALTER TABLE tickets ADD COLUMN updated_at INTEGER;
ALTER TABLE tickets ADD COLUMN search TEXT;
ALTER TABLE tickets ADD COLUMN warn_at INTEGER;
ALTER TABLE tickets ADD COLUMN due_at INTEGER;
ALTER TABLE tickets ADD COLUMN last_chase_at INTEGER;
ALTER TABLE tickets ADD COLUMN last_chase_level INTEGER;
CREATE INDEX tickets_by_group ON tickets(group_id, created_at);
CREATE INDEX tickets_by_unit ON tickets(unit_id, created_at);
CREATE INDEX tickets_open_by_due ON tickets(due_at) WHERE open = TRUE;
UPDATE tickets SET next_due = 0 WHERE open = TRUE;
";

/// Version 15 (issue 14 item 4, Open311 GeoReport v2, `crate::http::open311`):
/// the API keys an administrator issues to another system. A key acts as one
/// account of the directory (`user_id`; a deputy's key may also file
/// requests, into `group_id`); only its HMAC-SHA256 under the server secret
/// is kept (`key_hash`), like the session tokens; a revoked key keeps its row
/// (`revoked_at`) for the record.
const V15: &str = "
CREATE TABLE open311_keys (
    id         TEXT PRIMARY KEY,
    key_hash   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    group_id   TEXT,
    label      TEXT NOT NULL,
    issued_by  TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX open311_keys_by_hash ON open311_keys(key_hash);
";

/// Version 16 (issue 12, push; `crate::push`): the phones' push tokens, one per
/// session (`push_devices`: replaced when the app registers again, removed at
/// logout and when the vendor says the token is dead); the delivery outbox,
/// one row per (notice, device), written in the notice's transaction and sent
/// by the dispatcher (`push_deliveries`: `state` is `pending` until sent,
/// `dead`, `failed` or `dropped`; a pending row is due at `next_at`, which a
/// dispatcher that takes it moves forward by its lease); and every attempt at
/// a vendor (`push_attempts`).
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
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_devices_by_token ON push_devices(provider, token);
CREATE INDEX push_devices_by_user ON push_devices(user_id);
CREATE TABLE push_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL,
    device_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    provider        TEXT NOT NULL,
    ticket_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_at         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE UNIQUE INDEX push_deliveries_once ON push_deliveries(notification_id, device_id);
CREATE INDEX push_deliveries_due ON push_deliveries(state, next_at);
CREATE INDEX push_deliveries_by_user ON push_deliveries(user_id, id);
CREATE TABLE push_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id    INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    provider       TEXT NOT NULL,
    status         INTEGER,
    outcome        TEXT NOT NULL,
    detail         TEXT,
    retry_after_ms INTEGER,
    elapsed_ms     INTEGER NOT NULL
);
CREATE INDEX push_attempts_by_delivery ON push_attempts(delivery_id, id);
";

/// Version 17 (issue 12 items 5–6; `crate::outreach`): the SMS fallback
/// (`sms_fallbacks`: one row per notice it decided on — sent, failed, over the
/// person's daily cap, or no phone — keyed by the notice, so a notice is
/// texted at most once whichever process looks; `day` is the China date the
/// cap counts by), a partial index of unread notices by time for its pass; the
/// direct-line groups' WeCom and DingTalk robots (`group_robots`: the webhook
/// and DingTalk's signing secret sealed under the server secret) and their
/// posts (`robot_posts`: one per robot and timeline event, queued until sent);
/// the posts' cursor over the change sequence is `meta.robot_cursor`.
const V17: &str = "
CREATE TABLE sms_fallbacks (
    notification_id INTEGER PRIMARY KEY,
    user_id      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL,
    day          INTEGER NOT NULL,
    decided_at   INTEGER NOT NULL,
    finished_at  INTEGER,
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
    since      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, kind)
);
CREATE TABLE robot_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    ticket_id  TEXT NOT NULL,
    what       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    error      TEXT
);
CREATE UNIQUE INDEX robot_posts_once ON robot_posts(group_id, kind, event_id);
CREATE INDEX robot_posts_due ON robot_posts(state, next_at);
CREATE INDEX robot_posts_by_robot ON robot_posts(group_id, kind, sent_at);
";

pub fn init(conn: &mut Connection) -> StoreResult<()> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found == VERSION {
        return Ok(());
    }
    if found > VERSION {
        // A database written by a newer server: refuse rather than misread it.
        return Err(super::StoreError::Schema(format!(
            "database schema version {found} is newer than this server's {VERSION}"
        )));
    }
    let tx = conn.transaction()?;
    if found == 0 {
        tx.execute_batch(V1)?;
        // A random epoch makes cursors from any other database unknown here.
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(8))))",
            [],
        )?;
        upgrade_from(&tx, 1)?;
    } else {
        upgrade_from(&tx, found)?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Take a database at `version` forward to [`VERSION`].
fn upgrade_from(tx: &Transaction<'_>, version: u32) -> StoreResult<()> {
    if version < 2 {
        tx.execute_batch(V2)?;
    }
    if version < 3 {
        tx.execute_batch(V3)?;
    }
    if version < 4 {
        tx.execute_batch(V4)?;
    }
    if version < 5 {
        tx.execute_batch(V5)?;
    }
    if version < 6 {
        tx.execute_batch(V6)?;
    }
    if version < 7 {
        tx.execute_batch(V7)?;
    }
    if version < 8 {
        tx.execute_batch(V8)?;
    }
    if version < 9 {
        tx.execute_batch(V9)?;
        super::sqlite::in_transaction(tx, super::tickets::backfill)?;
    }
    if version < 10 {
        tx.execute_batch(V10)?;
    }
    if version < 11 {
        tx.execute_batch(V11)?;
    }
    if version < 12 {
        tx.execute_batch(V12)?;
    }
    if version < 13 {
        tx.execute_batch(V13)?;
    }
    if version < 14 {
        tx.execute_batch(V14)?;
        super::sqlite::in_transaction(tx, super::tickets::backfill_listing)?;
    }
    if version < 15 {
        tx.execute_batch(V15)?;
    }
    if version < 16 {
        tx.execute_batch(V16)?;
    }
    if version < 17 {
        tx.execute_batch(V17)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_query_of_open_tickets_uses_the_partial_index() {
        let mut conn = Connection::open_in_memory().expect("open");
        init(&mut conn).expect("init");
        let plan: String = conn
            .query_row(
                &format!(
                    "EXPLAIN QUERY PLAN {}",
                    super::super::tickets::OPEN_IN_CATEGORY
                ),
                ["C08"],
                |r| r.get(3),
            )
            .expect("plan");
        assert!(plan.contains("tickets_open_by_category"), "{plan}");
    }

    fn shape(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .expect("prepare");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    #[test]
    fn migrated_equals_fresh() {
        let mut fresh = Connection::open_in_memory().expect("open");
        init(&mut fresh).expect("fresh");

        let mut old = Connection::open_in_memory().expect("open");
        old.execute_batch(V1).expect("v1");
        old.execute("INSERT INTO meta VALUES ('epoch', 'abc')", [])
            .expect("epoch");
        old.execute(
            "INSERT INTO tickets VALUES ('t1', '{\"state\":\"pool\"}', 1)",
            [],
        )
        .expect("ticket");
        old.pragma_update(None, "user_version", 1).expect("v");
        init(&mut old).expect("upgrade");

        assert_eq!(shape(&old), shape(&fresh));
        let kept: String = old
            .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
                r.get(0)
            })
            .expect("epoch kept");
        assert_eq!(kept, "abc");
        let n: i64 = old
            .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1);
        let due: Option<i64> = old
            .query_row("SELECT next_due FROM tickets", [], |r| r.get(0))
            .expect("next_due");
        assert_eq!(
            due,
            Some(0),
            "an open ticket is due for a look after upgrading"
        );
    }

    /// A ticket stored before v9 is listed after the upgrade: its listing
    /// columns are filled from its body.
    #[test]
    fn upgrade_fills_listing_columns() {
        use minqing_protocol::*;
        let actor = Actor {
            user: UserId::new(),
            role: Role::CityDeputy,
            unit: None,
            groups: vec![],
        };
        let new = NewTicket {
            id: TicketId::new(),
            event: EventId::new(),
            group: None,
            jurisdiction: None,
            category: Some("C03".into()),
            item: None,
            text: "窨井盖松动".into(),
            location: None,
            channel: SourceChannel::FieldCapture,
            constituent: None,
            mentioned_unit: None,
            photo_count: 0,
        };
        let t = Ticket::submit(new, &actor, 1_601_772_480_000).expect("submit");
        let body = serde_json::to_string(&t).expect("json");

        let mut old = Connection::open_in_memory().expect("open");
        old.execute_batch(V1).expect("v1");
        old.execute(
            "INSERT INTO tickets VALUES (?1, ?2, 1)",
            [t.id.to_string(), body],
        )
        .expect("ticket");
        let tx = old.transaction().expect("tx");
        upgrade_from(&tx, 1).expect("upgrade");
        tx.commit().expect("commit");

        let (created, category, open, list): (i64, String, bool, Option<String>) = old
            .query_row(
                "SELECT created_at, category, open, assignment_list FROM tickets",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("columns");
        assert_eq!(
            (created, category.as_str(), open, list),
            (1_601_772_480_000, "C03", true, None)
        );
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", VERSION + 1)
            .expect("v");
        assert!(init(&mut conn).is_err());
    }
}
