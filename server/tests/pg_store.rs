//! What only PostgreSQL has to prove: its migrations, and several server
//! processes on one database (here: several `Db`s, each with its own pool) —
//! racing claims (also raced on one SQLite file from two handles), pull
//! cursors under concurrent pushes, and pokes crossing processes by
//! LISTEN/NOTIFY, also after the listening connection dropped.

mod support;

use support::tickets;

use minqing_protocol::wire::RejectReason;
use minqing_protocol::*;
use minqing_server::store::pg::schema::{V1, VERSION};
use minqing_server::{Db, PullResult};
use postgres::NoTls;
use std::collections::BTreeSet;
use std::sync::{mpsc, Arc, Barrier};
use std::time::Duration;

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, NoTls).expect("connect")
}

/// Every column and index of the public schema, in a comparable form.
fn shape(url: &str) -> Vec<String> {
    let mut c = client(url);
    let mut out: Vec<String> = c
        .query(
            "SELECT table_name, column_name, data_type, is_nullable,
                    COALESCE(column_default, ''), ordinal_position::INT
             FROM information_schema.columns WHERE table_schema = 'public'
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .expect("columns")
        .iter()
        .map(|r| {
            format!(
                "{}.{} {} null={} default={} #{}",
                r.get::<_, &str>(0),
                r.get::<_, &str>(1),
                r.get::<_, &str>(2),
                r.get::<_, &str>(3),
                r.get::<_, &str>(4),
                r.get::<_, i32>(5)
            )
        })
        .collect();
    out.extend(
        c.query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
            &[],
        )
        .expect("indexes")
        .iter()
        .map(|r| r.get::<_, String>(0)),
    );
    out
}

#[test]
fn migrated_equals_fresh() {
    let Some(fresh) = support::db::fresh_pg_url() else {
        return;
    };
    drop(Db::connect_postgres(&fresh).expect("fresh"));

    let old = support::db::fresh_pg_url().expect("url");
    let mut c = client(&old);
    c.batch_execute(V1).expect("v1");
    c.batch_execute(
        "INSERT INTO meta VALUES ('epoch', 'abc');
         INSERT INTO tickets VALUES ('t1', '{}', 1);
         INSERT INTO schema_version VALUES (1);",
    )
    .expect("v1 data");
    // A real ticket from before v9, to be listed after the upgrade.
    let t = Ticket::submit(
        NewTicket {
            category: Some("C03".into()),
            ..tickets::new("窨井盖松动")
        },
        &actor(Role::CityDeputy, None, GroupId::new()),
        1_601_772_480_000,
    )
    .expect("submit");
    c.execute(
        "INSERT INTO tickets VALUES ($1, $2, 2)",
        &[&t.id.to_string(), &serde_json::to_string(&t).expect("json")],
    )
    .expect("real ticket");
    drop(Db::connect_postgres(&old).expect("upgrade"));

    assert_eq!(shape(&old), shape(&fresh));
    let listed = c
        .query_one(
            "SELECT created_at, category, open, assignment_list FROM tickets WHERE id = $1",
            &[&t.id.to_string()],
        )
        .expect("columns");
    assert_eq!(
        (
            listed.get::<_, i64>(0),
            listed.get::<_, &str>(1),
            listed.get::<_, bool>(2),
            listed.get::<_, Option<&str>>(3)
        ),
        (1_601_772_480_000, "C03", true, None)
    );
    let kept: String = c
        .query_one("SELECT value FROM meta WHERE key = 'epoch'", &[])
        .expect("epoch")
        .get(0);
    assert_eq!(kept, "abc");
    let n: i64 = c
        .query_one("SELECT COUNT(*) FROM tickets", &[])
        .expect("count")
        .get(0);
    assert_eq!(n, 2);
    let v: i32 = c
        .query_one("SELECT version FROM schema_version", &[])
        .expect("version")
        .get(0);
    assert_eq!(v, VERSION);
    // Opening an up-to-date database again changes nothing.
    drop(Db::connect_postgres(&old).expect("again"));
    assert_eq!(shape(&old), shape(&fresh));
}

#[test]
fn newer_database_is_refused() {
    let Some(url) = support::db::fresh_pg_url() else {
        return;
    };
    drop(Db::connect_postgres(&url).expect("create"));
    client(&url)
        .execute("UPDATE schema_version SET version = $1", &[&(VERSION + 1)])
        .expect("bump");
    assert!(Db::connect_postgres(&url).is_err());
}

fn actor(role: Role, unit: Option<UnitId>, group: GroupId) -> Actor {
    Actor {
        user: UserId::new(),
        role,
        unit,
        groups: vec![group],
    }
}

fn create(client: ClientId, n: u64, id: TicketId) -> Mutation {
    tickets::create(
        client,
        n,
        NewTicket {
            id,
            ..tickets::new("水月亭路窨井盖松动")
        },
    )
}

fn claim(client: ClientId, n: u64, ticket: TicketId) -> Mutation {
    Mutation {
        client_id: client,
        mutation_id: n,
        kind: MutationKind::Act {
            ticket,
            event: EventId::new(),
            action: Action::Claim,
        },
    }
}

/// Two server processes, two units, one pool item each round: both claim at
/// the same moment and exactly one wins.
#[test]
fn claims_racing_from_two_processes_have_one_winner() {
    let Some(url) = support::db::fresh_pg_url() else {
        return;
    };
    let a = Arc::new(Db::connect_postgres(&url).expect("a"));
    let b = Arc::new(Db::connect_postgres(&url).expect("b"));
    claims_race(a, b);
}

/// The same race on SQLite: two handles on one database file, as two
/// processes would open it (each its own connection; SQLite's file lock and
/// the store's `BEGIN IMMEDIATE` decide who goes first).
#[test]
fn claims_racing_on_one_sqlite_file_have_one_winner() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("server.db");
    let a = Arc::new(Db::open(&path).expect("a"));
    let b = Arc::new(Db::open(&path).expect("b"));
    claims_race(a, b);
}

/// Two units claim each of 20 pool items at the same moment (a barrier before
/// every round), each through its own database handle: every item ends with
/// exactly one winner, the one whose unit the stored item names, and the
/// loser is told `ticket_not_found` or `denied` — no other answer.
fn claims_race(a: Arc<Db>, b: Arc<Db>) {
    let group = GroupId::new();
    let deputy = actor(Role::CityDeputy, None, group);
    let units = [
        actor(Role::UnitContact, Some(UnitId::new()), group),
        actor(Role::UnitContact, Some(UnitId::new()), group),
    ];
    let dc = ClientId::new();
    let clients = [ClientId::new(), ClientId::new()];
    const ROUNDS: u64 = 20;
    let tickets: Vec<TicketId> = (0..ROUNDS).map(|_| TicketId::new()).collect();
    for (i, t) in tickets.iter().enumerate() {
        a.push(&deputy, dc, &[create(dc, i as u64 + 1, *t)], 0)
            .expect("create");
    }
    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .enumerate()
        .map(|(i, db)| {
            let (who, c, ts, barrier) = (
                units[i].clone(),
                clients[i],
                tickets.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let (mut won, mut lost_oddly) = (Vec::new(), Vec::new());
                for (n, t) in ts.iter().enumerate() {
                    barrier.wait();
                    let r = db
                        .push(&who, c, &[claim(c, n as u64 + 1, *t)], 5)
                        .expect("claim");
                    // The loser finds the item taken: no longer in its pool
                    // (not found) or, if still visible, not claimable.
                    match r.rejected.first().map(|r| &r.reason) {
                        None => won.push(*t),
                        Some(RejectReason::TicketNotFound | RejectReason::Denied(_)) => {}
                        Some(other) => lost_oddly.push(format!("{other:?}")),
                    }
                }
                (won, lost_oddly)
            })
        })
        .collect();
    let (won, odd): (Vec<Vec<TicketId>>, Vec<Vec<String>>) =
        racers.into_iter().map(|h| h.join().expect("racer")).unzip();
    assert!(odd.iter().all(Vec::is_empty), "{odd:?}");
    assert_eq!(won[0].len() + won[1].len(), ROUNDS as usize, "{won:?}");
    for t in &tickets {
        let stored = a.ticket(&t.to_string()).expect("ticket").expect("there");
        assert_eq!(stored.state, TicketState::Accepted);
        let winner = if won[0].contains(t) {
            &units[0]
        } else {
            &units[1]
        };
        assert_eq!(stored.assigned_unit, winner.unit);
    }
}

/// Four writers on two processes, and a reader following its cursor the
/// whole time: every ticket is seen, none skipped by a cursor that moved past
/// a change committed later.
#[test]
fn a_cursor_never_skips_a_change_under_concurrent_pushes() {
    let Some(url) = support::db::fresh_pg_url() else {
        return;
    };
    let dbs = [
        Arc::new(Db::connect_postgres(&url).expect("a")),
        Arc::new(Db::connect_postgres(&url).expect("b")),
    ];
    let group = GroupId::new();
    let reader = actor(Role::UnitContact, Some(UnitId::new()), group);
    const WRITERS: usize = 4;
    const EACH: u64 = 25;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = dbs[w % 2].clone();
            let me = actor(Role::CityDeputy, None, group);
            std::thread::spawn(move || {
                let c = ClientId::new();
                (1..=EACH)
                    .map(|n| {
                        let t = TicketId::new();
                        db.push(&me, c, &[create(c, n, t)], 0).expect("push");
                        t
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pull = |db: &Db| loop {
        match db.pull(&reader, cursor.as_deref()).expect("pull") {
            PullResult::Changes {
                tickets,
                cursor: c,
                more,
                ..
            } => {
                seen.extend(tickets.iter().map(|t| t.id));
                cursor = Some(c);
                if !more {
                    break;
                }
            }
            PullResult::Reset { .. } => panic!("unexpected reset"),
        }
    };
    while writers.iter().any(|w| !w.is_finished()) {
        pull(&dbs[1]);
    }
    let all: BTreeSet<TicketId> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("writer"))
        .collect();
    pull(&dbs[0]);
    assert_eq!(all.len(), WRITERS * EACH as usize);
    assert_eq!(
        seen, all,
        "the reader saw every ticket exactly by its cursor"
    );
}

fn wait_poke(rx: &mpsc::Receiver<()>, what: &str) {
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("no poke: {what}"));
    // Coalesce whatever else arrived together.
    while rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
}

#[test]
fn pokes_cross_processes_and_survive_a_dropped_listener() {
    let Some(url) = support::db::fresh_pg_url() else {
        return;
    };
    let a = Db::connect_postgres(&url).expect("a");
    let b = Db::connect_postgres(&url).expect("b");
    let (tx, rx) = mpsc::channel();
    a.forward_pokes(move || {
        let _ = tx.send(());
    });
    let group = GroupId::new();
    let deputy = actor(Role::CityDeputy, None, group);
    let c = ClientId::new();
    // Give the listener time to LISTEN before anything is sent.
    let mut admin = client(&url);
    let listening = || {
        let mut admin = client(&url);
        (0..100).any(|_| {
            let n: i64 = admin
                .query_one(
                    "SELECT COUNT(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND query = 'LISTEN minqing_poke'",
                    &[],
                )
                .expect("activity")
                .get(0);
            n > 0 || {
                std::thread::sleep(Duration::from_millis(50));
                false
            }
        })
    };
    assert!(listening(), "the listener connected");

    b.push(&deputy, c, &[create(c, 1, TicketId::new())], 0)
        .expect("push on b");
    wait_poke(&rx, "a push through the other process");

    // Its own pushes do not come back to a process (it pokes its clients itself).
    a.push(&deputy, c, &[create(c, 2, TicketId::new())], 0)
        .expect("push on a");
    assert!(
        rx.recv_timeout(Duration::from_millis(700)).is_err(),
        "no echo of its own notification"
    );
    // A replay changes nothing and notifies nobody.
    b.push(&deputy, c, &[create(c, 2, TicketId::new())], 0)
        .expect("replay on b");
    assert!(rx.recv_timeout(Duration::from_millis(700)).is_err());

    // The listening connection is cut: the listener reconnects (and pokes once,
    // since what happened meanwhile was not announced), then forwards again.
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND query = 'LISTEN minqing_poke'",
            &[],
        )
        .expect("terminate");
    wait_poke(&rx, "the reconnected listener");
    assert!(listening(), "the listener reconnected");
    b.push(&deputy, c, &[create(c, 3, TicketId::new())], 0)
        .expect("push on b");
    wait_poke(&rx, "a push after the reconnect");

    // A finished upload pokes too.
    let rec = minqing_server::store::uploads::UploadRecord {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: deputy.user.to_string(),
        photo_id: uuid::Uuid::now_v7().to_string(),
        ticket_id: TicketId::new().to_string(),
        sha256: "cd".repeat(32),
        length: 10,
        offset: 0,
        expires_at: i64::MAX,
        completed: false,
    };
    b.create_upload(&rec, 0).expect("upload");
    b.complete_upload(&rec.id, 1).expect("complete");
    wait_poke(&rx, "a finished upload on the other process");
}
