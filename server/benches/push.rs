//! Push delivery benchmark (issue 12): 10,000 deliveries through the outbox
//! and the dispatcher to the fake vendors of `tests/support/push_vendors.rs`
//! (loopback HTTP; APNs over HTTP/2, its JWT verified; FCM, HMS, MiPush over
//! HTTP/1.1 with their OAuth grants), beside a named baseline in the same run.
//! Run: `cargo bench -p minqing-server --bench push` (results in
//! docs/benchmarks.md; add MINQING_TEST_DATABASE_URL to measure PostgreSQL
//! too).
//!
//! Setup: 100 people with one phone each, 25 per vendor. A notice is a row of
//! `notifications` and its deliveries are enqueued in the same transaction
//! (`push::outbox::enqueue`, as `store::review::notify` does), 100 notices
//! (one item, everyone) per transaction; the dispatcher is woken by a poke
//! after each commit, as the server pokes after a push.
//! - backlog: 10,000 deliveries committed at once, then drained —
//!   deliveries per second from the first commit to the last vendor request.
//! - steady: 10,000 deliveries offered at 1,000/s (a transaction of 100 every
//!   100 ms) — from each notice's commit to its vendor request, p50/p99/max.
//! - baseline (direct): the same 10,000 pushes sent straight through the
//!   vendor clients at the same concurrency (64 per vendor), no database:
//!   what the vendors and the loopback HTTP cost alone.

#[path = "../tests/support/push_vendors.rs"]
mod push_vendors;

use minqing_server::pokes::Pokes;
use minqing_server::push::devices::{self, Registration};
use minqing_server::push::outbox::{self, PushText};
use minqing_server::push::vendor::Message;
use minqing_server::push::{dispatch, Provider, Vendors};
use minqing_server::store::now_ms;
use minqing_server::store::sql::args;
use minqing_server::Db;
use push_vendors::{FakeVendors, BUNDLE, PACKAGE};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PEOPLE: usize = 100;
const N: usize = 10_000;

fn token(p: Provider, i: usize) -> String {
    match p {
        Provider::Apns => format!("{i:064x}"),
        other => format!("{other}-bench-{i}"),
    }
}

fn setup(db: &Db) -> Vec<String> {
    db.write(|tx| {
        let mut users = Vec::new();
        for i in 0..PEOPLE {
            let p = Provider::ALL[i % 4];
            let user = format!("user-{i}");
            devices::register(
                tx,
                &format!("session-{i}"),
                &user,
                &Registration {
                    provider: p,
                    token: token(p, i),
                    app_id: if p == Provider::Apns { BUNDLE } else { PACKAGE }.into(),
                    language: "zh-cn".into(),
                    app_version: "1.0".into(),
                },
                0,
            )?;
            users.push(user);
        }
        Ok::<_, minqing_server::store::StoreError>(users)
    })
    .expect("devices")
}

/// One transaction: a notice about item `ticket` for everyone, with its
/// deliveries. Returns the commit time (ms).
fn commit_batch(db: &Db, users: &[String], ticket: &str) -> i64 {
    let text = PushText {
        title_zh: "民情直通车".into(),
        body_zh: "中国移动海宁分公司已接单，您反映的事项正在办理。".into(),
        title_en: "Minqing".into(),
        body_en: "China Mobile took up your item.".into(),
    };
    db.write(|tx| {
        let now = now_ms();
        let mut ids = Vec::with_capacity(users.len());
        for u in users {
            let r = tx.query_one(
                "INSERT INTO notifications (user_id, ticket_id, kind, text_zh, text_en, created_at)
                 VALUES (?1, ?2, 'claimed', 'x', 'x', ?3) RETURNING id",
                args![u.as_str(), ticket, now],
            )?;
            ids.push(r.get::<i64>(0)?);
        }
        outbox::enqueue(tx, &ids, &text, now)?;
        Ok::<_, minqing_server::store::StoreError>(())
    })
    .expect("batch");
    now_ms()
}

fn pct(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(name: &str, db: Arc<Db>, fakes: &FakeVendors) {
    let users = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || setup(&db))
            .await
            .expect("setup")
    };
    let config = fakes.config();
    let vendors = Arc::new(Vendors::from_config(&config).expect("vendors"));
    let pokes = Pokes::new();
    let dispatcher = dispatch::spawn(db.clone(), vendors, &pokes, &config);

    // Backlog: everything committed, then drained.
    let started = Instant::now();
    {
        let (db, users) = (db.clone(), users.clone());
        tokio::task::spawn_blocking(move || {
            for b in 0..N / PEOPLE {
                commit_batch(&db, &users, &format!("backlog-{b}"));
            }
        })
        .await
        .expect("commit");
    }
    let committed = started.elapsed();
    pokes.poke();
    fakes
        .wait_until(Duration::from_secs(300), |r| r.len() >= N)
        .await;
    let drained = started.elapsed();
    let got = fakes.received().len();
    println!(
        "{name} backlog: {N} deliveries committed in {:.2} s, all {got} at the vendors after {:.2} s: {:.0} deliveries/s",
        committed.as_secs_f64(),
        drained.as_secs_f64(),
        N as f64 / drained.as_secs_f64()
    );

    // Steady: 1,000/s offered; commit → vendor request per delivery.
    let before = fakes.received().len();
    let mut commits: HashMap<String, i64> = HashMap::new();
    let tick = Duration::from_millis(100);
    let t0 = Instant::now();
    for b in 0..N / PEOPLE {
        let ticket = format!("steady-{b}");
        let (db2, users2, t2) = (db.clone(), users.clone(), ticket.clone());
        let at = tokio::task::spawn_blocking(move || commit_batch(&db2, &users2, &t2))
            .await
            .expect("commit");
        commits.insert(ticket, at);
        pokes.poke();
        let next = tick * (b as u32 + 1);
        if let Some(wait) = next.checked_sub(t0.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    fakes
        .wait_until(Duration::from_secs(120), |r| r.len() >= before + N)
        .await;
    let all = fakes.received();
    let mut lat: Vec<i64> = all[before..]
        .iter()
        .filter_map(|r| commits.get(&r.ticket).map(|c| r.at_ms - c))
        .collect();
    lat.sort_unstable();
    println!(
        "{name} steady 1,000/s: {} deliveries, commit → vendor request p50 {} ms, p99 {} ms, max {} ms",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(0)
    );
    dispatcher.stop(Duration::from_secs(10)).await;
    let (db2, u) = (db.clone(), users[0].clone());
    let d = tokio::task::spawn_blocking(move || db2.push_deliveries_to(&u, 1000))
        .await
        .expect("task")
        .expect("deliveries");
    assert!(d.iter().all(|x| x.state == "sent"), "every delivery sent");
    assert!(fakes.violations().is_empty(), "{:?}", fakes.violations());
}

async fn baseline(fakes: &FakeVendors) {
    let config = fakes.config();
    let vendors = Arc::new(Vendors::from_config(&config).expect("vendors"));
    let sems: HashMap<Provider, Arc<tokio::sync::Semaphore>> = Provider::ALL
        .iter()
        .map(|p| (*p, Arc::new(tokio::sync::Semaphore::new(64))))
        .collect();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for n in 0..N {
        let i = n % PEOPLE;
        let p = Provider::ALL[i % 4];
        let (vendors, sem) = (vendors.clone(), sems[&p].clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let (t, ticket) = (token(p, i), format!("direct-{n}"));
            let app = if p == Provider::Apns { BUNDLE } else { PACKAGE };
            let m = Message {
                token: &t,
                app_id: app,
                title: "民情直通车",
                body: "中国移动海宁分公司已接单，您反映的事项正在办理。",
                ticket_id: &ticket,
                kind: "claimed",
                delivery_id: n as i64,
            };
            vendors.send(p, &m, 1).await
        });
    }
    let mut sent = 0;
    while let Some(a) = set.join_next().await {
        if a.expect("send").outcome == outbox::Outcome::Sent {
            sent += 1;
        }
    }
    let took = started.elapsed();
    println!(
        "baseline (direct, no outbox): {sent} pushes in {:.2} s: {:.0} pushes/s",
        took.as_secs_f64(),
        N as f64 / took.as_secs_f64()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fakes = FakeVendors::start().await;
        baseline(&fakes).await;
        let dir = tempfile::tempdir().expect("dir");
        let fakes = FakeVendors::start().await;
        let db = Arc::new(Db::open(&dir.path().join("server.db")).expect("sqlite"));
        run("sqlite", db, &fakes).await;
        if let Ok(url) = std::env::var("MINQING_TEST_DATABASE_URL") {
            let db = tokio::task::spawn_blocking(move || {
                let scratch =
                    minqing_server::store::pg::create_scratch_database(&url).expect("scratch");
                Db::connect_postgres(&scratch).expect("postgres")
            })
            .await
            .expect("task");
            let fakes = FakeVendors::start().await;
            run("postgres", Arc::new(db), &fakes).await;
        }
    });
}
