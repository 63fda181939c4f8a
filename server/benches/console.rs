//! The staff console's server time with 20,000 items (issue 13; goal: p95 ≤
//! 100 ms for the board and the item list).
//! Run: `cargo bench -p minqing-server --bench console` (results in
//! docs/benchmarks.md, "console"; with MINQING_TEST_DATABASE_URL set,
//! PostgreSQL is measured too, on a scratch database beside it).
//!
//! Setup: the Haining demo directory, then 20,000 items filed by the demo's
//! eight deputies over the last 500 days (ten times Haining's 2,030 in 17
//! months, in proportion), through the push as phones file them, in 29
//! categories (so the routing rules send many to units), each with a text and
//! an address; items older than 45 days explained and closed by their deputy,
//! the rest open (their clocks green, yellow or red); one escalation pass
//! records the chases owed. Then, over loopback HTTP to the in-process server
//! with a console session (cookie), each request 60 times after 5 warm-ups:
//! the board and item-list pages as city staff (all 20,000) and as 斜桥镇's
//! town staff (one group), a Chinese search, the overdue list by due date, a
//! deep page, and once the CSV export of everything.

use minqing_protocol::*;
use minqing_server::app::{Config, Server};
use minqing_server::seed::{seed_demo, DemoUser};
use std::time::{Duration, Instant};

const N: usize = 20_000;
const DAY: i64 = 24 * 3_600_000;

const PLACES: [&str; 12] = [
    "水月亭路",
    "工人路",
    "文宗路",
    "海昌路",
    "人民路",
    "庆云路",
    "许村大道",
    "长安老街",
    "盐官老街",
    "西山公园",
    "东山脚下",
    "新塘桥",
];
const PROBLEMS: [&str; 12] = [
    "窨井盖松动，汽车开过砰砰作响",
    "路灯不亮已有一周",
    "人行道地砖破损多处",
    "排水沟堵塞，雨后积水",
    "垃圾桶满溢无人清运",
    "红绿灯绿灯时间太短",
    "共享单车占用盲道",
    "燃气警示桩冒出地面",
    "护栏松动存在隐患",
    "夜间大货车违停",
    "河道有人电鱼",
    "占道经营影响通行",
];

/// A small deterministic generator (xorshift), so every run files the same items.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn fill(db: &minqing_server::Db, people: &[DemoUser], now: i64) -> Duration {
    let t0 = Instant::now();
    let deputies: Vec<Actor> = people
        .iter()
        .filter(|p| p.role.is_deputy())
        .map(|p| db.me(p.id).expect("me").expect("exists").actor())
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // One push per deputy per day, as a phone syncs.
    let per_day = N / 500;
    let mut filed = 0;
    for day in (0..500).rev() {
        for (d, deputy) in deputies.iter().enumerate() {
            let n = per_day / deputies.len() + usize::from(d < per_day % deputies.len());
            let client = ClientId::new();
            let mut mutations = Vec::new();
            for _ in 0..n {
                let id = TicketId::new();
                let place = PLACES[rng.below(12) as usize];
                let text = format!(
                    "{place}{}号附近{}",
                    rng.below(300),
                    PROBLEMS[rng.below(12) as usize]
                );
                mutations.push(MutationKind::CreateTicket {
                    ticket: NewTicket {
                        id,
                        event: EventId::new(),
                        group: deputy.groups.first().copied(),
                        jurisdiction: None,
                        category: Some(format!("C{:02}", 1 + rng.below(29))),
                        item: None,
                        text,
                        location: Some(Location {
                            latitude: 30.40 + rng.below(1500) as f64 / 10_000.0,
                            longitude: 120.40 + rng.below(3000) as f64 / 10_000.0,
                            accuracy_m: Some(10.0),
                            source: LocationSource::DeviceFix,
                            address: Some(format!("海宁市{place}{}号", rng.below(300))),
                        }),
                        channel: SourceChannel::FieldCapture,
                        constituent: None,
                        mentioned_unit: None,
                        photo_count: 0,
                    },
                });
                if day > 45 {
                    mutations.push(MutationKind::Act {
                        ticket: id,
                        event: EventId::new(),
                        action: Action::ExplainClose {
                            text: "已当场向群众解释".into(),
                        },
                    });
                }
            }
            let mutations: Vec<Mutation> = mutations
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Mutation {
                    client_id: client,
                    mutation_id: i as u64 + 1,
                    kind,
                })
                .collect();
            let at = now - day * DAY - 3_600_000 * (1 + d as i64);
            let r = db.push(deputy, client, &mutations, at).expect("push");
            assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
            filed += n;
        }
    }
    assert_eq!(filed, N);
    minqing_server::workflow::escalation::run_once(db, now).expect("escalation pass");
    t0.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn measure(
    http: &reqwest::Client,
    url: &str,
    runs: usize,
) -> (Duration, Duration, Duration, usize) {
    let mut bytes = 0;
    for _ in 0..5 {
        let r = http.get(url).send().await.expect("get");
        assert!(r.status().is_success(), "{url}: {}", r.status());
        bytes = r.bytes().await.expect("body").len();
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = http.get(url).send().await.expect("get");
        let _ = r.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    times.sort();
    (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        *times.last().expect("runs"),
        bytes,
    )
}

async fn signed_in(base: &str, p: &DemoUser) -> reqwest::Client {
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/v1/console/login"))
        .json(&serde_json::json!({ "phone": p.phone, "password": p.password }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned();
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("cookie", cookie.parse().expect("header"));
    reqwest::Client::builder()
        .default_headers(h)
        .build()
        .expect("client")
}

async fn run(label: &str, database_url: Option<String>) {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".into(),
        database_url,
        escalation_interval_secs: 86_400,
        ..Config::default()
    };
    let server = Server::bind(&config).await.expect("bind");
    let db = server.state().db.clone();
    let base = format!("http://{}", server.addr);
    let now = minqing_server::store::now_ms();
    let (people, took) = tokio::task::spawn_blocking(move || {
        let people = seed_demo(&db).expect("seed");
        let took = fill(&db, &people, now);
        (people, took)
    })
    .await
    .expect("fill");
    tokio::spawn(server.run());
    println!(
        "== {label}: {N} items filed and escalated in {:.1} s",
        took.as_secs_f64()
    );
    let person = |name: &str| people.iter().find(|p| p.name == name).expect("person");
    let city = signed_in(&base, person("市人大工作人员")).await;
    let town = signed_in(&base, person("陈芊含")).await;
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9}",
        "request", "p50 ms", "p95 ms", "max ms", "bytes"
    );
    let q: String = url::form_urlencoded::byte_serialize("窨井盖".as_bytes()).collect();
    for (who, http, path) in [
        ("city", &city, "/v1/board".to_owned()),
        ("city", &city, "/v1/items".to_owned()),
        ("city", &city, format!("/v1/items?q={q}")),
        (
            "city",
            &city,
            "/v1/items?overdue=true&sort=due&order=asc".to_owned(),
        ),
        (
            "city",
            &city,
            "/v1/items?open=true&page=50&per_page=20".to_owned(),
        ),
        ("town", &town, "/v1/board".to_owned()),
        ("town", &town, "/v1/items".to_owned()),
        ("town", &town, format!("/v1/items?q={q}")),
    ] {
        let (p50, p95, max, bytes) = measure(http, &format!("{base}{path}"), 60).await;
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>9.1} {:>9}",
            format!("{who} {path}").replace(&q, "窨井盖"),
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            bytes
        );
    }
    let t = Instant::now();
    let r = city
        .get(format!("{base}/v1/items/export"))
        .send()
        .await
        .expect("export");
    let body = r.bytes().await.expect("csv");
    println!(
        "{:<44} {:>9.1} (once; {} rows, {} bytes)",
        "city /v1/items/export (CSV, all)",
        t.elapsed().as_secs_f64() * 1e3,
        body.iter().filter(|b| **b == b'\n').count() - 1,
        body.len()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        run("SQLite", None).await;
        if let Ok(base) = std::env::var("MINQING_TEST_DATABASE_URL") {
            let url = tokio::task::spawn_blocking(move || {
                minqing_server::store::pg::create_scratch_database(&base).expect("scratch db")
            })
            .await
            .expect("scratch db");
            run("PostgreSQL", Some(url)).await;
        }
    });
}
