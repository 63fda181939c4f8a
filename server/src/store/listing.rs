//! Ticket listings behind indexed columns (schema v9), so that a view reads the
//! rows it shows and not the whole table:
//! - by when the item was reported (weekly summaries, review queues);
//! - open items of one category (duplicate suggestions);
//! - the items on one assignment list (交办清单).
//!
//! The columns (`created_at`, `category`, `open`, `assignment_list`) are copies
//! of what the ticket's JSON body says, written with the body by
//! [`super::sync::save`] from [`Columns::of`]; the body stays the truth.
//! SQLite here; PostgreSQL in `pg::listing`.

use super::{Sqlite, StoreResult};
use minqing_protocol::Ticket;
use rusqlite::{params, Connection};

/// What the listing columns hold for one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Columns {
    pub created_at: i64,
    pub category: Option<String>,
    pub open: bool,
    pub assignment_list: Option<String>,
}

impl Columns {
    pub(crate) fn of(t: &Ticket) -> Self {
        Columns {
            created_at: t.created_at,
            category: t.category.clone(),
            open: !t.state.is_terminal(),
            assignment_list: t.assignment_list().map(str::to_owned),
        }
    }
}

/// Fill the listing columns of every ticket whose body decodes (the upgrade to
/// v9). A body that does not decode as a ticket keeps empty columns and so is
/// listed nowhere, as before.
pub(crate) fn backfill(tx: &Connection) -> rusqlite::Result<()> {
    let rows: Vec<(String, String)> = tx
        .prepare("SELECT id, body FROM tickets")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare(
        "UPDATE tickets SET created_at = ?2, category = ?3, open = ?4, assignment_list = ?5
         WHERE id = ?1",
    )?;
    for (id, body) in rows {
        let Ok(t) = serde_json::from_str::<Ticket>(&body) else {
            continue;
        };
        let c = Columns::of(&t);
        update.execute(params![
            id,
            c.created_at,
            c.category,
            c.open,
            c.assignment_list
        ])?;
    }
    Ok(())
}

fn decode(bodies: Vec<String>) -> StoreResult<Vec<Ticket>> {
    Ok(bodies
        .iter()
        .map(|b| serde_json::from_str(b))
        .collect::<Result<_, _>>()?)
}

impl Sqlite {
    fn bodies(&self, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<Ticket>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql)?;
        let bodies: Vec<String> = stmt
            .query_map(args, |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        decode(bodies)
    }

    /// Tickets reported in `[from, to)` (ms), oldest first.
    pub(crate) fn tickets_reported_between(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE created_at >= ?1 AND created_at < ?2
             ORDER BY created_at",
            params![from, to],
        )
    }

    /// Tickets reported in `[from, to)` and open tickets reported before
    /// `from`, oldest first: what a month's review queue is made of.
    pub(crate) fn review_candidates(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets
              WHERE (created_at >= ?1 AND created_at < ?2) OR (open = 1 AND created_at < ?1)
              ORDER BY created_at",
            params![from, to],
        )
    }

    /// Open tickets of one category.
    pub(crate) fn open_in_category(&self, category: &str) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE open = 1 AND category = ?1",
            [category],
        )
    }

    /// Tickets on assignment list `list`, oldest first.
    pub(crate) fn on_assignment_list(&self, list: &str) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE assignment_list = ?1 ORDER BY created_at",
            [list],
        )
    }
}
