//! What the workflow needs from the database: for the escalation scheduler (design in
//! `crate::workflow::escalation`): the tickets whose `next_due` has come, and
//! escalating a batch of them in one transaction; open items of a category for
//! duplicate suggestions. SQLite here; PostgreSQL in
//! `pg::escalation`.

use super::sync::{load, save, SqliteTx, TicketTx};
use super::{Sqlite, StoreError};
use crate::workflow::escalation::{chase, next_due_after};
use crate::workflow::notify;
use crate::workflow::Workflow;
use rusqlite::{params, TransactionBehavior};

impl Sqlite {
    /// Ids of tickets the scheduler must look at by `now`, earliest first.
    pub(crate) fn due_tickets(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM tickets WHERE next_due IS NOT NULL AND next_due <= ?1
             ORDER BY next_due LIMIT ?2",
        )?;
        let ids = stmt
            .query_map(params![now, limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Record on tickets `ids` every chase due by `now`, in one transaction
    /// (each ticket re-read inside it); returns how many.
    pub(crate) fn escalate(
        &self,
        ids: &[String],
        now: i64,
        wf: &Workflow,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut total = 0;
        for id in ids {
            let Some(mut t) = load(&tx, id)? else {
                continue;
            };
            let chases = chase(&mut t, wf, now);
            let n = chases.len();
            let due = next_due_after(&t, wf, now);
            if n > 0 {
                let storage = |e| match e {
                    super::PushError::Storage(s) => s,
                    other => StoreError::Schema(other.to_string()),
                };
                save(&tx, &t, due).map_err(storage)?;
                for c in &chases {
                    if let Some(notice) = notify::chased(&t, c) {
                        SqliteTx(&tx).notify(&notice, t.id, now).map_err(storage)?;
                    }
                }
            } else {
                tx.execute(
                    "UPDATE tickets SET next_due = ?2 WHERE id = ?1",
                    params![id, due],
                )?;
            }
            total += n;
        }
        tx.commit()?;
        Ok(total)
    }

    /// Every open ticket is due for a look now.
    pub(crate) fn rescan_open(&self) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE tickets SET next_due = 0
             WHERE open = 1",
            [],
        )?;
        Ok(())
    }
}
