//! Escalation benchmark: 100,000 open items, scanned and escalated, beside a
//! named baseline run in the same process.
//! Run: `cargo bench -p minqing-server --bench escalation` (results in
//! docs/benchmarks.md; add MINQING_TEST_DATABASE_URL to measure PostgreSQL too).
//!
//! Setup: 100,000 items @-mentioning a unit, submitted on Tuesday 29 September
//! 2020 at 10:00 (calendar fixture with golden week), pushed through the store
//! as devices would. Measured:
//! - escalate: one scheduler pass on Monday 12 October 09:00, when every item is
//!   due for four rungs (contact, head, coordinator, committee): 400,000 chases
//!   and 500,000 notices (two contacts, the head, the coordinator, the
//!   committee), 200 tickets per transaction.
//! - idle pass: the next pass at the same moment, when nothing is due — what the
//!   scheduler costs every minute on a quiet day.
//! - baseline (full scan): read and decode every open item and evaluate its
//!   ladder, as a scheduler without the `next_due` index would have to.

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::{pending_chases, Policy};
use minqing_protocol::*;
use minqing_server::store::directory::{NewGroup, NewUnit, NewUser};
use minqing_server::workflow::escalation::run_once;
use minqing_server::workflow::Workflow;
use minqing_server::Db;
use std::time::Instant;

const N: usize = 100_000;
const FIXTURE_2020: &str = include_str!("../../protocol/tests/fixtures/calendar-2020.toml");
// 2020-09-29 10:00 and 2020-10-12 09:00, China Standard Time.
const SUBMITTED: i64 = 1_601_344_800_000;
const MONDAY: i64 = 1_602_464_400_000;

fn workflow() -> Workflow {
    Workflow::new(
        Calendar::from_files([FIXTURE_2020]).expect("fixture"),
        Policy::default(),
    )
}

fn fill(db: &Db) {
    let group = GroupId::new();
    let unit = UnitId::new();
    // The people the ladder names, so every chase writes its notices: two
    // contacts and a head of the unit, a coordinator, a committee staff member.
    db.insert_unit(&NewUnit {
        id: unit,
        name_zh: "中国移动海宁分公司",
        name_en: "China Mobile Haining",
        kind: "company",
        key: Some("mobile"),
    })
    .expect("unit");
    db.insert_group(&NewGroup {
        id: group,
        name_zh: "街道直通车群",
        name_en: "Streets direct line",
        jurisdiction: "haizhou",
    })
    .expect("group");
    for (i, (role, unit)) in [
        (Role::UnitContact, Some(unit)),
        (Role::UnitContact, Some(unit)),
        (Role::UnitHead, Some(unit)),
        (Role::Coordinator, None),
        (Role::CityStaff, None),
    ]
    .into_iter()
    .enumerate()
    {
        db.insert_user(&NewUser {
            id: UserId::new(),
            phone: &format!("1380057{i:04}"),
            name: "督办对象",
            role,
            unit,
            jurisdiction: None,
            password_hash: None,
            groups: vec![group],
        })
        .expect("user");
    }
    let deputy = Actor {
        user: UserId::new(),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![group],
    };
    let client = ClientId::new();
    let mut next = 1u64;
    for _ in 0..N / 500 {
        let batch: Vec<Mutation> = (0..500)
            .map(|_| {
                let m = Mutation {
                    client_id: client,
                    mutation_id: next,
                    kind: MutationKind::CreateTicket {
                        ticket: NewTicket {
                            id: TicketId::new(),
                            event: EventId::new(),
                            group: None,
                            jurisdiction: None,
                            category: None,
                            item: None,
                            text: "窨井盖松动".into(),
                            location: None,
                            channel: SourceChannel::FieldCapture,
                            constituent: None,
                            mentioned_unit: Some(unit),
                            photo_count: 0,
                        },
                    },
                };
                next += 1;
                m
            })
            .collect();
        let r = db.push(&deputy, client, &batch, SUBMITTED).expect("push");
        assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    }
}

/// The baseline: every open ticket read, decoded and its ladder evaluated.
fn full_scan(db: &Db, wf: &Workflow) -> (usize, usize) {
    let mut scanned = 0;
    let mut due = 0;
    for id in db.due_tickets(i64::MAX, usize::MAX >> 1).expect("ids") {
        let t = db.ticket(&id).expect("read").expect("ticket");
        scanned += 1;
        due += pending_chases(&t, &wf.calendar, &wf.policy, MONDAY).len();
    }
    (scanned, due)
}

fn bench(name: &str, db: Db) {
    let wf = workflow();
    db.set_workflow(wf.clone()).expect("workflow");
    let t = Instant::now();
    fill(&db);
    println!(
        "[{name}] setup: {N} items pushed in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let (scanned, due) = full_scan(&db, &wf);
    let scan = t.elapsed();
    println!(
        "[{name}] baseline full scan: {scanned} items read and evaluated ({due} chases due) in {:.2} s = {:.0} items/s",
        scan.as_secs_f64(),
        scanned as f64 / scan.as_secs_f64()
    );

    let t = Instant::now();
    let r = run_once(&db, MONDAY).expect("pass");
    let pass = t.elapsed();
    assert_eq!(r.visited, N);
    assert_eq!(r.chased, 4 * N);
    println!(
        "[{name}] escalate: {} items visited, {} chases recorded in {:.2} s = {:.0} items/s, {:.0} chases/s",
        r.visited,
        r.chased,
        pass.as_secs_f64(),
        r.visited as f64 / pass.as_secs_f64(),
        r.chased as f64 / pass.as_secs_f64()
    );

    let t = Instant::now();
    let r = run_once(&db, MONDAY).expect("pass");
    let idle = t.elapsed();
    assert_eq!(r.chased, 0);
    println!(
        "[{name}] idle pass (nothing due, {N} open items): {:.3} ms ({} visited)",
        idle.as_secs_f64() * 1000.0,
        r.visited
    );
}

fn main() {
    // On the real disk (target/), not a tmpfs: commits cost what they cost.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("escalation-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    bench("sqlite", Db::open(&dir.join("server.db")).expect("open"));
    if let Ok(base) = std::env::var("MINQING_TEST_DATABASE_URL") {
        let url = minqing_server::store::pg::create_scratch_database(&base).expect("database");
        bench("postgres", Db::connect_postgres(&url).expect("connect"));
    }
}
