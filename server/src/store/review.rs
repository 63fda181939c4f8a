//! What the review levels need from the database besides ticket listings
//! (`store::listing`): the deputies, and the deputies' weekly summaries
//! (一周一结报).
//! SQLite here; PostgreSQL in `pg::review`.

use super::{Sqlite, StoreResult};
use minqing_protocol::UserId;
use rusqlite::{params, OptionalExtension};

/// A filed weekly summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRow {
    pub contacts: u32,
    pub note: String,
    pub filed_at: i64,
}

impl Sqlite {
    pub(crate) fn deputy_ids(&self) -> StoreResult<Vec<UserId>> {
        let conn = self.lock();
        let ids: Vec<String> = conn
            .prepare_cached(
                "SELECT id FROM users WHERE role IN ('city_deputy', 'town_deputy') ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|i| i.parse().ok()).collect())
    }

    /// File (or file again, replacing) `user`'s summary for `week`.
    pub(crate) fn file_weekly(&self, user: UserId, week: &str, row: &WeeklyRow) -> StoreResult<()> {
        self.lock().execute(
            "INSERT INTO weekly_summaries (user_id, week, contacts, note, filed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (user_id, week) DO UPDATE SET contacts = excluded.contacts,
                 note = excluded.note, filed_at = excluded.filed_at",
            params![user.to_string(), week, row.contacts, row.note, row.filed_at],
        )?;
        Ok(())
    }

    pub(crate) fn weekly(&self, user: UserId, week: &str) -> StoreResult<Option<WeeklyRow>> {
        Ok(self
            .lock()
            .query_row(
                "SELECT contacts, note, filed_at FROM weekly_summaries
                 WHERE user_id = ?1 AND week = ?2",
                params![user.to_string(), week],
                |r| {
                    Ok(WeeklyRow {
                        contacts: r.get(0)?,
                        note: r.get(1)?,
                        filed_at: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every stored reference file: (name, body), by name.
    pub(crate) fn reference_data(&self) -> StoreResult<Vec<(String, String)>> {
        let conn = self.lock();
        let rows = conn
            .prepare_cached("SELECT name, body FROM reference_data ORDER BY name")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub(crate) fn put_reference(&self, name: &str, body: &str, at: i64) -> StoreResult<()> {
        self.lock().execute(
            "INSERT INTO reference_data (name, body, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            params![name, body, at],
        )?;
        Ok(())
    }

    /// `user`'s inbox, newest first: at most `limit` notices with an id above `after`.
    pub(crate) fn notifications(
        &self,
        user: UserId,
        after: i64,
        limit: usize,
    ) -> StoreResult<(Vec<minqing_protocol::wire::Notification>, u32)> {
        let conn = self.lock();
        let rows = conn
            .prepare_cached(
                "SELECT id, ticket_id, kind, text_zh, text_en, created_at, read_at IS NOT NULL
                 FROM notifications WHERE user_id = ?1 AND id > ?2 ORDER BY id DESC LIMIT ?3",
            )?
            .query_map(params![user.to_string(), after, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let unread: u32 = conn.query_row(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL",
            [user.to_string()],
            |r| r.get(0),
        )?;
        Ok((
            rows.into_iter()
                .filter_map(|(id, t, kind, text_zh, text_en, created_at, read)| {
                    Some(minqing_protocol::wire::Notification {
                        id,
                        ticket: t.parse().ok()?,
                        kind,
                        text_zh,
                        text_en,
                        created_at,
                        read,
                    })
                })
                .collect(),
            unread,
        ))
    }

    /// Mark `user`'s notices up to `up_to` read.
    pub(crate) fn mark_read(&self, user: UserId, up_to: i64, at: i64) -> StoreResult<()> {
        self.lock().execute(
            "UPDATE notifications SET read_at = ?3
             WHERE user_id = ?1 AND id <= ?2 AND read_at IS NULL",
            params![user.to_string(), up_to, at],
        )?;
        Ok(())
    }
}
