//! The phone's background sync loop talks to the server only when there is
//! something to send or fetch, and never inside the server's `Retry-After`
//! (field fault: every keystroke started a full pass, and a wake-up cut short
//! both the backoff and `Retry-After`).
//!
//! A real `minqing-server`, a device core running its background loop through
//! a proxy that records every HTTP request it sees begin and can answer `503`
//! with `Retry-After` itself. Requests are counted at the proxy.

use minqing_e2e::devices::{drained, login, open, wait_for};
use minqing_e2e::proxy::{Fault, Proxy};
use minqing_e2e::server::ServerProc;
use std::path::PathBuf;
use std::time::Duration;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

struct Rig {
    _dir: tempfile::TempDir,
    _server: ServerProc,
    proxy: Proxy,
    deputy: std::sync::Arc<minqing_core::Minqing>,
    other: std::sync::Arc<minqing_core::Minqing>,
    _sync: std::sync::Arc<minqing_core::client::runner::SyncHandle>,
}

/// A deputy's device syncing in the background through the proxy, its live
/// stream open and its first pass done; another deputy of the group talking
/// straight to the server (its changes poke the first device).
async fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let proxy = Proxy::start(&server.addr).await;
    let deputy = open(dir.path(), "deputy");
    login(&deputy, &server, &proxy.url(), "陆靖英").await;
    let other = open(dir.path(), "other");
    login(&other, &server, &server.url, "王建国").await;
    let sync = deputy.sync().start().expect("loop");
    wait_for("the live stream", Duration::from_secs(20), || {
        proxy.requests().iter().any(|r| r.line == "GET /v1/events")
    })
    .await;
    wait_for("the first pass", Duration::from_secs(20), || {
        deputy.sync().status().last_synced_at.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    Rig {
        _dir: dir,
        _server: server,
        proxy,
        deputy,
        other,
        _sync: sync,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_edits_make_no_request_and_a_submit_goes_at_once() {
    let Rig { proxy, deputy, .. } = &rig().await;
    // Fifty draft edits: no request at all.
    let before = proxy.requests().len();
    let draft = deputy.drafts().create().expect("draft");
    let line = "水月亭路多个窨井盖松动，车辆经过时哐哐响";
    for i in 1..=49 {
        let text: String = line.chars().take(i % line.chars().count() + 1).collect();
        deputy
            .drafts()
            .set_text(draft.id.clone(), text)
            .expect("edit");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_edits = proxy.requests();
    assert_eq!(
        after_edits.len(),
        before,
        "50 draft edits made requests: {:?}",
        &after_edits[before..]
    );
    // 完成 is something to send: it goes at once.
    deputy.drafts().submit(draft.id).expect("submit");
    wait_for("the submit pushed", Duration::from_secs(10), || {
        proxy.requests()[before..]
            .iter()
            .any(|r| r.line == "POST /v1/sync/push")
    })
    .await;
    wait_for("drained", Duration::from_secs(10), || drained(deputy)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_inside_retry_after_whatever_the_device_does() {
    let Rig {
        proxy,
        deputy,
        other,
        ..
    } = &rig().await;
    // The server asks for 30 s: nothing for 30 s, whatever happens.
    proxy.set(Fault::Unavailable {
        retry_after_secs: 30,
    });
    let seen = proxy.requests().len();
    let a = deputy.drafts().create().expect("draft");
    deputy
        .drafts()
        .set_text(a.id.clone(), "红绿灯绿灯时间太短".into())
        .expect("text");
    deputy.drafts().submit(a.id).expect("submit A");
    wait_for("the refused push", Duration::from_secs(10), || {
        proxy.requests().len() > seen
    })
    .await;
    let refused = proxy.requests()[seen..].to_vec();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].refused, "{refused:?}");
    let t0 = refused[0].at;

    // Meanwhile the device does all it can: another submit, draft edits,
    // the network "coming back", a user's sync now, and a poke from the
    // server over the live stream (another deputy's report).
    let b = deputy.drafts().create().expect("draft");
    for t in ["燃", "燃气", "燃气警示桩突出路面"] {
        deputy
            .drafts()
            .set_text(b.id.clone(), t.into())
            .expect("edit");
    }
    deputy.drafts().submit(b.id).expect("submit B");
    deputy.sync().network_changed(true);
    let now = deputy.sync().now().await;
    assert!(now.is_err(), "sync now inside Retry-After: {now:?}");
    let down = proxy.bytes_down();
    let o = other.drafts().create().expect("draft");
    other
        .drafts()
        .set_text(o.id.clone(), "方便桥路灯不亮".into())
        .expect("text");
    other.drafts().submit(o.id).expect("submit");
    other.sync().now().await.expect("other device syncs");
    wait_for("the poke relayed", Duration::from_secs(10), || {
        proxy.bytes_down() > down
    })
    .await;
    let status = deputy.sync().status();
    assert!(
        status.retry_in_ms.is_some(),
        "the status says when it will retry: {status:?}"
    );

    // Let the server back in just before the wait ends, and check nothing
    // came through before it did.
    tokio::time::sleep_until(t0 + Duration::from_secs(28)).await;
    proxy.heal();
    tokio::time::sleep_until(t0 + Duration::from_millis(29_800)).await;
    let during: Vec<_> = proxy.requests()[seen + 1..].to_vec();
    assert!(
        during.is_empty(),
        "requests inside Retry-After: {:?}",
        during
            .iter()
            .map(|r| (r.at - t0, r.line.clone()))
            .collect::<Vec<_>>()
    );

    // When the wait ends, both submits go.
    wait_for("A and B sent", Duration::from_secs(20), || drained(deputy)).await;
    let next = proxy.requests()[seen + 1..].to_vec();
    let first = next.first().expect("a request after the wait");
    assert!(
        first.at - t0 >= Duration::from_secs(30),
        "first request {:?} after the 503",
        first.at - t0
    );
    assert!(!first.refused);
    // The pass that sent them pulls too (the other deputy's report with them);
    // the queue drains before the pull ends, so wait for the list.
    let texts = ["红绿灯绿灯时间太短", "燃气警示桩突出路面", "方便桥路灯不亮"];
    wait_for("all three on the phone", Duration::from_secs(10), || {
        let held: Vec<String> = deputy
            .tickets()
            .list()
            .map(|l| l.into_iter().map(|t| t.text).collect())
            .unwrap_or_default();
        texts.iter().all(|text| held.iter().any(|t| t == text))
    })
    .await;
}
