//! The escalation scheduler against a real database, on both backends: the
//! ladder climbs across golden week, survives the server being stopped and
//! started again (nothing is kept in memory), never chases twice — not even
//! when two server processes run a pass at the same moment — and devices pull
//! the chases.

mod support;

use support::tickets;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::{ChaseTarget, ClockKind};
use minqing_protocol::*;
use minqing_server::workflow::escalation::run_once;
use minqing_server::workflow::Workflow;
use minqing_server::{Db, PullResult};
use time::macros::datetime;

const FIXTURE_2020: &str = include_str!("../../protocol/tests/fixtures/calendar-2020.toml");

macro_rules! cst {
    ($($t:tt)*) => {
        datetime!($($t)* +8).unix_timestamp() * 1000
    };
}

fn workflow() -> Workflow {
    Workflow::new(
        Calendar::from_files([FIXTURE_2020]).expect("fixture"),
        Default::default(),
    )
}

struct World {
    deputy: Actor,
    contact: Actor,
    unit: UnitId,
}

fn world() -> World {
    let group = GroupId::new();
    let unit = UnitId::new();
    World {
        deputy: Actor {
            user: UserId::new(),
            role: Role::CityDeputy,
            unit: None,
            groups: vec![group],
        },
        contact: Actor {
            user: UserId::new(),
            role: Role::UnitContact,
            unit: Some(unit),
            groups: vec![group],
        },
        unit,
    }
}

/// The deputy submits an item @-mentioning the unit, at `at`.
fn submit(db: &Db, w: &World, at: i64) -> TicketId {
    let client = ClientId::new();
    let ticket = NewTicket {
        mentioned_unit: Some(w.unit),
        ..tickets::new("水月亭路窨井盖松动")
    };
    let id = ticket.id;
    let m = tickets::create(client, 1, ticket);
    let r = db.push(&w.deputy, client, &[m], at).expect("push");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    id
}

fn chases(db: &Db, id: TicketId) -> Vec<(ClockKind, u8, ChaseTarget)> {
    let t = db.ticket(&id.to_string()).expect("read").expect("ticket");
    t.check_invariants().expect("consistent");
    t.timeline
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Chased { chase } => Some((chase.clock, chase.level, chase.target)),
            _ => None,
        })
        .collect()
}

/// `open` opens the same database again, as a restarted server process would.
fn ladder_survives_restarts(open: &dyn Fn() -> Db) {
    let w = world();
    let db = open();
    tickets::directory(&db, w.deputy.groups[0], w.unit);
    db.set_workflow(workflow()).expect("workflow");
    // Tuesday 29 September 2020, 10:00: acceptance due at midnight.
    let id = submit(&db, &w, cst!(2020-09-29 10:00));
    let (_, cursor) = match db.pull(&w.contact, None).expect("pull") {
        PullResult::Changes { cursor, .. } => ((), cursor),
        PullResult::Reset { .. } => panic!("reset"),
    };

    let r = run_once(&db, cst!(2020-09-29 20:00)).expect("pass");
    assert_eq!((r.visited, r.chased), (0, 0), "nothing before the warning");
    let r = run_once(&db, cst!(2020-09-29 20:31)).expect("pass");
    assert_eq!(r.chased, 1, "the contact is reminded when yellow");
    let r = run_once(&db, cst!(2020-09-29 20:31)).expect("pass");
    assert_eq!((r.visited, r.chased), (0, 0), "asked again: nothing due");
    assert_eq!(
        chases(&db, id),
        vec![(ClockKind::Acceptance, 1, ChaseTarget::UnitContact)]
    );

    // The server stops on Tuesday night and starts again on Monday 12 October,
    // after golden week.
    drop(db);
    let db = open();
    db.set_workflow(workflow()).expect("workflow");
    let r = run_once(&db, cst!(2020-10-12 09:00)).expect("pass");
    assert_eq!(
        r.chased, 3,
        "head, coordinator, committee: caught up once each"
    );
    let r = run_once(&db, cst!(2020-10-12 09:00)).expect("pass");
    assert_eq!(r.chased, 0);
    assert_eq!(
        chases(&db, id),
        vec![
            (ClockKind::Acceptance, 1, ChaseTarget::UnitContact),
            (ClockKind::Acceptance, 2, ChaseTarget::UnitHead),
            (ClockKind::Acceptance, 3, ChaseTarget::Coordinator),
            (ClockKind::Acceptance, 4, ChaseTarget::Committee),
        ]
    );

    // The chases are changes: the unit's device pulls them.
    match db.pull(&w.contact, Some(&cursor)).expect("pull") {
        PullResult::Changes { tickets, .. } => {
            assert_eq!(tickets.len(), 1);
            assert_eq!(tickets[0].timeline.len(), 1 + 4);
        }
        PullResult::Reset { .. } => panic!("reset"),
    }

    // Claimed at last: the acceptance clock stops. The reply clock (one month:
    // due at the end of Thursday 29 October) is the only one left; nothing more
    // is due this week.
    let client = ClientId::new();
    let claim = Mutation {
        client_id: client,
        mutation_id: 1,
        kind: MutationKind::Act {
            ticket: id,
            event: EventId::new(),
            action: Action::Claim,
        },
    };
    db.push(&w.contact, client, &[claim], cst!(2020-10-12 09:05))
        .expect("claim");
    let r = run_once(&db, cst!(2020-10-16 09:00)).expect("pass");
    assert_eq!(r.chased, 0);
    let r = run_once(&db, cst!(2020-10-30 09:00)).expect("pass");
    assert_eq!(
        r.chased, 2,
        "reply: reminder, then the head at the deadline"
    );
    assert_eq!(chases(&db, id).len(), 6);
}

#[test]
fn ladder_survives_restarts_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("server.db");
    ladder_survives_restarts(&|| Db::open(&path).expect("open"));
}

#[test]
fn ladder_survives_restarts_on_postgres() {
    if let Some(url) = support::db::fresh_pg_url() {
        ladder_survives_restarts(&|| Db::connect_postgres(&url).expect("connect"));
    }
}

/// Two processes on one database run a pass at the same moment over 40 late
/// items: every rung is recorded exactly once.
fn two_schedulers_chase_once(open: &dyn Fn() -> Db) {
    let w = world();
    let a = open();
    tickets::directory(&a, w.deputy.groups[0], w.unit);
    let b = open();
    a.set_workflow(workflow()).expect("workflow");
    b.set_workflow(workflow()).expect("workflow");
    let ids: Vec<TicketId> = (0..40)
        .map(|_| submit(&a, &w, cst!(2020-09-29 10:00)))
        .collect();
    let now = cst!(2020-10-12 09:00);
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| run_once(&a, now).expect("pass a"));
        let hb = s.spawn(|| run_once(&b, now).expect("pass b"));
        (ha.join().expect("a"), hb.join().expect("b"))
    });
    assert_eq!(ra.chased + rb.chased, 40 * 4, "a: {ra:?}, b: {rb:?}");
    for id in ids {
        assert_eq!(chases(&a, id).len(), 4);
    }
}

#[test]
fn two_schedulers_chase_once_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("server.db");
    two_schedulers_chase_once(&|| Db::open(&path).expect("open"));
}

#[test]
fn two_schedulers_chase_once_on_postgres() {
    if let Some(url) = support::db::fresh_pg_url() {
        two_schedulers_chase_once(&|| Db::connect_postgres(&url).expect("connect"));
    }
}
