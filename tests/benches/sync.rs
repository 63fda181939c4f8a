//! Sync benchmarks over real loopback HTTP, each beside a named baseline run in
//! the same process. Run: `cargo bench -p minqing-e2e --bench sync`
//! (results are recorded in docs/benchmarks.md).
//!
//! - push: mutations/s through `POST /v1/sync/push` (batches of 100), one client
//!   and four concurrent clients; baseline: the same mutations into `Db::push`
//!   directly (no HTTP, no JSON).
//! - pull: a fresh device store syncing every ticket (`sync_now`: pull, JSON,
//!   one transaction per page); baseline: the same pages fetched and decoded only.
//! - upload: a 5 MB photo through a whole sync pass of the core (tus
//!   creation-with-upload, the server streaming it to disk, SHA-256 verified,
//!   renamed into the local object store, the record committed on both sides);
//!   baseline: one plain `PUT` of the same bytes to a minimal server that streams
//!   them into a file and fsyncs it. Runs are paired and interleaved; the
//!   overhead is the median of the paired ratios.
//! - resume: bytes sent again after the connection is cut at 90 % of that photo.
//! - SSE: 1,000 deputies of one group, each signed in with a session of
//!   their own and an open event stream against the server process: its RSS,
//!   and the time until every one of the 1,000 streams has the poke that
//!   follows one push (each stream checked, not a total).
//! - store: the same 10,000 submissions in batches of 100 straight into
//!   `Db::push` on SQLite (a file on the real disk, `synchronous = FULL`) and on
//!   PostgreSQL with its default durability (fsync on), side by side; then four
//!   clients at once; then a pull of everything from scratch on each. The
//!   PostgreSQL server is `MINQING_BENCH_DATABASE_URL` (e.g.
//!   `MINQING_PG_PORT=55433 MINQING_PG_DURABLE=1 scripts/pg.sh`); the bench
//!   prints its `fsync` setting and refuses a cluster without it.

use minqing_core::Minqing;
use minqing_e2e::proxy::{Fault, Proxy};
use minqing_e2e::server::ServerProc;
use minqing_protocol::wire::{PullResponse, SessionTokens};
use minqing_protocol::{
    Actor, ClientId, EventId, Mutation, MutationKind, NewTicket, PhotoKind, SourceChannel, TicketId,
};
use minqing_server::app::{Config, Server};
use minqing_server::seed::seed_demo;
use minqing_server::Db;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PUSH_N: usize = 10_000;
const PHOTO: usize = 5 * 1024 * 1024;

fn scratch(name: &str) -> PathBuf {
    // On the real disk (target/), not a tmpfs: fsync must cost what it costs.
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("bench")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn creates(client: ClientId, n: usize) -> Vec<Mutation> {
    (1..=n)
        .map(|i| Mutation {
            client_id: client,
            mutation_id: i as u64,
            kind: MutationKind::CreateTicket {
                ticket: NewTicket {
                    id: TicketId::new(),
                    event: EventId::new(),
                    group: None,
                    jurisdiction: None,
                    // Codes of the example taxonomy (市政设施 / 窨井盖破损松动).
                    category: Some("C03".into()),
                    item: Some("C03-02".into()),
                    text: format!("第 {i} 条：水月亭路窨井盖不闭合，汽车开过砰砰作响"),
                    location: None,
                    channel: SourceChannel::FieldCapture,
                    constituent: None,
                    mentioned_unit: None,
                    photo_count: 0,
                },
            },
        })
        .collect()
}

/// Every mutation of a direct push applied (a rejection costs less than an
/// apply; the bench measures applies).
fn applied(r: minqing_server::PushResult) {
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
}

#[derive(Clone)]
struct InProc {
    url: String,
    data: PathBuf,
    people: Vec<(String, String)>,
    http: reqwest::Client,
}

async fn in_process(name: &str) -> InProc {
    let data = scratch(name);
    let config = Config {
        data_dir: data.clone(),
        listen: "127.0.0.1:0".into(),
        ..Config::default()
    };
    let server = Server::bind(&config).await.expect("bind");
    let people = seed_demo(&server.state().db)
        .expect("seed")
        .into_iter()
        .map(|p| (p.name, p.phone))
        .collect();
    let url = format!("http://{}", server.addr);
    tokio::spawn(server.run());
    InProc {
        url,
        data,
        people,
        http: reqwest::Client::new(),
    }
}

impl InProc {
    fn phone(&self, name: &str) -> String {
        self.people
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
            .expect("demo user")
    }

    fn code(&self, phone: &str) -> String {
        minqing_server::sms::wait_for_code(
            &self.data.join("sms.log"),
            phone,
            std::time::Duration::from_secs(5),
        )
        .expect("code")
    }

    async fn login(&self, name: &str) -> SessionTokens {
        let phone = self.phone(name);
        self.http
            .post(format!("{}/v1/auth/sms-code", self.url))
            .json(&serde_json::json!({ "phone": phone }))
            .send()
            .await
            .expect("code");
        self.http
            .post(format!("{}/v1/auth/login", self.url))
            .json(&serde_json::json!({ "phone": phone, "code": self.code(&phone) }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("tokens")
    }

    /// A device store logged in as `name` (each name may log in once a minute).
    async fn device(&self, dir: &Path, name: &str) -> Arc<Minqing> {
        let dev = Arc::new(Minqing::open_at(dir.to_path_buf()).expect("device"));
        dev.sync().set_server(self.url.clone()).expect("url");
        let phone = self.phone(name);
        dev.account()
            .request_code(phone.clone())
            .await
            .expect("code");
        dev.account()
            .login(phone.clone(), self.code(&phone))
            .await
            .expect("login");
        dev
    }
}

async fn push_http(s: &InProc, token: &str, client: ClientId, ms: &[Mutation]) {
    for batch in ms.chunks(100) {
        let r = s
            .http
            .post(format!("{}/v1/sync/push", s.url))
            .bearer_auth(token)
            .header("minqing-protocol", "1")
            .json(&serde_json::json!({ "client_id": client, "mutations": batch }))
            .send()
            .await
            .expect("push");
        assert_eq!(r.status(), 200);
        // Every mutation applied: a rejection costs less than an apply, and
        // the bench measures applies.
        let r: minqing_protocol::wire::PushResponse = r.json().await.expect("push answer");
        assert!(
            r.rejected.is_empty() && r.forked_at.is_none(),
            "{:?}",
            r.rejected.first()
        );
    }
}

async fn bench_push(s: &InProc, deputy: &SessionTokens) {
    let client = ClientId::new();
    let ms = creates(client, PUSH_N);
    let t = Instant::now();
    push_http(s, &deputy.access_token, client, &ms).await;
    let one = PUSH_N as f64 / t.elapsed().as_secs_f64();

    let mut tasks = Vec::new();
    let t = Instant::now();
    for _ in 0..4 {
        let client = ClientId::new();
        let ms = creates(client, PUSH_N / 4);
        let s2 = s.clone();
        let token = deputy.access_token.clone();
        tasks.push(tokio::spawn(async move {
            push_http(&s2, &token, client, &ms).await
        }));
    }
    for task in tasks {
        task.await.expect("join");
    }
    let four = PUSH_N as f64 / t.elapsed().as_secs_f64();

    // Baseline: the store alone, same mutations, same batches.
    let dir = scratch("push-baseline");
    let db = Db::open(&dir.join("server.db")).expect("db");
    let actor = Actor {
        user: deputy.me.user,
        role: deputy.me.role,
        unit: None,
        groups: deputy.me.groups.clone(),
    };
    let client = ClientId::new();
    let ms = creates(client, PUSH_N);
    let t = Instant::now();
    for batch in ms.chunks(100) {
        applied(db.push(&actor, client, batch, 0).expect("push"));
    }
    let base = PUSH_N as f64 / t.elapsed().as_secs_f64();

    // Baseline: what one commit (one disk sync) per mutation would allow at
    // best — bare one-row commits with the server's pragmas.
    let conn = rusqlite::Connection::open(dir.join("bare.db")).expect("bare");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .expect("table");
    let t = Instant::now();
    for i in 0..2_000 {
        conn.execute("INSERT INTO t (body) VALUES (?1)", [format!("row {i}")])
            .expect("insert");
    }
    let bare = 2_000.0 / t.elapsed().as_secs_f64();
    // PostgreSQL, when a server is at hand (`eval "$(scripts/pg.sh)"`): the same
    // mutations straight into the store.
    if let Ok(url) = std::env::var("MINQING_TEST_DATABASE_URL") {
        // The postgres client blocks: keep it off the async workers.
        let actor = actor.clone();
        let pg = tokio::task::spawn_blocking(move || {
            let db = Db::connect_postgres(&url).expect("postgres");
            let client = ClientId::new();
            let ms = creates(client, PUSH_N);
            let t = Instant::now();
            for batch in ms.chunks(100) {
                applied(db.push(&actor, client, batch, 0).expect("push"));
            }
            PUSH_N as f64 / t.elapsed().as_secs_f64()
        })
        .await
        .expect("join");
        println!(
            "| `Db::push` direct, no HTTP (PostgreSQL 15, scripts/pg.sh cluster) | {pg:.0} mutations/s |"
        );
    }
    println!("| push, HTTP, 1 client (SQLite) | {one:.0} mutations/s |");
    println!("| push, HTTP, 4 clients (SQLite) | {four:.0} mutations/s |");
    println!("| baseline: `Db::push` direct, no HTTP (SQLite) | {base:.0} mutations/s |");
    println!(
        "| baseline: bare one-row commits, one disk sync each (SQLite) | {bare:.0} commits/s |"
    );
}

async fn bench_pull(s: &InProc, tickets: usize) {
    let dir = scratch("pull-device");
    // The city's staff: the items have no group, so only their reporter and
    // city staff may see them (`access::can_see`); this phone pulls them all.
    let dev = s.device(&dir, "市人大工作人员").await;
    let t = Instant::now();
    let report = dev.sync().now().await.expect("sync");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.pulled as usize, tickets);
    println!(
        "| pull to a fresh device: {} tickets into the device store | {:.0} changes/s |",
        report.pulled,
        report.pulled as f64 / secs
    );

    // Baseline: fetch and decode the same pages, store nothing (the device's
    // session token, so no second login is needed).
    let token = minqing_e2e::devices::access_token(&dev).expect("token");
    let mut cursor: Option<String> = None;
    let mut n = 0usize;
    let t = Instant::now();
    loop {
        let mut req = s
            .http
            .get(format!("{}/v1/sync/pull", s.url))
            .bearer_auth(&token)
            .header("minqing-protocol", "1");
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        match req
            .send()
            .await
            .expect("pull")
            .json::<PullResponse>()
            .await
            .expect("json")
        {
            PullResponse::Changes {
                tickets,
                cursor: c,
                more,
                ..
            } => {
                n += tickets.len();
                cursor = Some(c);
                if !more {
                    break;
                }
            }
            PullResponse::Reset { .. } => panic!("reset"),
        }
    }
    println!(
        "| baseline: the same pages fetched and decoded only | {:.0} changes/s |",
        n as f64 / t.elapsed().as_secs_f64()
    );
}

/// A photo the server takes (a JPEG without metadata, as capture's renditions
/// are) of at least `len` bytes that does not compress: pixels of noise.
fn fake_photo(len: usize, seed: u64) -> Vec<u8> {
    minqing_capture::testsupport::noisy_jpeg(len, seed)
}

/// Attach `photo` on `dev` as the app does (`tickets::attach_photo`: the photo
/// ingested, its row, the upload and the dependent attach mutation queued in
/// one transaction) to a ticket the device's deputy filed and pushed first
/// (the server takes an upload only for a ticket its uploader may attach to;
/// the push and the ingest are not timed). The rendition is encoded at
/// quality 100 and `photo` is smaller than its long-edge limit, so the upload
/// is about `photo`'s size. Returns the rendition: the bytes the upload sends,
/// and what the plain PUT baseline sends.
async fn queue_upload(dev: &Minqing, photo: &[u8]) -> Vec<u8> {
    let d = dev.drafts().create().expect("draft").id;
    dev.drafts()
        .set_text(d.clone(), "水月亭路窨井盖松动".into())
        .expect("text");
    let ticket = dev.drafts().submit(d).expect("完成").id;
    dev.sync().now().await.expect("the ticket pushed");
    let opts = minqing_capture::IngestOptions {
        jpeg_quality: 100,
        ..Default::default()
    };
    let id = minqing_core::tickets::attach_photo(
        dev.store(),
        &ticket,
        photo,
        PhotoKind::Evidence,
        &opts,
    )
    .expect("attach");
    std::fs::read(
        dev.store()
            .photo_dir()
            .join(minqing_core::photos::rendition_file(&id)),
    )
    .expect("rendition")
}

/// A minimal HTTP server: one PUT, the body streamed into a file as it
/// arrives (256 KiB buffered writes, as the tus server writes) and fsynced, 204.
async fn plain_put_server(dir: PathBuf) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let mut n = 0u64;
        while let Ok((mut c, _)) = l.accept().await {
            n += 1;
            let path = dir.join(format!("put-{n}"));
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(64 * 1024);
                let mut chunk = vec![0u8; 256 * 1024];
                let (head_end, len) = loop {
                    let k = c.read(&mut chunk).await.expect("read");
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .expect("content-length");
                        break (i + 4, len);
                    }
                };
                let f = tokio::fs::File::create(&path).await.expect("create");
                let mut f = tokio::io::BufWriter::with_capacity(256 * 1024, f);
                let first = &buf[head_end..];
                f.write_all(first).await.expect("write");
                let mut got = first.len();
                while got < len {
                    let k = c.read(&mut chunk).await.expect("read");
                    f.write_all(&chunk[..k]).await.expect("write");
                    got += k;
                }
                f.flush().await.expect("flush");
                f.into_inner().sync_all().await.expect("fsync");
                c.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .expect("answer");
            });
        }
    });
    format!("http://{addr}")
}

/// Paired runs of the upload against the plain PUT, on loopback.
const UPLOAD_RUNS: u64 = 41;
/// Paired runs over the simulated mobile link (each takes about a second).
const LINK_RUNS: u64 = 11;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `runs` uploads of a fresh 5 MB photo through `dev` (a whole sync pass
/// each), paired with a plain PUT of the same bytes to `put_url`, interleaved
/// and alternating which goes first so that disk-sync noise hits both.
/// Returns the medians and the overhead: the median of the paired ratios,
/// with its quartiles, in percent.
async fn paired_uploads(dev: &Minqing, put_url: &str, runs: u64) -> (Duration, Duration, [f64; 3]) {
    let http = reqwest::Client::new();
    let (mut tus, mut put) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let bytes = queue_upload(dev, &fake_photo(PHOTO, i + 1)).await;
        let tus_run = async {
            let t = Instant::now();
            let r = dev.sync().now().await.expect("upload");
            assert_eq!(r.uploaded_photos, 1);
            // The pass also pushed the photo's attach, and the server took it.
            assert_eq!((r.pushed, r.rejected), (1, 0), "the attach push");
            t.elapsed()
        };
        let put_run = async {
            let t = Instant::now();
            let resp = http
                .put(put_url)
                .body(bytes.clone())
                .send()
                .await
                .expect("put");
            assert_eq!(resp.status(), 204);
            t.elapsed()
        };
        if i % 2 == 0 {
            tus.push(tus_run.await);
            put.push(put_run.await);
        } else {
            put.push(put_run.await);
            tus.push(tus_run.await);
        }
    }
    let mut ratios: Vec<f64> = tus
        .iter()
        .zip(&put)
        .map(|(a, b)| (a.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    (
        median(tus),
        median(put),
        [ratios[n / 4], ratios[n / 2], ratios[n * 3 / 4]],
    )
}

async fn bench_upload(s: &InProc) -> Arc<Minqing> {
    let dir = scratch("upload-device");
    // Another deputy: each number may ask for a code once a minute.
    let dev = s.device(&dir, "杜玉妹").await;
    let put_url = plain_put_server(scratch("plain-put")).await;
    let (tus, put, [q1, overhead, q3]) = paired_uploads(&dev, &put_url, UPLOAD_RUNS).await;
    // The part of a pass that is not the upload: push and pull with nothing to do.
    let mut idle = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        dev.sync().now().await.expect("idle pass");
        idle.push(t.elapsed());
    }
    let idle = median(idle);
    println!(
        "| upload 5 MB through the core's tus path, a whole sync pass (median of {UPLOAD_RUNS}) | {:.1} ms |",
        tus.as_secs_f64() * 1e3
    );
    println!(
        "| baseline: one plain PUT of the same bytes, streamed to a file + fsynced | {:.1} ms |",
        put.as_secs_f64() * 1e3
    );
    println!(
        "| upload overhead: median of the {UPLOAD_RUNS} paired ratios (quartiles) | {overhead:+.1} % ({q1:+.1} % … {q3:+.1} %) |"
    );
    println!(
        "| of which not upload: a sync pass with nothing to send (push + pull) | {:.1} ms |",
        idle.as_secs_f64() * 1e3
    );
    dev
}

/// The same pairing over a simulated mobile uplink (the test proxy in front of
/// both servers): 50 Mbit/s, 30 ms round trip.
async fn bench_upload_link(s: &InProc, dev: &Minqing) {
    let link = Fault::Link {
        one_way: Duration::from_millis(15),
        bytes_per_sec: 50_000_000 / 8,
    };
    let to_server = Proxy::start(s.url.trim_start_matches("http://")).await;
    to_server.set(link);
    dev.sync().set_server(to_server.url()).expect("via link");
    let put_url = plain_put_server(scratch("plain-put-link")).await;
    let to_put = Proxy::start(put_url.trim_start_matches("http://")).await;
    to_put.set(link);
    let (tus, put, [q1, overhead, q3]) = paired_uploads(dev, &to_put.url(), LINK_RUNS).await;
    println!(
        "| over a 50 Mbit/s, 30 ms RTT link: upload 5 MB, a whole sync pass (median of {LINK_RUNS}) | {:.0} ms |",
        tus.as_secs_f64() * 1e3
    );
    println!(
        "| over the same link, baseline: one plain PUT, streamed to a file + fsynced | {:.0} ms |",
        put.as_secs_f64() * 1e3
    );
    println!(
        "| over the same link, upload overhead: median of {LINK_RUNS} paired ratios (quartiles) | {overhead:+.1} % ({q1:+.1} % … {q3:+.1} %) |"
    );
}

async fn bench_resume(s: &InProc, dev: &Minqing) {
    let proxy = Proxy::start(s.url.trim_start_matches("http://")).await;
    dev.sync().set_server(proxy.url()).expect("via proxy");
    let bytes = queue_upload(dev, &fake_photo(PHOTO, 99)).await;
    let before = proxy.bytes_up();
    proxy.set(Fault::CutAfter((PHOTO as f64 * 0.9) as u64));
    assert!(
        dev.sync().now().await.is_err(),
        "the cut must fail the pass"
    );
    proxy.heal();
    let r = dev.sync().now().await.expect("resume");
    assert!(proxy.connections() > 0);
    assert_eq!(r.uploaded_photos, 1);
    let sent = proxy.bytes_up() - before;
    let again = sent.saturating_sub(bytes.len() as u64);
    println!(
        "| bytes sent again after a cut at 90 % of 5 MB (incl. request headers) | {again} B (chunk {} B) |",
        minqing_core::client::engine::CHUNK
    );
}

/// Log `phone` in by SMS code; the access token.
async fn sms_login(http: &reqwest::Client, server: &ServerProc, phone: &str) -> String {
    let r = http
        .post(format!("{}/v1/auth/sms-code", server.url))
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await
        .expect("code");
    assert_eq!(r.status(), 202, "sms-code for {phone}");
    let code = server.code_for(phone);
    let tokens: SessionTokens = http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&serde_json::json!({ "phone": phone, "code": code }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("tokens");
    tokens.access_token
}

/// 1,000 devices of 1,000 deputies of one group, each its own session and
/// event stream (the administrator adds them through the API; the SMS limits
/// per address are raised in the server's config so 1,000 logins from one
/// loopback address pass). Each stream is checked on its own: its connect
/// poke, then the poke that one push causes.
async fn bench_sse(bin: &Path) {
    const N: usize = 1_000;
    let data = scratch("sse-server");
    let config = data.join("bench.toml");
    std::fs::create_dir_all(&data).expect("dir");
    std::fs::write(
        &config,
        "[throttle]\nsms_per_address_per_hour = 100000\nsms_global_per_minute = 100000\n",
    )
    .expect("config");
    let server = ServerProc::start_with(
        bin,
        &data,
        "127.0.0.1:0",
        &["--config", config.to_str().expect("utf-8 path")],
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss0 = server.rss_bytes().unwrap_or(0);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let admin = sms_login(&http, &server, &server.phone("系统管理员")).await;
    let dir: serde_json::Value = http
        .get(format!("{}/v1/admin/directory", server.url))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("directory")
        .json()
        .await
        .expect("json");
    let group = dir["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name_zh"] == "三个街道民情直通车")
        .expect("the three-streets group")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut tokens = Vec::with_capacity(N);
    for i in 0..N {
        let phone = format!("1390000{i:04}");
        let r = http
            .put(format!(
                "{}/v1/admin/users/{}",
                server.url,
                uuid::Uuid::now_v7()
            ))
            .bearer_auth(&admin)
            .json(&serde_json::json!({
                "phone": phone, "name": format!("代表{i:04}"), "role": "city_deputy",
                "unit": null, "jurisdiction": null, "groups": [group],
            }))
            .send()
            .await
            .expect("user");
        assert_eq!(r.status(), 200, "user {i}");
        tokens.push(sms_login(&http, &server, &phone).await);
    }
    let counters: Vec<Arc<AtomicU64>> = (0..N).map(|_| Arc::new(AtomicU64::new(0))).collect();
    for (token, pokes) in tokens.iter().zip(&counters) {
        let mut r = http
            .get(format!("{}/v1/events", server.url))
            .bearer_auth(token)
            .header("minqing-protocol", "1")
            .send()
            .await
            .expect("events");
        assert_eq!(r.status(), 200);
        let pokes = pokes.clone();
        tokio::spawn(async move {
            while let Ok(Some(chunk)) = r.chunk().await {
                let n = String::from_utf8_lossy(&chunk)
                    .matches("event: poke")
                    .count();
                pokes.fetch_add(n as u64, Ordering::SeqCst);
            }
        });
    }
    let each_has = |n: u64| counters.iter().all(|c| c.load(Ordering::SeqCst) >= n);
    while !each_has(1) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = server.rss_bytes().unwrap_or(0);
    let client = ClientId::new();
    let t = Instant::now();
    let r = http
        .post(format!("{}/v1/sync/push", server.url))
        .bearer_auth(&tokens[0])
        .header("minqing-protocol", "1")
        .json(&serde_json::json!({ "client_id": client, "mutations": creates(client, 1) }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !each_has(2) {
        assert!(
            Instant::now() < deadline,
            "{} of {N} streams have their poke after 30 s",
            counters
                .iter()
                .filter(|c| c.load(Ordering::SeqCst) >= 2)
                .count()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let fanout = t.elapsed();
    println!(
        "| 1,000 SSE streams of 1,000 deputies open: server RSS | {:.1} MB (idle server: {:.1} MB) |",
        rss as f64 / 1e6,
        rss0 as f64 / 1e6
    );
    println!(
        "| one push → each of the 1,000 streams poked (each checked) | {:.1} ms |",
        fanout.as_secs_f64() * 1e3
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // `cargo bench … -- upload` runs only the sections whose name contains
    // `upload` (push, pull, upload, sse; pull needs push and runs it too); no
    // argument runs them all.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |section: &str| only.is_empty() || only.iter().any(|o| section.contains(o.as_str()));
    rt.block_on(async {
        println!("| what | result |\n|---|---|");
        let s = in_process("push-server").await;
        // The pull section reads what the push section wrote.
        if run("push") || run("pull") {
            let deputy = s.login("陆靖英").await;
            bench_push(&s, &deputy).await;
        }
        if run("pull") {
            bench_pull(&s, 2 * PUSH_N).await;
        }
        if run("upload") {
            let dev = bench_upload(&s).await;
            bench_resume(&s, &dev).await;
            bench_upload_link(&s, &dev).await;
        }
        if run("store") {
            tokio::task::spawn_blocking(bench_backends)
                .await
                .expect("store bench");
        }
        if run("sse") {
            bench_sse(Path::new(env!("CARGO_BIN_EXE_e2e-minqing-server"))).await;
        }
    });
}

/// Push (one client, then four at once) and pull on one backend: mutations/s,
/// mutations/s, changes/s.
fn push_pull(db: &Db) -> (f64, f64, f64) {
    let actor = Actor {
        user: minqing_protocol::UserId::new(),
        role: minqing_protocol::Role::CityDeputy,
        unit: None,
        groups: Vec::new(),
    };
    let client = ClientId::new();
    let ms = creates(client, PUSH_N);
    let t = Instant::now();
    for batch in ms.chunks(100) {
        applied(db.push(&actor, client, batch, 1).expect("push"));
    }
    let one = PUSH_N as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let actor = actor.clone();
            scope.spawn(move || {
                let client = ClientId::new();
                for batch in creates(client, PUSH_N / 4).chunks(100) {
                    applied(db.push(&actor, client, batch, 1).expect("push"));
                }
            });
        }
    });
    let four = PUSH_N as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut cursor: Option<String> = None;
    let mut n = 0;
    loop {
        match db.pull(&actor, cursor.as_deref()).expect("pull") {
            minqing_server::PullResult::Changes {
                tickets,
                cursor: c,
                more,
                ..
            } => {
                n += tickets.len();
                cursor = Some(c);
                if !more {
                    break;
                }
            }
            minqing_server::PullResult::Reset { .. } => panic!("reset"),
        }
    }
    assert_eq!(n, 2 * PUSH_N);
    let pull = n as f64 / t.elapsed().as_secs_f64();
    (one, four, pull)
}

fn bench_backends() {
    let dir = scratch("store-sqlite");
    let lite = Db::open(&dir.join("server.db")).expect("sqlite");
    let (l1, l4, lp) = push_pull(&lite);
    println!(
        "| `Db::push`, 100 per batch, 1 client (SQLite, synchronous=FULL) | {l1:.0} mutations/s |"
    );
    println!("| `Db::push`, 100 per batch, 4 clients at once (SQLite) | {l4:.0} mutations/s |");
    println!("| `Db::pull` from scratch, 20,000 tickets (SQLite) | {lp:.0} changes/s |");
    let Ok(url) = std::env::var("MINQING_BENCH_DATABASE_URL") else {
        println!("| PostgreSQL | skipped: MINQING_BENCH_DATABASE_URL is not set |");
        return;
    };
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let fsync: String = c.query_one("SHOW fsync", &[]).expect("fsync").get(0);
    let commit: String = c
        .query_one("SHOW synchronous_commit", &[])
        .expect("synchronous_commit")
        .get(0);
    let version: String = c
        .query_one("SHOW server_version", &[])
        .expect("version")
        .get(0);
    assert!(
        fsync == "on" && commit == "on",
        "the bench measures PostgreSQL as deployed: fsync={fsync}, synchronous_commit={commit}"
    );
    let url = minqing_server::store::pg::create_scratch_database(&url).expect("scratch db");
    let pg = Db::connect_postgres(&url).expect("postgres");
    let (p1, p4, pp) = push_pull(&pg);
    println!(
        "| `Db::push`, 100 per batch, 1 client (PostgreSQL {version}, fsync={fsync}, synchronous_commit={commit}) | {p1:.0} mutations/s |"
    );
    println!("| `Db::push`, 100 per batch, 4 clients at once (PostgreSQL) | {p4:.0} mutations/s |");
    println!("| `Db::pull` from scratch, 20,000 tickets (PostgreSQL) | {pp:.0} changes/s |");
}
