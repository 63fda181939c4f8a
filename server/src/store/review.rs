//! What the review levels and the inbox need besides ticket listings
//! (`store::tickets`): the deputies, their weekly summaries (一周一结报), the
//! reference files an admin loaded, and the notices of the in-app inbox.

use super::sql::{self, args, Tx, Value};
use super::{Db, StoreResult};
use crate::workflow::notify::{Notice, Recipients};
use minqing_protocol::wire::Notification;
use minqing_protocol::{TicketId, UserId};

/// A filed weekly summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRow {
    pub contacts: u32,
    pub note: String,
    pub filed_at: i64,
}

/// A notice for every user a [`Recipients`] names (but the one it excepts),
/// in one statement each, returning the notices' ids.
const NOTIFY_GROUP_ROLE: &str = "INSERT INTO notifications
        (user_id, ticket_id, kind, text_zh, text_en, created_at)
    SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u JOIN group_members m ON m.user_id = u.id
    WHERE u.id <> ?6 AND m.group_id = ?7 AND u.role = ?8 RETURNING id";
const NOTIFY_UNIT_ROLE: &str = "INSERT INTO notifications
        (user_id, ticket_id, kind, text_zh, text_en, created_at)
    SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u
    WHERE u.id <> ?6 AND u.unit_id = ?7 AND u.role = ?8 RETURNING id";
const NOTIFY_ROLE: &str = "INSERT INTO notifications
        (user_id, ticket_id, kind, text_zh, text_en, created_at)
    SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u WHERE u.id <> ?6 AND u.role = ?7 RETURNING id";

/// Put `notice` about `ticket` in its recipients' inboxes and queue its push
/// to their registered phones (`crate::push::outbox::enqueue`), in the
/// caller's transaction: a notice and its deliveries exist exactly when the
/// change they tell of does.
pub(crate) fn notify(
    tx: &mut dyn Tx,
    notice: &Notice,
    ticket: TicketId,
    at: i64,
) -> StoreResult<()> {
    let (t, k, zh, en) = (ticket.to_string(), notice.kind, &notice.zh, &notice.en);
    // Nobody has the empty id: no exception.
    let except = notice.except.map(|u| u.to_string()).unwrap_or_default();
    let rows = match &notice.to {
        Recipients::GroupRole(g, role) => tx.query(
            NOTIFY_GROUP_ROLE,
            args![t, k, zh, en, at, except, g.to_string(), role.as_str()],
        )?,
        Recipients::UnitRole(unit, role) => tx.query(
            NOTIFY_UNIT_ROLE,
            args![t, k, zh, en, at, except, unit.to_string(), role.as_str()],
        )?,
        Recipients::Role(role) => {
            tx.query(NOTIFY_ROLE, args![t, k, zh, en, at, except, role.as_str()])?
        }
        Recipients::Users(users) => {
            let mut out = Vec::new();
            for chunk in users.chunks(500) {
                let mut a = args![t.as_str(), k, zh, en, at, except.as_str()].to_vec();
                a.extend(chunk.iter().map(|u| Value::from(u.to_string())));
                out.extend(tx.query(
                    &format!(
                        "INSERT INTO notifications
                             (user_id, ticket_id, kind, text_zh, text_en, created_at)
                         SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u
                         WHERE u.id <> ?6 AND u.id IN {} RETURNING id",
                        sql::list(7, chunk.len())
                    ),
                    &a,
                )?);
            }
            out
        }
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect::<StoreResult<_>>()?;
    if !ids.is_empty() {
        crate::push::outbox::enqueue(tx, &ids, &notice.push, at)?;
    }
    Ok(())
}

impl Db {
    /// Every deputy (city and town), by name.
    pub fn deputy_ids(&self) -> StoreResult<Vec<UserId>> {
        let ids: Vec<String> = self.read(|tx| {
            tx.query(
                "SELECT id FROM users WHERE role IN ('city_deputy', 'town_deputy') ORDER BY name",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })?;
        Ok(ids.iter().filter_map(|i| i.parse().ok()).collect())
    }

    /// File (or file again, replacing) `user`'s summary for `week`.
    pub fn file_weekly(&self, user: UserId, week: &str, row: &WeeklyRow) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO weekly_summaries (user_id, week, contacts, note, filed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id, week) DO UPDATE SET contacts = excluded.contacts,
                     note = excluded.note, filed_at = excluded.filed_at",
                args![
                    user.to_string(),
                    week,
                    row.contacts,
                    &row.note,
                    row.filed_at
                ],
            )?;
            Ok(())
        })
    }

    pub fn weekly(&self, user: UserId, week: &str) -> StoreResult<Option<WeeklyRow>> {
        self.read(|tx| {
            tx.query_opt(
                "SELECT contacts, note, filed_at FROM weekly_summaries
                 WHERE user_id = ?1 AND week = ?2",
                args![user.to_string(), week],
            )?
            .map(|r| {
                Ok(WeeklyRow {
                    contacts: r.get(0)?,
                    note: r.get(1)?,
                    filed_at: r.get(2)?,
                })
            })
            .transpose()
        })
    }

    /// Every reference file an admin loaded: (name, body), by name.
    pub fn reference_data(&self) -> StoreResult<Vec<(String, String)>> {
        self.read(|tx| {
            tx.query("SELECT name, body FROM reference_data ORDER BY name", &[])?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect()
        })
    }

    /// Store a reference file (already validated by the caller).
    pub fn put_reference(&self, name: &str, body: &str, at: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO reference_data (name, body, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body,
                     updated_at = excluded.updated_at",
                args![name, body, at],
            )?;
            Ok(())
        })
    }

    /// `user`'s inbox, newest first: at most `limit` notices with an id above
    /// `after`, and how many are unread.
    pub fn notifications(
        &self,
        user: UserId,
        after: i64,
        limit: usize,
    ) -> StoreResult<(Vec<Notification>, u32)> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT id, ticket_id, kind, text_zh, text_en, created_at, read_at IS NOT NULL
                 FROM notifications WHERE user_id = ?1 AND id > ?2 ORDER BY id DESC LIMIT ?3",
                args![user.to_string(), after, limit],
            )?;
            let unread: u32 = tx
                .query_one(
                    "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL",
                    args![user.to_string()],
                )?
                .get(0)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let Ok(ticket) = r.get::<String>(1)?.parse() else {
                    continue;
                };
                out.push(Notification {
                    id: r.get(0)?,
                    ticket,
                    kind: r.get(2)?,
                    text_zh: r.get(3)?,
                    text_en: r.get(4)?,
                    created_at: r.get(5)?,
                    read: r.get(6)?,
                });
            }
            Ok((out, unread))
        })
    }

    /// Mark `user`'s notices up to `up_to` read.
    pub fn mark_read(&self, user: UserId, up_to: i64, at: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE notifications SET read_at = ?3
                 WHERE user_id = ?1 AND id <= ?2 AND read_at IS NULL",
                args![user.to_string(), up_to, at],
            )?;
            Ok(())
        })
    }
}
