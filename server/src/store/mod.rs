//! The sync store: the server's authority over tickets.
//!
//! # Design
//! **Push.** A device sends its mutations in `mutation_id` order. Each mutation is
//! applied in its own transaction *together with* the client's new last mutation
//! id, so a crash leaves either both or neither. A mutation at or below the last
//! id is a replay: nothing happens (if it had been rejected, the same rejection is
//! reported again). A mutation above last + 1 is a gap: the push stops there and
//! says which id it expected. A mutation the state machine refuses is recorded as
//! rejected, the last id advances past it, and later mutations go on. Errors of
//! the database itself advance nothing (the HTTP layer answers 503 + Retry-After).
//!
//! **Pull.** Every ticket write takes the next value of a change sequence. A cursor
//! is `<epoch>.<seq>`: the epoch is random per database, so a cursor from another
//! (restored, reset) database is unknown and answers with a reset. Changes and the
//! new cursor are read in one snapshot; only tickets the caller may see are returned.
//!
//! Times are stamped here; device clocks never order anything.

mod schema;

use crate::access::can_see;
use minqing_protocol::{Actor, ClientId, Denied, Mutation, MutationKind, Ticket, TicketId};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Mutex;

/// Why a mutation was refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    #[error("{0}")]
    Denied(Denied),
    #[error("ticket not found")]
    TicketNotFound,
    #[error("a ticket with this id already exists")]
    DuplicateTicket,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub mutation_id: u64,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    /// Everything up to here is applied or rejected; the device may mark it done.
    pub last_mutation_id: u64,
    /// Rejections among the pushed mutations (replays included).
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("mutation {got} arrived before {expected}")]
    Gap { expected: u64, got: u64 },
    #[error("this client id belongs to another user")]
    NotYourClient,
    #[error("mutation for client {mutation} pushed as client {push}")]
    WrongClient { push: ClientId, mutation: ClientId },
    /// Transient: nothing was advanced past the last committed mutation.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PullResult {
    Changes {
        tickets: Vec<Ticket>,
        /// Tickets of the caller's groups that changed and are no longer visible
        /// to the caller (e.g. claimed by another unit): drop the local copy.
        gone: Vec<TicketId>,
        cursor: String,
    },
    /// The cursor is unknown: drop local server state and pull from scratch.
    Reset { cursor: String },
}

pub struct SyncStore {
    conn: Mutex<Connection>,
}

enum Applied {
    Ok,
    Rejected(RejectReason),
}

impl SyncStore {
    pub fn open(path: &Path) -> Result<SyncStore, rusqlite::Error> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::init(&mut conn)?;
        Ok(SyncStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Apply `mutations` from `client` acting as `actor`, stamped `now_ms`.
    pub fn push(
        &self,
        actor: &Actor,
        client: ClientId,
        mutations: &[Mutation],
        now_ms: i64,
    ) -> Result<PushResult, PushError> {
        let mut conn = self.lock();
        let mut rejected = Vec::new();
        let mut last = {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last = client_last(&tx, actor, client)?;
            tx.commit()?;
            last
        };
        for m in mutations {
            if m.client_id != client {
                return Err(PushError::WrongClient {
                    push: client,
                    mutation: m.client_id,
                });
            }
            if m.mutation_id <= last {
                if let Some(reason) = past_rejection(&conn, client, m.mutation_id)? {
                    rejected.push(Rejection {
                        mutation_id: m.mutation_id,
                        reason,
                    });
                }
                continue;
            }
            if m.mutation_id != last + 1 {
                return Err(PushError::Gap {
                    expected: last + 1,
                    got: m.mutation_id,
                });
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Applied::Rejected(reason) = apply(&tx, actor, &m.kind, now_ms)? {
                tx.execute(
                    "INSERT INTO rejections (client_id, mutation_id, reason) VALUES (?1, ?2, ?3)",
                    params![
                        client.to_string(),
                        m.mutation_id as i64,
                        serde_json::to_string(&reason)?
                    ],
                )?;
                rejected.push(Rejection {
                    mutation_id: m.mutation_id,
                    reason,
                });
            }
            tx.execute(
                "UPDATE clients SET last_mutation_id = ?2 WHERE client_id = ?1",
                params![client.to_string(), m.mutation_id as i64],
            )?;
            tx.commit()?;
            last = m.mutation_id;
        }
        Ok(PushResult {
            last_mutation_id: last,
            rejected,
        })
    }

    /// What `actor` may see that changed since `cursor` (`None`: from scratch).
    pub fn pull(&self, actor: &Actor, cursor: Option<&str>) -> Result<PullResult, PushError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let epoch: String =
            tx.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
                r.get(0)
            })?;
        let max: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?;
        let cursor_now = format!("{epoch}.{max}");
        let since = match cursor {
            None => 0,
            Some(c) => match parse_cursor(c, &epoch) {
                Some(seq) if seq <= max => seq,
                _ => return Ok(PullResult::Reset { cursor: cursor_now }),
            },
        };
        let mut stmt = tx.prepare("SELECT body FROM tickets WHERE seq > ?1 ORDER BY seq")?;
        let bodies: Vec<String> = stmt
            .query_map([since], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut tickets = Vec::new();
        let mut gone = Vec::new();
        for b in bodies {
            let t: Ticket = serde_json::from_str(&b)?;
            if can_see(actor, &t) {
                tickets.push(t);
            } else if since > 0 && t.group.is_some_and(|g| actor.groups.contains(&g)) {
                // Only group members learn the id, and only on an incremental pull.
                gone.push(t.id);
            }
        }
        Ok(PullResult::Changes {
            tickets,
            gone,
            cursor: cursor_now,
        })
    }
}

fn parse_cursor(c: &str, epoch: &str) -> Option<i64> {
    let (e, seq) = c.split_once('.')?;
    if e != epoch {
        return None;
    }
    seq.parse().ok().filter(|s: &i64| *s >= 0)
}

fn client_last(
    tx: &rusqlite::Transaction<'_>,
    actor: &Actor,
    client: ClientId,
) -> Result<u64, PushError> {
    let row: Option<(String, i64)> = tx
        .query_row(
            "SELECT user_id, last_mutation_id FROM clients WHERE client_id = ?1",
            [client.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((user, last)) if user == actor.user.to_string() => Ok(last as u64),
        Some(_) => Err(PushError::NotYourClient),
        None => {
            tx.execute(
                "INSERT INTO clients (client_id, user_id, last_mutation_id) VALUES (?1, ?2, 0)",
                params![client.to_string(), actor.user.to_string()],
            )?;
            Ok(0)
        }
    }
}

fn past_rejection(
    conn: &Connection,
    client: ClientId,
    mutation_id: u64,
) -> Result<Option<RejectReason>, PushError> {
    let reason: Option<String> = conn
        .query_row(
            "SELECT reason FROM rejections WHERE client_id = ?1 AND mutation_id = ?2",
            params![client.to_string(), mutation_id as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(reason.map(|r| serde_json::from_str(&r)).transpose()?)
}

fn load(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Option<Ticket>, PushError> {
    let body: Option<String> = tx
        .query_row("SELECT body FROM tickets WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
}

fn save(tx: &rusqlite::Transaction<'_>, t: &Ticket) -> Result<(), PushError> {
    tx.execute(
        "INSERT INTO changes (ticket_id) VALUES (?1)",
        [t.id.to_string()],
    )?;
    let seq = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO tickets (id, body, seq) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body, seq = excluded.seq",
        params![t.id.to_string(), serde_json::to_string(t)?, seq],
    )?;
    Ok(())
}

fn apply(
    tx: &rusqlite::Transaction<'_>,
    actor: &Actor,
    kind: &MutationKind,
    now_ms: i64,
) -> Result<Applied, PushError> {
    match kind {
        MutationKind::CreateTicket { ticket } => {
            if load(tx, &ticket.id.to_string())?.is_some() {
                return Ok(Applied::Rejected(RejectReason::DuplicateTicket));
            }
            let mut new = ticket.clone();
            // An offline capture made before the device knew its groups is filed
            // under the deputy's (first) group.
            if new.group.is_none() {
                new.group = actor.groups.first().copied();
            }
            match Ticket::submit(new, actor, now_ms) {
                Ok(t) => save(tx, &t).map(|_| Applied::Ok),
                Err(d) => Ok(Applied::Rejected(RejectReason::Denied(d))),
            }
        }
        MutationKind::Act {
            ticket,
            event,
            action,
        } => {
            let Some(mut t) = load(tx, &ticket.to_string())? else {
                return Ok(Applied::Rejected(RejectReason::TicketNotFound));
            };
            if !can_see(actor, &t) {
                // Deny by default: an invisible ticket does not exist for this user.
                return Ok(Applied::Rejected(RejectReason::TicketNotFound));
            }
            match t.apply(actor, action.clone(), *event, now_ms) {
                Ok(()) => save(tx, &t).map(|_| Applied::Ok),
                Err(d) => Ok(Applied::Rejected(RejectReason::Denied(d))),
            }
        }
    }
}
