//! Two real server processes, A and B, on one PostgreSQL database. A deputy's
//! device syncs through A; a unit contact's device keeps a live connection
//! (SSE) to B. Each new item reaches the contact within seconds, though the
//! contact's device only polls every 300 s when idle: the poke crossed from A
//! to B by LISTEN/NOTIFY.
//!
//! Needs `MINQING_TEST_DATABASE_URL` (`eval "$(scripts/pg.sh)"`); without it
//! the test fails under CI and is skipped elsewhere.

use minqing_e2e::devices::{drained, login, open, submit_with_photo, wait_for};
use minqing_e2e::server::ServerProc;
use std::path::PathBuf;
use std::time::Duration;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

const URL_VAR: &str = "MINQING_TEST_DATABASE_URL";

fn fresh_database() -> Option<String> {
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
    Some(
        minqing_server::store::pg::create_scratch_database(&base)
            .unwrap_or_else(|e| panic!("create a test database on {base}: {e}")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_through_one_server_pokes_a_device_listening_on_the_other() {
    let Some(url) = tokio::task::spawn_blocking(fresh_database)
        .await
        .expect("database")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    // One shared volume as well, as a deployment would have (or an S3 bucket):
    // a photo uploaded through A is downloaded through B.
    let shared = dir.path().join("shared");
    let a = ServerProc::start_serve(&bin(), &shared, "127.0.0.1:0", &url, true);
    let mut b = ServerProc::start_serve(&bin(), &shared, "127.0.0.1:0", &url, false);
    assert!(a.phones.len() > 3, "A seeded the demo directory");
    assert!(b.phones.is_empty(), "B found it there");
    // Same people, same database: B just did not print them.
    b.phones = a.phones.clone();

    let deputy = open(dir.path(), "deputy");
    let contact = open(dir.path(), "contact");
    login(&deputy, &a, &a.url, "陆靖英").await;
    login(&contact, &b, &b.url, "移动联络员").await;
    let contact_sync = contact.sync().start().expect("start");

    for round in 1..=3 {
        let (ticket, _) = submit_with_photo(
            &deputy,
            &format!("水月亭路窨井盖松动（第 {round} 处）"),
            64,
            48,
        );
        // Let the contact's sync pass settle into waiting on its SSE stream.
        tokio::time::sleep(Duration::from_millis(500)).await;
        deputy.sync().now().await.expect("sync through A");
        assert!(drained(&deputy), "the push and the upload went through A");
        let took = wait_for(
            "the contact (on B) to see the deputy's item (pushed to A)",
            Duration::from_secs(15),
            || {
                contact
                    .tickets()
                    .list()
                    .map(|l| l.iter().any(|t| t.id == ticket))
                    .unwrap_or(false)
            },
        )
        .await;
        eprintln!("round {round}: push through A → on the contact's device via B: {took:?}");
        wait_for(
            "the photo to reach the contact through B",
            Duration::from_secs(15),
            || {
                contact
                    .tickets()
                    .detail(ticket.clone())
                    .map(|t| t.photos.len() == 1)
                    .unwrap_or(false)
            },
        )
        .await;
    }
    drop(contact_sync);
}
