//! The audit of personal information: every time a constituent's contact was
//! shown to someone other than the deputy who recorded it (`crate::access`),
//! one row — who, in which role, when, which item, by which route. Rows are
//! only ever added; the administrator reads them (`GET /v1/admin/contact-access`).

use super::sql::{self, Tx, Value};
use super::{Db, StoreResult};
use minqing_protocol::wire::ContactAccess;
use minqing_protocol::{Actor, Role, TicketId};

/// Record that `actor` was shown the contact on each of `tickets` via `via`.
pub(crate) fn record(
    tx: &mut dyn Tx,
    actor: &Actor,
    tickets: &[TicketId],
    via: &str,
    at: i64,
) -> StoreResult<()> {
    const COLS: usize = 5;
    let user = actor.user.to_string();
    let role = actor.role.as_str();
    for chunk in tickets.chunks(sql::MAX_ARGS / COLS) {
        let mut values = Vec::with_capacity(chunk.len() * COLS);
        for t in chunk {
            values.extend([
                Value::from(at),
                Value::from(user.as_str()),
                Value::from(role),
                Value::from(t.to_string()),
                Value::from(via),
            ]);
        }
        tx.execute(
            &format!(
                "INSERT INTO contact_access (at, user_id, role, ticket_id, via) VALUES {}",
                sql::rows(chunk.len(), COLS)
            ),
            &values,
        )?;
    }
    Ok(())
}

/// What to list: one user's, or one item's disclosures, or all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub user: Option<String>,
    pub ticket: Option<String>,
}

impl Db {
    /// Disclosures after id `after`, oldest first, at most `limit`.
    pub fn contact_access(
        &self,
        filter: &Filter,
        after: i64,
        limit: usize,
    ) -> StoreResult<Vec<ContactAccess>> {
        self.read(|tx| {
            // Only the filters given: PostgreSQL cannot type a parameter
            // that is only ever compared with NULL.
            let mut sql = String::from(
                "SELECT id, at, user_id, role, ticket_id, via FROM contact_access WHERE id > ?1",
            );
            let mut values = vec![Value::from(after)];
            for (column, v) in [("user_id", &filter.user), ("ticket_id", &filter.ticket)] {
                if let Some(v) = v {
                    values.push(Value::from(v.as_str()));
                    sql.push_str(&format!(" AND {column} = ?{}", values.len()));
                }
            }
            values.push(Value::from(limit as i64));
            sql.push_str(&format!(" ORDER BY id LIMIT ?{}", values.len()));
            let rows = tx.query(&sql, &values)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let user: String = r.get(2)?;
                let role: String = r.get(3)?;
                let ticket: String = r.get(4)?;
                let (Ok(user), Some(role), Ok(ticket)) =
                    (user.parse(), Role::parse(&role), ticket.parse())
                else {
                    continue;
                };
                out.push(ContactAccess {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    user,
                    role,
                    ticket,
                    via: r.get(5)?,
                });
            }
            Ok(out)
        })
    }
}
