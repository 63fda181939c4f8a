//! Push: the server's authority over tickets, written once for both databases.
//!
//! # Design
//! **Exactly once.** A device sends its mutations in `mutation_id` order. A
//! push is one transaction: the mutations it applies, the rejections, the
//! event id each was applied as and the client's new last mutation id commit
//! together or not at all (a crash leaves the whole push or none of it, which
//! the device simply sends again), with one disk sync per push. A mutation at
//! or below the last id is a replay: nothing happens (if it had been rejected,
//! the same rejection is reported again). A mutation above last + 1 is a gap:
//! the push stops there and says which id it expected; what came before is
//! kept. A mutation the state machine refuses is recorded as rejected, the
//! last id advances past it, and later mutations go on. Errors of the database
//! itself advance nothing (the HTTP layer answers 503 + Retry-After).
//!
//! **Forks.** A mutation id names one change only while the device's store is
//! the only one of its kind. Restored from a backup, or copied to a second
//! phone, a store reuses ids the server has already applied — for other
//! changes. So beside the client's last id the server keeps, per applied (or
//! rejected) mutation, the event id the device made for that change. A
//! mutation at or below the last id whose event id differs from the recorded
//! one is not a replay: the push stops there and answers `forked_at`, and the
//! device goes on under a new client id with its unsent mutations renumbered
//! (`docs/protocol.md`, "Forked client ids"; ADR 0006). Because those may
//! include changes the server already has under the old id (a photo's attach
//! numbered differently on each copy), [`apply`] takes a submission or action
//! whose event it already holds as done, not again.
//!
//! **In memory, then written.** The tickets a push touches are read in one
//! query, the mutations run through the state machine in memory (a refused
//! one changes nothing), and what changed is written at the end in a few
//! multi-row statements — a handful of round trips per push rather than
//! several per mutation, which is what PostgreSQL's speed depends on
//! (docs/benchmarks.md). On PostgreSQL several server processes push at once:
//! the client's row is locked (`FOR UPDATE`), and before it reads a ticket a
//! push that applies anything takes the ticket-write advisory lock, so it sees
//! what the previous holder committed (a racing claim loses), and change
//! numbers are taken in commit order (a pull cursor never skips a change that
//! commits later with a smaller number). SQLite has one writer by
//! construction.
//!
//! Times are stamped here; device clocks never order anything.

use crate::access::can_see;
use crate::store::pg::TICKET_WRITE_LOCK;
use crate::store::sql::{args, Tx};
use crate::store::{clients, review, tickets, uploads, Db, StoreError};
use crate::workflow::notify::{self, Notice};
use crate::workflow::Workflow;
use minqing_protocol::wire::{PushResponse, RejectReason, Rejection};
use minqing_protocol::{
    Action, Actor, ClientId, Denied, EventId, GroupId, Mutation, MutationKind, NewTicket, PhotoRef,
    Ticket, TicketId, TicketState, UnitId,
};
use std::collections::{BTreeSet, HashMap};

pub type PushResult = PushResponse;

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

impl From<serde_json::Error> for PushError {
    fn from(e: serde_json::Error) -> Self {
        PushError::Storage(e.into())
    }
}

pub(crate) enum Applied {
    Ok,
    Rejected(RejectReason),
}

impl Db {
    /// Apply `mutations` from `client` acting as `actor`, stamped `now_ms`.
    pub fn push(
        &self,
        actor: &Actor,
        client: ClientId,
        mutations: &[Mutation],
        now_ms: i64,
    ) -> Result<PushResult, PushError> {
        if let Some(m) = mutations.iter().find(|m| m.client_id != client) {
            return Err(PushError::WrongClient {
                push: client,
                mutation: m.client_id,
            });
        }
        let wf = self.workflow();
        // What came before a gap is kept (committed); the gap itself is the
        // caller's to report.
        let (result, gap) = self.write(|tx| push(tx, actor, client, mutations, now_ms, &wf))?;
        match gap {
            Some(g) => Err(g),
            None => Ok(result),
        }
    }
}

fn push(
    tx: &mut dyn Tx,
    actor: &Actor,
    client: ClientId,
    mutations: &[Mutation],
    now_ms: i64,
    wf: &Workflow,
) -> Result<(PushResult, Option<PushError>), PushError> {
    let last = clients::last_for(tx, client, actor.user)?.ok_or(PushError::NotYourClient)?;
    // Replays first: what was recorded for each.
    let old: Vec<u64> = mutations
        .iter()
        .map(|m| m.mutation_id)
        .filter(|id| *id <= last)
        .collect();
    let recorded = if old.is_empty() {
        HashMap::new()
    } else {
        clients::recorded(tx, client, &old)?
    };
    let mut rejected = Vec::new();
    let mut forked_at = None;
    let mut gap = None;
    let mut fresh: Vec<&Mutation> = Vec::new();
    let mut next = last + 1;
    for m in mutations {
        if m.mutation_id <= last {
            let clients::Recorded { event, rejection } =
                recorded.get(&m.mutation_id).cloned().unwrap_or_default();
            if event.is_some_and(|e| e != m.kind.event_id().to_string()) {
                forked_at = Some(m.mutation_id);
                break;
            }
            if let Some(reason) = rejection {
                rejected.push(Rejection {
                    mutation_id: m.mutation_id,
                    reason,
                });
            }
            continue;
        }
        if m.mutation_id != next {
            gap = Some(PushError::Gap {
                expected: next,
                got: m.mutation_id,
            });
            break;
        }
        fresh.push(m);
        next += 1;
    }

    let mut new_last = last;
    if !fresh.is_empty() {
        // Read committed: every statement after this sees what the previous
        // holder committed (a racing claim, say).
        tx.advisory_lock(TICKET_WRITE_LOCK)?;
        let mut batch = Batch::load(tx, &fresh)?;
        let mut applied = Vec::with_capacity(fresh.len());
        let mut refused: Vec<(u64, RejectReason)> = Vec::new();
        for m in &fresh {
            if let Applied::Rejected(reason) = apply(&mut batch, actor, &m.kind, now_ms, wf)? {
                refused.push((m.mutation_id, reason));
            }
            applied.push((m.mutation_id, m.kind.event_id().to_string()));
            new_last = m.mutation_id;
        }
        let changed = batch.write(wf, now_ms)?;
        let reasons: Vec<(u64, &RejectReason)> = refused.iter().map(|(i, r)| (*i, r)).collect();
        clients::record(tx, client, &applied, &reasons, new_last)?;
        if changed {
            // Delivered to the other processes only if (and when) this commits.
            tx.notify_on_commit()?;
        }
        rejected.extend(refused.into_iter().map(|(mutation_id, reason)| Rejection {
            mutation_id,
            reason,
        }));
    }
    Ok((
        PushResult {
            // Past a fork nothing of this device's is applied: it must not mark
            // its mutation `forked_at` done (the server's last is another's).
            last_mutation_id: forked_at.map_or(new_last, |f| f - 1),
            rejected,
            forked_at,
        },
        gap,
    ))
}

/// What applying mutations needs: the tickets of the push (read up front),
/// and a few lookups; writes are kept until [`Batch::write`].
pub(crate) trait TicketTx {
    fn load(&mut self, id: TicketId) -> Result<Option<Ticket>, PushError>;
    /// Keep `t` as changed.
    fn save(&mut self, t: Ticket);
    /// The unit a routing rule's key names, if it exists.
    fn unit_by_key(&mut self, key: &str) -> Result<Option<UnitId>, PushError>;
    /// Put `notice` in its recipients' inboxes (with the change).
    fn notify(&mut self, notice: Notice, ticket: TicketId);
    /// A unit's Chinese name.
    fn unit_name(&mut self, unit: UnitId) -> Result<Option<String>, PushError>;
    /// The jurisdiction a direct-line group serves (`None`: no such group).
    fn group_jurisdiction(&mut self, group: GroupId) -> Result<Option<String>, PushError>;
    /// Is `code` one of the deployment's jurisdictions?
    fn jurisdiction_known(&mut self, code: &str) -> Result<bool, PushError>;
    /// The photo is now on its ticket: its upload no longer expires nor
    /// counts against the quota. False when its upload is gone (swept).
    fn mark_attached(&mut self, photo: &PhotoRef, at: i64) -> Result<bool, PushError>;
    /// An attached photo must be a completed upload by the same user, for the
    /// same ticket, with the SHA-256 recorded at capture.
    fn photo_uploaded(
        &mut self,
        actor: &Actor,
        ticket: TicketId,
        photo: &PhotoRef,
    ) -> Result<bool, PushError>;
}

/// One push's tickets and lookups over an open transaction.
struct Batch<'t> {
    tx: &'t mut dyn Tx,
    tickets: HashMap<TicketId, Ticket>,
    /// Changed tickets, in the order they first changed.
    changed: Vec<TicketId>,
    notices: Vec<(Notice, TicketId)>,
    /// How many timeline events each loaded ticket had: what lies beyond is
    /// what this push did, and is told (`notify::for_events`).
    loaded_events: HashMap<TicketId, usize>,
    units_by_key: HashMap<String, Option<UnitId>>,
    unit_names: HashMap<UnitId, Option<String>>,
    jurisdictions: HashMap<GroupId, Option<String>>,
    known_jurisdictions: HashMap<String, bool>,
}

impl<'t> Batch<'t> {
    /// Read every ticket the mutations name (and merge targets) in one query.
    fn load(tx: &'t mut dyn Tx, mutations: &[&Mutation]) -> Result<Self, PushError> {
        let mut ids = BTreeSet::new();
        for m in mutations {
            ids.insert(m.kind.ticket_id().to_string());
            if let MutationKind::Act {
                action: Action::Merge { into },
                ..
            } = &m.kind
            {
                ids.insert(into.to_string());
            }
        }
        let ids: Vec<String> = ids.into_iter().collect();
        let tickets: HashMap<TicketId, Ticket> = tickets::load_many(tx, &ids)?
            .into_values()
            .map(|t| (t.id, t))
            .collect();
        let loaded_events = tickets
            .iter()
            .map(|(id, t)| (*id, t.timeline.len()))
            .collect();
        Ok(Batch {
            tx,
            tickets,
            changed: Vec::new(),
            notices: Vec::new(),
            loaded_events,
            units_by_key: HashMap::new(),
            unit_names: HashMap::new(),
            jurisdictions: HashMap::new(),
            known_jurisdictions: HashMap::new(),
        })
    }

    /// Write what changed: the tickets (new change numbers, next look by the
    /// scheduler) and the notices. True when anything did.
    fn write(self, wf: &Workflow, now_ms: i64) -> Result<bool, StoreError> {
        let Batch {
            tx,
            tickets,
            changed,
            mut notices,
            loaded_events,
            mut unit_names,
            ..
        } = self;
        let rows: Vec<(&Ticket, tickets::Schedule)> = changed
            .iter()
            .filter_map(|id| tickets.get(id))
            .map(|t| (t, wf.schedule(t)))
            .collect();
        tickets::save_all(tx, &rows)?;
        // Every step this push took is told, by the rules.
        let mut failed = None;
        for (t, _) in &rows {
            let from = loaded_events.get(&t.id).copied().unwrap_or(0);
            let mut name = |u: UnitId| match unit_names.get(&u) {
                Some(n) => n.clone(),
                None => {
                    let n = unit_name_in(tx, u).unwrap_or_else(|e| {
                        failed = Some(e);
                        None
                    });
                    unit_names.insert(u, n.clone());
                    n
                }
            };
            for n in notify::for_events(t, from, &wf.notices, &mut name) {
                notices.push((n, t.id));
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        for (n, ticket) in &notices {
            review::notify(tx, n, *ticket, now_ms)?;
        }
        Ok(!rows.is_empty())
    }
}

impl TicketTx for Batch<'_> {
    fn load(&mut self, id: TicketId) -> Result<Option<Ticket>, PushError> {
        Ok(self.tickets.get(&id).cloned())
    }

    fn save(&mut self, t: Ticket) {
        if !self.changed.contains(&t.id) {
            self.changed.push(t.id);
        }
        self.tickets.insert(t.id, t);
    }

    fn unit_by_key(&mut self, key: &str) -> Result<Option<UnitId>, PushError> {
        if let Some(u) = self.units_by_key.get(key) {
            return Ok(*u);
        }
        let u = self
            .tx
            .query_opt("SELECT id FROM units WHERE key = ?1", args![key])?
            .map(|r| r.get::<String>(0))
            .transpose()?
            .and_then(|s| s.parse().ok());
        self.units_by_key.insert(key.to_owned(), u);
        Ok(u)
    }

    fn notify(&mut self, notice: Notice, ticket: TicketId) {
        self.notices.push((notice, ticket));
    }

    fn unit_name(&mut self, unit: UnitId) -> Result<Option<String>, PushError> {
        if let Some(n) = self.unit_names.get(&unit) {
            return Ok(n.clone());
        }
        let n = unit_name_in(self.tx, unit)?;
        self.unit_names.insert(unit, n.clone());
        Ok(n)
    }

    fn group_jurisdiction(&mut self, group: GroupId) -> Result<Option<String>, PushError> {
        if let Some(j) = self.jurisdictions.get(&group) {
            return Ok(j.clone());
        }
        let j = self
            .tx
            .query_opt(
                "SELECT jurisdiction FROM groups WHERE id = ?1",
                args![group.to_string()],
            )?
            .map(|r| r.get(0))
            .transpose()?;
        self.jurisdictions.insert(group, j.clone());
        Ok(j)
    }

    fn jurisdiction_known(&mut self, code: &str) -> Result<bool, PushError> {
        if let Some(k) = self.known_jurisdictions.get(code) {
            return Ok(*k);
        }
        let k = self
            .tx
            .query_opt("SELECT 1 FROM jurisdictions WHERE code = ?1", args![code])?
            .is_some();
        self.known_jurisdictions.insert(code.to_owned(), k);
        Ok(k)
    }

    fn mark_attached(&mut self, photo: &PhotoRef, at: i64) -> Result<bool, PushError> {
        Ok(uploads::mark_attached(self.tx, &photo.id.to_string(), at)?)
    }

    fn photo_uploaded(
        &mut self,
        actor: &Actor,
        ticket: TicketId,
        photo: &PhotoRef,
    ) -> Result<bool, PushError> {
        let n: i64 = self
            .tx
            .query_one(
                "SELECT COUNT(*) FROM uploads
                 WHERE photo_id = ?1 AND user_id = ?2 AND ticket_id = ?3
                   AND sha256 = ?4 AND completed_at IS NOT NULL",
                args![
                    photo.id.to_string(),
                    actor.user.to_string(),
                    ticket.to_string(),
                    photo.sha256.to_ascii_lowercase()
                ],
            )?
            .get(0)?;
        Ok(n == 1)
    }
}

/// A unit's Chinese name.
fn unit_name_in(tx: &mut dyn Tx, unit: UnitId) -> Result<Option<String>, StoreError> {
    tx.query_opt(
        "SELECT name_zh FROM units WHERE id = ?1",
        args![unit.to_string()],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// What a deputy's submission names must exist and be theirs: its own fields
/// first (the pure rules, [`NewTicket::check`]), then its group (one of the
/// deputy's: filing into another group, or one that does not exist, is
/// refused, not refiled — who handles an item is not the server's guess), its
/// jurisdiction (a code of the jurisdictions table) and the unit it
/// @-mentions (in the directory; refused rather than dropped, so the deputy
/// learns the item did not go where they said). An unknown category or item
/// is dropped by [`Workflow::classify`] instead: a phone with an older
/// taxonomy still files, and the item is routed by hand.
fn check_references(
    tx: &mut impl TicketTx,
    actor: &Actor,
    new: &NewTicket,
) -> Result<Result<(), RejectReason>, PushError> {
    if let Err(d) = new.check() {
        return Ok(Err(RejectReason::Denied(d)));
    }
    if let Some(g) = new.group {
        if !actor.groups.contains(&g) {
            return Ok(Err(if tx.group_jurisdiction(g)?.is_some() {
                RejectReason::NotYourGroup
            } else {
                RejectReason::UnknownGroup
            }));
        }
    }
    if let Some(code) = &new.jurisdiction {
        if !tx.jurisdiction_known(code)? {
            return Ok(Err(RejectReason::UnknownJurisdiction));
        }
    }
    if let Some(unit) = new.mentioned_unit {
        if tx.unit_name(unit)?.is_none() {
            return Ok(Err(RejectReason::UnknownUnit));
        }
    }
    Ok(Ok(()))
}

/// Run one mutation through the state machine.
pub(crate) fn apply(
    tx: &mut impl TicketTx,
    actor: &Actor,
    kind: &MutationKind,
    now_ms: i64,
    wf: &Workflow,
) -> Result<Applied, PushError> {
    match kind {
        MutationKind::CreateTicket { ticket } => {
            if let Some(existing) = tx.load(ticket.id)? {
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
            if actor.role.is_deputy() {
                if let Err(reason) = check_references(tx, actor, ticket)? {
                    return Ok(Applied::Rejected(reason));
                }
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
                    tx.save(t);
                    Ok(Applied::Ok)
                }
                Err(d) => Ok(Applied::Rejected(RejectReason::Denied(d))),
            }
        }
        MutationKind::Act {
            ticket,
            event,
            action,
        } => {
            let Some(mut t) = tx.load(*ticket)? else {
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
                    .load(*into)?
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
                    // Allowed, and its content acceptable: a unit it names
                    // must exist (the state machine does not know the directory).
                    if let Action::Reassign { unit } = action {
                        if tx.unit_name(*unit)?.is_none() {
                            return Ok(Applied::Rejected(RejectReason::UnknownUnit));
                        }
                    }
                    // The upload is kept for good once its photo is on the
                    // ticket (an upload swept a moment ago cannot be).
                    if let Action::AttachPhoto { photo } = action {
                        if !tx.mark_attached(photo, now_ms)? {
                            return Ok(Applied::Rejected(RejectReason::PhotoNotUploaded));
                        }
                    }
                    let tell_coordinators =
                        wf.notices.tells("declined", notify::Audience::Coordinators);
                    if let (Action::Decline { reason }, Some(unit), true) =
                        (action, actor.unit, tell_coordinators)
                    {
                        let name = tx.unit_name(unit)?.unwrap_or_default();
                        if let Some(n) = notify::declined(&t, &name, reason) {
                            tx.notify(n, t.id);
                        }
                    }
                    if let Some(mut into) = target {
                        into.absorb(&t, actor.user, actor.role, EventId::new(), now_ms);
                        tx.save(into);
                    }
                    tx.save(t);
                    Ok(Applied::Ok)
                }
                Err(d) => Ok(Applied::Rejected(RejectReason::Denied(d))),
            }
        }
    }
}
