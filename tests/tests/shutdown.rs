//! Graceful shutdown of the real server process, as a deployment stops it
//! (SIGTERM), on SQLite and on PostgreSQL:
//! - a long request in flight (a 2 MiB photo PATCHed over a slow link) is
//!   answered after the signal, while new connections are already refused; the
//!   SSE stream ends cleanly; the process exits 0 within the grace period, and
//!   after a restart the photo is there, whole;
//! - during a storm of pushes (four clients pushing 50 mutations at a time,
//!   and a device submitting two reports and syncing, again and again), every
//!   push is applied whole or not at all — each client's last mutation id on
//!   the server is at a push boundary, and every push acknowledged (to the
//!   clients, to the device) is there after the restart — and, synced on, every
//!   ticket is on the server exactly once and the device's queue drains.
//!
//! The PostgreSQL halves need `MINQING_TEST_DATABASE_URL` (`eval "$(scripts/pg.sh)"`);
//! without it they fail under CI and are skipped elsewhere.

use minqing_e2e::devices::{drained, login, open};
use minqing_e2e::proxy::{Fault, Proxy};
use minqing_e2e::server::ServerProc;
use minqing_protocol::wire::{PullResponse, PushRequest, PushResponse, SessionTokens};
use minqing_protocol::{ClientId, EventId, Mutation, MutationKind, NewTicket, Ticket, TicketId};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's default grace period for requests in flight.
const GRACE: Duration = Duration::from_secs(10);

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

const URL_VAR: &str = "MINQING_TEST_DATABASE_URL";

/// Where the server keeps its data: the data dir's SQLite, or a fresh
/// PostgreSQL database (`None`: PostgreSQL is not available, test skipped).
#[derive(Clone)]
enum Backend {
    Sqlite,
    Postgres(String),
}

fn postgres() -> Option<Backend> {
    let base = match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var_os("CI").is_some() => {
            panic!("{URL_VAR} is not set, and CI is: start PostgreSQL with `eval \"$(scripts/pg.sh)\"`")
        }
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (run `eval \"$(scripts/pg.sh)\"`)");
            return None;
        }
    };
    let url = minqing_server::store::pg::create_scratch_database(&base)
        .unwrap_or_else(|e| panic!("create a test database on {base}: {e}"));
    Some(Backend::Postgres(url))
}

/// Start the server on `data`; `again` restarts it on the same data, with the
/// phone numbers the first start printed.
fn start(backend: &Backend, data: &Path, again: Option<&ServerProc>) -> ServerProc {
    let mut s = match backend {
        Backend::Sqlite => ServerProc::start(&bin(), data, "127.0.0.1:0"),
        Backend::Postgres(url) => {
            ServerProc::start_serve(&bin(), data, "127.0.0.1:0", url, again.is_none())
        }
    };
    if let Some(first) = again {
        s.phones = first.phones.clone();
    }
    s
}

/// Log in through the SMS-code flow over plain HTTP.
async fn token(http: &reqwest::Client, server: &ServerProc, name: &str) -> String {
    let phone = server.phone(name);
    let r = http
        .post(format!("{}/v1/auth/sms-code", server.url))
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await
        .expect("sms-code");
    assert_eq!(r.status(), 202);
    let code = server.code_for(&phone);
    let r = http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&serde_json::json!({ "phone": phone, "code": code, "device": "shutdown test" }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    r.json::<SessionTokens>()
        .await
        .expect("tokens")
        .access_token
}

/// Standard base64 (tus metadata values).
fn b64(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// A slow upload in flight, an SSE stream, SIGTERM.

async fn slow_upload_finishes_and_sse_ends_cleanly(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("server");
    let mut server = start(&backend, &data, None);
    let http = reqwest::Client::new();
    let token = token(&http, &server, "陆靖英").await;

    // A live SSE stream, straight to the server.
    let mut sse = http
        .get(format!("{}/v1/events", server.url))
        .bearer_auth(&token)
        .header("minqing-protocol", "1")
        .send()
        .await
        .expect("events");
    assert_eq!(sse.status(), 200);
    let first = sse.chunk().await.expect("first event").expect("a poke");
    assert!(String::from_utf8_lossy(&first).contains("poke"));
    let sse_end = tokio::spawn(async move {
        loop {
            match sse.chunk().await {
                Ok(Some(_)) => continue,
                Ok(None) => return Ok(Instant::now()),
                Err(e) => return Err(format!("{e:?}")),
            }
        }
    });

    // The deputy's item, for the photo (an upload names a ticket its
    // uploader may attach to).
    let ticket = TicketId::new();
    let client = minqing_protocol::ClientId::new();
    let r = http
        .post(format!("{}/v1/sync/push", server.url))
        .bearer_auth(&token)
        .header("minqing-protocol", "1")
        .json(&serde_json::json!({
            "client_id": client,
            "mutations": [{
                "client_id": client, "mutation_id": 1,
                "kind": {"type": "create_ticket", "ticket": {
                    "id": ticket, "event": minqing_protocol::EventId::new(),
                    "group": null, "jurisdiction": null, "category": null, "item": null,
                    "text": "水月亭路窨井盖松动", "location": null, "channel": "field_capture",
                    "constituent": null, "mentioned_unit": null, "photo_count": 1
                }}
            }],
        }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);

    // A 2 MiB photo (a JPEG of noise, without metadata), created directly,
    // PATCHed through a 512 KiB/s link.
    let photo = minqing_capture::testsupport::noisy_jpeg(2 * 1024 * 1024, 0x9e37_79b9);
    let sha = hex::encode(Sha256::digest(&photo));
    let photo_id = minqing_protocol::PhotoId::new();
    let meta = format!(
        "photo_id {},ticket_id {},sha256 {},filetype {}",
        b64(&photo_id.to_string()),
        b64(&ticket.to_string()),
        b64(&sha),
        b64("image/jpeg")
    );
    let r = http
        .post(format!("{}/v1/uploads", server.url))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", photo.len().to_string())
        .header("upload-metadata", meta)
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let proxy = Proxy::start(&server.addr).await;
    proxy.set(Fault::Link {
        one_way: Duration::from_millis(20),
        bytes_per_sec: 512 * 1024,
    });
    let patch = {
        let req = http
            .patch(format!("{}{location}", proxy.url()))
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", "0")
            .body(photo.clone());
        tokio::spawn(async move {
            let r = req.send().await.expect("the PATCH is answered");
            let offset = r
                .headers()
                .get("upload-offset")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (r.status().as_u16(), offset, Instant::now())
        })
    };
    // The PATCH is well under way: a quarter of the photo has gone up.
    let until = Instant::now() + Duration::from_secs(10);
    while proxy.bytes_up() < photo.len() as u64 / 4 {
        assert!(Instant::now() < until, "the PATCH never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let t0 = Instant::now();
    server.terminate();
    // No new connections while the PATCH is still being received.
    let refused_at = loop {
        if tokio::net::TcpStream::connect(&server.addr).await.is_err() {
            break Instant::now();
        }
        assert!(t0.elapsed() < Duration::from_secs(2), "still accepting");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let (status, offset, answered_at) = patch.await.expect("join");
    assert_eq!(status, 204, "the PATCH in flight is answered");
    assert_eq!(offset, Some(photo.len().to_string()), "all of it taken");
    assert!(
        refused_at < answered_at,
        "new connections refused before the PATCH in flight was answered"
    );
    let status = server
        .wait_exit(GRACE + Duration::from_secs(5))
        .expect("the server exits after SIGTERM");
    let exited = t0.elapsed();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        exited < GRACE,
        "exited in {exited:?}, beyond the grace period"
    );
    let sse_ended = sse_end
        .await
        .expect("join")
        .expect("the SSE stream ends cleanly (the end of the answer, no reset)");
    assert!(sse_ended > t0);
    let in_flight = answered_at - t0;
    assert!(
        in_flight > Duration::from_secs(1),
        "the PATCH was still running well after SIGTERM ({in_flight:?})"
    );
    eprintln!(
        "SIGTERM → new connections refused after {:?}, the PATCH in flight answered 204 after \
         {in_flight:?}, SSE ended cleanly after {:?}, process exited {} after {exited:?}",
        refused_at - t0,
        sse_ended - t0,
        status.code().unwrap_or(-1),
    );

    // Restarted on the same data: the photo is there, whole.
    let server = start(&backend, &data, Some(&server));
    let r = http
        .get(format!("{}/v1/photos/{photo_id}", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("photo");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), photo.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_slow_upload_finish_ends_sse_cleanly_and_exits_0() {
    slow_upload_finishes_and_sse_ends_cleanly(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_slow_upload_finish_ends_sse_cleanly_and_exits_0_on_postgres() {
    let Some(backend) = tokio::task::spawn_blocking(postgres).await.expect("db") else {
        return;
    };
    slow_upload_finishes_and_sse_ends_cleanly(backend).await;
}

// ---------------------------------------------------------------------------
// A storm of pushes, SIGTERM, restart.

/// Mutations per raw push, raw clients, and at most this many pushes each
/// (they push until the server is gone).
const PER_PUSH: u64 = 50;
const CLIENTS: usize = 4;
const MAX_PUSHES: u64 = 1000;

fn raw_push(client: ClientId, n: u64, first: u64) -> PushRequest {
    let mutations = (first..first + n)
        .map(|id| Mutation {
            client_id: client,
            mutation_id: id,
            kind: MutationKind::CreateTicket {
                ticket: NewTicket {
                    id: TicketId::new(),
                    event: EventId::new(),
                    group: None,
                    jurisdiction: None,
                    category: None,
                    item: None,
                    text: format!("raw {client} #{id}"),
                    location: None,
                    channel: minqing_protocol::SourceChannel::FieldCapture,
                    constituent: None,
                    mentioned_unit: None,
                    photo_count: 0,
                },
            },
        })
        .collect();
    PushRequest {
        client_id: client,
        mutations,
    }
}

async fn push(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    req: &PushRequest,
) -> Result<PushResponse, String> {
    let r = http
        .post(format!("{url}/v1/sync/push"))
        .bearer_auth(token)
        .header("minqing-protocol", "1")
        .json(req)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    if r.status() != 200 {
        return Err(format!("{}", r.status()));
    }
    r.json().await.map_err(|e| format!("{e:?}"))
}

/// What one raw client saw.
#[derive(Debug, Default)]
struct RawClient {
    client: Option<ClientId>,
    /// The highest last mutation id the server acknowledged.
    acked: u64,
    /// Pushes sent before SIGTERM and acknowledged after it.
    answered_after_sigterm: u64,
}

/// Every ticket `token`'s user may see (city staff: all), by paging pull.
async fn all_tickets(http: &reqwest::Client, url: &str, token: &str) -> Vec<Ticket> {
    let mut cursor: Option<String> = None;
    let mut out = Vec::new();
    loop {
        let mut req = http
            .get(format!("{url}/v1/sync/pull"))
            .bearer_auth(token)
            .header("minqing-protocol", "1");
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let r: PullResponse = req.send().await.expect("pull").json().await.expect("json");
        match r {
            PullResponse::Changes {
                tickets,
                cursor: next,
                more,
                ..
            } => {
                out.extend(tickets);
                cursor = Some(next);
                if !more {
                    return out;
                }
            }
            PullResponse::Reset { .. } => panic!("a pull from scratch was reset"),
        }
    }
}

async fn push_storm_applies_whole_pushes_once(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("server");
    let mut server = start(&backend, &data, None);
    let http = reqwest::Client::new();
    let staff = token(&http, &server, "市人大工作人员").await;
    let pusher = token(&http, &server, "王建国").await;
    // The device talks through a proxy, so it finds the restarted server.
    let proxy = Proxy::start(&server.addr).await;
    let device = open(dir.path(), "deputy");
    login(&device, &server, &proxy.url(), "陆靖英").await;

    let sigterm_sent = Arc::new(AtomicBool::new(false));
    let pushes_acked = Arc::new(AtomicU64::new(0));
    let raw = (0..CLIENTS)
        .map(|_| {
            let (http, url, token) = (http.clone(), server.url.clone(), pusher.clone());
            let (sigterm_sent, pushes_acked) = (sigterm_sent.clone(), pushes_acked.clone());
            tokio::spawn(async move {
                let client = ClientId::new();
                let mut seen = RawClient {
                    client: Some(client),
                    ..RawClient::default()
                };
                for i in 0..MAX_PUSHES {
                    let before = sigterm_sent.load(Ordering::SeqCst);
                    match push(
                        &http,
                        &url,
                        &token,
                        &raw_push(client, PER_PUSH, i * PER_PUSH + 1),
                    )
                    .await
                    {
                        Ok(r) => {
                            assert_eq!(r.last_mutation_id, (i + 1) * PER_PUSH);
                            assert!(r.rejected.is_empty());
                            seen.acked = r.last_mutation_id;
                            if !before && sigterm_sent.load(Ordering::SeqCst) {
                                seen.answered_after_sigterm += 1;
                            }
                            pushes_acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => break,
                    }
                }
                seen
            })
        })
        .collect::<Vec<_>>();
    // The device: submit two reports, sync, again, until the server is gone.
    let dev = device.clone();
    let device_rounds = Arc::new(AtomicU64::new(0));
    let rounds = device_rounds.clone();
    let device_storm = tokio::spawn(async move {
        let mut submitted = Vec::new();
        for round in 0..1000 {
            for k in 0..2 {
                let d = dev.drafts().create().expect("draft");
                dev.drafts()
                    .set_text(d.id.clone(), format!("device {round}.{k}"))
                    .expect("text");
                submitted.push(dev.drafts().submit(d.id).expect("submit").id);
            }
            if dev.sync().now().await.is_err() {
                break;
            }
            rounds.fetch_add(1, Ordering::SeqCst);
        }
        submitted
    });

    // Mid-storm: SIGTERM.
    let until = Instant::now() + Duration::from_secs(60);
    while pushes_acked.load(Ordering::SeqCst) < 8 || device_rounds.load(Ordering::SeqCst) < 5 {
        assert!(Instant::now() < until, "the storm never got going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let t0 = Instant::now();
    sigterm_sent.store(true, Ordering::SeqCst);
    server.terminate();
    let status = server
        .wait_exit(GRACE + Duration::from_secs(5))
        .expect("the server exits after SIGTERM");
    let exited = t0.elapsed();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        exited < GRACE,
        "exited in {exited:?}, beyond the grace period"
    );
    let mut seen = Vec::new();
    for r in raw {
        seen.push(r.await.expect("join"));
    }
    let submitted = device_storm.await.expect("join");
    let sent_before: BTreeSet<String> = device
        .sync()
        .outbox()
        .expect("outbox")
        .into_iter()
        .filter(|e| e.kind == "create_ticket" && e.state == minqing_core::outbox::OutboxState::Sent)
        .map(|e| e.ticket_id)
        .collect();
    let in_flight: u64 = seen.iter().map(|s| s.answered_after_sigterm).sum();
    assert!(
        in_flight > 0,
        "some push was in flight at SIGTERM and answered after it: {seen:?}"
    );

    // Restarted on the same data, before anyone sends again.
    let server = start(&backend, &data, Some(&server));
    proxy.retarget(&server.addr);
    let held = all_tickets(&http, &server.url, &staff).await;
    let texts: BTreeSet<&str> = held.iter().map(|t| t.text.as_str()).collect();
    for s in &seen {
        let client = s.client.expect("client");
        // An empty push says where the server stands for this client.
        let last = push(&http, &server.url, &pusher, &raw_push(client, 0, 1))
            .await
            .expect("empty push")
            .last_mutation_id;
        assert_eq!(
            last % PER_PUSH,
            0,
            "{client}: a push applied in part ({last})"
        );
        assert!(
            last >= s.acked,
            "{client}: acknowledged {} but holds {last}",
            s.acked
        );
        let mine = held
            .iter()
            .filter(|t| t.text.starts_with(&format!("raw {client} #")))
            .count() as u64;
        assert_eq!(mine, last, "{client}: one ticket per applied mutation");
        assert!(texts.contains(format!("raw {client} #{last}").as_str()) || last == 0);
    }
    let held_ids: BTreeSet<String> = held.iter().map(|t| t.id.to_string()).collect();
    let lost: Vec<_> = sent_before.difference(&held_ids).collect();
    assert!(
        lost.is_empty(),
        "acknowledged to the device, not on the server: {lost:?}"
    );

    // Everyone goes on: the raw clients from where the server stands, the
    // device by syncing until its queue drains.
    let mut raw_total = Vec::new();
    for s in &seen {
        let client = s.client.expect("client");
        let last = push(&http, &server.url, &pusher, &raw_push(client, 0, 1))
            .await
            .expect("empty push")
            .last_mutation_id;
        let r = push(
            &http,
            &server.url,
            &pusher,
            &raw_push(client, PER_PUSH, last + 1),
        )
        .await
        .expect("push after the restart");
        assert_eq!(r.last_mutation_id, last + PER_PUSH);
        raw_total.push((client, r.last_mutation_id));
    }
    for _ in 0..20 {
        if device.sync().now().await.is_ok() && drained(&device) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(drained(&device), "queue: {:?}", device.sync().outbox());

    let held = all_tickets(&http, &server.url, &staff).await;
    let mut by_text: HashMap<&str, usize> = HashMap::new();
    for t in &held {
        *by_text.entry(t.text.as_str()).or_default() += 1;
        let submissions = t
            .timeline
            .iter()
            .filter(|e| matches!(e.kind, minqing_protocol::EventKind::Submitted))
            .count();
        assert_eq!(submissions, 1, "{}: submitted once", t.text);
    }
    let held_ids: BTreeSet<String> = held.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(held_ids.len(), held.len(), "a ticket id twice");
    for (client, total) in &raw_total {
        for id in 1..=*total {
            let text = format!("raw {client} #{id}");
            assert_eq!(by_text.get(text.as_str()), Some(&1), "{text}: exactly once");
        }
    }
    let raw_held = held.iter().filter(|t| t.text.starts_with("raw ")).count() as u64;
    assert_eq!(raw_held, raw_total.iter().map(|(_, n)| n).sum::<u64>());
    for id in &submitted {
        assert!(held_ids.contains(id), "the device's {id} is on the server");
    }
    let device_held = held
        .iter()
        .filter(|t| t.text.starts_with("device "))
        .count();
    assert_eq!(
        device_held,
        submitted.len(),
        "each device ticket exactly once"
    );
    eprintln!(
        "SIGTERM mid-storm: {} raw pushes of {PER_PUSH} acknowledged (last ids {:?}), {in_flight} \
         of them in flight at the signal and answered after it; the device had {} of {} reports \
         acknowledged; exit {} after {exited:?}; after the restart every client stood at a push \
         boundary and everything arrived exactly once",
        pushes_acked.load(Ordering::SeqCst),
        seen.iter().map(|s| s.acked).collect::<Vec<_>>(),
        sent_before.len(),
        submitted.len(),
        status.code().unwrap_or(-1),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_push_storm_applies_whole_pushes_exactly_once() {
    push_storm_applies_whole_pushes_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_push_storm_applies_whole_pushes_exactly_once_on_postgres() {
    let Some(backend) = tokio::task::spawn_blocking(postgres).await.expect("db") else {
        return;
    };
    push_storm_applies_whole_pushes_once(backend).await;
}
