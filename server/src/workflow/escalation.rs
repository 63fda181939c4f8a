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
//! [`pending_chases`]: minqing_protocol::clocks::pending_chases

use super::Workflow;
use crate::store::{Db, StoreError};
use minqing_protocol::clocks::{pending_chases, Chase};
use minqing_protocol::{EventId, Ticket};
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
}

/// Append to `t` every chase due by `now`; returns them, to notify. Shared by
/// both backends' `escalate`, inside their transaction.
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

/// One pass over everything due by `now`.
pub fn run_once(db: &Db, now: i64) -> Result<PassReport, StoreError> {
    let mut report = PassReport::default();
    loop {
        let ids = db.due_tickets(now, BATCH)?;
        let full = ids.len() == BATCH;
        for chunk in ids.chunks(PER_TRANSACTION) {
            report.visited += chunk.len();
            report.chased += db.escalate(chunk, now)?;
        }
        if !full {
            return Ok(report);
        }
    }
}

/// Run a pass every `every`, for as long as the returned task lives. Chases
/// poke the connected devices (`on_chased`).
pub fn spawn(
    db: std::sync::Arc<Db>,
    clock: crate::clock::Clock,
    every: Duration,
    on_chased: impl Fn() + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let db = db.clone();
            let now = clock.now();
            match tokio::task::spawn_blocking(move || run_once(&db, now)).await {
                Ok(Ok(r)) if r.chased > 0 => {
                    tracing::info!(visited = r.visited, chased = r.chased, "escalation pass");
                    on_chased();
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!("escalation pass failed, retried next tick: {e}"),
                Err(e) => tracing::warn!("escalation pass panicked: {e}"),
            }
        }
    })
}
