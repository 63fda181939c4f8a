//! The escalation scheduler's queries on PostgreSQL; semantics in
//! `store::escalation`. Escalating takes the same advisory lock as pushes that
//! write tickets, so a chase and a claim never interleave, change numbers stay
//! in commit order, and two processes running a pass at once chase once.

use super::listen::CHANNEL;
use super::sync::{load, PgTx, TICKET_WRITE_LOCK};
use super::Pg;
use crate::store::sync::{PushError, TicketTx};
use crate::store::StoreError;
use crate::workflow::escalation::{chase, next_due_after};
use crate::workflow::notify;
use crate::workflow::Workflow;

impl Pg {
    pub(crate) fn due_tickets(&self, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT id FROM tickets WHERE next_due IS NOT NULL AND next_due <= $1
             ORDER BY next_due LIMIT $2",
            &[&now, &(limit as i64)],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub(crate) fn escalate(
        &self,
        ids: &[String],
        now: i64,
        wf: &Workflow,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&TICKET_WRITE_LOCK])?;
        let mut total = 0;
        for id in ids {
            let Some(mut t) = load(&mut tx, id)? else {
                continue;
            };
            let chases = chase(&mut t, wf, now);
            let n = chases.len();
            let due = next_due_after(&t, wf, now);
            if n > 0 {
                let storage = |e| match e {
                    PushError::Storage(s) => s,
                    other => StoreError::Schema(other.to_string()),
                };
                PgTx(&mut tx).save(&t, due).map_err(storage)?;
                for c in &chases {
                    if let Some(notice) = notify::chased(&t, c) {
                        PgTx(&mut tx).notify(&notice, t.id, now).map_err(storage)?;
                    }
                }
            } else {
                tx.execute(
                    "UPDATE tickets SET next_due = $2 WHERE id = $1",
                    &[&id, &due],
                )?;
            }
            total += n;
        }
        if total > 0 {
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &self.instance])?;
        }
        tx.commit()?;
        Ok(total)
    }

    pub(crate) fn rescan_open(&self) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE tickets SET next_due = 0
             WHERE open",
            &[],
        )?;
        Ok(())
    }
}
