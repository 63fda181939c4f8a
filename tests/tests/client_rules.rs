//! Client rules against the real server: an expired access token is refreshed
//! without consuming the mutation; a server that needs a newer app (426) parks
//! sync with the queue intact; sync status reaches listeners.

use minqing_core::client::runner::{SyncListener, SyncState, SyncStatus};
use minqing_core::outbox::OutboxState;
use minqing_core::MinqingError;
use minqing_e2e::devices::{drained, login, open, submit_with_photo};
use minqing_e2e::server::ServerProc;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

#[derive(Default)]
struct Statuses(Mutex<Vec<SyncStatus>>);

impl SyncListener for Statuses {
    fn on_sync_status(&self, status: SyncStatus) {
        self.0.lock().expect("lock").push(status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let dev = open(dir.path(), "deputy");
    login(&dev, &server, &server.url, "陆靖英").await;
    let (ticket, _) = submit_with_photo(&dev, "令牌过期", 640, 480);
    // Every access token expires, as an hour would do.
    let db = rusqlite::Connection::open(server.data_dir.join("server.db")).expect("db");
    db.execute("UPDATE sessions SET access_expires = 0", [])
        .expect("expire");
    let before = minqing_e2e::devices::access_token(&dev);
    let report = dev.sync().now().await.expect("refreshed and synced");
    assert_eq!(
        report.pushed, 2,
        "create + attach, none consumed by the 401"
    );
    assert!(drained(&dev));
    let after = minqing_e2e::devices::access_token(&dev);
    assert_ne!(before, after, "a new access token was stored");
    assert_eq!(
        dev.tickets().detail(ticket).expect("ticket").sync,
        minqing_core::views::SyncBadge::Synced
    );
}

/// A server that answers every request with `426` (a newer protocol only).
async fn too_new_server() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut c, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 65536];
                let _ = c.read(&mut buf).await;
                let body =
                    r#"{"error":"too_old","message_zh":"应用版本过旧","message_en":"too old"}"#;
                let _ = c
                    .write_all(
                        format!(
                            "HTTP/1.1 426 Upgrade Required\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_required_parks_sync_and_keeps_the_queue() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let dev = open(dir.path(), "deputy");
    login(&dev, &server, &server.url, "陆靖英").await;
    submit_with_photo(&dev, "需要升级", 640, 480);
    let statuses = Arc::new(Statuses::default());
    let _sub = dev.sync().subscribe(statuses.clone());
    dev.sync().set_server(too_new_server().await).expect("url");
    match dev.sync().now().await {
        Err(MinqingError::UpdateRequired { reason }) => assert!(reason.contains("升级")),
        other => panic!("expected UpdateRequired, got {other:?}"),
    }
    let queue = dev.sync().outbox().expect("queue");
    assert_eq!(queue.len(), 3);
    assert!(
        queue.iter().all(|e| e.state == OutboxState::Pending),
        "{queue:?}"
    );
    let seen = statuses.0.lock().expect("lock").clone();
    assert_eq!(
        seen.first().map(|s| s.state),
        Some(SyncState::Idle),
        "replayed on subscribe"
    );
    assert_eq!(
        seen.last().map(|s| s.state),
        Some(SyncState::UpdateRequired)
    );
    // Back to a server that accepts this app: everything goes through.
    dev.sync().set_server(server.url.clone()).expect("url");
    dev.sync().now().await.expect("sync");
    assert!(drained(&dev));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_set_is_a_clear_error_and_keeps_the_queue() {
    let dir = tempfile::tempdir().expect("dir");
    let dev = open(dir.path(), "fresh");
    submit_with_photo(&dev, "未设置服务器", 320, 240);
    match dev.sync().now().await {
        Err(MinqingError::Invalid { reason }) => assert!(reason.contains("服务器地址"), "{reason}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(dev.sync().status().state, SyncState::LoggedOut);
    assert_eq!(dev.sync().outbox().expect("queue").len(), 3);
}

/// Two requests of one phone meet an expired access token at once — the sync
/// pass and the live-update stream, both slowed by the link so they are in
/// flight together. They spend the refresh token once: one refresh request,
/// and the session stays alive (a refresh token presented twice would revoke
/// it as stolen).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_meeting_an_expired_token_spend_one_refresh() {
    use minqing_e2e::proxy::{Fault, Proxy};
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let proxy = Proxy::start(&server.addr).await;
    let dev = open(dir.path(), "deputy");
    login(&dev, &server, &proxy.url(), "陆靖英").await;
    let db = rusqlite::Connection::open(server.data_dir.join("server.db")).expect("db");
    db.execute("UPDATE sessions SET access_expires = 0", [])
        .expect("expire");
    proxy.set(Fault::Latency(Duration::from_millis(150)));
    let seen = proxy.requests().len();
    let _sync = dev.clone().sync().start().expect("loop");
    minqing_e2e::devices::wait_for("a pass after the refresh", Duration::from_secs(20), || {
        dev.sync().status().last_synced_at.is_some()
    })
    .await;
    let requests = proxy.requests()[seen..].to_vec();
    let before_refresh: Vec<&str> = requests
        .iter()
        .take_while(|r| r.line != "POST /v1/auth/refresh")
        .map(|r| r.line.as_str())
        .collect();
    assert!(
        before_refresh.len() >= 2,
        "two requests were in flight with the old token: {before_refresh:?}"
    );
    let refreshes = requests
        .iter()
        .filter(|r| r.line == "POST /v1/auth/refresh")
        .count();
    assert_eq!(refreshes, 1, "{requests:?}");
    // Still logged in: the session was not revoked as a replay.
    proxy.heal();
    dev.sync().now().await.expect("still logged in");
    let revoked: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("sessions");
    assert_eq!(revoked, 0);
}
