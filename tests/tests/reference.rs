//! Reference data reaches the phone from the real server (`GET
//! /v1/reference`): a synced device names units and people instead of ids, its
//! category picker holds the deployment's taxonomy, and it can compute
//! deadlines offline from the calendar years in effect. People come without
//! phone numbers, and only those the caller may meet on an item; an unchanged
//! copy is answered in one short reply.

use minqing_e2e::devices::{access_token, login, open};
use minqing_e2e::server::ServerProc;
use std::path::PathBuf;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_phone_names_units_and_people_and_gets_no_phone_numbers() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let deputy = open(dir.path(), "deputy");
    login(&deputy, &server, &server.url, "陆靖英").await;
    deputy.sync().now().await.expect("sync");

    let units: Vec<String> = deputy
        .reference()
        .units()
        .expect("units")
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert!(units.iter().any(|u| u == "中国移动海宁分公司"), "{units:?}");
    let categories = deputy.reference().categories().expect("categories");
    assert!(
        categories.len() >= 20,
        "the taxonomy in effect: {}",
        categories.len()
    );
    let version = deputy
        .reference()
        .version()
        .expect("version")
        .expect("a version after sync");

    // The same answer over HTTP: no phone numbers anywhere, people limited
    // to those the deputy may meet on an item.
    let http = reqwest::Client::new();
    let token = access_token(&deputy).expect("token");
    let body: serde_json::Value = http
        .get(format!("{}/v1/reference", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("reference")
        .json()
        .await
        .expect("json");
    assert_eq!(body["type"], "changed");
    let text = body.to_string();
    for (name, phone) in &server.phones {
        assert!(
            !text.contains(phone.as_str()),
            "{name}'s phone {phone} leaked"
        );
    }
    let people: Vec<&str> = body["reference"]["people"]
        .as_array()
        .expect("people")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(people.contains(&"移动联络员"), "a unit contact: {people:?}");
    assert!(
        people.contains(&"王建国"),
        "a deputy of her group: {people:?}"
    );
    assert!(
        !people.contains(&"杜玉妹"),
        "a deputy of another group is not hers to know: {people:?}"
    );
    assert!(
        body["reference"]["calendar_years"]
            .as_array()
            .expect("years")
            .len()
            >= 8,
        "the shipped calendars 2019–2026"
    );
    assert_eq!(body["reference"]["version"], version.as_str());

    // Unchanged since the phone's copy: one short answer.
    let again: serde_json::Value = http
        .get(format!("{}/v1/reference?since={version}", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("reference")
        .json()
        .await
        .expect("json");
    assert_eq!(
        again,
        serde_json::json!({"type": "unchanged", "version": version})
    );
}
