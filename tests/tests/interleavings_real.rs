//! Property, on the real code: five phones (real device stores, `minqing_core`)
//! act on one item while a real server store (`minqing_server::Db`, SQLite)
//! holds the authoritative copy. Each step is one of: a phone takes an action
//! its detail screen offers (the core's own local echo and outbox), a phone
//! syncs (the core's push batch, the server's exactly-once push, the photos'
//! uploads as the engine records them, the server's pull and the core's rebase
//! of pending actions on top), the server clock jumps, or the escalation
//! scheduler passes. The protocol crate's `interleavings` test checks the rules
//! on a model at speed; this one checks that the real sync code keeps them:
//!
//! - the server's timeline only grows (append-only), every event id in it once,
//!   no ladder rung chased twice;
//! - a phone's copy never loses an event the server gave it: whatever it last
//!   pulled is still in its timeline, in order, with its own pending actions
//!   after it;
//! - once every phone has synced until its queue is empty, every phone's copy
//!   of the item *equals* the server's — which nothing copies into them: it
//!   can fail if push, pull or rebase were wrong.
//!
//! A fixed seed (the CI run is the run checked); coverage of the states
//! across the run is asserted.

use minqing_capture::testsupport::{photo_with, ExifSpec};
use minqing_core::outbox;
use minqing_core::screens::{ActionInput, InputKind};
use minqing_core::{sync, Minqing};
use minqing_protocol::{
    ActionKind, Actor, GroupId, OutcomePath, PhotoKind, Role, Ticket, TicketState, UnitId, UserId,
};
use minqing_server::store::directory::{NewGroup, NewUnit};
use minqing_server::store::uploads::UploadRecord;
use minqing_server::{Db, PullResult};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

const CASES: u32 = 160;
const MAX_STEPS: usize = 50;
/// 1 September 2020, 09:00 China time.
const START: i64 = 1_598_922_000_000;
const MINUTE: i64 = 60_000;

#[derive(Debug, Clone)]
enum Step {
    Act {
        phone: usize,
        pick: u8,
        n: u8,
    },
    Sync {
        phone: usize,
    },
    /// Every phone syncs, one after the other.
    SyncAll,
    /// A phone pushes; the server applies it, but the answer is lost (the
    /// phone counts a failed attempt, as on a broken connection); then it
    /// pulls, with the pushed actions still pending on it.
    LostAnswer {
        phone: usize,
    },
    Advance {
        minutes: u32,
    },
    Escalate,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        7 => (0..5usize, any::<u8>(), any::<u8>()).prop_map(|(phone, pick, n)| Step::Act { phone, pick, n }),
        4 => (0..5usize).prop_map(|phone| Step::Sync { phone }),
        2 => Just(Step::SyncAll),
        1 => (0..5usize).prop_map(|phone| Step::LostAnswer { phone }),
        2 => prop_oneof![1u32..=180, 180u32..=3 * 24 * 60, 3 * 24 * 60u32..=15 * 24 * 60]
            .prop_map(|minutes| Step::Advance { minutes }),
        1 => Just(Step::Escalate),
    ]
}

struct Phone {
    core: Minqing,
    actor: Actor,
    /// The server timeline (event ids) this phone last pulled.
    last_pulled: Vec<String>,
}

struct World {
    _dir: tempfile::TempDir,
    db: Db,
    phones: Vec<Phone>,
    ticket: String,
    now: i64,
    /// The server's timeline after the previous step.
    seen: Vec<String>,
}

fn actors(group: GroupId, unit: UnitId, other: UnitId) -> Vec<Actor> {
    let a = |role, unit: Option<UnitId>| Actor {
        user: UserId::new(),
        role,
        unit,
        groups: vec![group],
    };
    vec![
        a(Role::CityDeputy, None),         // R: reported it
        a(Role::UnitContact, Some(unit)),  // A: the unit's contact
        a(Role::UnitHead, Some(unit)),     // H: its head
        a(Role::UnitContact, Some(other)), // O: another unit of the group
        a(Role::Coordinator, None),        // C: the group's coordinator
    ]
}

fn world(mention: bool) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let db = Db::open(&dir.path().join("server.db")).expect("server");
    let (group, unit, other) = (GroupId::new(), UnitId::new(), UnitId::new());
    for (id, name) in [(unit, "中国移动海宁分公司"), (other, "市住建局")] {
        db.insert_unit(&NewUnit {
            id,
            name_zh: name,
            name_en: name,
            kind: "company",
            key: None,
        })
        .expect("unit");
    }
    db.insert_group(&NewGroup {
        id: group,
        name_zh: "街道直通车群",
        name_en: "Streets",
        jurisdiction: "haizhou",
    })
    .expect("group");
    let phones: Vec<Phone> = actors(group, unit, other)
        .into_iter()
        .enumerate()
        .map(|(i, actor)| {
            let core = Minqing::open_at(dir.path().join(format!("phone{i}"))).expect("open");
            core.set_profile(&actor).expect("profile");
            Phone {
                core,
                actor,
                last_pulled: Vec::new(),
            }
        })
        .collect();
    // The deputy reports (routed to the unit when @-mentioned) and syncs.
    let r = &phones[0].core;
    let draft = r.drafts().create().expect("draft");
    r.drafts()
        .set_text(draft.id.clone(), "水月亭路窨井盖松动".into())
        .expect("text");
    if mention {
        r.drafts()
            .set_mention(draft.id.clone(), Some(unit.to_string()))
            .expect("mention");
    }
    let ticket = r.drafts().submit(draft.id).expect("submit").id;
    let mut w = World {
        _dir: dir,
        db,
        phones,
        ticket,
        now: START,
        seen: Vec::new(),
    };
    sync_phone(&mut w, 0);
    w
}

/// Phone `i` pushes, the server applies, the answer never arrives; then a
/// pull (the engine's next pass would push again first; a pull in between is
/// what a second, read-only request could bring).
fn lost_answer(w: &mut World, i: usize) {
    let now = w.now;
    let p = &w.phones[i];
    let store = p.core.store();
    let batch = sync::prepare_push(store, 100).expect("prepare");
    if let Some(m) = batch.first() {
        w.db.push(&p.actor, m.client_id, &batch, now).expect("push");
        store
            .write(|tx| outbox::fail_sending(tx, "the answer was lost"))
            .expect("lost");
    }
    pull(w, i);
}

fn pull(w: &mut World, i: usize) {
    let p = &mut w.phones[i];
    let store = p.core.store();
    let cursor = sync::cursor(store).expect("cursor");
    match w.db.pull(&p.actor, cursor.as_deref()).expect("pull") {
        PullResult::Changes {
            tickets,
            gone,
            cursor,
            ..
        } => {
            sync::apply_pull(store, &tickets, &gone, &cursor).expect("apply pull");
            if let Some(t) = tickets.iter().find(|t| t.id.to_string() == w.ticket) {
                p.last_pulled = t.timeline.iter().map(|e| e.id.to_string()).collect();
            }
        }
        PullResult::Reset { .. } => sync::reset_cursor(store).expect("reset"),
    }
}

/// One sync of phone `i` as the engine does it, with the server in-process:
/// push, upload what is due (the bytes are not moved: the server records the
/// upload finished, as tus would), push what the uploads released, pull.
fn sync_phone(w: &mut World, i: usize) {
    let now = w.now;
    let p = &mut w.phones[i];
    let store = p.core.store();
    for _ in 0..3 {
        let batch = sync::prepare_push(store, 100).expect("prepare");
        if !batch.is_empty() {
            let client = batch[0].client_id;
            let r = w.db.push(&p.actor, client, &batch, now).expect("push");
            assert_eq!(r.forked_at, None);
            let rejected: Vec<(u64, String)> = r
                .rejected
                .iter()
                .map(|x| (x.mutation_id, x.reason.to_string()))
                .collect();
            sync::record_push_result(store, r.last_mutation_id, &rejected).expect("record");
        }
        let mut uploaded = 0;
        while let Some(job) = store.write(outbox::take_upload).expect("take upload") {
            let rec = UploadRecord {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: p.actor.user.to_string(),
                photo_id: job.payload.photo_id.to_string(),
                ticket_id: job.ticket_id.clone(),
                sha256: job.payload.sha256.clone(),
                length: job.payload.bytes,
                offset: 0,
                expires_at: now + 86_400_000,
                completed: false,
            };
            let rec = w.db.create_upload(&rec, now).expect("create upload");
            w.db.complete_upload(&rec.id, now).expect("complete upload");
            store
                .write(|tx| outbox::complete_upload(tx, job.entry_id))
                .expect("done");
            uploaded += 1;
        }
        if uploaded == 0 && batch.is_empty() {
            break;
        }
    }
    pull(w, i);
}

fn proof_photo(now: i64) -> Vec<u8> {
    let t = time::OffsetDateTime::from_unix_timestamp(now / 1000)
        .expect("time")
        .to_offset(time::macros::offset!(+8));
    photo_with(
        320,
        240,
        &ExifSpec {
            date_time_original: Some(format!(
                "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )),
            gps_time: None,
            latitude: None,
            longitude: None,
            ..ExifSpec::default()
        },
    )
}

/// Phone `i` takes one of the actions its detail screen offers now, with
/// inputs that pass validation. Offers the phone cannot fill here (another
/// item to merge into) are skipped.
fn act(w: &mut World, i: usize, pick: u8, n: u8) {
    let core = &w.phones[i].core;
    let Ok(detail) = core.tickets().detail(w.ticket.clone()) else {
        return; // not visible to this phone (yet, or any more)
    };
    let offers: Vec<_> = detail
        .actions
        .iter()
        .filter(|o| o.kind != ActionKind::Merge)
        .collect();
    if offers.is_empty() {
        return;
    }
    let offer = offers[pick as usize % offers.len()];
    let outcome = if n.is_multiple_of(2) {
        OutcomePath::HandledInGroup
    } else {
        OutcomePath::HandledByTown
    };
    let choice = |kind: InputKind| {
        offer
            .inputs
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.choices.get(n as usize % s.choices.len().max(1)))
            .map(|c| c.value.clone())
    };
    let text = format!("第{n}句");
    let input = match offer.kind {
        ActionKind::Claim => ActionInput::Claim,
        ActionKind::Decline => ActionInput::Decline { reason: text },
        ActionKind::Ask => ActionInput::Ask { text },
        ActionKind::Answer => ActionInput::Answer { text },
        ActionKind::Reassign => match choice(InputKind::Unit) {
            Some(unit_id) => ActionInput::Reassign { unit_id },
            None => return,
        },
        ActionKind::Reply => ActionInput::Reply { text, outcome },
        ActionKind::Resolve => {
            let photo = core
                .tickets()
                .add_photo_bytes(w.ticket.clone(), proof_photo(w.now), PhotoKind::Proof)
                .expect("proof photo");
            ActionInput::Resolve {
                text,
                outcome,
                proof_photo_ids: vec![photo],
            }
        }
        ActionKind::Confirm => ActionInput::Confirm {
            rating: Some(n % 5 + 1),
        },
        ActionKind::Reject => ActionInput::Reject { reason: text },
        // Rarely the end of the road (it closes the item): 1 in 6.
        ActionKind::ExplainClose if n.is_multiple_of(6) => ActionInput::ExplainClose { text },
        ActionKind::ExplainClose => return,
        ActionKind::Rate => ActionInput::Rate { stars: n % 5 + 1 },
        ActionKind::AttachEvidence | ActionKind::AttachProof => return,
        _ => return,
    };
    // An offered action is accepted locally: the screen and the state
    // machine agree (a refusal here would be a button that fails).
    core.tickets()
        .act(w.ticket.clone(), input)
        .unwrap_or_else(|e| panic!("offered {:?} refused: {e}", offer.kind));
}

fn server_ticket(w: &World) -> Ticket {
    w.db.ticket(&w.ticket)
        .expect("read")
        .expect("on the server")
}

fn local_ticket(p: &Phone, id: &str) -> Option<Ticket> {
    p.core
        .store()
        .read(|c| minqing_core::tickets::load(c, id).map(Some).or(Ok(None)))
        .expect("read")
}

/// The invariants after every step.
fn check(w: &mut World) {
    let t = server_ticket(w);
    let ids: Vec<String> = t.timeline.iter().map(|e| e.id.to_string()).collect();
    assert!(
        ids.starts_with(&w.seen),
        "the server's timeline was rewritten"
    );
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an event twice");
    let chases: Vec<String> = t
        .timeline
        .iter()
        .filter_map(|e| match &e.kind {
            minqing_protocol::EventKind::Chased { chase } => Some(format!(
                "{:?}/{}/{:?}",
                chase.clock, chase.clock_started_at, chase.level
            )),
            _ => None,
        })
        .collect();
    let distinct: HashSet<&String> = chases.iter().collect();
    assert_eq!(distinct.len(), chases.len(), "a rung chased twice");
    w.seen = ids;
    for p in &w.phones {
        if p.last_pulled.is_empty() {
            continue;
        }
        if let Some(local) = local_ticket(p, &w.ticket) {
            let local: Vec<String> = local.timeline.iter().map(|e| e.id.to_string()).collect();
            assert!(
                local.starts_with(&p.last_pulled),
                "a phone lost events it had pulled"
            );
            let once: HashSet<&String> = local.iter().collect();
            assert_eq!(once.len(), local.len(), "an event twice on a phone");
        }
    }
}

fn run(mention: bool, steps: &[Step], states: &Mutex<BTreeSet<String>>) {
    let mut w = world(mention);
    check(&mut w);
    for s in steps {
        match *s {
            Step::Act { phone, pick, n } => act(&mut w, phone, pick, n),
            Step::Sync { phone } => sync_phone(&mut w, phone),
            Step::LostAnswer { phone } => lost_answer(&mut w, phone),
            Step::SyncAll => {
                for i in 0..w.phones.len() {
                    sync_phone(&mut w, i);
                }
            }
            Step::Advance { minutes } => w.now += i64::from(minutes) * MINUTE,
            Step::Escalate => {
                minqing_server::workflow::escalation::run_once(&w.db, w.now).expect("escalate");
            }
        }
        check(&mut w);
        let state = format!("{:?}", server_ticket(&w).state);
        states.lock().expect("lock").insert(state);
    }
    // Everyone syncs until nothing is left, twice over so each hears the
    // others' last changes.
    for _ in 0..3 {
        for i in 0..w.phones.len() {
            sync_phone(&mut w, i);
        }
    }
    let server = server_ticket(&w);
    for (i, p) in w.phones.iter().enumerate() {
        let queue = p.core.sync().outbox().expect("queue");
        assert!(
            queue
                .iter()
                .all(|e| e.state != minqing_core::outbox::OutboxState::Pending
                    && e.state != minqing_core::outbox::OutboxState::Sending),
            "phone {i} kept unsent entries: {queue:?}"
        );
        if let Some(local) = local_ticket(p, &w.ticket) {
            assert_eq!(local, server, "phone {i}'s copy differs from the server's");
        }
    }
}

#[test]
fn five_real_phones_and_a_real_server_agree() {
    let states = Mutex::new(BTreeSet::new());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    runner
        .run(
            &(any::<bool>(), prop::collection::vec(step(), 0..=MAX_STEPS)),
            |(mention, steps)| {
                run(mention, &steps, &states);
                Ok(())
            },
        )
        .expect("property");
    let states = states.into_inner().expect("lock");
    println!("states reached: {states:?}");
    for want in [
        TicketState::Pool,
        TicketState::Routed,
        TicketState::Accepted,
        TicketState::Replied,
        TicketState::Resolved,
        TicketState::Reopened,
        TicketState::Closed,
    ] {
        assert!(
            states.contains(&format!("{want:?}")),
            "no case reached {want:?}: {states:?}"
        );
    }
}
