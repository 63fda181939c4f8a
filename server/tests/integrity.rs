//! Integrity rules the documentation promises, each shown by a test that
//! would turn red if the rule were removed (issue 15, item 2): a push over the
//! limit is refused whole; duplicate suggestions never name an item the caller
//! may not see; a new calendar makes the scheduler look at every open item
//! again; reference files an admin stored survive a restart; a photo attaches
//! only as its uploader uploaded it.

mod support;

use minqing_protocol::wire::SessionTokens;
use minqing_protocol::{ClientId, Location, LocationSource, NewTicket};
use minqing_server::app::{Config, Server};
use reqwest::{Method, StatusCode};
use support::tickets;

fn place() -> Location {
    Location {
        latitude: 30.5100,
        longitude: 120.6800,
        accuracy_m: Some(10.0),
        source: LocationSource::PhotoExif,
        address: Some("水月亭路".into()),
    }
}

async fn push(
    s: &support::TestServer,
    t: &SessionTokens,
    client: ClientId,
    ms: &[minqing_protocol::Mutation],
) -> reqwest::Response {
    s.req(Method::POST, "/v1/sync/push", Some(&t.access_token))
        .json(&serde_json::json!({ "client_id": client, "mutations": ms }))
        .send()
        .await
        .expect("push")
}

async fn pulled(s: &support::TestServer, t: &SessionTokens) -> Vec<serde_json::Value> {
    let v: serde_json::Value = s
        .req(Method::GET, "/v1/sync/pull", Some(&t.access_token))
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("json");
    v["tickets"].as_array().cloned().unwrap_or_default()
}

/// 501 well-formed submissions (the limit is 500): 413 `too_many`, nothing
/// applied, and the client id not even claimed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_over_the_limit_is_refused_whole() {
    let s = support::start().await;
    let t = s.login("陆靖英").await;
    let client = ClientId::new();
    let ms: Vec<_> = (1..=501)
        .map(|n| tickets::create(client, n, tickets::new(&format!("第{n}条"))))
        .collect();
    let r = push(&s, &t, client, &ms).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "too_many");
    assert!(pulled(&s, &t).await.is_empty(), "nothing applied");
    // The first 500 of the same mutations go through: the limit, not the data.
    let r = push(&s, &t, client, &ms[..500]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(pulled(&s, &t).await.len(), 500);
}

/// Two deputies of different groups report the same kind of problem at the
/// same place. Each one's duplicate suggestions hold nothing of the other
/// group's; the contact of the unit both are routed to (C08 → housing) sees
/// both and is offered the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_suggestions_never_name_an_item_the_caller_may_not_see() {
    let s = support::start().await;
    let lu = s.login("陆靖英").await; // the streets' group
    let du = s.login("杜玉妹").await; // 斜桥's group
    let contact = s.login("住建联络员").await; // housing, where C08 is routed
    let file = |text: &str| NewTicket {
        category: Some("C08".into()),
        location: Some(place()),
        ..tickets::new(text)
    };
    let (a, b) = (file("水月亭路窨井盖松动"), file("水月亭路井盖响"));
    let (ida, idb) = (a.id, b.id);
    for (t, nt) in [(&lu, a), (&du, b)] {
        let c = ClientId::new();
        let r = push(&s, t, c, &[tickets::create(c, 1, nt)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["rejected"], serde_json::json!([]), "{v}");
    }
    let suggested = |t: &SessionTokens, id: minqing_protocol::TicketId| {
        let req = s.req(
            Method::GET,
            &format!("/v1/tickets/{id}/duplicates"),
            Some(&t.access_token),
        );
        async move {
            let r = req.send().await.expect("duplicates");
            assert_eq!(r.status(), StatusCode::OK);
            let v: serde_json::Value = r.json().await.expect("json");
            v["candidates"]
                .as_array()
                .expect("candidates")
                .iter()
                .map(|d| d["ticket"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<String>>()
        }
    };
    assert_eq!(suggested(&lu, ida).await, Vec::<String>::new());
    assert_eq!(suggested(&du, idb).await, Vec::<String>::new());
    // The same pair is a duplicate for someone who may see both: the fixture
    // really is near, recent and of one category.
    assert_eq!(suggested(&contact, ida).await, vec![idb.to_string()]);
}

/// A calendar year an admin stored is used again after the server restarts
/// on the same data (here: another server opening the same database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_files_an_admin_stored_survive_a_restart() {
    let s = support::start().await;
    let admin = s.login("系统管理员").await;
    let year = "year = 2031\nsource = \"测试：一个只有周末的年份\"\n";
    let r = s
        .req(
            Method::PUT,
            "/v1/admin/calendar/2031",
            Some(&admin.access_token),
        )
        .json(&serde_json::json!({ "toml": year }))
        .send()
        .await
        .expect("put");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert!(s.state.db.workflow().calendar.years().any(|y| y == 2031));

    let again = Server::bind(&Config {
        data_dir: s.data_dir.clone(),
        listen: "127.0.0.1:0".into(),
        ..Config::default()
    })
    .await
    .expect("bind again");
    assert!(
        again
            .state()
            .db
            .workflow()
            .calendar
            .years()
            .any(|y| y == 2031),
        "the stored year is in effect after the restart"
    );
}

support::db::on_both_backends!(a_new_calendar_has_the_scheduler_look_at_every_open_item_again);

/// A new calendar (or policy) moves deadlines: every open item becomes due
/// for the scheduler's look at once, closed ones do not.
fn a_new_calendar_has_the_scheduler_look_at_every_open_item_again(db: minqing_server::Db) {
    use minqing_protocol::{Actor, GroupId, Role, UnitId, UserId};
    let group = GroupId::new();
    tickets::directory(&db, group, UnitId::new());
    let deputy = Actor {
        user: UserId::new(),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![group],
    };
    let c = ClientId::new();
    let now = 1_601_772_480_000; // 4 October 2020, 08:48 China time
    let (open, closed) = (tickets::new("未办结"), tickets::new("当场解释"));
    let closed_id = closed.id;
    db.push(
        &deputy,
        c,
        &[
            tickets::create(c, 1, open),
            tickets::create(c, 2, closed),
            minqing_protocol::Mutation {
                client_id: c,
                mutation_id: 3,
                kind: minqing_protocol::MutationKind::Act {
                    ticket: closed_id,
                    event: minqing_protocol::EventId::new(),
                    action: minqing_protocol::Action::ExplainClose {
                        text: "已向群众解释".into(),
                    },
                },
            },
        ],
        now,
    )
    .expect("push");
    assert!(
        db.due_tickets(now, 10).expect("due").is_empty(),
        "nothing is due the moment it arrives"
    );
    db.set_workflow(db.workflow().as_ref().clone())
        .expect("a new calendar");
    let due = db.due_tickets(now, 10).expect("due");
    assert_eq!(due.len(), 1, "the open item, not the closed one: {due:?}");
    assert_ne!(due[0], closed_id.to_string());
}

/// What `attach_photo` takes: a photo that this user uploaded, finished, for
/// this item, with the SHA-256 the upload was checked against. Anything else
/// is `photo_not_uploaded` and the item keeps its photos: never uploaded;
/// uploaded by someone else (a colleague of her group attaching 陆靖英's
/// photo to her item); uploaded for another item of the same deputy; announced with
/// another SHA-256; uploaded but not finished. The right one then attaches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_attaches_only_as_its_uploader_uploaded_it() {
    use minqing_protocol::wire::{PushResponse, RejectReason};
    use minqing_protocol::{Action, EventId, Mutation, MutationKind, PhotoId, PhotoKind, PhotoRef};
    use sha2::{Digest, Sha256};
    use support::fixture::{create_upload, jpeg, new_ticket, patch};

    let s = support::start().await;
    let her = s.login("陆靖英").await;
    let him = s.login("王建国").await;
    let (hc, mc) = (ClientId::new(), ClientId::new());
    let (hn, mn) = (std::cell::Cell::new(0u64), std::cell::Cell::new(0u64));
    let next = |c: &std::cell::Cell<u64>| {
        c.set(c.get() + 1);
        c.get()
    };
    // Two items of hers, one of his (he files too), each announcing a photo.
    let (nt1, nt3, nt2) = (
        new_ticket("窨井盖松动"),
        new_ticket("路灯不亮"),
        new_ticket("树枝挡路"),
    );
    let (t1, t3) = (nt1.id, nt3.id);
    for (who, client, nt, c) in [
        (&her, hc, nt1, &hn),
        (&her, hc, nt3, &hn),
        (&him, mc, nt2, &mn),
    ] {
        let m = Mutation {
            client_id: client,
            mutation_id: next(c),
            kind: MutationKind::CreateTicket { ticket: nt },
        };
        let r: PushResponse = push(&s, who, client, &[m])
            .await
            .json()
            .await
            .expect("json");
        assert!(r.rejected.is_empty(), "{r:?}");
    }
    // Her photo for t1, uploaded and finished; another announced, not sent.
    let bytes = jpeg();
    let sha = hex::encode(Sha256::digest(&bytes));
    let photo = PhotoId::new();
    let r = create_upload(&s, &her.access_token, photo, t1, &bytes).await;
    assert_eq!(r.status(), 201);
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    assert_eq!(
        patch(&s, &her.access_token, &url, 0, &bytes).await.status(),
        204
    );
    let unfinished = PhotoId::new();
    let r = create_upload(&s, &her.access_token, unfinished, t1, &bytes).await;
    assert_eq!(r.status(), 201);

    let attach = |client: ClientId, id: u64, ticket, photo, sha: &str| Mutation {
        client_id: client,
        mutation_id: id,
        kind: MutationKind::Act {
            ticket,
            event: EventId::new(),
            action: Action::AttachPhoto {
                photo: PhotoRef {
                    id: photo,
                    sha256: sha.to_owned(),
                    kind: PhotoKind::Evidence,
                    width: 16,
                    height: 16,
                    taken_at: None,
                    location: None,
                },
            },
        },
    };
    let other_sha = hex::encode(Sha256::digest(b"another photo"));
    for (why, who, client, c, ticket, p, digest) in [
        (
            "never uploaded",
            &her,
            hc,
            &hn,
            t1,
            PhotoId::new(),
            sha.as_str(),
        ),
        (
            "another user's upload",
            &him,
            mc,
            &mn,
            t1,
            photo,
            sha.as_str(),
        ),
        (
            "uploaded for another item",
            &her,
            hc,
            &hn,
            t3,
            photo,
            sha.as_str(),
        ),
        (
            "another SHA-256",
            &her,
            hc,
            &hn,
            t1,
            photo,
            other_sha.as_str(),
        ),
        ("not finished", &her, hc, &hn, t1, unfinished, sha.as_str()),
    ] {
        let m = attach(client, next(c), ticket, p, digest);
        let r: PushResponse = push(&s, who, client, &[m])
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(r.rejected.len(), 1, "{why}: {r:?}");
        assert_eq!(
            r.rejected[0].reason,
            RejectReason::PhotoNotUploaded,
            "{why}"
        );
    }
    let photos_of = |v: &[serde_json::Value], t: minqing_protocol::TicketId| {
        v.iter()
            .find(|x| x["id"] == t.to_string())
            .map(|x| x["photos"].as_array().map_or(0, Vec::len))
    };
    let seen = pulled(&s, &her).await;
    assert_eq!(photos_of(&seen, t1), Some(0), "t1 kept no photo");
    assert_eq!(photos_of(&seen, t3), Some(0), "t3 kept no photo");
    // The photo as she uploaded it attaches.
    let m = attach(hc, next(&hn), t1, photo, &sha);
    let r: PushResponse = push(&s, &her, hc, &[m]).await.json().await.expect("json");
    assert!(r.rejected.is_empty(), "{r:?}");
    assert_eq!(photos_of(&pulled(&s, &her).await, t1), Some(1));
}
