//! Graceful shutdown, in process (the real process on SIGTERM:
//! `tests/tests/shutdown.rs`):
//! - the escalation scheduler stops between transactions — the transaction a
//!   stopped pass is in commits whole, no other begins, and the next pass takes
//!   up the rest (both backends);
//! - a request that outlasts the grace period is cut with a 503 and
//!   `Retry-After`, the server stops shortly after the grace period, and the
//!   upload it was writing to is consistent when the server comes back.

mod support;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::*;
use minqing_server::app::{Config, Server};
use minqing_server::workflow::escalation::{run_once, run_pass, PER_TRANSACTION};
use minqing_server::workflow::Workflow;
use minqing_server::Db;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::tickets;
use time::macros::datetime;

const FIXTURE_2020: &str = include_str!("../../protocol/tests/fixtures/calendar-2020.toml");

macro_rules! cst {
    ($($t:tt)*) => {
        datetime!($($t)* +8).unix_timestamp() * 1000
    };
}

fn chase_count(db: &Db, id: TicketId) -> usize {
    let t = db.ticket(&id.to_string()).expect("read").expect("ticket");
    t.timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Chased { .. }))
        .count()
}

fn a_stopped_pass_ends_between_transactions(db: Db) {
    db.set_workflow(Workflow::new(
        Calendar::from_files([FIXTURE_2020]).expect("fixture"),
        Default::default(),
    ))
    .expect("workflow");
    let group = GroupId::new();
    let unit = UnitId::new();
    tickets::directory(&db, group, unit);
    let deputy = Actor {
        user: UserId::new(),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![group],
    };
    // Two transactions' worth and a half, all due at once.
    let n = 2 * PER_TRANSACTION + PER_TRANSACTION / 4;
    let client = ClientId::new();
    let mut ids = Vec::new();
    let mutations: Vec<_> = (1..=n as u64)
        .map(|i| {
            let t = NewTicket {
                mentioned_unit: Some(unit),
                ..tickets::new("水月亭路窨井盖松动")
            };
            ids.push(t.id);
            tickets::create(client, i, t)
        })
        .collect();
    let r = db
        .push(&deputy, client, &mutations, cst!(2020-09-29 10:00))
        .expect("push");
    assert!(r.rejected.is_empty());
    let now = cst!(2020-09-29 20:31);

    // Asked to stop once the first transaction is under way.
    let asked = Cell::new(0);
    let r = run_pass(&db, now, &|| {
        asked.set(asked.get() + 1);
        asked.get() > 1
    })
    .expect("pass");
    assert!(r.stopped);
    assert_eq!(r.visited, PER_TRANSACTION, "one transaction, whole");
    let chased: Vec<usize> = ids.iter().map(|id| chase_count(&db, *id)).collect();
    let per_ticket = chased[0];
    assert!(per_ticket > 0, "the warning is due at 20:31");
    assert_eq!(
        chased.iter().filter(|c| **c == per_ticket).count(),
        PER_TRANSACTION,
        "the transaction the pass was in committed whole"
    );
    assert_eq!(
        chased.iter().filter(|c| **c == 0).count(),
        n - PER_TRANSACTION,
        "no other transaction began"
    );

    // The next pass (after a restart) takes up the rest, and chases nothing twice.
    let r = run_once(&db, now).expect("pass");
    assert!(!r.stopped);
    assert_eq!(r.visited, n - PER_TRANSACTION);
    for id in &ids {
        assert_eq!(chase_count(&db, *id), per_ticket);
    }
}

#[test]
fn a_stopped_pass_ends_between_transactions_on_sqlite() {
    let (db, _dir) = support::db::sqlite();
    a_stopped_pass_ends_between_transactions(db);
}

#[test]
fn a_stopped_pass_ends_between_transactions_on_postgres() {
    if let Some(db) = support::db::postgres() {
        a_stopped_pass_ends_between_transactions(db);
    }
}

/// A code-login over plain HTTP; the code is read from the SMS log.
async fn login(http: &reqwest::Client, url: &str, data: &std::path::Path, phone: &str) -> String {
    let r = http
        .post(format!("{url}/v1/auth/sms-code"))
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await
        .expect("sms-code");
    assert_eq!(r.status(), 202);
    let code = minqing_server::sms::wait_for_code(
        &data.join("sms.log"),
        phone,
        std::time::Duration::from_secs(5),
    )
    .expect("code");
    let r = http
        .post(format!("{url}/v1/auth/login"))
        .json(&serde_json::json!({ "phone": phone, "code": code }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    r.json::<wire::SessionTokens>()
        .await
        .expect("tokens")
        .access_token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_the_grace_period_is_cut_with_a_503() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".into(),
        shutdown_grace_secs: 1,
        ..Config::default()
    };
    let server = Server::bind(&config).await.expect("bind");
    let db = server.state().db.clone();
    let people = tokio::task::spawn_blocking(move || minqing_server::seed::seed_demo(&db))
        .await
        .expect("seed task")
        .expect("seed");
    let url = format!("http://{}", server.addr);
    let addr = server.addr;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let phone = &people
        .iter()
        .find(|p| p.name == "陆靖英")
        .expect("deputy")
        .phone;
    let token = login(&http, &url, &config.data_dir, phone).await;

    // The deputy's item, for the photo (an upload names a ticket its
    // uploader may attach to).
    let client = ClientId::new();
    let nt = tickets::new("水月亭路窨井盖松动");
    let ticket = nt.id;
    let r = http
        .post(format!("{url}/v1/sync/push"))
        .bearer_auth(&token)
        .header("minqing-protocol", "1")
        .json(&serde_json::json!({
            "client_id": client,
            "mutations": [tickets::create(client, 1, nt)],
        }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);

    // A 200 KiB photo (a JPEG of noise, without metadata): 10 s at the pace
    // below.
    let photo = minqing_capture::testsupport::noisy_jpeg(200 * 1024, 11);
    let sha = hex::encode(Sha256::digest(&photo));
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let r = http
        .post(format!("{url}/v1/uploads"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", photo.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "photo_id {},ticket_id {},sha256 {},filetype {}",
                b64(&PhotoId::new().to_string()),
                b64(&ticket.to_string()),
                b64(&sha),
                b64("image/jpeg")
            ),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().expect("loc").to_owned();

    // A PATCH whose body trickles in: 1 KiB every 50 ms, far past the grace period.
    let (answer_tx, answer) = std::sync::mpsc::channel::<String>();
    let slow = {
        let (token, location, photo) = (token.clone(), location.clone(), photo.clone());
        std::thread::spawn(move || {
            let mut c = std::net::TcpStream::connect(addr).expect("tcp");
            write!(
                c,
                "PATCH {location} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
                 tus-resumable: 1.0.0\r\ncontent-type: application/offset+octet-stream\r\n\
                 upload-offset: 0\r\ncontent-length: {}\r\n\r\n",
                photo.len()
            )
            .expect("head");
            c.set_read_timeout(Some(Duration::from_millis(1)))
                .expect("timeout");
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            for chunk in photo.chunks(1024) {
                if c.write_all(chunk).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
                match c.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(_) => {}
                }
                if !got.is_empty() {
                    break;
                }
            }
            c.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let _ = c.read_to_end(&mut got);
            let _ = answer_tx.send(String::from_utf8_lossy(&got).into_owned());
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let t0 = Instant::now();
    stop.send(()).expect("stop");
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("stopped in time")
        .expect("join")
        .expect("served");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_secs(1),
        "the request got its grace period ({took:?})"
    );
    assert!(
        took < Duration::from_millis(2500),
        "stopped soon after the grace period ({took:?})"
    );
    let answer = tokio::task::spawn_blocking(move || answer.recv_timeout(Duration::from_secs(5)))
        .await
        .expect("join")
        .expect("an answer");
    slow.join().expect("client");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 2"),
        "{answer}"
    );
    assert!(answer.contains("\"unavailable\""), "{answer}");

    // Back on the same data: the cut PATCH left the upload where its record
    // says, and the photo goes up whole from there.
    let server = Server::bind(&config).await.expect("bind again");
    let url = format!("http://{}", server.addr);
    tokio::spawn(server.run());
    let r = http
        .head(format!("{url}{location}"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    let offset: usize = r.headers()["upload-offset"]
        .to_str()
        .expect("offset")
        .parse()
        .expect("number");
    let r = http
        .patch(format!("{url}{location}"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .body(photo[offset..].to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 204);
    eprintln!(
        "grace 1 s: stopped {took:?} after the signal; the slow PATCH was answered {}; it had \
         {offset} bytes recorded, and the rest went up after the restart",
        answer.lines().next().unwrap_or("")
    );
}
