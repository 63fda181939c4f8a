//! The two clocks on every ticket, their colours, and the escalation ladder.
//!
//! # Design
//! The seed's rule is "accept the same day, reply within one month". Both are
//! measured on the working-day calendar ([`crate::calendar`]) in China time:
//!
//! - **Acceptance (受理)** runs while the item waits for a unit to take it (待认领 /
//!   待受理). It starts when the item is submitted, and again whenever it returns
//!   to waiting (a unit declines it; a coordinator moves an item a unit had
//!   accepted to another unit — moving a still-waiting item keeps its clock). It is
//!   due at the end of that working day — or of the next working day, when it
//!   started on a day off or after the cut-off time ([`Policy::accept_cutoff_minute`]).
//! - **Reply (答复)** runs from submission until the unit replies or resolves; a
//!   rejected result (重办) starts it again. It is due after [`Policy::reply_within`]
//!   (per category if configured), moved to the next working day when the last
//!   day is a day off.
//!
//! A running clock is green, yellow in its last [`Policy::warn_percent`] of time,
//! red when overdue. The **ladder** ([`Policy::ladder`]) names who is chased and
//! when: by default the unit's contact when the clock turns yellow, the unit head
//! at the deadline, the coordinator one working day late, the committee three.
//!
//! Everything here is a pure function of the ticket's timeline: a chase is
//! recorded as an [`EventKind::Chased`] event naming the clock (by its start
//! time) and the rung, so [`pending_chases`] never proposes a rung twice, no
//! matter how often — or after how many restarts — a scheduler asks. The server
//! appends what it returns inside the transaction that re-reads the ticket.

use crate::calendar::{add_months, end_of_day, local_date, Calendar, CHINA_TIME};
use crate::ids::{EventId, UserId};
use crate::machine::{next_state, Action};
use crate::role::Role;
pub use crate::taxonomy::Span;
use crate::ticket::{EventKind, Ticket, TicketState, TimelineEvent, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// 受理: a unit takes the item.
    Acceptance,
    /// 答复: the unit replies or resolves.
    Reply,
}

impl ClockKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            ClockKind::Acceptance => "受理时限",
            ClockKind::Reply => "答复时限",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            ClockKind::Acceptance => "Acceptance deadline",
            ClockKind::Reply => "Reply deadline",
        }
    }
}

/// Status colour of a running clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

/// Who a rung of the ladder chases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChaseTarget {
    /// The unit's contact (联络员); for an item in the claim pool, the contacts of
    /// the group's units.
    UnitContact,
    /// The unit's head (负责人).
    UnitHead,
    /// The group's coordinator (工委负责人).
    Coordinator,
    /// The standing committee's office (市人大常委会).
    Committee,
}

impl ChaseTarget {
    pub fn label_zh(self) -> &'static str {
        match self {
            ChaseTarget::UnitContact => "提醒联络员",
            ChaseTarget::UnitHead => "督促单位负责人",
            ChaseTarget::Coordinator => "报工委负责人督办",
            ChaseTarget::Committee => "报常委会督办",
        }
    }
}

/// When a rung fires, relative to its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "when", rename_all = "snake_case")]
pub enum RungAt {
    /// When the clock turns yellow.
    Warning,
    /// At the end of the `working_days`-th working day after the due day
    /// (0: at the deadline itself).
    Late { working_days: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rung {
    pub at: RungAt,
    pub target: ChaseTarget,
}

/// The rules of the clocks, configurable per deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    /// Reply deadline unless the category has its own.
    pub reply_within: Span,
    /// Category code → reply deadline.
    pub reply_within_by_category: BTreeMap<String, Span>,
    /// An item that starts waiting at or after this minute of the day (China
    /// time) is due by the end of the next working day. 17:30 by default.
    pub accept_cutoff_minute: u16,
    /// A clock turns yellow in the last this-many percent of its time.
    pub warn_percent: u8,
    /// Escalation, in order; the rung's position + 1 is its level.
    pub ladder: Vec<Rung>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            reply_within: Span::Months(1),
            reply_within_by_category: BTreeMap::new(),
            accept_cutoff_minute: 17 * 60 + 30,
            warn_percent: 25,
            ladder: vec![
                Rung {
                    at: RungAt::Warning,
                    target: ChaseTarget::UnitContact,
                },
                Rung {
                    at: RungAt::Late { working_days: 0 },
                    target: ChaseTarget::UnitHead,
                },
                Rung {
                    at: RungAt::Late { working_days: 1 },
                    target: ChaseTarget::Coordinator,
                },
                Rung {
                    at: RungAt::Late { working_days: 3 },
                    target: ChaseTarget::Committee,
                },
            ],
        }
    }
}

/// A clock that is running now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunningClock {
    pub kind: ClockKind,
    pub started_at: Timestamp,
    pub warn_at: Timestamp,
    pub due_at: Timestamp,
}

impl RunningClock {
    pub fn colour(&self, now: Timestamp) -> Colour {
        if now >= self.due_at {
            Colour::Red
        } else if now >= self.warn_at {
            Colour::Yellow
        } else {
            Colour::Green
        }
    }
}

/// A chase the ladder asks for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chase {
    pub clock: ClockKind,
    /// Which run of the clock (its start time): a clock restarted by a decline or
    /// a rejection climbs the ladder afresh.
    pub clock_started_at: Timestamp,
    pub due_at: Timestamp,
    /// 1-based position on the ladder.
    pub level: u8,
    pub target: ChaseTarget,
    /// When the rung was due to fire (a scheduler that was down catches up).
    pub scheduled_at: Timestamp,
}

/// The user id chases are recorded under: the platform itself, not a person.
pub const SYSTEM_USER: UserId = UserId(uuid::Uuid::nil());

fn waiting(s: TicketState) -> bool {
    matches!(s, TicketState::Pool | TicketState::Routed)
}

fn reply_running(s: TicketState) -> bool {
    matches!(
        s,
        TicketState::Pool | TicketState::Routed | TicketState::Accepted | TicketState::Reopened
    )
}

/// When each clock last started, found by walking the timeline's states.
fn starts(t: &Ticket) -> (Option<Timestamp>, Option<Timestamp>) {
    let mut state: Option<TicketState> = None;
    let mut accept = None;
    let mut reply = None;
    for e in &t.timeline {
        let next = match &e.kind {
            EventKind::Submitted => {
                if t.mentioned_unit.is_some() {
                    TicketState::Routed
                } else {
                    TicketState::Pool
                }
            }
            EventKind::Action { action } => match state {
                Some(s) => next_state(s, action),
                None => continue,
            },
            EventKind::Chased { .. } | EventKind::Absorbed { .. } => continue,
            EventKind::RoutedByRule { .. } => TicketState::Routed,
        };
        if waiting(next) && !state.is_some_and(waiting) {
            accept = Some(e.at);
        }
        let restarts_reply = matches!(&e.kind, EventKind::Submitted)
            || matches!(
                &e.kind,
                EventKind::Action {
                    action: Action::Reject { .. }
                }
            );
        if reply_running(next) && (restarts_reply || !state.is_some_and(reply_running)) {
            reply = Some(e.at);
        }
        state = Some(next);
    }
    (accept, reply)
}

/// The clocks running on `t` (none, one or both), acceptance first.
pub fn running_clocks(t: &Ticket, cal: &Calendar, policy: &Policy) -> Vec<RunningClock> {
    let (accept, reply) = starts(t);
    let mut out = Vec::new();
    if let (true, Some(start)) = (waiting(t.state), accept) {
        let day = local_date(start);
        let minute = minute_of_day(start);
        let due_day = if !cal.is_working_day(day) || minute >= policy.accept_cutoff_minute {
            cal.add_working_days(day, 1)
        } else {
            day
        };
        out.push(clock(
            ClockKind::Acceptance,
            start,
            end_of_day(due_day),
            policy,
        ));
    }
    if let (true, Some(start)) = (reply_running(t.state), reply) {
        let span = t
            .category
            .as_ref()
            .and_then(|c| policy.reply_within_by_category.get(c))
            .copied()
            .unwrap_or(policy.reply_within);
        let day = local_date(start);
        let due_day = match span {
            Span::Months(n) => cal.working_day_on_or_after(add_months(day, n)),
            Span::Days(n) => {
                cal.working_day_on_or_after(day.saturating_add(time::Duration::days(i64::from(n))))
            }
            Span::WorkingDays(n) => cal.add_working_days(day, n),
        };
        out.push(clock(ClockKind::Reply, start, end_of_day(due_day), policy));
    }
    out
}

fn minute_of_day(at: Timestamp) -> u16 {
    let t = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(CHINA_TIME);
    u16::from(t.hour()) * 60 + u16::from(t.minute())
}

fn clock(kind: ClockKind, started_at: Timestamp, due_at: Timestamp, p: &Policy) -> RunningClock {
    let span = (due_at - started_at).max(0);
    let warn_at = due_at - span * i64::from(p.warn_percent.min(100)) / 100;
    RunningClock {
        kind,
        started_at,
        warn_at,
        due_at,
    }
}

fn rung_time(c: &RunningClock, at: RungAt, cal: &Calendar) -> Timestamp {
    match at {
        RungAt::Warning => c.warn_at,
        RungAt::Late { working_days: 0 } => c.due_at,
        RungAt::Late { working_days } => {
            // The due day is the day that ends at `due_at`.
            let due_day = local_date(c.due_at - 1);
            end_of_day(cal.add_working_days(due_day, working_days))
        }
    }
}

fn already_chased(t: &Ticket, kind: ClockKind, started_at: Timestamp, level: u8) -> bool {
    t.timeline.iter().any(|e| {
        matches!(&e.kind, EventKind::Chased { chase }
            if chase.clock == kind && chase.clock_started_at == started_at && chase.level == level)
    })
}

/// Every rung due by `now` that has not been recorded on `t` yet, oldest first.
pub fn pending_chases(t: &Ticket, cal: &Calendar, policy: &Policy, now: Timestamp) -> Vec<Chase> {
    let mut out = Vec::new();
    for c in running_clocks(t, cal, policy) {
        for (i, rung) in policy.ladder.iter().enumerate() {
            let level = u8::try_from(i + 1).unwrap_or(u8::MAX);
            let at = rung_time(&c, rung.at, cal);
            if at <= now && !already_chased(t, c.kind, c.started_at, level) {
                out.push(Chase {
                    clock: c.kind,
                    clock_started_at: c.started_at,
                    due_at: c.due_at,
                    level,
                    target: rung.target,
                    scheduled_at: at,
                });
            }
        }
    }
    out.sort_by_key(|c| (c.scheduled_at, c.clock, c.level));
    out
}

/// When the scheduler must look at `t` next: the earliest rung not yet recorded.
/// `None` when no clock runs or the whole ladder has been climbed.
pub fn next_due(t: &Ticket, cal: &Calendar, policy: &Policy) -> Option<Timestamp> {
    running_clocks(t, cal, policy)
        .into_iter()
        .flat_map(|c| {
            policy
                .ladder
                .iter()
                .enumerate()
                .filter(move |(i, _)| {
                    let level = u8::try_from(i + 1).unwrap_or(u8::MAX);
                    !already_chased(t, c.kind, c.started_at, level)
                })
                .map(move |(_, r)| rung_time(&c, r.at, cal))
        })
        .min()
}

impl Ticket {
    /// Record a chase (督办记录) in the timeline. The state does not change.
    pub fn record_chase(&mut self, chase: Chase, event: EventId, at: Timestamp) {
        self.timeline.push(TimelineEvent {
            id: event,
            at,
            actor: SYSTEM_USER,
            role: Role::CityStaff,
            kind: EventKind::Chased { chase },
        });
    }
}
