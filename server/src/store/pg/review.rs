//! The review levels' queries on PostgreSQL; semantics in `store::review`.

use super::Pg;
use crate::store::review::WeeklyRow;
use crate::store::StoreResult;
use minqing_protocol::UserId;

impl Pg {
    pub(crate) fn deputy_ids(&self) -> StoreResult<Vec<UserId>> {
        let rows = self.conn()?.query(
            "SELECT id FROM users WHERE role IN ('city_deputy', 'town_deputy') ORDER BY name",
            &[],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| r.get::<_, &str>(0).parse().ok())
            .collect())
    }

    pub(crate) fn file_weekly(&self, user: UserId, week: &str, row: &WeeklyRow) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO weekly_summaries (user_id, week, contacts, note, filed_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id, week) DO UPDATE SET contacts = excluded.contacts,
                 note = excluded.note, filed_at = excluded.filed_at",
            &[
                &user.to_string(),
                &week,
                &i64::from(row.contacts),
                &row.note,
                &row.filed_at,
            ],
        )?;
        Ok(())
    }

    pub(crate) fn weekly(&self, user: UserId, week: &str) -> StoreResult<Option<WeeklyRow>> {
        let row = self.conn()?.query_opt(
            "SELECT contacts, note, filed_at FROM weekly_summaries
             WHERE user_id = $1 AND week = $2",
            &[&user.to_string(), &week],
        )?;
        Ok(row.map(|r| WeeklyRow {
            contacts: u32::try_from(r.get::<_, i64>(0)).unwrap_or(u32::MAX),
            note: r.get(1),
            filed_at: r.get(2),
        }))
    }

    pub(crate) fn reference_data(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = self
            .conn()?
            .query("SELECT name, body FROM reference_data ORDER BY name", &[])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub(crate) fn put_reference(&self, name: &str, body: &str, at: i64) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO reference_data (name, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            &[&name, &body, &at],
        )?;
        Ok(())
    }

    pub(crate) fn notifications(
        &self,
        user: UserId,
        after: i64,
        limit: usize,
    ) -> StoreResult<(Vec<minqing_protocol::wire::Notification>, u32)> {
        let mut conn = self.conn()?;
        let rows = conn.query(
            "SELECT id, ticket_id, kind, text_zh, text_en, created_at, read_at IS NOT NULL
             FROM notifications WHERE user_id = $1 AND id > $2 ORDER BY id DESC LIMIT $3",
            &[&user.to_string(), &after, &(limit as i64)],
        )?;
        let unread: i64 = conn
            .query_one(
                "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
                &[&user.to_string()],
            )?
            .get(0);
        Ok((
            rows.iter()
                .filter_map(|r| {
                    Some(minqing_protocol::wire::Notification {
                        id: r.get(0),
                        ticket: r.get::<_, &str>(1).parse().ok()?,
                        kind: r.get(2),
                        text_zh: r.get(3),
                        text_en: r.get(4),
                        created_at: r.get(5),
                        read: r.get(6),
                    })
                })
                .collect(),
            u32::try_from(unread).unwrap_or(u32::MAX),
        ))
    }

    pub(crate) fn mark_read(&self, user: UserId, up_to: i64, at: i64) -> StoreResult<()> {
        self.conn()?.execute(
            "UPDATE notifications SET read_at = $3
             WHERE user_id = $1 AND id <= $2 AND read_at IS NULL",
            &[&user.to_string(), &up_to, &at],
        )?;
        Ok(())
    }
}
