//! The inbox on the device: the notices the server writes for the user (a
//! decline told to the coordinator, a chase told to the people it names),
//! pulled with every sync pass and kept, so the inbox screen and its unread
//! count work offline.
//!
//! Marking read is local at once and remembered as "read up to n"
//! (`meta.inbox_read_up_to`) until a pass has told the server
//! (`POST /v1/notifications/read`); a notice read here stays read when the
//! server's copy, fetched before the mark reached it, still says unread.

use crate::error::{Lang, Result};
use crate::store::{meta_get, meta_set, Store};
use minqing_protocol::wire::Notification;
use rusqlite::{params, Connection};

/// One notice, in the user's language.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct NotificationView {
    pub id: i64,
    /// The item it is about (a handle for opening it; not for display).
    pub ticket_id: String,
    /// `declined` or `chased`.
    pub kind: String,
    pub text: String,
    /// Server time, ms since the epoch.
    pub created_at: i64,
    pub read: bool,
}

/// The inbox screen: newest first, with the unread count for the badge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct InboxView {
    pub notifications: Vec<NotificationView>,
    pub unread: u32,
}

/// Most notices kept and shown.
pub const KEEP: i64 = 200;

/// Keep what the server sent (newest first, at most 100), merging read marks.
pub fn store_fetched(store: &Store, notices: &[Notification]) -> Result<bool> {
    store.write(|tx| {
        let mut changed = 0;
        for n in notices {
            changed += tx.execute(
                "INSERT INTO notifications (id, ticket_id, kind, text_zh, text_en, created_at, read)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET read = max(read, excluded.read)
                 WHERE read != max(read, excluded.read)",
                params![
                    n.id,
                    n.ticket.to_string(),
                    n.kind,
                    n.text_zh,
                    n.text_en,
                    n.created_at,
                    n.read as i64
                ],
            )?;
        }
        tx.execute(
            "DELETE FROM notifications WHERE id NOT IN
                 (SELECT id FROM notifications ORDER BY id DESC LIMIT ?1)",
            [KEEP],
        )?;
        Ok(changed > 0)
    })
}

/// Mark every notice up to `up_to` read, here and (by the next pass) on the server.
pub fn mark_read(store: &Store, up_to: i64) -> Result<()> {
    store.write(|tx| {
        tx.execute(
            "UPDATE notifications SET read = 1 WHERE id <= ?1 AND read = 0",
            [up_to],
        )?;
        let pending = pending_read(tx)?.unwrap_or(0).max(up_to);
        meta_set(tx, "inbox_read_up_to", &pending.to_string())
    })
}

/// A read mark the server has not heard yet.
pub fn pending_read(conn: &Connection) -> Result<Option<i64>> {
    Ok(meta_get(conn, "inbox_read_up_to")?.and_then(|v| v.parse().ok()))
}

/// The server heard the mark `up_to` (a later mark stays pending).
pub fn read_sent(store: &Store, up_to: i64) -> Result<()> {
    store.write(|tx| {
        if pending_read(tx)? == Some(up_to) {
            tx.execute("DELETE FROM meta WHERE key = 'inbox_read_up_to'", [])?;
        }
        Ok(())
    })
}

pub fn view(conn: &Connection, lang: Lang) -> Result<InboxView> {
    let notifications: Vec<NotificationView> = conn
        .prepare_cached(
            "SELECT id, ticket_id, kind, text_zh, text_en, created_at, read
             FROM notifications ORDER BY id DESC",
        )?
        .query_map([], |r| {
            let zh: String = r.get(3)?;
            let en: String = r.get(4)?;
            Ok(NotificationView {
                id: r.get(0)?,
                ticket_id: r.get(1)?,
                kind: r.get(2)?,
                text: if lang == Lang::En { en } else { zh },
                created_at: r.get(5)?,
                read: r.get::<_, i64>(6)? != 0,
            })
        })?
        .collect::<Result<_, _>>()?;
    let unread = notifications.iter().filter(|n| !n.read).count() as u32;
    Ok(InboxView {
        notifications,
        unread,
    })
}

/// Items with an unread notice (for the unread mark on home rows).
pub fn unread_tickets(conn: &Connection) -> Result<std::collections::HashSet<String>> {
    Ok(conn
        .prepare_cached("SELECT DISTINCT ticket_id FROM notifications WHERE read = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
