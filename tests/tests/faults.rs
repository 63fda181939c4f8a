//! Fault tests: a real server process, a device store, and a fault-injecting
//! proxy between them. Each fault ends, once healed, with exactly one ticket on
//! the server, the photo's bytes intact (SHA-256 checked), and the device's
//! queue drained.

use minqing_core::{sync, MinqingError};
use minqing_e2e::devices::{drained, login, open, server_photos, submit_with_photo, wait_for};
use minqing_e2e::proxy::{Fault, Proxy};
use minqing_e2e::server::ServerProc;
use minqing_protocol::wire::{PullResponse, PushRequest, PushResponse};
use minqing_protocol::{Ticket, PROTOCOL_VERSION};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

/// A server, a proxy in front of it, and a deputy logged in through the proxy.
struct Rig {
    /// Keeps the server's and devices' files alive for the test.
    _dir: tempfile::TempDir,
    server: ServerProc,
    proxy: Proxy,
    deputy: Arc<minqing_core::Minqing>,
    /// A colleague in the same group, to read what the server holds.
    peer_token: String,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let proxy = Proxy::start(&server.addr).await;
    let deputy = open(dir.path(), "deputy");
    login(&deputy, &server, &proxy.url(), "陆靖英").await;
    let peer = open(dir.path(), "peer");
    login(&peer, &server, &server.url, "王建国").await;
    let peer_token = access_token(&peer);
    Rig {
        _dir: dir,
        server,
        proxy,
        deputy,
        peer_token,
    }
}

/// The server's copy of `ticket`, read as the colleague does (`None`: not
/// there).
async fn server_ticket(rig: &Rig, ticket: &str) -> Option<Ticket> {
    server_tickets(rig)
        .await
        .into_iter()
        .find(|t| t.id.to_string() == ticket)
}

/// What the server holds, read by a second device (the deputy's colleague in
/// the same group) straight from the server.
async fn server_tickets(rig: &Rig) -> Vec<Ticket> {
    let token = rig.peer_token.clone();
    let http = reqwest::Client::new();
    let r: PullResponse = http
        .get(format!("{}/v1/sync/pull", rig.server.url))
        .bearer_auth(token)
        .header("minqing-protocol", PROTOCOL_VERSION.to_string())
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("json");
    match r {
        PullResponse::Changes { tickets, .. } => tickets,
        PullResponse::Reset { .. } => panic!("fresh pull reset"),
    }
}

fn access_token(dev: &minqing_core::Minqing) -> String {
    minqing_e2e::devices::access_token(dev).expect("logged in")
}

/// Heal, sync until drained, and check the outcome the issue asks for.
async fn heal_and_check(rig: &Rig, ticket: &str, photo: &[u8]) {
    rig.proxy.heal();
    for _ in 0..10 {
        if rig.deputy.sync().now().await.is_ok() && drained(&rig.deputy) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        drained(&rig.deputy),
        "queue: {:?}",
        rig.deputy.sync().outbox()
    );
    // Exactly one ticket of this device on the server (the demo data may
    // hold others).
    let tickets: Vec<Ticket> = server_tickets(rig)
        .await
        .into_iter()
        .filter(|t| t.id.to_string() == ticket)
        .collect();
    assert_eq!(tickets.len(), 1, "exactly one ticket on the server");
    let t = &tickets[0];
    assert_eq!(t.id.to_string(), ticket);
    assert_eq!(t.photos.len(), 1, "the photo attached exactly once");
    // One submit + one attach: nothing doubled in the timeline.
    assert_eq!(t.timeline.len(), 2, "{:?}", t.timeline);
    let stored = server_photos(&rig.server);
    assert_eq!(stored.len(), 1);
    let sha = hex::encode(Sha256::digest(photo));
    assert_eq!(hex::encode(Sha256::digest(&stored[0])), sha);
    assert_eq!(t.photos[0].sha256, sha);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_dropped() {
    let rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "请求丢失", 1600, 1200);
    rig.proxy.set(Fault::DropRequest);
    assert!(matches!(
        rig.deputy.sync().now().await,
        Err(MinqingError::Network { .. })
    ));
    heal_and_check(&rig, &ticket, &photo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_dropped_after_the_server_committed() {
    let rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "应答丢失", 1600, 1200);
    rig.proxy.set(Fault::DropResponse);
    // Every request is applied, every answer lost: the device must not know.
    for _ in 0..3 {
        assert!(rig.deputy.sync().now().await.is_err());
    }
    assert!(!drained(&rig.deputy));
    // The server did commit the submission.
    let held = server_ticket(&rig, &ticket)
        .await
        .expect("the push was applied though its answer was lost");
    assert!(held.photos.is_empty());

    // Now the upload's answer is lost after the server stored the photo…
    rig.proxy.set(Fault::DropResponseTo("POST /v1/uploads"));
    assert!(rig.deputy.sync().now().await.is_err());
    let stored = server_photos(&rig.server);
    assert_eq!(
        stored.len(),
        1,
        "the photo was stored though its answer was lost"
    );
    assert_eq!(Sha256::digest(&stored[0]), Sha256::digest(&photo));
    // …and then the attach's answer, after the server applied it.
    rig.proxy.set(Fault::DropResponseTo("POST /v1/sync/push"));
    for _ in 0..3 {
        let _ = rig.deputy.sync().now().await;
        if server_ticket(&rig, &ticket)
            .await
            .expect("ticket")
            .photos
            .len()
            == 1
        {
            break;
        }
    }
    assert_eq!(
        server_ticket(&rig, &ticket)
            .await
            .expect("ticket")
            .photos
            .len(),
        1,
        "the attach was applied though its answer was lost"
    );
    assert!(
        !drained(&rig.deputy),
        "the device did not hear of it: {:?}",
        rig.deputy.sync().outbox()
    );
    heal_and_check(&rig, &ticket, &photo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reset_mid_upload_resumes() {
    let rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "上传中断", 4000, 3000);
    assert!(photo.len() > 300_000, "photo of {} bytes", photo.len());
    let before = rig.proxy.bytes_up();
    // Let the push through, cut the upload about 60 % in.
    rig.proxy.set(Fault::CutAfter(photo.len() as u64 * 6 / 10));
    assert!(rig.deputy.sync().now().await.is_err());
    rig.proxy.heal();
    heal_and_check(&rig, &ticket, &photo).await;
    let sent = rig.proxy.bytes_up() - before;
    // Resumed, not restarted: the server kept what arrived before the cut, so
    // what went up beyond the photo itself is only requests and in-flight bytes.
    let extra = sent.saturating_sub(photo.len() as u64);
    eprintln!("photo {} bytes, sent {sent}, extra {extra}", photo.len());
    assert!(
        extra <= 64 * 1024,
        "{sent} bytes sent for a {} byte photo",
        photo.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_latency() {
    let rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "高延迟", 1600, 1200);
    rig.proxy.set(Fault::Latency(Duration::from_millis(40)));
    rig.deputy.sync().now().await.expect("slow but fine");
    assert!(drained(&rig.deputy));
    heal_and_check(&rig, &ticket, &photo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_and_restarted_mid_upload() {
    let mut rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "服务器重启", 4000, 3000);
    // Slow the upload so the kill lands in the middle of it.
    rig.proxy.set(Fault::Latency(Duration::from_millis(30)));
    let dev = rig.deputy.clone();
    let pass = tokio::spawn(async move { dev.sync().now().await });
    // Kill once a third of the photo is on its way to the server.
    let start = rig.proxy.bytes_up();
    let proxy = rig.proxy.clone();
    let third = photo.len() as u64 / 3;
    wait_for(
        "a third of the photo on its way",
        Duration::from_secs(30),
        || proxy.bytes_up() - start > third,
    )
    .await;
    rig.server.kill();
    assert!(pass.await.expect("join").is_err());
    let data = rig.server.data_dir.clone();
    let phones = rig.server.phones.clone();
    rig.server = ServerProc::start(&bin(), &data, "127.0.0.1:0");
    rig.server.phones = phones;
    rig.proxy.retarget(&rig.server.addr);
    heal_and_check(&rig, &ticket, &photo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_and_reordered_pushes() {
    let rig = rig().await;
    // Three items: mutations 1, 2, 3 (and their photos' attaches later).
    let (t1, _) = submit_with_photo(&rig.deputy, "一", 320, 240);
    let _ = submit_with_photo(&rig.deputy, "二", 320, 240);
    let _ = submit_with_photo(&rig.deputy, "三", 320, 240);
    let batch = sync::prepare_push(rig.deputy.store(), 3).expect("prepare");
    assert_eq!(
        batch.iter().map(|m| m.mutation_id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let client_id = rig
        .deputy
        .client_id()
        .expect("client")
        .parse()
        .expect("uuid");
    let http = reqwest::Client::new();
    let token = access_token(&rig.deputy);
    let push = |ms: Vec<minqing_protocol::Mutation>| {
        let req = PushRequest {
            client_id,
            mutations: ms,
        };
        let http = http.clone();
        let token = token.clone();
        let url = format!("{}/v1/sync/push", rig.server.url);
        async move {
            http.post(url)
                .bearer_auth(token)
                .header("minqing-protocol", "1")
                .json(&req)
                .send()
                .await
                .expect("push")
        }
    };
    // Reordered: 3 before 1 and 2 is a gap, and nothing is applied.
    let r = push(vec![batch[2].clone(), batch[0].clone()]).await;
    assert_eq!(r.status(), 409);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["expected"], 1);
    // In order, then the same again (duplicated), then a stale prefix.
    for ms in [batch.clone(), batch.clone(), batch[..2].to_vec()] {
        let r = push(ms).await;
        assert_eq!(r.status(), 200);
        let body: PushResponse = r.json().await.expect("json");
        assert_eq!(body.last_mutation_id, 3);
        assert!(body.rejected.is_empty());
    }
    // The device never heard the answers; its next sync replays and drains.
    rig.deputy.sync().now().await.expect("sync");
    assert!(drained(&rig.deputy));
    let mine: Vec<Ticket> = server_tickets(&rig)
        .await
        .into_iter()
        .filter(|t| ["一", "二", "三"].contains(&t.text.as_str()))
        .collect();
    assert_eq!(mine.len(), 3, "each once");
    let first = mine
        .iter()
        .find(|t| t.id.to_string() == t1)
        .expect("first ticket");
    assert_eq!(first.timeline.len(), 2, "submit + attach, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_cursor_resets_without_doubling() {
    let rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "游标过期", 1600, 1200);
    rig.deputy.sync().now().await.expect("sync");
    // A cursor from another (restored) server database.
    rig.deputy
        .store()
        .write(|tx| minqing_core::store::meta_set(tx, "pull_cursor", "0123456789abcdef.42"))
        .expect("stale cursor");
    let report = rig.deputy.sync().now().await.expect("sync after reset");
    // Everything the deputy may see came again (the demo data's items and
    // hers), and each is on the phone once.
    let list = rig.deputy.tickets().list().expect("list");
    assert_eq!(report.pulled as usize, list.len(), "pulled from scratch");
    let mut ids: Vec<&str> = list.iter().map(|t| t.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), list.len(), "nothing doubled");
    assert_eq!(list.iter().filter(|t| t.id == ticket).count(), 1);
    heal_and_check(&rig, &ticket, &photo).await;
}

/// A device whose own copy is dated three days back. Only the device's copy
/// is skewed: no mutation carries a device time to the server (it stamps
/// every event itself; a photo's capture time is the one device time it
/// reads, and proof photos are checked against it in the state machine's
/// tests), so what this shows is that nothing the device dated reaches the
/// server's copy, whose every time is the server's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_copy_dated_days_back_changes_no_time_on_the_server() {
    let rig = rig().await;
    let (ticket, photo) = submit_with_photo(&rig.deputy, "设备时钟错误", 1600, 1200);
    // The device believes it is three days ago: its local copy says so.
    let three_days = 3 * 24 * 3600 * 1000;
    rig.deputy
        .store()
        .write(|tx| {
            tx.execute(
                "UPDATE tickets SET created_at = created_at - ?1",
                [three_days],
            )?;
            Ok(())
        })
        .expect("skew");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as i64;
    heal_and_check(&rig, &ticket, &photo).await;
    let t = &server_ticket(&rig, &ticket).await.expect("ticket");
    // Every time on the server copy is the server's own, not the device's.
    for e in &t.timeline {
        assert!(
            (e.at - before).abs() < 60_000,
            "event at {} vs server now {before}",
            e.at
        );
    }
    assert!((t.created_at - before).abs() < 60_000);
}
