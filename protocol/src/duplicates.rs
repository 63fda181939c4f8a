//! Duplicates: the same problem reported twice. Suggesting them is a pure
//! function here, so the phone can warn at 完成 (against the tickets it holds,
//! offline) and the server can list them for review with the same rule.
//!
//! A candidate is an open item of the **same category**, reported within
//! [`DuplicateRule::window_days`] of the new one and within
//! [`DuplicateRule::radius_m`] of its place. Items without a category or a
//! place are never suggested: a guess from text alone would be noise.
//!
//! Merging (an [`crate::Action::Merge`] by a coordinator or staff member) closes
//! the duplicate as 已合并 and makes its reporters co-reporters (联名) of the item
//! it went into, which records where it came from (see [`Ticket::absorb`]);
//! both timelines are kept whole.

use crate::ids::{EventId, TicketId, UserId};
use crate::ticket::{EventKind, Location, Ticket, TimelineEvent, Timestamp};
use serde::{Deserialize, Serialize};

/// How near, how recent and which kind counts as "the same problem".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRule {
    pub radius_m: f64,
    pub window_days: u32,
}

impl Default for DuplicateRule {
    fn default() -> Self {
        DuplicateRule {
            radius_m: 200.0,
            window_days: 30,
        }
    }
}

/// What is being checked: a draft about to be submitted, or a ticket.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    /// Left out of the answer (the ticket itself).
    pub id: Option<TicketId>,
    pub category: Option<&'a str>,
    pub location: Option<&'a Location>,
    pub at: Timestamp,
}

impl<'a> Probe<'a> {
    pub fn of(t: &'a Ticket) -> Probe<'a> {
        Probe {
            id: Some(t.id),
            category: t.category.as_deref(),
            location: t.location.as_ref(),
            at: t.created_at,
        }
    }
}

/// A possible duplicate, nearest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub ticket: TicketId,
    pub distance_m: f64,
    /// How long before (or after) the probe it was reported, in ms.
    pub apart_ms: i64,
}

/// The open tickets among `tickets` that may be the same problem as `probe`.
pub fn candidates<'t>(
    probe: Probe<'_>,
    tickets: impl IntoIterator<Item = &'t Ticket>,
    rule: &DuplicateRule,
) -> Vec<Candidate> {
    let (Some(category), Some(place)) = (probe.category, probe.location) else {
        return Vec::new();
    };
    let window = i64::from(rule.window_days) * 86_400_000;
    let mut out: Vec<Candidate> = tickets
        .into_iter()
        .filter(|t| Some(t.id) != probe.id && !t.state.is_terminal())
        .filter(|t| t.category.as_deref() == Some(category))
        .filter_map(|t| {
            let apart = (probe.at - t.created_at).abs();
            let d = t.location.as_ref()?.distance_m(place);
            (apart <= window && d <= rule.radius_m).then_some(Candidate {
                ticket: t.id,
                distance_m: d,
                apart_ms: apart,
            })
        })
        .collect();
    out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    out
}

impl Ticket {
    /// `duplicate` was merged into this ticket: its reporter and co-reporters
    /// become co-reporters here (联名), and the merge is recorded. The
    /// duplicate keeps its own timeline, closed as 已合并.
    pub fn absorb(
        &mut self,
        duplicate: &Ticket,
        by: UserId,
        role: crate::Role,
        event: EventId,
        at: Timestamp,
    ) {
        let mut joined = Vec::new();
        for u in std::iter::once(duplicate.reporter).chain(duplicate.co_reporters.iter().copied()) {
            if u != self.reporter && !self.co_reporters.contains(&u) {
                self.co_reporters.push(u);
                joined.push(u);
            }
        }
        self.timeline.push(TimelineEvent {
            id: event,
            at,
            actor: by,
            role,
            kind: EventKind::Absorbed {
                from: duplicate.id,
                co_reporters: joined,
            },
        });
    }
}
