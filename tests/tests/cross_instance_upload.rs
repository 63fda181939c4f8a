//! Several server instances for real: an upload begun on one server process
//! resumes on another from what the shared store holds, not from 0.
//!
//! Two `minqing-server serve` processes, A and B, on one PostgreSQL database
//! and one S3 bucket (moto), each with its own data directory (no shared
//! volume). A phone's photo upload goes through A and is cut at 60 %; the
//! phone's next attempt reaches B (the load balancer moved it). B rebuilds the
//! upload from the segments A shared in the bucket and asks only for the rest.
//! Needs `MINQING_TEST_DATABASE_URL` and `moto_server` (both required under CI).

use minqing_e2e::devices::{drained, login, open, submit_with_photo};
use minqing_e2e::moto::Moto;
use minqing_e2e::proxy::{Fault, Proxy};
use minqing_e2e::server::ServerProc;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

const URL_VAR: &str = "MINQING_TEST_DATABASE_URL";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_on_one_instance_resumes_on_another_from_the_shared_store() {
    let base = match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var_os("CI").is_some() => panic!("{URL_VAR} is not set, and CI is"),
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (run `eval \"$(scripts/pg.sh)\"`)");
            return;
        }
    };
    let Some(moto) = Moto::start() else {
        return;
    };
    moto.bucket("minqing-shared").await;
    let url = tokio::task::spawn_blocking(move || {
        minqing_server::store::pg::create_scratch_database(&base).expect("scratch database")
    })
    .await
    .expect("join");

    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "photo_store = \"s3://minqing-shared/haining\"\n").expect("config");
    let config = config.to_str().expect("utf8").to_owned();
    let extra = ["--config", config.as_str()];
    let a = ServerProc::start_serve_with(
        &bin(),
        &dir.path().join("a"),
        "127.0.0.1:0",
        &url,
        true,
        &extra,
    );
    let mut b = ServerProc::start_serve_with(
        &bin(),
        &dir.path().join("b"),
        "127.0.0.1:0",
        &url,
        false,
        &extra,
    );
    b.phones = a.phones.clone();

    // The phone talks to "the platform" through a proxy standing in for the
    // load balancer: first it routes to A.
    let proxy = Proxy::start(&a.addr).await;
    let deputy = open(dir.path(), "deputy");
    login(&deputy, &a, &proxy.url(), "陆靖英").await;
    let (ticket, photo) = submit_with_photo(&deputy, "水月亭路窨井盖不闭合", 3000, 2250);
    let len = photo.len() as u64;
    assert!(len > 300_000, "a photo worth resuming: {len} B");

    // The connection breaks at 60 % of the photo, on A.
    let start = proxy.bytes_up();
    proxy.set(Fault::CutAfter(len * 6 / 10));
    assert!(deputy.sync().now().await.is_err(), "the cut fails the pass");
    let sent_to_a = proxy.bytes_up() - start;
    // A notices the cut a moment after the phone does: wait for its segment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while moto
        .keys("minqing-shared", "haining/uploads/")
        .await
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "A shared what it kept before recording its offset"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Now the balancer sends the phone to B, which never saw the upload.
    proxy.retarget(&b.addr);
    proxy.heal();
    let before = proxy.bytes_up();
    deputy.sync().now().await.expect("resume on B");
    assert!(drained(&deputy), "{:?}", deputy.sync().outbox());
    let sent_to_b = proxy.bytes_up() - before;
    // B asked only for what A had not kept: about 40 % of the photo, plus
    // requests (the attach push, the pull). From 0 it would be all of it.
    assert!(
        sent_to_b < len / 2,
        "resumed from 0? {sent_to_b} B sent to B for a {len} B photo ({sent_to_a} B went to A)"
    );

    // The photo is in the bucket, byte for byte; the segments are gone.
    let photos = moto.keys("minqing-shared", "haining/photos/").await;
    assert_eq!(photos.len(), 1, "{photos:?}");
    let s3 = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name("minqing-shared")
        .build()
        .expect("s3 client");
    let stored =
        object_store::ObjectStore::get(&s3, &object_store::path::Path::from(photos[0].as_str()))
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
    assert_eq!(
        Sha256::digest(&stored),
        Sha256::digest(&photo),
        "byte for byte"
    );
    assert_eq!(
        moto.keys("minqing-shared", "haining/uploads/").await,
        Vec::<String>::new(),
        "segments removed once the photo is whole"
    );
    // And B serves the ticket with its photo attached.
    let t = deputy.tickets().detail(ticket).expect("ticket");
    assert_eq!(t.photos.len(), 1);
}
