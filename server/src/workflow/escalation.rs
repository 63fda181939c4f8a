//! The escalation scheduler: chases late items up the ladder (督办).
//!
//! # Design
//! Every ticket row carries `next_due`: when the ladder next needs a look,
//! computed by `minqing_protocol::clocks::next_due` whenever the ticket is
//! written (NULL when no clock runs or the ladder is climbed). A pass asks the
//! database for the rows whose `next_due` has come — an index range, not a scan of
//! every open item — and escalates them [`PER_TRANSACTION`] at a time, one
//! transaction each (one disk sync per batch, not per ticket): re-read each
//! ticket, append the chases [`pending_chases`] finds, write it back with its new
//! `next_due` (and a new change number, so devices pull the chase). Nothing is
//! kept in memory between passes, so the scheduler survives restarts; the
//! chases are recorded in the ticket's own timeline, and a rung already recorded
//! is never proposed again, so a pass run twice — by two processes, or after a
//! crash between the write and the poke — never chases twice.
//!
//! When the server shuts down, the scheduler stops *between* transactions
//! ([`Scheduler::stop`]): a pass under way commits the transaction it is in
//! and begins no other; the tickets it did not reach are still due, and the
//! next pass (after the restart) takes them up.
//!
//! [`pending_chases`]: minqing_protocol::clocks::pending_chases

use super::{notify, Workflow};
use crate::store::pg::TICKET_WRITE_LOCK;
use crate::store::sql::Tx;
use crate::store::{review, tickets, Db, StoreError};
use minqing_protocol::clocks::{pending_chases, Chase};
use minqing_protocol::{EventId, Ticket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Tickets fetched per query in a pass.
pub const BATCH: usize = 1000;

/// Tickets escalated per transaction.
pub const PER_TRANSACTION: usize = 200;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Tickets whose `next_due` had come.
    pub visited: usize,
    /// Chases recorded.
    pub chased: usize,
    /// The pass was asked to stop and did, between two transactions, before
    /// it had looked at everything due.
    pub stopped: bool,
}

/// Append to `t` every chase due by `now`; returns them, to notify.
pub fn chase(t: &mut Ticket, wf: &Workflow, now: i64) -> Vec<Chase> {
    let pending = pending_chases(t, &wf.calendar, &wf.policy, now);
    for c in &pending {
        t.record_chase(*c, EventId::new(), now);
    }
    pending
}

/// The `next_due` to store: never at or before `now` once a pass has looked,
/// so a pass always makes progress.
pub fn next_due_after(t: &Ticket, wf: &Workflow, now: i64) -> Option<i64> {
    wf.next_due(t).map(|d| d.max(now + 1))
}

/// What to store with `t` after a pass looked at it: [`next_due_after`] and
/// the clock marks.
fn schedule_after(t: &Ticket, wf: &Workflow, now: i64) -> tickets::Schedule {
    tickets::Schedule {
        next_due: next_due_after(t, wf, now),
        ..wf.schedule(t)
    }
}

/// One pass over everything due by `now`.
pub fn run_once(db: &Db, now: i64) -> Result<PassReport, StoreError> {
    run_pass(db, now, &|| false)
}

/// One pass over everything due by `now`, unless `stop` says to stop: it is
/// asked before each transaction, never during one.
pub fn run_pass(db: &Db, now: i64, stop: &dyn Fn() -> bool) -> Result<PassReport, StoreError> {
    let mut report = PassReport::default();
    loop {
        let ids = db.due_tickets(now, BATCH)?;
        let full = ids.len() == BATCH;
        for chunk in ids.chunks(PER_TRANSACTION) {
            if stop() {
                report.stopped = true;
                return Ok(report);
            }
            report.visited += chunk.len();
            report.chased += db.escalate(chunk, now)?;
        }
        if !full {
            return Ok(report);
        }
    }
}

/// The running scheduler; [`Scheduler::stop`] ends it.
pub struct Scheduler {
    stop: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    /// Stop between transactions and wait until stopped: a pass under way
    /// commits the transaction it is in and begins no other (the rest stays
    /// due for the next start); no new pass begins.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        if let Err(e) = self.task.await {
            tracing::warn!("escalation scheduler ended badly: {e}");
        }
    }
}

impl Db {
    /// Record on tickets `ids` every chase due by `now`, in one transaction
    /// (each ticket re-read inside it); returns how many were recorded.
    pub fn escalate(&self, ids: &[String], now: i64) -> Result<usize, StoreError> {
        let wf = self.workflow();
        self.write(|tx| escalate(tx, ids, now, &wf))
    }
}

/// Chase the tickets `ids` inside `tx`. It holds the same lock as pushes that
/// write tickets, so a chase and a claim never interleave, change numbers stay
/// in commit order, and two processes running a pass at once chase once.
fn escalate(tx: &mut dyn Tx, ids: &[String], now: i64, wf: &Workflow) -> Result<usize, StoreError> {
    tx.advisory_lock(TICKET_WRITE_LOCK)?;
    let mut loaded = tickets::load_many(tx, ids)?;
    let mut total = 0;
    for id in ids {
        let Some(mut t) = loaded.remove(id) else {
            continue;
        };
        let chases = chase(&mut t, wf, now);
        let due = schedule_after(&t, wf, now);
        if chases.is_empty() {
            tickets::set_next_due(tx, id, due)?;
            continue;
        }
        tickets::save(tx, &t, due)?;
        for c in &chases {
            for notice in notify::chase_notices(&t, c, &wf.notices) {
                review::notify(tx, &notice, t.id, now)?;
            }
        }
        total += chases.len();
    }
    if total > 0 {
        tx.notify_on_commit()?;
    }
    Ok(total)
}

/// Run a pass every `every` until stopped. Chases poke the connected devices
/// (`on_chased`).
pub fn spawn(
    db: std::sync::Arc<Db>,
    clock: crate::clock::Clock,
    every: Duration,
    on_chased: impl Fn() + Send + 'static,
) -> Scheduler {
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    let task = tokio::spawn({
        let stop = stop.clone();
        let wake = wake.clone();
        async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = wake.notified() => {}
                }
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let db = db.clone();
                let now = clock.now();
                let halt = stop.clone();
                let pass = tokio::task::spawn_blocking(move || {
                    run_pass(&db, now, &|| halt.load(Ordering::SeqCst))
                });
                match pass.await {
                    Ok(Ok(r)) => {
                        if r.chased > 0 {
                            tracing::info!(
                                visited = r.visited,
                                chased = r.chased,
                                "escalation pass"
                            );
                            on_chased();
                        }
                        if r.stopped {
                            tracing::info!(
                                visited = r.visited,
                                "escalation pass stopped between transactions; the rest stays due"
                            );
                        }
                    }
                    Ok(Err(e)) => tracing::warn!("escalation pass failed, retried next tick: {e}"),
                    Err(e) => tracing::warn!("escalation pass panicked: {e}"),
                }
            }
        }
    });
    Scheduler { stop, wake, task }
}
