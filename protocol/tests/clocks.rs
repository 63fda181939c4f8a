//! The two clocks and the escalation ladder on the working-day calendar, across
//! a golden-week holiday with its make-up workdays (fixture modelled on 2020).

mod support;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::*;
use minqing_protocol::*;
use support::*;
use time::macros::datetime;

const FIXTURE_2020: &str = include_str!("fixtures/calendar-2020.toml");

fn cal() -> Calendar {
    Calendar::from_files([FIXTURE_2020]).expect("fixture loads")
}

/// A moment in Haining (China Standard Time), as a server timestamp.
macro_rules! cst {
    ($($t:tt)*) => {
        datetime!($($t)* +8).unix_timestamp() * 1000
    };
}

fn ticket_at(cast: &Cast, mention: bool, at: Timestamp) -> Ticket {
    let mut t = submitted(cast, mention);
    t.created_at = at;
    t.timeline[0].at = at;
    t
}

fn actor<'a>(cast: &'a Cast, who: &str) -> &'a Actor {
    &cast
        .actors
        .iter()
        .find(|(n, _)| *n == who)
        .expect("actor")
        .1
}

fn act(t: &mut Ticket, cast: &Cast, who: &str, action: Action, at: Timestamp) {
    let n = t.timeline.len() as u128;
    t.apply(actor(cast, who), action, EventId(uid(50_000 + n)), at)
        .expect("allowed");
}

fn clock_of(t: &Ticket, kind: ClockKind) -> Option<RunningClock> {
    running_clocks(t, &cal(), &Policy::default())
        .into_iter()
        .find(|c| c.kind == kind)
}

#[test]
fn the_manhole_story_on_a_holiday_is_due_after_golden_week() {
    // 4 October 2020, 08:48, a public holiday: nothing is due before Friday 9
    // October (the first working day), reply one month later, on 4 November.
    let cast = cast();
    let t = ticket_at(&cast, false, cst!(2020-10-04 08:48));
    let accept = clock_of(&t, ClockKind::Acceptance).expect("acceptance runs");
    assert_eq!(accept.due_at, cst!(2020-10-10 00:00));
    let reply = clock_of(&t, ClockKind::Reply).expect("reply runs");
    assert_eq!(reply.due_at, cst!(2020-11-05 00:00));
}

#[test]
fn acceptance_is_due_the_same_working_day() {
    let cast = cast();
    let p = Policy::default();
    // Tuesday 29 September, 10:00: due at midnight.
    let t = ticket_at(&cast, true, cst!(2020-09-29 10:00));
    let c = clock_of(&t, ClockKind::Acceptance).expect("runs");
    assert_eq!(c.due_at, cst!(2020-09-30 00:00));
    // 14 hours; yellow in the last 25 %: from 20:30.
    assert_eq!(c.warn_at, cst!(2020-09-29 20:30));
    assert_eq!(c.colour(cst!(2020-09-29 20:29)), Colour::Green);
    assert_eq!(c.colour(cst!(2020-09-29 20:30)), Colour::Yellow);
    assert_eq!(c.colour(cst!(2020-09-30 00:00)), Colour::Red);
    // After the 17:30 cut-off on Wednesday 30 September the next working day is
    // Friday 9 October, after the whole golden week.
    let late = ticket_at(&cast, true, cst!(2020-09-30 18:00));
    let c = running_clocks(&late, &cal(), &p)[0];
    assert_eq!(c.due_at, cst!(2020-10-10 00:00));
    // Saturday 26 September is a day off; Sunday 27 is a make-up workday.
    let weekend = ticket_at(&cast, true, cst!(2020-09-26 09:00));
    assert_eq!(
        running_clocks(&weekend, &cal(), &p)[0].due_at,
        cst!(2020-09-28 00:00)
    );
    // Saturday 10 October is a make-up workday: same-day acceptance applies.
    let makeup = ticket_at(&cast, true, cst!(2020-10-10 09:00));
    assert_eq!(
        running_clocks(&makeup, &cal(), &p)[0].due_at,
        cst!(2020-10-11 00:00)
    );
}

#[test]
fn reply_deadline_moves_off_holidays_and_follows_the_category() {
    let cast = cast();
    // 3 September + 1 month = 3 October, a holiday: due on Friday 9 October.
    let t = ticket_at(&cast, true, cst!(2020-09-03 10:00));
    assert_eq!(
        clock_of(&t, ClockKind::Reply).expect("runs").due_at,
        cst!(2020-10-10 00:00)
    );
    // A category with "5 working days" from Wednesday 30 September: 9, 10
    // (make-up), 12, 13, 14 October.
    let mut p = Policy::default();
    p.reply_within_by_category
        .insert("city.roads".into(), Span::WorkingDays(5));
    let t = ticket_at(&cast, true, cst!(2020-09-30 10:00));
    let reply = running_clocks(&t, &cal(), &p)
        .into_iter()
        .find(|c| c.kind == ClockKind::Reply)
        .expect("runs");
    assert_eq!(reply.due_at, cst!(2020-10-15 00:00));
}

#[test]
fn the_ladder_climbs_once_per_rung() {
    let cast = cast();
    let cal = cal();
    let p = Policy::default();
    let mut t = ticket_at(&cast, true, cst!(2020-09-29 10:00));
    // Nothing before the warning.
    assert!(pending_chases(&t, &cal, &p, cst!(2020-09-29 20:00)).is_empty());
    assert_eq!(next_due(&t, &cal, &p), Some(cst!(2020-09-29 20:30)));

    let first = pending_chases(&t, &cal, &p, cst!(2020-09-29 20:31));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].target, ChaseTarget::UnitContact);
    assert_eq!(first[0].clock, ClockKind::Acceptance);
    t.record_chase(first[0], EventId(uid(90_001)), cst!(2020-09-29 20:31));
    // Asked again, nothing new: a rung fires once.
    assert!(pending_chases(&t, &cal, &p, cst!(2020-09-29 23:59)).is_empty());
    assert_eq!(next_due(&t, &cal, &p), Some(cst!(2020-09-30 00:00)));

    // A scheduler that was down from Tuesday evening until Monday 12 October
    // catches up: the head (at the deadline), the coordinator (end of the next
    // working day, 30 September) and the committee (three working days late:
    // 30 Sep, 9 Oct, 10 Oct) — each once, in order.
    let catch_up = pending_chases(&t, &cal, &p, cst!(2020-10-12 09:00));
    let got: Vec<(ChaseTarget, Timestamp)> = catch_up
        .iter()
        .map(|c| (c.target, c.scheduled_at))
        .collect();
    assert_eq!(
        got,
        vec![
            (ChaseTarget::UnitHead, cst!(2020-09-30 00:00)),
            (ChaseTarget::Coordinator, cst!(2020-10-01 00:00)),
            (ChaseTarget::Committee, cst!(2020-10-11 00:00)),
        ]
    );
    for (i, c) in catch_up.into_iter().enumerate() {
        t.record_chase(c, EventId(uid(90_010 + i as u128)), cst!(2020-10-12 09:00));
    }
    assert!(pending_chases(&t, &cal, &p, cst!(2020-10-12 09:00)).is_empty());
    // The acceptance ladder is climbed; the reply clock's warning is next.
    let reply = clock_of(&t, ClockKind::Reply).expect("reply runs");
    assert_eq!(next_due(&t, &cal, &p), Some(reply.warn_at));
    t.check_invariants()
        .expect("a chase keeps the ticket consistent");
}

#[test]
fn claiming_stops_acceptance_and_a_decline_restarts_it() {
    let cast = cast();
    let cal = cal();
    let p = Policy::default();
    let mut t = ticket_at(&cast, true, cst!(2020-09-29 10:00));
    act(&mut t, &cast, "A", Action::Claim, cst!(2020-09-29 11:00));
    assert!(clock_of(&t, ClockKind::Acceptance).is_none());
    // Claimed before the warning: no acceptance chase ever, even much later.
    assert!(pending_chases(&t, &cal, &p, cst!(2020-10-01 00:00))
        .iter()
        .all(|c| c.clock == ClockKind::Reply));

    act(
        &mut t,
        &cast,
        "A",
        Action::Decline {
            reason: "不是我们的".into(),
        },
        cst!(2020-09-29 15:00),
    );
    let again = clock_of(&t, ClockKind::Acceptance).expect("waiting again");
    assert_eq!(again.started_at, cst!(2020-09-29 15:00));
    assert_eq!(again.due_at, cst!(2020-09-30 00:00));
    // The reply clock keeps running from the submission: a decline buys no time.
    assert_eq!(
        clock_of(&t, ClockKind::Reply).expect("runs").started_at,
        cst!(2020-09-29 10:00)
    );
}

#[test]
fn replying_stops_the_reply_clock_and_a_rejection_restarts_it() {
    let cast = cast();
    let cal = cal();
    let p = Policy::default();
    let mut t = ticket_at(&cast, true, cst!(2020-09-29 10:00));
    act(&mut t, &cast, "A", Action::Claim, cst!(2020-09-29 11:00));
    act(
        &mut t,
        &cast,
        "A",
        Action::Reply {
            text: "已安排维修".into(),
            outcome: OutcomePath::HandledByTown,
        },
        cst!(2020-10-09 10:00),
    );
    assert!(running_clocks(&t, &cal, &p).is_empty());
    assert_eq!(next_due(&t, &cal, &p), None);
    act(
        &mut t,
        &cast,
        "R",
        Action::Reject {
            reason: "还没修好".into(),
        },
        cst!(2020-10-12 09:00),
    );
    let reply = clock_of(&t, ClockKind::Reply).expect("重办 runs the clock again");
    assert_eq!(reply.started_at, cst!(2020-10-12 09:00));
    assert_eq!(reply.due_at, cst!(2020-11-13 00:00));
    assert!(clock_of(&t, ClockKind::Acceptance).is_none());
}
