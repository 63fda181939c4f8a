//! Device helpers for the e2e tests: open a device store, log it in through the
//! real SMS-code flow, submit an item with a photo, wait for a condition.

use crate::server::ServerProc;
use minqing_capture::testsupport::photo_jpeg;
use minqing_core::outbox::OutboxState;
use minqing_core::Minqing;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn open(dir: &Path, name: &str) -> Arc<Minqing> {
    Arc::new(Minqing::open_at(dir.join(name)).expect("open device store"))
}

/// Log `dev` in as the demo user `name`, talking to `url` (the server or a proxy).
pub async fn login(dev: &Minqing, server: &ServerProc, url: &str, name: &str) {
    let phone = server.phone(name);
    dev.sync().set_server(url.to_owned()).expect("server url");
    dev.account()
        .request_code(phone.clone())
        .await
        .expect("code sent");
    let code = server.code_for(&phone);
    let account = dev.account().login(phone, code).await.expect("login");
    assert_eq!(account.name, name);
}

/// Poll `check` every 10 ms; panic after `timeout`. Returns the time it took.
pub async fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

/// Submit an item with one `w`×`h` photo. Returns the ticket id and the exact
/// bytes that must reach the server (the upload rendition).
pub fn submit_with_photo(dev: &Minqing, text: &str, w: u32, h: u32) -> (String, Vec<u8>) {
    let draft = dev.drafts().create().expect("draft");
    dev.drafts()
        .set_text(draft.id.clone(), text.to_owned())
        .expect("text");
    let view = dev
        .drafts()
        .add_photo_bytes(draft.id.clone(), photo_jpeg(w, h))
        .expect("photo");
    let rendition = view.photos[0].rendition_path.clone();
    let t = dev.drafts().submit(draft.id).expect("submit");
    let bytes = std::fs::read(rendition).expect("rendition");
    (t.id, bytes)
}

/// Nothing pending, sending or stuck; nothing rejected either.
pub fn drained(dev: &Minqing) -> bool {
    dev.sync()
        .outbox()
        .map(|q| q.iter().all(|e| e.state == OutboxState::Sent))
        .unwrap_or(false)
}

/// Every photo file in the server's photo store.
pub fn server_photos(server: &ServerProc) -> Vec<Vec<u8>> {
    match std::fs::read_dir(server.data_dir.join("photos/photos")) {
        Ok(dir) => dir
            .filter_map(|e| e.ok())
            .map(|e| std::fs::read(e.path()).expect("read photo"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The device's access token, as it would send it (stored sealed, read
/// through the store's `unseal`).
pub fn access_token(dev: &Minqing) -> Option<String> {
    dev.store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT unseal(value) FROM meta WHERE key = 'access_token'",
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .ok()
            .flatten())
        })
        .expect("read the store")
}
