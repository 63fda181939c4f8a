//! Property: several devices act on one ticket while a server holds the
//! authoritative copy. Each device keeps its own copy and a queue of what it did
//! locally (local echo through [`Ticket::apply`]; a refused action is a button the
//! app does not offer). Random interleavings of those actions, syncs (push the
//! queue in order, stamped with the server's time, refused ones dropped; then pull),
//! jumps of the server clock across September–November 2020 (golden week
//! included) and escalation passes never break the rules, never rewrite or lose
//! an event, never chase the same rung twice, and leave every device with the
//! server's copy once all have synced.

mod support;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::{next_due, pending_chases, running_clocks, ClockKind, Policy};
use minqing_protocol::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use support::*;
use time::macros::datetime;

const FIXTURE_2020: &str = include_str!("fixtures/calendar-2020.toml");

/// A moment in Haining (China Standard Time), as a server timestamp.
macro_rules! cst {
    ($($t:tt)*) => {
        datetime!($($t)* +8).unix_timestamp() * 1000
    };
}

const MINUTE: i64 = 60_000;
const CASES: u32 = 1000;
const MAX_STEPS: usize = 60;

/// The devices, by their actor's name in [`cast`]: the deputy who reported the
/// item, the contact and the head of its unit, the contact of another unit in the
/// group, and the group's coordinator.
const DEVICES: [&str; 5] = ["R", "A", "O", "C", "H"];

#[derive(Debug, Clone)]
enum Step {
    /// A device performs an action on its own copy and queues it.
    Act { device: usize, kind: u8, n: u8 },
    /// A device pushes its queue to the server, then pulls the server's copy.
    Sync { device: usize },
    /// The server clock moves forward.
    Advance { minutes: u32 },
    /// The escalation scheduler passes over the ticket.
    Escalate,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..DEVICES.len(), any::<u8>(), any::<u8>())
            .prop_map(|(device, kind, n)| Step::Act { device, kind, n }),
        3 => (0..DEVICES.len()).prop_map(|device| Step::Sync { device }),
        3 => prop_oneof![
            1u32..=120,               // minutes
            60u32..=24 * 60,          // hours
            24 * 60u32..=5 * 24 * 60, // days
            5 * 24 * 60u32..=20 * 24 * 60, // weeks
        ]
        .prop_map(|minutes| Step::Advance { minutes }),
        2 => Just(Step::Escalate),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    /// Routed to the @-mentioned unit, or in the claim pool.
    mention: bool,
    /// Minutes after 1 September 2020 00:00 (CST) the item is submitted.
    start_minute: u32,
    steps: Vec<Step>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        0u32..45 * 24 * 60,
        prop::collection::vec(step(), 0..=MAX_STEPS),
    )
        .prop_map(|(mention, start_minute, steps)| Case {
            mention,
            start_minute,
            steps,
        })
}

/// What a device's user does, chosen by `kind`, with contents that pass
/// validation: the interest is in who acts when, not in empty texts.
fn action_for(cast: &Cast, local: &Ticket, kind: u8, n: u8, fresh: u128) -> Action {
    let units = [cast.unit, cast.other_unit, cast.outside_unit];
    let outcome = if n.is_multiple_of(2) {
        OutcomePath::HandledInGroup
    } else {
        OutcomePath::HandledByTown
    };
    let new_photo = |kind| PhotoRef {
        id: PhotoId(uid(fresh)),
        ..photo(0, kind)
    };
    match kind % 16 {
        0 | 1 => Action::Claim,
        2 => Action::Decline {
            reason: format!("不是我们的 {n}"),
        },
        3 => Action::Ask {
            text: format!("是哪种井盖？{n}"),
        },
        4 => Action::Answer {
            text: format!("移动的 {n}"),
        },
        5 => Action::Reassign {
            unit: units[usize::from(n) % units.len()],
        },
        6 | 7 => Action::Reply {
            text: format!("已派人查看 {n}"),
            outcome,
        },
        8 | 9 => {
            // The proof photo this device's copy shows, else one still uploading.
            let proof = local
                .photos
                .iter()
                .rev()
                .find(|p| p.kind == PhotoKind::Proof)
                .map_or(PhotoId(uid(fresh)), |p| p.id);
            Action::Resolve {
                text: format!("已处理好 {n}"),
                proof: vec![proof],
                outcome,
            }
        }
        10 => Action::Confirm {
            rating: (!n.is_multiple_of(6)).then_some(n % 6),
        },
        11 => Action::Reject {
            reason: format!("仍然松动 {n}"),
        },
        12 => Action::Rate { stars: n % 5 + 1 },
        13 => Action::AttachPhoto {
            photo: new_photo(PhotoKind::Evidence),
        },
        14 => Action::AttachPhoto {
            photo: new_photo(PhotoKind::Proof),
        },
        // Rarely the end of the road: merged, or explained on the spot.
        _ => match n % 8 {
            0 => Action::Merge {
                into: TicketId(uid(1001)),
            },
            1 => Action::ExplainClose {
                text: format!("已向群众解释 {n}"),
            },
            _ => Action::Ask {
                text: format!("进展如何？{n}"),
            },
        },
    }
}

/// Most taps are on buttons the user's role has somewhere (the app shows them,
/// whether or not this copy's state allows them); one in eight is any action at
/// all, as a stale or tampered client might send. Returns a `kind` for
/// [`action_for`].
fn kind_for(role: Role, kind: u8) -> u8 {
    // answer, confirm, reject, rate, evidence photo, explain / merge / ask
    const DEPUTY: &[u8] = &[4, 10, 10, 11, 12, 13, 15];
    // claim, decline, ask, reply, resolve, proof photo
    const UNIT: &[u8] = &[0, 2, 3, 6, 8, 14];
    // ask, reassign, merge / explain / ask
    const SUPERVISOR: &[u8] = &[3, 5, 5, 15];
    if kind.is_multiple_of(8) {
        return kind / 8;
    }
    let menu = if role.is_deputy() {
        DEPUTY
    } else if role.is_unit() {
        UNIT
    } else {
        SUPERVISOR
    };
    menu[usize::from(kind / 8) % menu.len()]
}

struct Device {
    actor: Actor,
    local: Ticket,
    /// Performed locally, not pushed yet: (event id, action).
    queue: Vec<(EventId, Action)>,
    /// How many actions the server had accepted when this device last pulled.
    seen_accepted: usize,
}

struct World {
    cast: Cast,
    cal: Calendar,
    policy: Policy,
    server: Ticket,
    devices: Vec<Device>,
    now: Timestamp,
    end: Timestamp,
    next_id: u128,
    /// Actions the server accepted, by event id.
    accepted: BTreeMap<EventId, Action>,
    /// Actions the server refused (dropped from the pushing device's queue).
    refused: BTreeSet<EventId>,
    /// Chase events the scheduler recorded.
    chases: BTreeSet<EventId>,
    /// Actions performed on some device (accepted by its local copy).
    performed: usize,
}

/// Numbers gathered over all cases, to show the generator reaches what matters.
#[derive(Default, Debug)]
struct Stats {
    steps: usize,
    performed: usize,
    locally_refused: usize,
    accepted: usize,
    refused: usize,
    uncontended_pushes: usize,
    chases: usize,
    states: HashSet<TicketState>,
    rungs: BTreeSet<(ClockKind, u8)>,
    terminal_cases: usize,
}

impl World {
    fn new(mention: bool, start: Timestamp) -> World {
        let cast = cast();
        let mut server = submitted(&cast, mention);
        server.created_at = start;
        server.timeline[0].at = start;
        let devices = DEVICES
            .iter()
            .map(|name| Device {
                actor: cast
                    .actors
                    .iter()
                    .find(|(n, _)| n == name)
                    .expect("actor in the cast")
                    .1
                    .clone(),
                local: server.clone(),
                queue: Vec::new(),
                seen_accepted: 0,
            })
            .collect();
        World {
            cast,
            cal: Calendar::from_files([FIXTURE_2020]).expect("fixture loads"),
            policy: Policy::default(),
            server,
            devices,
            now: start,
            end: cst!(2020-11-30 23:59),
            next_id: 1_000_000,
            accepted: BTreeMap::new(),
            refused: BTreeSet::new(),
            chases: BTreeSet::new(),
            performed: 0,
        }
    }

    fn fresh(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    fn act(&mut self, d: usize, kind: u8, n: u8, stats: &mut Stats) -> Result<(), TestCaseError> {
        let fresh = self.fresh();
        let kind = kind_for(self.devices[d].actor.role, kind);
        let action = action_for(&self.cast, &self.devices[d].local, kind, n, fresh);
        let event = EventId(uid(self.fresh()));
        let now = self.now;
        let device = &mut self.devices[d];
        let before = device.local.clone();
        match device
            .local
            .apply(&device.actor, action.clone(), event, now)
        {
            Ok(()) => {
                device.queue.push((event, action));
                self.performed += 1;
                stats.performed += 1;
            }
            Err(_) => {
                // The button is not there: nothing happens, nothing is queued.
                prop_assert_eq!(&device.local, &before);
                stats.locally_refused += 1;
            }
        }
        Ok(())
    }

    fn sync(&mut self, d: usize, stats: &mut Stats) -> Result<(), TestCaseError> {
        // Nobody else's action reached the server since this device last pulled:
        // its local echo must be exactly what the server decides.
        let uncontended = self.devices[d].seen_accepted == self.accepted.len();
        let queue = std::mem::take(&mut self.devices[d].queue);
        let pushed = !queue.is_empty();
        let actor = self.devices[d].actor.clone();
        for (event, action) in queue {
            let before = self.server.clone();
            match self.server.apply(&actor, action.clone(), event, self.now) {
                Ok(()) => {
                    self.accepted.insert(event, action);
                    stats.accepted += 1;
                }
                Err(denied) => {
                    prop_assert!(
                        !uncontended,
                        "the server refused {:?} by {} ({denied}) although nobody else acted since the device pulled",
                        action,
                        DEVICES[d]
                    );
                    prop_assert_eq!(&self.server, &before, "a refused action changed the ticket");
                    self.refused.insert(event);
                    stats.refused += 1;
                }
            }
        }
        if uncontended && pushed {
            stats.uncontended_pushes += 1;
            prop_assert_eq!(
                without_times_and_chases(&self.devices[d].local),
                without_times_and_chases(&self.server),
                "local echo and the server disagree although nobody else acted"
            );
        }
        // Pull: the queue is empty now, so the local copy is the server's.
        let device = &mut self.devices[d];
        device.local = self.server.clone();
        device.seen_accepted = self.accepted.len();
        Ok(())
    }

    fn escalate(&mut self, stats: &mut Stats) -> Result<(), TestCaseError> {
        let before = self.server.clone();
        let now = self.now;
        for chase in pending_chases(&self.server, &self.cal, &self.policy, now) {
            prop_assert!(
                chase.scheduled_at <= now,
                "chase from the future: {chase:?}"
            );
            let rung = usize::from(chase.level)
                .checked_sub(1)
                .and_then(|i| self.policy.ladder.get(i));
            prop_assert_eq!(
                rung.map(|r| r.target),
                Some(chase.target),
                "chase off the ladder"
            );
            let event = EventId(uid(self.fresh()));
            self.server.record_chase(chase, event, now);
            self.chases.insert(event);
            stats.chases += 1;
            stats.rungs.insert((chase.clock, chase.level));
        }
        // Chases only add timeline events: state, unit, everything else unchanged.
        let mut rest = self.server.clone();
        let only_chases = rest.timeline[before.timeline.len()..]
            .iter()
            .all(|e| matches!(e.kind, EventKind::Chased { .. }));
        prop_assert!(only_chases, "a pass added something else than chases");
        rest.timeline.truncate(before.timeline.len());
        prop_assert_eq!(&rest, &before, "a chase changed more than the timeline");
        // The pass is complete: nothing left due now, the next look is later.
        let left = pending_chases(&self.server, &self.cal, &self.policy, now);
        prop_assert!(left.is_empty(), "still due after a pass: {left:?}");
        if let Some(next) = next_due(&self.server, &self.cal, &self.policy) {
            prop_assert!(next > now, "next_due {next} is not after now {now}");
        }
        Ok(())
    }

    /// The rules that hold after every step. `prev` is the server timeline before it.
    fn check(&self, prev: &[TimelineEvent]) -> Result<(), TestCaseError> {
        let t = &self.server;
        if let Err(rule) = t.check_invariants() {
            prop_assert!(false, "invariant broken: {rule}; ticket {t:?}");
        }
        // Append-only.
        prop_assert!(
            t.timeline.len() >= prev.len() && t.timeline[..prev.len()] == *prev,
            "the timeline was rewritten"
        );
        // Every accepted action exactly once, with its own content; refused ones
        // never; nothing else but the submission and the chases.
        let mut count: BTreeMap<EventId, usize> = BTreeMap::new();
        for e in &t.timeline {
            *count.entry(e.id).or_default() += 1;
        }
        for id in self.accepted.keys() {
            prop_assert_eq!(
                count.get(id),
                Some(&1),
                "accepted event {} not there exactly once",
                id
            );
        }
        for id in &self.refused {
            prop_assert!(
                !count.contains_key(id),
                "refused event {id} in the timeline"
            );
        }
        prop_assert_eq!(
            t.timeline.len(),
            1 + self.accepted.len() + self.chases.len()
        );
        for e in &t.timeline[1..] {
            match &e.kind {
                EventKind::Action { action } => {
                    prop_assert_eq!(self.accepted.get(&e.id), Some(action))
                }
                EventKind::Chased { .. } => prop_assert!(self.chases.contains(&e.id)),
                EventKind::Submitted => prop_assert!(false, "a second submission"),
                EventKind::RoutedByRule { .. } => prop_assert!(false, "no rules in this model"),
                EventKind::Absorbed { .. } => prop_assert!(false, "no absorbing in this model"),
            }
        }
        // Server time only moves forward.
        prop_assert!(
            t.timeline.windows(2).all(|w| w[0].at <= w[1].at),
            "timeline times go backwards"
        );
        prop_assert!(t.timeline.iter().all(|e| e.at <= self.now));
        // No rung of a clock's run is chased twice.
        let mut rungs = BTreeSet::new();
        for e in &t.timeline {
            if let EventKind::Chased { chase } = &e.kind {
                prop_assert!(
                    rungs.insert((chase.clock, chase.clock_started_at, chase.level)),
                    "chased twice: {chase:?}"
                );
            }
        }
        // Finished items have no clocks.
        if t.state.is_terminal() {
            let running = running_clocks(t, &self.cal, &self.policy);
            prop_assert!(
                running.is_empty(),
                "{:?} ticket with clocks {running:?}",
                t.state
            );
        }
        Ok(())
    }

    fn run(&mut self, step: &Step, stats: &mut Stats) -> Result<(), TestCaseError> {
        let prev = self.server.timeline.clone();
        match *step {
            Step::Act { device, kind, n } => self.act(device, kind, n, stats)?,
            Step::Sync { device } => self.sync(device, stats)?,
            Step::Advance { minutes } => {
                self.now = (self.now + i64::from(minutes) * MINUTE).min(self.end)
            }
            Step::Escalate => self.escalate(stats)?,
        }
        stats.steps += 1;
        stats.states.insert(self.server.state);
        self.check(&prev)
    }
}

/// A ticket as its content and history, without when things happened (a local
/// echo is stamped when tapped, the server's copy when pushed) and without the
/// chases (the scheduler may have added some the device has not pulled yet).
fn without_times_and_chases(t: &Ticket) -> Ticket {
    let mut t = t.clone();
    t.timeline
        .retain(|e| !matches!(e.kind, EventKind::Chased { .. }));
    for e in &mut t.timeline {
        e.at = 0;
    }
    t
}

fn run_case(case: &Case, stats: &mut Stats) -> Result<(), TestCaseError> {
    let start = cst!(2020-09-01 00:00) + i64::from(case.start_minute) * MINUTE;
    let mut w = World::new(case.mention, start);
    w.check(&[])?;
    for step in &case.steps {
        w.run(step, stats)?;
    }
    // Everyone pushes, then everyone pulls what the others pushed.
    for _round in 0..2 {
        for device in 0..DEVICES.len() {
            w.run(&Step::Sync { device }, stats)?;
        }
    }
    for (d, device) in w.devices.iter().enumerate() {
        prop_assert!(device.queue.is_empty());
        prop_assert_eq!(
            &device.local,
            &w.server,
            "device {} differs from the server",
            DEVICES[d]
        );
    }
    // Every action a device performed was either accepted once or refused.
    prop_assert_eq!(w.accepted.len() + w.refused.len(), w.performed);
    if w.server.state.is_terminal() {
        stats.terminal_cases += 1;
    }
    Ok(())
}

#[test]
fn devices_syncs_clock_jumps_and_escalation_never_break_the_rules() {
    let config = Config {
        cases: CASES,
        // Regressions are reported here, not written next to the tests.
        failure_persistence: None,
        ..Config::default()
    };
    let stats = RefCell::new(Stats::default());
    // A fixed seed: the coverage checks below must hold for the run CI makes,
    // not for a lucky one (a random seed once missed 重办 in 1,000 cases).
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&case(), |case| run_case(&case, &mut stats.borrow_mut()));
    if let Err(err) = result {
        panic!("{err}");
    }
    let stats = stats.into_inner();
    eprintln!("interleavings over {CASES} cases: {stats:#?}");
    // The generator must actually reach what the properties are about.
    for state in TicketState::ALL {
        assert!(stats.states.contains(&state), "never reached {state:?}");
    }
    for clock in [ClockKind::Acceptance, ClockKind::Reply] {
        for level in 1..=4u8 {
            assert!(
                stats.rungs.contains(&(clock, level)),
                "never chased {clock:?} level {level}"
            );
        }
    }
    assert!(stats.refused > 0, "no push was ever refused");
    assert!(stats.uncontended_pushes > 0);
    assert!(stats.locally_refused > 0);
    assert!(stats.terminal_cases > 0);
}
