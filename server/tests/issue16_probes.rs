//! Issue 16, items 4–6, the probes as the outside attacker and the careless
//! client ran them — written against the wire only (JSON, headers, bytes), so
//! the same file runs against the server before the fixes (where every probe
//! got through) and after (where each is refused). One line per probe is
//! printed, then the test asserts they all held. The detailed tests are
//! `contact.rs`, `client_input.rs` and `upload_rules.rs`.

mod support;

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{start, TestServer};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn uuid7() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn new_ticket(text: &str) -> Value {
    json!({
        "id": uuid7(), "event": uuid7(), "group": null, "jurisdiction": null,
        "category": null, "item": null, "text": text, "location": null,
        "channel": "field_capture", "constituent": null, "mentioned_unit": null,
        "photo_count": 1
    })
}

/// Push one submission; the answer's rejection, if any.
async fn submit(s: &TestServer, token: &str, ticket: &Value) -> Option<Value> {
    let client = uuid7();
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(token))
        .json(&json!({
            "client_id": client,
            "mutations": [{
                "client_id": client, "mutation_id": 1,
                "kind": {"type": "create_ticket", "ticket": ticket}
            }]
        }))
        .send()
        .await
        .expect("push");
    let body: Value = r.json().await.expect("json");
    body["rejected"].as_array().and_then(|a| a.first()).cloned()
}

async fn get_ticket(s: &TestServer, token: &str, id: &str) -> Option<Value> {
    let r = s
        .req(Method::GET, &format!("/v1/tickets/{id}"), Some(token))
        .send()
        .await
        .expect("get");
    (r.status() == 200).then_some(r.json().await.expect("ticket"))
}

async fn upload(s: &TestServer, token: &str, ticket: &str, bytes: &[u8]) -> (u16, String) {
    let photo = uuid7();
    let r = s
        .req(Method::POST, "/v1/uploads", Some(token))
        .header("tus-resumable", "1.0.0")
        .header("upload-length", bytes.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "photo_id {},ticket_id {},sha256 {},filetype {}",
                b64(&photo),
                b64(ticket),
                b64(&hex::encode(Sha256::digest(bytes))),
                b64("image/jpeg")
            ),
        )
        .header("content-type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    (r.status().as_u16(), photo)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_16_probes_of_items_4_to_6_are_refused() {
    let s = start().await;
    let deputy = s.login("陆靖英").await.access_token;
    let colleague = s.login("王建国").await.access_token;
    let coordinator = s.login("孟宪珂").await.access_token;
    let staff = s.login("市人大工作人员").await.access_token;
    let other = s.login("杜玉妹").await;
    let mut held: Vec<(&str, bool)> = Vec::new();

    // Item 4: the constituent's contact, read by people who do not handle it.
    let mut t = new_ticket("水月亭路窨井盖松动");
    t["constituent"] = json!({"name": "张阿姨", "phone": "13912345678"});
    let id = t["id"].as_str().expect("id").to_owned();
    assert_eq!(submit(&s, &deputy, &t).await, None);
    for (who, token) in [
        ("another deputy of the group", &colleague),
        ("the coordinator", &coordinator),
        ("city staff", &staff),
    ] {
        let seen = get_ticket(&s, token, &id).await.expect("visible");
        held.push((who, seen["constituent"].is_null()));
    }
    let own = get_ticket(&s, &deputy, &id).await.expect("own");
    assert_eq!(
        own["constituent"]["phone"], "13912345678",
        "the reporter sees it"
    );

    // Item 5: what a client sends.
    let mut into_other = new_ticket("别的群");
    into_other["group"] = json!(other.me.groups[0]);
    let mut nowhere = new_ticket("不存在的群");
    nowhere["group"] = json!(uuid7());
    let mut unit = new_ticket("不存在的单位");
    unit["mentioned_unit"] = json!(uuid7());
    let mut area = new_ticket("辖区");
    area["jurisdiction"] = json!("../../etc<script>");
    let huge = "x".repeat(1_500_000);
    let mut address = new_ticket("地址");
    address["location"] = json!({"latitude": 30.5, "longitude": 120.6, "accuracy_m": 5.0,
                                  "source": "device_fix", "address": huge});
    let mut name = new_ticket("姓名");
    name["constituent"] = json!({"name": huge, "phone": null});
    let mut phone = new_ticket("电话");
    phone["constituent"] = json!({"name": null, "phone": huge});
    for (what, t) in [
        ("a ticket filed into another group", into_other),
        ("a ticket filed into a group that does not exist", nowhere),
        ("an unknown mentioned_unit", unit),
        ("a jurisdiction of ../../etc<script>", area),
        ("a 1.5 MB address", address),
        ("a 1.5 MB constituent name", name),
        ("a 1.5 MB constituent phone", phone),
    ] {
        let id = t["id"].as_str().expect("id").to_owned();
        let rejected = submit(&s, &deputy, &t).await.is_some();
        let stored = get_ticket(&s, &staff, &id).await.is_some();
        held.push((what, rejected && !stored));
    }

    // Item 6: uploads.
    // What capture uploads: the rendition, without metadata.
    let rendition = minqing_capture::ingest(
        &minqing_capture::testsupport::photo_jpeg(64, 48),
        &minqing_capture::IngestOptions::default(),
        None,
        0,
    )
    .expect("ingest")
    .rendition
    .jpeg;
    let (st, _) = upload(&s, &colleague, &id, &rendition).await;
    held.push(("an upload for another deputy's ticket", st == 403));
    let (st, _) = upload(&s, &deputy, &uuid7(), &rendition).await;
    held.push(("an upload for a ticket that does not exist", st == 404));
    let mut html = vec![0xFF, 0xD8, 0xFF];
    html.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let (st, _) = upload(&s, &deputy, &id, &html).await;
    held.push(("3 magic bytes followed by HTML", st == 415));
    let raw = minqing_capture::testsupport::photo_jpeg(64, 48);
    let (st, _) = upload(&s, &deputy, &id, &raw).await;
    held.push(("a raw photo with EXIF (GPS, camera)", st == 415));
    let (st, photo) = upload(&s, &deputy, &id, &rendition).await;
    assert_eq!(st, 201, "a rendition is taken");
    let r = s
        .req(Method::GET, &format!("/v1/photos/{photo}"), Some(&deputy))
        .send()
        .await
        .expect("photo");
    held.push((
        "a photo served with nosniff",
        r.headers()
            .get("x-content-type-options")
            .is_some_and(|v| v == "nosniff"),
    ));

    for (what, ok) in &held {
        eprintln!("{} {what}", if *ok { "held: " } else { "GOT THROUGH:" });
    }
    let through: Vec<_> = held.iter().filter(|(_, ok)| !ok).map(|(w, _)| *w).collect();
    assert!(through.is_empty(), "got through: {through:?}");
}
