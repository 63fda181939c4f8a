//! The photo store on an S3-compatible server (moto's standalone server, which
//! `scripts/test.sh` installs): the server configured with `photo_store =
//! "s3://…"` takes a tus upload from a phone into the bucket, byte for byte,
//! and serves it to another phone from there.

use minqing_e2e::devices::{drained, open, submit_with_photo};
use minqing_e2e::moto::Moto;
use minqing_server::app::{Config, Server};
use minqing_server::seed::seed_demo;
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_go_to_the_bucket_and_come_back() {
    let Some(moto) = Moto::start() else {
        return;
    };
    moto.bucket("minqing-photos").await;
    let endpoint = moto.endpoint.clone();
    let http = reqwest::Client::new();

    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        data_dir: dir.path().join("server"),
        listen: "127.0.0.1:0".into(),
        photo_store: Some("s3://minqing-photos/haining".into()),
        ..Config::default()
    };
    let server = Server::bind(&config).await.expect("bind on S3");
    let db = server.state().db.clone();
    let people = tokio::task::spawn_blocking(move || seed_demo(&db))
        .await
        .expect("join")
        .expect("seed");
    let url = format!("http://{}", server.addr);
    tokio::spawn(server.run());
    let devices = tempfile::tempdir().expect("devices");
    let login = |name: &'static str| {
        let phone = people
            .iter()
            .find(|p| p.name == name)
            .expect("person")
            .phone
            .clone();
        let (url, data_dir) = (url.clone(), config.data_dir.clone());
        let dev = open(devices.path(), name);
        async move {
            dev.sync().set_server(url).expect("url");
            dev.account()
                .request_code(phone.clone())
                .await
                .expect("code");
            let code = minqing_server::sms::wait_for_code(
                &data_dir.join("sms.log"),
                &phone,
                std::time::Duration::from_secs(5),
            )
            .expect("code");
            dev.account().login(phone, code).await.expect("login");
            dev
        }
    };
    let deputy = login("陆靖英").await;
    let contact = login("移动联络员").await;

    let (ticket, photo) = submit_with_photo(&deputy, "水月亭路窨井盖不闭合", 1600, 1200);
    deputy.sync().now().await.expect("sync");
    assert!(drained(&deputy), "{:?}", deputy.sync().outbox());

    // The bytes are in the bucket, under the configured prefix.
    let list = http
        .get(format!(
            "{endpoint}/minqing-photos?list-type=2&prefix=haining/"
        ))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("xml");
    let keys: Vec<&str> = list
        .split("<Key>")
        .skip(1)
        .filter_map(|k| k.split("</Key>").next())
        .collect();
    assert_eq!(keys.len(), 1, "{list}");
    // Read back with a signed request (the bucket is private).
    let s3 = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name("minqing-photos")
        .build()
        .expect("s3 client");
    let stored = object_store::ObjectStore::get(&s3, &object_store::path::Path::from(keys[0]))
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

    // Another phone gets it back through the server, from the bucket.
    contact.sync().now().await.expect("sync");
    let seen = contact.tickets().detail(ticket).expect("ticket");
    assert_eq!(seen.photos.len(), 1);
    let on_phone = std::fs::read(&seen.photos[0].rendition_path).expect("photo file");
    assert_eq!(Sha256::digest(&on_phone), Sha256::digest(&photo));
}
