//! Ticket listings on PostgreSQL; semantics and the columns in `store::listing`.

use super::Pg;
use crate::store::listing::Columns;
use crate::store::{StoreError, StoreResult};
use minqing_protocol::Ticket;
use postgres::types::ToSql;
use postgres::Transaction;

/// Fill the listing columns of every ticket whose body decodes (the upgrade to v9).
pub(super) fn backfill(tx: &mut Transaction<'_>) -> Result<(), StoreError> {
    let rows = tx.query("SELECT id, body FROM tickets", &[])?;
    let update = tx.prepare(
        "UPDATE tickets SET created_at = $2, category = $3, open = $4, assignment_list = $5
         WHERE id = $1",
    )?;
    for row in rows {
        let (id, body): (&str, &str) = (row.get(0), row.get(1));
        let Ok(t) = serde_json::from_str::<Ticket>(body) else {
            continue;
        };
        let c = Columns::of(&t);
        tx.execute(
            &update,
            &[&id, &c.created_at, &c.category, &c.open, &c.assignment_list],
        )?;
    }
    Ok(())
}

impl Pg {
    fn bodies(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> StoreResult<Vec<Ticket>> {
        let rows = self.conn()?.query(sql, args)?;
        Ok(rows
            .iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
            .collect::<Result<_, _>>()?)
    }

    pub(crate) fn tickets_reported_between(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE created_at >= $1 AND created_at < $2
             ORDER BY created_at",
            &[&from, &to],
        )
    }

    pub(crate) fn review_candidates(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets
              WHERE (created_at >= $1 AND created_at < $2) OR (open AND created_at < $1)
              ORDER BY created_at",
            &[&from, &to],
        )
    }

    pub(crate) fn open_in_category(&self, category: &str) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE open AND category = $1",
            &[&category],
        )
    }

    pub(crate) fn on_assignment_list(&self, list: &str) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE assignment_list = $1 ORDER BY created_at",
            &[&list],
        )
    }
}
