//! The sync store: the server's authority over tickets.
//!
//! # Design
//! **Push.** A device sends its mutations in `mutation_id` order. Each mutation is
//! applied atomically *together with* the client's new last mutation id — in its
//! own savepoint (a nested transaction) — so a mutation never exists without its
//! id or the other way round. The mutations of one push then commit together: one
//! disk sync per push rather than one per mutation (see docs/benchmarks.md for
//! what that buys), and a crash leaves either the whole push or none of it, which
//! the device simply sends again. A mutation at or below the last
//! id is a replay: nothing happens (if it had been rejected, the same rejection is
//! reported again). A mutation above last + 1 is a gap: the push stops there and
//! says which id it expected. A mutation the state machine refuses is recorded as
//! rejected, the last id advances past it, and later mutations go on. Errors of
//! the database itself advance nothing (the HTTP layer answers 503 + Retry-After).
//!
//! **Forks.** A mutation id names one change only while the device's store is
//! the only one of its kind. Restored from a backup, or copied to a second
//! phone, a store reuses ids the server has already applied — for other
//! changes. So beside the client's last id the server keeps, per applied (or
//! rejected) mutation, the event id the device made for that change
//! (`client_mutations`). A mutation at or below the last id whose event id
//! differs from the recorded one is not a replay: the push stops there and
//! answers `forked_at`, and the device goes on under a new client id with its
//! unsent mutations renumbered (`docs/protocol.md`, "Forked client ids").
//! Because those may include changes the server already has under the old id
//! (a photo's attach numbered differently on each copy), [`apply`] takes a
//! submission or action whose event it already holds as done, not again.
//!
//! **Pull.** Every ticket write takes the next value of a change sequence. A cursor
//! is `<epoch>.<seq>`: the epoch is random per database, so a cursor from another
//! (restored, reset) database is unknown and answers with a reset. Changes and the
//! new cursor are read in one snapshot; only tickets the caller may see are returned.
//!
//! **Both backends.** The rules above, and [`apply`] (the state machine's glue),
//! are shared; SQLite's code is below, PostgreSQL's in `pg::sync`. SQLite has one
//! writer at a time by construction. On PostgreSQL several server processes push
//! at once: a push locks its client's row (`SELECT … FOR UPDATE`) and takes a
//! transaction-level advisory lock before it writes tickets, so ticket writes
//! commit in change-number order and a cursor never skips a change that commits
//! later with a smaller number; a pull reads at REPEATABLE READ (one snapshot).
//!
//! Times are stamped here; device clocks never order anything.

use super::{Sqlite, StoreError};
use crate::access::can_see;
use crate::workflow::notify::{self, Notice, Recipients};
use crate::workflow::Workflow;
use minqing_protocol::wire::{PushResponse, RejectReason, Rejection};
use minqing_protocol::{
    Action, Actor, ClientId, Denied, EventId, GroupId, Mutation, MutationKind, PhotoRef, Ticket,
    TicketId, TicketState, UnitId,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub type PushResult = PushResponse;

/// At most this many tickets per pull answer; `more` says when to ask again.
pub const PULL_PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("mutation {got} arrived before {expected}")]
    Gap { expected: u64, got: u64 },
    #[error("this client id belongs to another user")]
    NotYourClient,
    #[error("mutation for client {mutation} pushed as client {push}")]
    WrongClient { push: ClientId, mutation: ClientId },
    /// Transient: nothing was advanced past the last committed mutation.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl From<rusqlite::Error> for PushError {
    fn from(e: rusqlite::Error) -> Self {
        PushError::Storage(e.into())
    }
}

impl From<serde_json::Error> for PushError {
    fn from(e: serde_json::Error) -> Self {
        PushError::Storage(e.into())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PullResult {
    Changes {
        tickets: Vec<Ticket>,
        gone: Vec<TicketId>,
        cursor: String,
        more: bool,
    },
    /// The cursor is unknown: drop local server state and pull from scratch.
    Reset { cursor: String },
}

pub(crate) enum Applied {
    Ok,
    Rejected(RejectReason),
}

impl Sqlite {
    /// Apply `mutations` from `client` acting as `actor`, stamped `now_ms`.
    pub fn push(
        &self,
        actor: &Actor,
        client: ClientId,
        mutations: &[Mutation],
        now_ms: i64,
        wf: &Workflow,
    ) -> Result<PushResult, PushError> {
        let mut conn = self.lock();
        let mut rejected = Vec::new();
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut last = client_last(&tx, actor, client)?;
        let mut gap = None;
        let mut forked_at = None;
        for m in mutations {
            if m.client_id != client {
                return Err(PushError::WrongClient {
                    push: client,
                    mutation: m.client_id,
                });
            }
            if m.mutation_id <= last {
                if applied_as(&tx, client, m.mutation_id)?
                    .is_some_and(|event| event != m.kind.event_id().to_string())
                {
                    forked_at = Some(m.mutation_id);
                    break;
                }
                if let Some(reason) = past_rejection(&tx, client, m.mutation_id)? {
                    rejected.push(Rejection {
                        mutation_id: m.mutation_id,
                        reason,
                    });
                }
                continue;
            }
            if m.mutation_id != last + 1 {
                gap = Some(PushError::Gap {
                    expected: last + 1,
                    got: m.mutation_id,
                });
                break;
            }
            let sp = tx.savepoint()?;
            if let Applied::Rejected(reason) =
                apply(&mut SqliteTx(&sp), actor, &m.kind, now_ms, wf)?
            {
                sp.execute(
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
            sp.execute(
                "UPDATE clients SET last_mutation_id = ?2 WHERE client_id = ?1",
                params![client.to_string(), m.mutation_id as i64],
            )?;
            sp.prepare_cached(RECORD_APPLIED)?.execute(params![
                client.to_string(),
                m.mutation_id as i64,
                m.kind.event_id().to_string()
            ])?;
            sp.commit()?;
            last = m.mutation_id;
        }
        // What came before a gap is kept; the gap itself is the caller's to report.
        tx.commit()?;
        if let Some(g) = gap {
            return Err(g);
        }
        Ok(PushResult {
            // Past a fork nothing of this device's is applied: it must not mark
            // its mutation `forked_at` done (the server's last is another's).
            last_mutation_id: forked_at.map_or(last, |f| f - 1),
            rejected,
            forked_at,
        })
    }

    /// The current server copy of one ticket.
    pub fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        load(&self.lock(), id)
    }

    /// What `actor` may see that changed since `cursor` (`None`: from scratch).
    pub fn pull(&self, actor: &Actor, cursor: Option<&str>) -> Result<PullResult, StoreError> {
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
        // One more than a page tells whether another page follows.
        let mut stmt =
            tx.prepare("SELECT body, seq FROM tickets WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let mut rows: Vec<(String, i64)> = stmt
            .query_map(params![since, PULL_PAGE as i64 + 1], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        let more = rows.len() > PULL_PAGE;
        rows.truncate(PULL_PAGE);
        let cursor_now = match (more, rows.last()) {
            (true, Some((_, seq))) => format!("{epoch}.{seq}"),
            _ => cursor_now,
        };
        let bodies = rows.iter().map(|(b, _)| b.as_str());
        let (tickets, gone) = visible(actor, since, bodies)?;
        Ok(PullResult::Changes {
            tickets,
            gone,
            cursor: cursor_now,
            more,
        })
    }
}

/// Of the changed tickets (JSON bodies, in sequence order), those `actor` may
/// see, and the ids of those that left the view of a group the actor is in.
pub(crate) fn visible<'a>(
    actor: &Actor,
    since: i64,
    bodies: impl Iterator<Item = &'a str>,
) -> Result<(Vec<Ticket>, Vec<TicketId>), StoreError> {
    let mut tickets = Vec::new();
    let mut gone = Vec::new();
    for b in bodies {
        let t: Ticket = serde_json::from_str(b)?;
        if can_see(actor, &t) {
            tickets.push(t);
        } else if since > 0 && t.group.is_some_and(|g| actor.groups.contains(&g)) {
            // Only group members learn the id, and only on an incremental pull.
            gone.push(t.id);
        }
    }
    Ok((tickets, gone))
}

pub(crate) fn parse_cursor(c: &str, epoch: &str) -> Option<i64> {
    let (e, seq) = c.split_once('.')?;
    if e != epoch {
        return None;
    }
    seq.parse().ok().filter(|s: &i64| *s >= 0)
}

fn client_last(tx: &Connection, actor: &Actor, client: ClientId) -> Result<u64, PushError> {
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

/// Which change (event id) this client's mutation id was applied as.
const RECORD_APPLIED: &str =
    "INSERT INTO client_mutations (client_id, mutation_id, event_id) VALUES (?1, ?2, ?3)";

/// The event id `client`'s mutation `mutation_id` was applied as; `None` when
/// it was applied before the server kept them (schema v10).
fn applied_as(
    conn: &Connection,
    client: ClientId,
    mutation_id: u64,
) -> Result<Option<String>, PushError> {
    Ok(conn
        .prepare_cached(
            "SELECT event_id FROM client_mutations WHERE client_id = ?1 AND mutation_id = ?2",
        )?
        .query_row(params![client.to_string(), mutation_id as i64], |r| {
            r.get(0)
        })
        .optional()?)
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

pub(crate) fn load(conn: &Connection, id: &str) -> Result<Option<Ticket>, StoreError> {
    let body: Option<String> = conn
        .query_row("SELECT body FROM tickets WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
}

/// What applying a mutation needs from a backend's open transaction.
pub(crate) trait TicketTx {
    fn load(&mut self, id: &str) -> Result<Option<Ticket>, PushError>;
    /// Write `t` under the next change sequence number, with when the
    /// escalation scheduler must look at it next.
    fn save(&mut self, t: &Ticket, next_due: Option<i64>) -> Result<(), PushError>;
    /// The unit a routing rule's key names, if it exists.
    fn unit_by_key(&mut self, key: &str) -> Result<Option<UnitId>, PushError>;
    /// Put `notice` in its recipients' inboxes (same transaction).
    fn notify(&mut self, notice: &Notice, ticket: TicketId, at: i64) -> Result<(), PushError>;
    /// A unit's Chinese name.
    fn unit_name(&mut self, unit: UnitId) -> Result<Option<String>, PushError>;
    /// The jurisdiction a direct-line group serves.
    fn group_jurisdiction(&mut self, group: GroupId) -> Result<Option<String>, PushError>;
    /// An attached photo must be a completed upload by the same user, for the
    /// same ticket, with the SHA-256 recorded at capture.
    fn photo_uploaded(
        &mut self,
        actor: &Actor,
        ticket: TicketId,
        photo: &PhotoRef,
    ) -> Result<bool, PushError>;
}

pub(crate) struct SqliteTx<'a>(pub(crate) &'a Connection);

/// A notice for every user a [`Recipients`] names, in one statement each.
const NOTIFY_GROUP_ROLE: &str = "INSERT INTO notifications
        (user_id, ticket_id, kind, text_zh, text_en, created_at)
    SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u JOIN group_members m ON m.user_id = u.id
    WHERE m.group_id = ?6 AND u.role = ?7";
const NOTIFY_UNIT_ROLE: &str = "INSERT INTO notifications
        (user_id, ticket_id, kind, text_zh, text_en, created_at)
    SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u WHERE u.unit_id = ?6 AND u.role = ?7";
const NOTIFY_ROLE: &str = "INSERT INTO notifications
        (user_id, ticket_id, kind, text_zh, text_en, created_at)
    SELECT u.id, ?1, ?2, ?3, ?4, ?5 FROM users u WHERE u.role = ?6";

impl TicketTx for SqliteTx<'_> {
    fn load(&mut self, id: &str) -> Result<Option<Ticket>, PushError> {
        Ok(load(self.0, id)?)
    }

    fn save(&mut self, t: &Ticket, next_due: Option<i64>) -> Result<(), PushError> {
        save(self.0, t, next_due)
    }

    fn notify(&mut self, notice: &Notice, ticket: TicketId, at: i64) -> Result<(), PushError> {
        let (t, k, zh, en) = (ticket.to_string(), notice.kind, &notice.zh, &notice.en);
        match &notice.to {
            Recipients::GroupRole(g, role) => self
                .0
                .prepare_cached(NOTIFY_GROUP_ROLE)?
                .execute(params![t, k, zh, en, at, g.to_string(), role.as_str()])?,
            Recipients::UnitRole(unit, role) => self
                .0
                .prepare_cached(NOTIFY_UNIT_ROLE)?
                .execute(params![t, k, zh, en, at, unit.to_string(), role.as_str()])?,
            Recipients::Role(role) => self.0.prepare_cached(NOTIFY_ROLE)?.execute(params![
                t,
                k,
                zh,
                en,
                at,
                role.as_str()
            ])?,
        };
        Ok(())
    }

    fn unit_name(&mut self, unit: UnitId) -> Result<Option<String>, PushError> {
        Ok(self
            .0
            .query_row(
                "SELECT name_zh FROM units WHERE id = ?1",
                [unit.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn unit_by_key(&mut self, key: &str) -> Result<Option<UnitId>, PushError> {
        let id: Option<String> = self
            .0
            .query_row("SELECT id FROM units WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(id.and_then(|s| s.parse().ok()))
    }

    fn group_jurisdiction(&mut self, group: GroupId) -> Result<Option<String>, PushError> {
        Ok(self
            .0
            .query_row(
                "SELECT jurisdiction FROM groups WHERE id = ?1",
                [group.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn photo_uploaded(
        &mut self,
        actor: &Actor,
        ticket: TicketId,
        photo: &PhotoRef,
    ) -> Result<bool, PushError> {
        photo_uploaded(self.0, actor, ticket, photo)
    }
}

/// Store `t` under a new change number, with its listing columns.
pub(crate) fn save(tx: &Connection, t: &Ticket, next_due: Option<i64>) -> Result<(), PushError> {
    tx.prepare_cached("INSERT INTO changes (ticket_id) VALUES (?1)")?
        .execute([t.id.to_string()])?;
    let seq = tx.last_insert_rowid();
    let c = super::listing::Columns::of(t);
    tx.prepare_cached(
        "INSERT INTO tickets (id, body, seq, next_due, created_at, category, open, assignment_list)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body, seq = excluded.seq,
             next_due = excluded.next_due, created_at = excluded.created_at,
             category = excluded.category, open = excluded.open,
             assignment_list = excluded.assignment_list",
    )?
    .execute(params![
        t.id.to_string(),
        serde_json::to_string(t)?,
        seq,
        next_due,
        c.created_at,
        c.category,
        c.open,
        c.assignment_list
    ])?;
    Ok(())
}

/// Run one mutation through the state machine (shared by both backends).
pub(crate) fn apply(
    tx: &mut impl TicketTx,
    actor: &Actor,
    kind: &MutationKind,
    now_ms: i64,
    wf: &Workflow,
) -> Result<Applied, PushError> {
    match kind {
        MutationKind::CreateTicket { ticket } => {
            if let Some(existing) = tx.load(&ticket.id.to_string())? {
                // The same submission, re-sent under another client id (a
                // forked store renumbers what it had not seen acknowledged): it
                // is here already. Anything else with this id is a duplicate.
                let same = existing.reporter == actor.user
                    && existing
                        .timeline
                        .first()
                        .is_some_and(|e| e.id == ticket.event);
                return Ok(if same {
                    Applied::Ok
                } else {
                    Applied::Rejected(RejectReason::DuplicateTicket)
                });
            }
            let mut new = ticket.clone();
            // An offline capture made before the device knew its groups is filed
            // under the deputy's (first) group.
            if new.group.is_none() {
                new.group = actor.groups.first().copied();
            }
            // The item's area is its group's, unless the deputy named one.
            if let (None, Some(g)) = (&new.jurisdiction, new.group) {
                new.jurisdiction = tx.group_jurisdiction(g)?;
            }
            wf.classify(&mut new);
            match Ticket::submit(new, actor, now_ms) {
                Ok(mut t) => {
                    // Nobody @-mentioned: the routing rules suggest a unit.
                    if let Some((key, rule)) =
                        wf.suggest(&t).filter(|_| t.state == TicketState::Pool)
                    {
                        if let Some(unit) = tx.unit_by_key(&key)? {
                            t.route_by_rule(unit, rule, EventId::new(), now_ms);
                        }
                    }
                    tx.save(&t, wf.next_due(&t)).map(|_| Applied::Ok)
                }
                Err(d) => Ok(Applied::Rejected(RejectReason::Denied(d))),
            }
        }
        MutationKind::Act {
            ticket,
            event,
            action,
        } => {
            let Some(mut t) = tx.load(&ticket.to_string())? else {
                return Ok(Applied::Rejected(RejectReason::TicketNotFound));
            };
            if !can_see(actor, &t) {
                // Deny by default: an invisible ticket does not exist for this user.
                return Ok(Applied::Rejected(RejectReason::TicketNotFound));
            }
            if t.timeline
                .iter()
                .any(|e| e.id == *event && e.actor == actor.user)
            {
                // This change is in the timeline already (re-sent under another
                // client id): applied once, and only once.
                return Ok(Applied::Ok);
            }
            if let Action::AttachPhoto { photo } = action {
                if !tx.photo_uploaded(actor, *ticket, photo)? {
                    return Ok(Applied::Rejected(RejectReason::PhotoNotUploaded));
                }
            }
            // A merge changes two tickets: the one it goes into must be open and
            // visible to whoever merges.
            let mut target = None;
            if let Action::Merge { into } = action {
                let found = tx
                    .load(&into.to_string())?
                    .filter(|x| can_see(actor, x) && x.id != t.id);
                match found {
                    Some(x) if !x.state.is_terminal() => target = Some(x),
                    other => {
                        let reason = if other.is_some() {
                            "the item to merge into is closed or merged"
                        } else {
                            "no such item to merge into"
                        };
                        return Ok(Applied::Rejected(RejectReason::Denied(Denied::Invalid {
                            field: "into".into(),
                            reason: reason.into(),
                        })));
                    }
                }
            }
            match t.apply(actor, action.clone(), *event, now_ms) {
                Ok(()) => {
                    tx.save(&t, wf.next_due(&t))?;
                    if let (Action::Decline { reason }, Some(unit)) = (action, actor.unit) {
                        let name = tx.unit_name(unit)?.unwrap_or_default();
                        if let Some(n) = notify::declined(&t, &name, reason) {
                            tx.notify(&n, t.id, now_ms)?;
                        }
                    }
                    if let Some(mut into) = target {
                        into.absorb(&t, actor.user, actor.role, EventId::new(), now_ms);
                        tx.save(&into, wf.next_due(&into))?;
                    }
                    Ok(Applied::Ok)
                }
                Err(d) => Ok(Applied::Rejected(RejectReason::Denied(d))),
            }
        }
    }
}

fn photo_uploaded(
    tx: &Connection,
    actor: &Actor,
    ticket: TicketId,
    photo: &PhotoRef,
) -> Result<bool, PushError> {
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM uploads WHERE photo_id = ?1 AND user_id = ?2 AND ticket_id = ?3
           AND sha256 = ?4 AND completed_at IS NOT NULL",
        params![
            photo.id.to_string(),
            actor.user.to_string(),
            ticket.to_string(),
            photo.sha256.to_ascii_lowercase()
        ],
        |r| r.get(0),
    )?;
    Ok(n == 1)
}
