//! The review levels' queries on PostgreSQL; semantics in `store::review`.

use super::Pg;
use crate::store::review::WeeklyRow;
use crate::store::StoreResult;
use minqing_protocol::{Ticket, UserId};

impl Pg {
    pub(crate) fn tickets_reported_before(&self, to: i64) -> StoreResult<Vec<Ticket>> {
        let rows = self.conn()?.query(
            "SELECT body FROM tickets WHERE (body::jsonb ->> 'created_at')::BIGINT < $1
             ORDER BY (body::jsonb ->> 'created_at')::BIGINT",
            &[&to],
        )?;
        Ok(rows
            .iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
            .collect::<Result<_, _>>()?)
    }

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
}
