//! Ticket rows: the JSON body (the truth), its change number, when the
//! escalation scheduler must look at it next (`next_due`), and listing columns
//! copied from the body (schema v9) so that a view reads only the rows it shows
//! (ADR 0003):
//! - `created_at`: weekly summaries, review queues;
//! - `open` and `category`: duplicate suggestions;
//! - `assignment_list`: the items of one 交办清单;
//! - (schema v14, the staff console: `store::listing`) `state`, `group_id`,
//!   `jurisdiction`, `unit_id`, `reporter`, `co_reporters`, `item`,
//!   `updated_at`, `search` (text and address, lower-cased), the clock marks
//!   `warn_at` / `due_at` (when the earliest running clock turns yellow / red;
//!   from the calendar, so they come with `next_due` in a [`Schedule`]) and
//!   the last chase.
//!
//! Every write takes the next value of the change sequence (`changes.seq`),
//! which pull cursors count. Callers that write tickets on PostgreSQL hold
//! [`crate::store::pg::TICKET_WRITE_LOCK`] (through [`Tx::advisory_lock`]),
//! so change numbers are taken in commit order.

use super::sql::{self, args, Row, Tx, Value};
use super::{Db, StoreResult};
use minqing_protocol::Ticket;
use std::collections::HashMap;

/// What the listing columns hold for one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Columns {
    pub created_at: i64,
    pub category: Option<String>,
    pub open: bool,
    pub assignment_list: Option<String>,
    pub state: String,
    pub group: Option<String>,
    pub jurisdiction: Option<String>,
    pub unit: Option<String>,
    pub reporter: String,
    /// Space-separated ids, `None` when there are none.
    pub co_reporters: Option<String>,
    pub item: Option<String>,
    pub updated_at: i64,
    /// What the list's search looks in: the text and the address, lower-cased.
    pub search: String,
    pub last_chase_at: Option<i64>,
    pub last_chase_level: Option<i64>,
}

/// A ticket state as stored in the `state` column (its wire name).
pub fn state_name(s: minqing_protocol::TicketState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Columns {
    pub(crate) fn of(t: &Ticket) -> Self {
        let address = t
            .location
            .as_ref()
            .and_then(|l| l.address.as_deref())
            .unwrap_or("");
        let last_chase = t.timeline.iter().rev().find_map(|e| match &e.kind {
            minqing_protocol::EventKind::Chased { chase } => Some((e.at, i64::from(chase.level))),
            _ => None,
        });
        Columns {
            created_at: t.created_at,
            category: t.category.clone(),
            open: !t.state.is_terminal(),
            assignment_list: t.assignment_list().map(str::to_owned),
            state: state_name(t.state),
            group: t.group.map(|g| g.to_string()),
            jurisdiction: t.jurisdiction.clone(),
            unit: t.assigned_unit.map(|u| u.to_string()),
            reporter: t.reporter.to_string(),
            co_reporters: (!t.co_reporters.is_empty()).then(|| {
                t.co_reporters
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            item: t.item.clone(),
            updated_at: t.timeline.last().map_or(t.created_at, |e| e.at),
            search: format!("{}\n{}", t.text, address).to_lowercase(),
            last_chase_at: last_chase.map(|(at, _)| at),
            last_chase_level: last_chase.map(|(_, l)| l),
        }
    }
}

/// When the escalation scheduler must next look at a ticket, and the marks of
/// its running clocks (`crate::workflow::Workflow::schedule`): when the
/// earliest turns yellow and when it is due (red). All `None` for a ticket
/// no clock runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    pub next_due: Option<i64>,
    pub warn_at: Option<i64>,
    pub due_at: Option<i64>,
}

fn decode(rows: Vec<Row>) -> StoreResult<Vec<Ticket>> {
    rows.iter()
        .map(|r| Ok(serde_json::from_str(&r.get::<String>(0)?)?))
        .collect()
}

/// One ticket as stored.
pub(crate) fn load(tx: &mut dyn Tx, id: &str) -> StoreResult<Option<Ticket>> {
    match tx.query_opt("SELECT body FROM tickets WHERE id = ?1", args![id])? {
        Some(r) => Ok(Some(serde_json::from_str(&r.get::<String>(0)?)?)),
        None => Ok(None),
    }
}

/// The tickets among `ids` that exist, by id (one query per 30,000 ids).
pub(crate) fn load_many(tx: &mut dyn Tx, ids: &[String]) -> StoreResult<HashMap<String, Ticket>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(sql::MAX_ARGS) {
        let q = format!(
            "SELECT body FROM tickets WHERE id IN {}",
            sql::list(1, chunk.len())
        );
        let args: Vec<Value> = chunk.iter().map(Value::from).collect();
        for t in decode(tx.query(&q, &args)?)? {
            out.insert(t.id.to_string(), t);
        }
    }
    Ok(out)
}

/// Store `tickets`, each under a new change number, with its listing columns
/// and its [`Schedule`]: two statements per 1,428 tickets. A ticket may
/// appear once.
pub(crate) fn save_all(tx: &mut dyn Tx, tickets: &[(&Ticket, Schedule)]) -> StoreResult<()> {
    const COLS: usize = 21;
    for chunk in tickets.chunks(sql::MAX_ARGS / COLS) {
        let q = format!(
            "INSERT INTO changes (ticket_id) VALUES {} RETURNING seq, ticket_id",
            sql::rows(chunk.len(), 1)
        );
        let ids: Vec<Value> = chunk.iter().map(|(t, _)| t.id.to_string().into()).collect();
        let mut seqs = HashMap::with_capacity(chunk.len());
        for r in tx.query(&q, &ids)? {
            seqs.insert(r.get::<String>(1)?, r.get::<i64>(0)?);
        }
        let mut args = Vec::with_capacity(chunk.len() * COLS);
        for (t, schedule) in chunk {
            let id = t.id.to_string();
            let seq = seqs.get(&id).copied().ok_or_else(|| {
                super::StoreError::Schema(format!("no change number for ticket {id}"))
            })?;
            let c = Columns::of(t);
            args.extend([
                Value::from(id),
                serde_json::to_string(t)?.into(),
                seq.into(),
                schedule.next_due.into(),
                c.created_at.into(),
                c.category.into(),
                c.open.into(),
                c.assignment_list.into(),
                c.state.into(),
                c.group.into(),
                c.jurisdiction.into(),
                c.unit.into(),
                c.reporter.into(),
                c.co_reporters.into(),
                c.item.into(),
                c.updated_at.into(),
                c.search.into(),
                schedule.warn_at.into(),
                schedule.due_at.into(),
                c.last_chase_at.into(),
                c.last_chase_level.into(),
            ]);
        }
        let q = format!(
            "INSERT INTO tickets (id, body, seq, next_due, created_at, category, open,
                 assignment_list, state, group_id, jurisdiction, unit_id, reporter,
                 co_reporters, item, updated_at, search, warn_at, due_at, last_chase_at,
                 last_chase_level)
             VALUES {}
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, seq = excluded.seq,
                 next_due = excluded.next_due, created_at = excluded.created_at,
                 category = excluded.category, open = excluded.open,
                 assignment_list = excluded.assignment_list, state = excluded.state,
                 group_id = excluded.group_id, jurisdiction = excluded.jurisdiction,
                 unit_id = excluded.unit_id, reporter = excluded.reporter,
                 co_reporters = excluded.co_reporters, item = excluded.item,
                 updated_at = excluded.updated_at, search = excluded.search,
                 warn_at = excluded.warn_at, due_at = excluded.due_at,
                 last_chase_at = excluded.last_chase_at,
                 last_chase_level = excluded.last_chase_level",
            sql::rows(chunk.len(), COLS)
        );
        tx.execute(&q, &args)?;
    }
    Ok(())
}

/// Store one ticket (see [`save_all`]).
pub(crate) fn save(tx: &mut dyn Tx, t: &Ticket, schedule: Schedule) -> StoreResult<()> {
    save_all(tx, &[(t, schedule)])
}

/// When the scheduler must next look at ticket `id`, and its clock marks (no
/// new change number: nothing a device sees changed).
pub(crate) fn set_next_due(tx: &mut dyn Tx, id: &str, schedule: Schedule) -> StoreResult<()> {
    tx.execute(
        "UPDATE tickets SET next_due = ?2, warn_at = ?3, due_at = ?4 WHERE id = ?1",
        args![id, schedule.next_due, schedule.warn_at, schedule.due_at],
    )?;
    Ok(())
}

/// Fill the listing columns of every ticket whose body decodes (the upgrade to
/// v9). A body that does not decode as a ticket keeps empty columns and so is
/// listed nowhere, as before.
pub(crate) fn backfill(tx: &mut dyn Tx) -> StoreResult<()> {
    for r in tx.query("SELECT id, body FROM tickets", &[])? {
        let (id, body) = (r.get::<String>(0)?, r.get::<String>(1)?);
        let Ok(t) = serde_json::from_str::<Ticket>(&body) else {
            continue;
        };
        let c = Columns::of(&t);
        tx.execute(
            "UPDATE tickets SET created_at = ?2, category = ?3, open = ?4, assignment_list = ?5
             WHERE id = ?1",
            args![id, c.created_at, c.category, c.open, c.assignment_list],
        )?;
    }
    Ok(())
}

/// Fill every listing column of schema v14 from each body that decodes (the
/// upgrade to v14). The clock marks stay empty until the scheduler's next look
/// (the upgrade makes every open ticket due).
pub(crate) fn backfill_listing(tx: &mut dyn Tx) -> StoreResult<()> {
    for r in tx.query("SELECT id, body FROM tickets", &[])? {
        let (id, body) = (r.get::<String>(0)?, r.get::<String>(1)?);
        let Ok(t) = serde_json::from_str::<Ticket>(&body) else {
            continue;
        };
        let c = Columns::of(&t);
        tx.execute(
            "UPDATE tickets SET created_at = ?2, category = ?3, open = ?4, assignment_list = ?5,
                    state = ?6, group_id = ?7, jurisdiction = ?8, unit_id = ?9, reporter = ?10,
                    co_reporters = ?11, item = ?12, updated_at = ?13, search = ?14,
                    last_chase_at = ?15, last_chase_level = ?16
             WHERE id = ?1",
            args![
                id,
                c.created_at,
                c.category,
                c.open,
                c.assignment_list,
                c.state,
                c.group,
                c.jurisdiction,
                c.unit,
                c.reporter,
                c.co_reporters,
                c.item,
                c.updated_at,
                c.search,
                c.last_chase_at,
                c.last_chase_level
            ],
        )?;
    }
    Ok(())
}

/// The database's random epoch (cursors from another database are unknown)
/// and the newest change number.
pub(crate) fn epoch_and_max(tx: &mut dyn Tx) -> StoreResult<(String, i64)> {
    let epoch = tx
        .query_one("SELECT value FROM meta WHERE key = 'epoch'", &[])?
        .get(0)?;
    let max = tx
        .query_one("SELECT COALESCE(MAX(seq), 0) FROM changes", &[])?
        .get(0)?;
    Ok((epoch, max))
}

/// Up to `limit` tickets changed after `since`: (body, change number), in
/// change order.
pub(crate) fn changed_since(
    tx: &mut dyn Tx,
    since: i64,
    limit: usize,
) -> StoreResult<Vec<(String, i64)>> {
    tx.query(
        "SELECT body, seq FROM tickets WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        args![since, limit],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .collect()
}

/// Open tickets of one category: by the partial index `tickets_open_by_category`
/// on both databases (tested in `schema`).
pub(crate) const OPEN_IN_CATEGORY: &str =
    "SELECT body FROM tickets WHERE open = TRUE AND category = ?1";

impl Db {
    /// The current server copy of one ticket.
    pub fn ticket(&self, id: &str) -> StoreResult<Option<Ticket>> {
        self.read(|tx| load(tx, id))
    }

    fn bodies(&self, sql: &str, args: &[Value]) -> StoreResult<Vec<Ticket>> {
        self.read(|tx| decode(tx.query(sql, args)?))
    }

    /// Tickets reported in `[from, to)` (ms), oldest first.
    pub fn tickets_reported_between(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE created_at >= ?1 AND created_at < ?2
             ORDER BY created_at",
            args![from, to],
        )
    }

    /// A month's review queue before filtering: tickets reported in
    /// `[from, to)` and open ones reported earlier, oldest first.
    pub fn review_candidates(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets
              WHERE (created_at >= ?1 AND created_at < ?2) OR (open = TRUE AND created_at < ?1)
              ORDER BY created_at",
            args![from, to],
        )
    }

    /// Open tickets of one category (for duplicate suggestions).
    pub fn open_in_category(&self, category: &str) -> StoreResult<Vec<Ticket>> {
        self.bodies(OPEN_IN_CATEGORY, args![category])
    }

    /// Tickets on assignment list (交办清单) `list`, oldest first.
    pub fn on_assignment_list(&self, list: &str) -> StoreResult<Vec<Ticket>> {
        self.bodies(
            "SELECT body FROM tickets WHERE assignment_list = ?1 ORDER BY created_at",
            args![list],
        )
    }

    /// Ids of tickets the escalation scheduler must look at by `now`, earliest
    /// first.
    pub fn due_tickets(&self, now: i64, limit: usize) -> StoreResult<Vec<String>> {
        self.read(|tx| {
            tx.query(
                "SELECT id FROM tickets WHERE next_due IS NOT NULL AND next_due <= ?1
                 ORDER BY next_due LIMIT ?2",
                args![now, limit],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
    }

    /// Every open ticket is due for a look by the scheduler now.
    pub fn rescan_open(&self) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("UPDATE tickets SET next_due = 0 WHERE open = TRUE", &[])?;
            Ok(())
        })
    }
}
