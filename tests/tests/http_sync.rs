//! End to end on loopback: the real server process, two device stores (a deputy
//! and a unit contact) syncing over real HTTP. The deputy submits while offline;
//! on reconnecting the item reaches the contact; the contact claims it, and the
//! deputy's device — poked over SSE — shows the new status.

use minqing_core::outbox::OutboxState;
use minqing_core::MinqingError;
use minqing_e2e::devices::{drained, login, open, server_photos, submit_with_photo, wait_for};
use minqing_e2e::proxy::{Fault, Proxy};
use minqing_e2e::server::ServerProc;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_submit_reaches_the_unit_and_the_claim_pokes_the_deputy() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let proxy = Proxy::start(&server.addr).await;
    let deputy = open(dir.path(), "deputy");
    let contact = open(dir.path(), "contact");
    login(&deputy, &server, &proxy.url(), "陆靖英").await;
    login(&contact, &server, &server.url, "移动联络员").await;

    // Offline: the proxy drops everything. Submit still succeeds locally.
    proxy.set(Fault::DropRequest);
    let (ticket, photo) = submit_with_photo(
        &deputy,
        "水月亭路移动公司至方便桥之间有几个窨井盖不闭合",
        1600,
        1200,
    );
    match deputy.sync().now().await {
        Err(MinqingError::Network { .. }) => {}
        other => panic!("expected a network error offline, got {other:?}"),
    }
    let queue = deputy.sync().outbox().expect("queue");
    assert!(
        queue.iter().all(|e| e.state == OutboxState::Pending),
        "{queue:?}"
    );

    // The contact keeps a live connection (SSE) and syncs in the background.
    let contact_sync = contact.sync().start().expect("start");
    let deputy_sync = deputy.sync().start().expect("start");

    // Back online: the item reaches the server and, by a poke, the contact.
    proxy.heal();
    deputy.sync().network_changed(true);
    let took = wait_for(
        "the contact to see the item",
        Duration::from_secs(20),
        || {
            contact
                .tickets()
                .list()
                .map(|l| l.iter().any(|t| t.id == ticket))
                .unwrap_or(false)
        },
    )
    .await;
    eprintln!("reconnect → visible to the contact: {took:?}");
    wait_for(
        "the deputy's queue to drain",
        Duration::from_secs(20),
        || drained(&deputy),
    )
    .await;

    // The contact claims; the deputy is poked and shows 办理中.
    let claimed = contact
        .tickets()
        .act(ticket.clone(), minqing_core::screens::ActionInput::Claim)
        .expect("claim");
    assert_eq!(claimed.state, minqing_protocol::TicketState::Accepted);
    let took = wait_for(
        "the deputy to see the claim",
        Duration::from_secs(20),
        || {
            deputy
                .tickets()
                .detail(ticket.clone())
                .map(|t| t.state == minqing_protocol::TicketState::Accepted)
                .unwrap_or(false)
        },
    )
    .await;
    eprintln!("claim → shown on the deputy's device: {took:?}");
    let t = deputy.tickets().detail(ticket.clone()).expect("ticket");
    assert_eq!(t.state_label, "办理中");
    drop(contact_sync);
    drop(deputy_sync);

    // The photo on the server is byte-for-byte what the phone recorded.
    let stored = server_photos(&server);
    assert_eq!(stored.len(), 1);
    assert_eq!(
        hex::encode(Sha256::digest(&stored[0])),
        hex::encode(Sha256::digest(&photo))
    );
    let t = contact.tickets().detail(ticket).expect("contact copy");
    assert_eq!(t.photos.len(), 1, "the attach reached the contact");
}

/// The phone takes a downloaded photo only when its bytes have the SHA-256
/// the ticket records: a photo altered on the server is not kept (and not
/// shown), and is fetched again once the server has the right bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downloaded_photo_is_kept_only_if_its_sha256_matches() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let deputy = open(dir.path(), "deputy");
    let contact = open(dir.path(), "contact");
    login(&deputy, &server, &server.url, "陆靖英").await;
    login(&contact, &server, &server.url, "移动联络员").await;
    let (ticket, photo) = submit_with_photo(&deputy, "窨井盖照片", 800, 600);
    deputy.sync().now().await.expect("deputy syncs");
    assert!(drained(&deputy));
    let photo_id = deputy
        .tickets()
        .detail(ticket.clone())
        .expect("detail")
        .photos[0]
        .id
        .clone();
    let stored = server
        .data_dir
        .join("photos/photos")
        .join(format!("{photo_id}.jpg"));
    assert_eq!(std::fs::read(&stored).expect("stored photo"), photo);

    // Someone swaps the stored bytes for another (valid) photo.
    std::fs::write(
        &stored,
        minqing_capture::testsupport::rendition_jpeg(800, 600),
    )
    .expect("swap");
    contact.sync().now().await.expect("contact syncs");
    let seen = contact.tickets().detail(ticket.clone()).expect("detail");
    assert!(
        seen.photos.is_empty(),
        "a photo whose bytes do not match its SHA-256 is not kept: {:?}",
        seen.photos
    );

    // The right bytes again: the next pass fetches and keeps them.
    std::fs::write(&stored, &photo).expect("restore");
    contact.sync().now().await.expect("contact syncs");
    let seen = contact.tickets().detail(ticket).expect("detail");
    assert_eq!(seen.photos.len(), 1);
    let kept = std::fs::read(&seen.photos[0].rendition_path).expect("kept");
    assert_eq!(Sha256::digest(&kept), Sha256::digest(&photo));
}
