//! The device side of sync, without the network: what to push, what to do with
//! the server's answer, and how to take in pulled tickets. The HTTP client (next)
//! only moves these values over the wire.
//!
//! **Rebase on pull.** The server's copy of a ticket is the truth, but the user
//! must keep seeing their own unsent changes. So a pulled ticket is stored with
//! this device's pending actions for it (numbered, not yet acknowledged) replayed
//! on top through the same state machine — all in one transaction. An action that
//! no longer applies stays queued; the server will reject it and say why.

use crate::error::Result;
use crate::outbox;
use crate::store::{meta_get, meta_set, profile, Store};
use crate::tickets;
use minqing_protocol::{Action, EventId, Mutation, MutationKind, Ticket, TicketId};
use rusqlite::Transaction;

/// Take up to `limit` mutations to push, marking them `sending`.
pub fn prepare_push(store: &Store, limit: usize) -> Result<Vec<Mutation>> {
    store.write(|tx| outbox::take_mutations(tx, limit))
}

/// Record the server's answer: everything through `last_mutation_id` is done;
/// the listed ones were rejected with a reason for the user.
pub fn record_push_result(
    store: &Store,
    last_mutation_id: u64,
    rejected: &[(u64, String)],
) -> Result<()> {
    store.write(|tx| {
        for (id, reason) in rejected {
            outbox::mark_rejected(tx, *id, reason)?;
        }
        outbox::mark_sent_through(tx, last_mutation_id)?;
        Ok(())
    })
}

/// The cursor of the last pull, if any.
pub fn cursor(store: &Store) -> Result<Option<String>> {
    store.read(|c| meta_get(c, "pull_cursor"))
}

/// This device's unacknowledged actions on `ticket`, in order.
fn pending_actions(tx: &Transaction<'_>, ticket: &str) -> Result<Vec<(EventId, Action)>> {
    let payloads: Vec<String> = tx
        .prepare(
            "SELECT payload FROM outbox
             WHERE ticket_id = ?1 AND kind != 'upload' AND kind != 'create_ticket'
               AND state IN ('pending', 'sending', 'stuck')
             ORDER BY COALESCE(mutation_id, 9223372036854775807), id",
        )?
        .query_map([ticket], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for p in payloads {
        if let MutationKind::Act { event, action, .. } = serde_json::from_str(&p)? {
            out.push((event, action));
        }
    }
    Ok(out)
}

/// Take in pulled tickets, drop the ones the server says are `gone` from this
/// user's view (claimed by another unit …), and store the new cursor — in one
/// transaction.
pub fn apply_pull(store: &Store, pulled: &[Ticket], gone: &[TicketId], cursor: &str) -> Result<()> {
    store.write(|tx| {
        let actor = profile(tx)?;
        for id in gone {
            tx.execute("DELETE FROM tickets WHERE id = ?1", [id.to_string()])?;
        }
        for server in pulled {
            let mut t = server.clone();
            let id = t.id.to_string();
            if t.constituent.is_none() && t.reporter == actor.user {
                // The server shows the constituent's contact only to those who
                // need it (docs/protocol.md): a copy without it never erases
                // what this deputy typed. Anyone else's copy is the server's:
                // a contact no longer theirs to see is dropped here too.
                if let Ok(local) = tickets::load(tx, &id) {
                    t.constituent = local.constituent;
                }
            }
            for (event, action) in pending_actions(tx, &id)? {
                if t.timeline.iter().any(|e| e.id == event) {
                    continue; // already applied by the server
                }
                // Local echo only; a refusal here is the server's to report.
                let _ = t.apply(&actor, action, event, t.timeline.last().map_or(0, |e| e.at));
            }
            tickets::save(tx, &t)?;
        }
        meta_set(tx, "pull_cursor", cursor)
    })
}

/// The server did not know our cursor: forget it (the next pull starts afresh;
/// local tickets stay until the server's copies replace them).
pub fn reset_cursor(store: &Store) -> Result<()> {
    store.write(|tx| {
        tx.execute("DELETE FROM meta WHERE key = 'pull_cursor'", [])?;
        Ok(())
    })
}
