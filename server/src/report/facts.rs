//! What the monthly report counts, read from one ticket's timeline "as of" a
//! moment: the ticket is replayed event by event up to the cut-off (the state
//! machine's own [`next_state`]), so a period's figures say what was true at
//! its end, and a report generated again later says the same. Every figure in
//! `docs/report.md` is a count of [`Fact`]s whose [`Status`] at a cut-off
//! matches; this module decides each status once.

use minqing_protocol::calendar::{local_date, Calendar};
use minqing_protocol::clocks::{running_clocks, ClockKind, Policy};
use minqing_protocol::machine::next_state;
use minqing_protocol::{
    Action, EventKind, GroupId, OutcomePath, Ticket, TicketId, TicketState, Timestamp, UnitId,
    UserId,
};
use std::collections::HashMap;

/// How an item stands in the report's partition of what was received:
/// `received = explained + assigned + unassigned` (merged items are counted in
/// the item they joined, not again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Merged into another item (联名): not counted.
    Merged,
    /// 代表当场解释办结: the deputy explained it and closed it.
    Explained,
    /// 交办: a unit holds or held it (routed, claimed, replied, resolved,
    /// closed after handling), or city staff put it on an assignment list.
    Assigned(Path),
    /// 未交办: in the claim pool, on no assignment list.
    Unassigned,
}

/// Where an assigned item is handled (the seed's three paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Path {
    /// 直通车群办理: a unit of the direct-line group took it in the group.
    Group,
    /// 镇街道办理: a town government or street office.
    Town,
    /// 市级部门办理: the city level, through an assignment list (交办清单) to
    /// the city government, or as the unit said when it replied.
    City,
}

/// Was a clock's deadline kept?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// Not decided yet: the step has not happened and is not due.
    Open,
    /// The step happened by its deadline.
    OnTime,
    /// The step happened after its deadline, or has not happened and is overdue.
    Late,
}

/// One item as of one cut-off.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub class: Class,
    /// The unit holding it (for a closed item: the unit that handled it).
    pub unit: Option<UnitId>,
    /// 已解决: resolved by its unit (with proof photos) and not rejected since,
    /// closed after that, or the government's latest feedback says resolved.
    pub resolved: bool,
    /// 受理: the first claim against the acceptance clock it stopped.
    pub accept: Timeliness,
    /// Working days from the report to the first claim.
    pub accept_days: Option<u32>,
    /// 答复: the first reply or resolution against the reply clock.
    pub reply: Timeliness,
    /// Working days from the report to its resolution (when resolved).
    pub resolve_days: Option<u32>,
    /// When the first claim, the first reply (or resolution) and the
    /// resolution that counts came (ms).
    pub accepted_at: Option<Timestamp>,
    pub replied_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    /// Chases recorded (督办记录).
    pub chases: u32,
    /// The deputy's latest rating, 1–5.
    pub rating: Option<u8>,
    /// The deputy confirmed or rejected a result.
    pub judged: bool,
    /// 不满意: a rejection, or a rating of 1–2 stars.
    pub dissatisfied: bool,
}

impl Status {
    pub fn assigned(&self) -> bool {
        matches!(self.class, Class::Assigned(_))
    }
    pub fn path(&self) -> Option<Path> {
        match self.class {
            Class::Assigned(p) => Some(p),
            _ => None,
        }
    }
    /// Counted as received (everything but a merged duplicate).
    pub fn received(&self) -> bool {
        self.class != Class::Merged
    }
}

/// The ratings that count as dissatisfied (1–2 of 5 stars).
pub const LOW_RATING: u8 = 2;

/// What the report keeps of one ticket: who, where, what, and its status at
/// the cut-offs it is asked about (`None`: reported after that cut-off).
#[derive(Debug, Clone)]
pub struct Fact {
    pub id: TicketId,
    pub created_at: Timestamp,
    pub reporter: UserId,
    pub group: Option<GroupId>,
    pub jurisdiction: Option<String>,
    pub category: Option<String>,
    pub item: Option<String>,
    pub at: Vec<Option<Status>>,
}

/// The directory facts a replay needs: each unit's kind (`town`, `street`,
/// `department`, `company` …) and each unit person's unit (a claim records
/// who claimed, and the claimer's unit is the one that took it).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub unit_kinds: HashMap<UnitId, String>,
    pub user_units: HashMap<UserId, UnitId>,
}

impl Directory {
    fn is_local(&self, unit: UnitId) -> bool {
        matches!(
            self.unit_kinds.get(&unit).map(String::as_str),
            Some("town" | "street")
        )
    }
}

/// The working days after the day of `from` up to and including the day of
/// `to` (0: the same day), on the calendar.
pub fn working_days_between(cal: &Calendar, from: Timestamp, to: Timestamp) -> u32 {
    let (mut d, end) = (local_date(from), local_date(to));
    let mut n = 0;
    while d < end {
        d = match d.next_day() {
            Some(x) => x,
            None => break,
        };
        if cal.is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// `t` as it stood just before event `i`, in state `state`: what the clocks
/// are computed on.
fn prefix(t: &Ticket, i: usize, state: TicketState) -> Ticket {
    Ticket {
        state,
        timeline: t.timeline[..i].to_vec(),
        ..t.clone()
    }
}

fn due(t: &Ticket, kind: ClockKind, cal: &Calendar, policy: &Policy) -> Option<Timestamp> {
    running_clocks(t, cal, policy)
        .into_iter()
        .find(|c| c.kind == kind)
        .map(|c| c.due_at)
}

/// `t` as of `cutoff` (events stamped before it). `None` when it was reported
/// at or after the cut-off.
///
/// Without `detail` the deadlines are not looked at (`accept` and `reply` are
/// [`Timeliness::Open`]): what the totals since the start need, at a fraction
/// of the cost.
pub fn status_at(
    t: &Ticket,
    cutoff: Timestamp,
    detail: bool,
    dir: &Directory,
    cal: &Calendar,
    policy: &Policy,
) -> Option<Status> {
    if t.created_at >= cutoff {
        return None;
    }
    let mut state = TicketState::Pool;
    let mut unit: Option<UnitId> = None;
    let mut stated: Option<OutcomePath> = None;
    let mut on_list = false;
    let mut government_resolved: Option<bool> = None;
    let mut confirmed_resolution = false;
    let mut resolved_at: Option<Timestamp> = None;
    let mut claimed: Option<(Timestamp, bool)> = None;
    let mut replied: Option<(Timestamp, bool)> = None;
    let mut judged = false;
    let mut rejected = false;
    let mut rating: Option<u8> = None;
    let mut chases = 0u32;
    let mut closed_by_explain = false;
    let mut end = 0;
    for (i, e) in t.timeline.iter().enumerate() {
        if e.at >= cutoff {
            break;
        }
        end = i + 1;
        match &e.kind {
            EventKind::Submitted => {
                unit = t.mentioned_unit;
                state = if unit.is_some() {
                    TicketState::Routed
                } else {
                    TicketState::Pool
                };
            }
            EventKind::RoutedByRule { unit: u, .. } => {
                if state == TicketState::Pool {
                    state = TicketState::Routed;
                    unit = Some(*u);
                }
            }
            EventKind::Chased { .. } => chases += 1,
            EventKind::Absorbed { .. } => {}
            EventKind::Action { action } => {
                let before = state;
                match action {
                    Action::Claim => {
                        unit = dir.user_units.get(&e.actor).copied().or(unit);
                        if claimed.is_none() {
                            let on_time = !detail
                                || due(&prefix(t, i, before), ClockKind::Acceptance, cal, policy)
                                    .is_none_or(|d| e.at < d);
                            claimed = Some((e.at, on_time));
                        }
                    }
                    Action::Decline { .. } => unit = None,
                    Action::Reassign { unit: u } => unit = Some(*u),
                    Action::Reply { outcome, .. } | Action::Resolve { outcome, .. } => {
                        stated = Some(*outcome);
                        if replied.is_none() {
                            let on_time = !detail
                                || due(&prefix(t, i, before), ClockKind::Reply, cal, policy)
                                    .is_none_or(|d| e.at < d);
                            replied = Some((e.at, on_time));
                        }
                        if matches!(action, Action::Resolve { .. }) {
                            resolved_at = Some(e.at);
                        }
                    }
                    Action::Confirm { rating: r } => {
                        judged = true;
                        confirmed_resolution = before == TicketState::Resolved;
                        if r.is_some() {
                            rating = *r;
                        }
                    }
                    Action::Reject { .. } => {
                        judged = true;
                        rejected = true;
                        resolved_at = None;
                        government_resolved = None;
                    }
                    Action::Rate { stars } => rating = Some(*stars),
                    Action::ExplainClose { .. } => unit = None,
                    Action::AssignToGovernment { .. } => on_list = true,
                    Action::GovernmentFeedback { resolved, .. } => {
                        government_resolved = Some(*resolved);
                        if *resolved && resolved_at.is_none() {
                            resolved_at = Some(e.at);
                        }
                    }
                    _ => {}
                }
                state = next_state(before, action);
                if state == TicketState::Closed && before != TicketState::Closed {
                    closed_by_explain = matches!(action, Action::ExplainClose { .. });
                }
            }
        }
    }
    let explained = state == TicketState::Closed && closed_by_explain;
    let class = if state == TicketState::Merged {
        Class::Merged
    } else if explained {
        Class::Explained
    } else if state == TicketState::Pool && !on_list {
        Class::Unassigned
    } else {
        let path = match stated {
            Some(OutcomePath::HandledByCityDepartment) => Path::City,
            Some(OutcomePath::HandledByTown) => Path::Town,
            Some(OutcomePath::HandledInGroup) => Path::Group,
            Some(OutcomePath::ExplainedOnSpot) | None => {
                if on_list {
                    Path::City
                } else if unit.is_some_and(|u| dir.is_local(u)) {
                    Path::Town
                } else {
                    Path::Group
                }
            }
        };
        Class::Assigned(path)
    };
    let assigned = matches!(class, Class::Assigned(_));
    let resolved = assigned
        && (state == TicketState::Resolved
            || (state == TicketState::Closed && confirmed_resolution)
            || (government_resolved == Some(true) && state != TicketState::Reopened));
    // Deadlines still open at the cut-off: overdue counts as late.
    let (mut accept, mut reply) = (Timeliness::Open, Timeliness::Open);
    if detail && assigned {
        let now = (claimed.is_none() || replied.is_none()).then(|| prefix(t, end, state));
        let overdue = |kind| {
            now.as_ref()
                .and_then(|n| due(n, kind, cal, policy))
                .is_some_and(|d| d <= cutoff)
        };
        accept = match claimed {
            Some((_, true)) => Timeliness::OnTime,
            Some((_, false)) => Timeliness::Late,
            None if overdue(ClockKind::Acceptance) => Timeliness::Late,
            None => Timeliness::Open,
        };
        reply = match replied {
            Some((_, true)) => Timeliness::OnTime,
            Some((_, false)) => Timeliness::Late,
            None if overdue(ClockKind::Reply) => Timeliness::Late,
            None => Timeliness::Open,
        };
    }
    Some(Status {
        class,
        unit: if explained { None } else { unit },
        resolved,
        accept,
        accept_days: claimed
            .filter(|_| assigned)
            .map(|(at, _)| working_days_between(cal, t.created_at, at)),
        reply,
        resolve_days: resolved_at
            .filter(|_| resolved)
            .map(|at| working_days_between(cal, t.created_at, at)),
        accepted_at: claimed.map(|(at, _)| at),
        replied_at: replied.map(|(at, _)| at),
        resolved_at: resolved_at.filter(|_| resolved),
        chases,
        rating,
        judged,
        dissatisfied: rejected || rating.is_some_and(|r| r <= LOW_RATING),
    })
}

/// The fact of `t` at each of `cutoffs` (with the deadlines looked at where
/// its flag says).
pub fn fact(
    t: &Ticket,
    cutoffs: &[(Timestamp, bool)],
    dir: &Directory,
    cal: &Calendar,
    policy: &Policy,
) -> Fact {
    Fact {
        id: t.id,
        created_at: t.created_at,
        reporter: t.reporter,
        group: t.group,
        jurisdiction: t.jurisdiction.clone(),
        category: t.category.clone(),
        item: t.item.clone(),
        at: cutoffs
            .iter()
            .map(|(c, detail)| status_at(t, *c, *detail, dir, cal, policy))
            .collect(),
    }
}
