//! Reference data and the inbox arrive with sync and serve the screens
//! offline. A fake server on loopback answers the routes a pass calls —
//! pull, notifications, and `GET /v1/reference` in the documented wire shape
//! (`protocol::wire::ReferenceResponse`) — so the answer goes through the same
//! code path as against the real server: `SyncService::now`.

use minqing_core::store::meta_set_sealed;
use minqing_core::Minqing;
use minqing_protocol::clocks::{Colour, Policy};
use minqing_protocol::wire::{
    CalendarYear, GroupRef, Notification, NotificationsResponse, PersonRef, PullResponse,
    ReferenceData, ReferenceResponse, UnitRef,
};
use minqing_protocol::*;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn uid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

struct Fake {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

/// Serve `answer(request line) -> (status, body)` until the test ends.
async fn fake(answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static) -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let line = head.lines().next().unwrap_or_default().to_owned();
                seen.lock().expect("lock").push(line.clone());
                let (status, body) = answer(&line);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    Fake { url, requests }
}

const MOBILE: u128 = 10;
const DEPUTY: u128 = 100;
const CONTACT: u128 = 102;
const GROUP: u128 = 1;

fn reference(version: &str) -> ReferenceData {
    ReferenceData {
        version: version.into(),
        units: vec![UnitRef {
            id: UnitId(uid(MOBILE)),
            name_zh: "中国移动海宁分公司".into(),
            name_en: "China Mobile Haining".into(),
            kind: "company".into(),
        }],
        groups: vec![GroupRef {
            id: GroupId(uid(GROUP)),
            name_zh: "三个街道民情直通车".into(),
            name_en: "Three streets direct line".into(),
            jurisdiction: "330481001".into(),
        }],
        people: vec![
            PersonRef {
                id: UserId(uid(DEPUTY)),
                name: "陆靖英".into(),
                role: Role::CityDeputy,
                unit: None,
            },
            PersonRef {
                id: UserId(uid(CONTACT)),
                name: "移动联络员".into(),
                role: Role::UnitContact,
                unit: Some(UnitId(uid(MOBILE))),
            },
        ],
        jurisdictions: vec![],
        taxonomy_toml: minqing_protocol::taxonomy::EXAMPLE_TAXONOMY_TOML.into(),
        calendar_years: minqing_protocol::calendar::OFFICIAL_YEARS
            .iter()
            .map(|(y, t)| CalendarYear {
                year: *y,
                toml: (*t).into(),
            })
            .collect(),
        policy: Policy::default(),
    }
}

/// The seed's item as the server has it: claimed by China Mobile's contact.
fn ticket(now: i64) -> Ticket {
    let deputy = Actor {
        user: UserId(uid(DEPUTY)),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![GroupId(uid(GROUP))],
    };
    let contact = Actor {
        user: UserId(uid(CONTACT)),
        role: Role::UnitContact,
        unit: Some(UnitId(uid(MOBILE))),
        groups: vec![GroupId(uid(GROUP))],
    };
    let taxonomy = minqing_protocol::taxonomy::Taxonomy::example().expect("taxonomy");
    let category = taxonomy.categories[0].code.clone();
    let mut t = Ticket::submit(
        NewTicket {
            id: TicketId(uid(1000)),
            event: EventId(uid(2000)),
            group: Some(GroupId(uid(GROUP))),
            jurisdiction: None,
            category: Some(category),
            item: None,
            text: "水月亭路窨井盖不闭合".into(),
            location: None,
            channel: SourceChannel::FieldCapture,
            constituent: None,
            mentioned_unit: None,
            photo_count: 0,
        },
        &deputy,
        now - 3_600_000,
    )
    .expect("submit");
    t.apply(&contact, Action::Claim, EventId(uid(2001)), now - 60_000)
        .expect("claim");
    t
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn open_as_deputy(dir: &std::path::Path, url: &str) -> Minqing {
    let core = Minqing::open_at(dir.to_path_buf()).expect("open");
    core.sync().set_server(url.to_owned()).expect("url");
    core.store()
        .write(|tx| meta_set_sealed(tx, "access_token", "token"))
        .expect("token");
    core.set_profile(&Actor {
        user: UserId(uid(DEPUTY)),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![GroupId(uid(GROUP))],
    })
    .expect("profile");
    core
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_and_inbox_arrive_with_sync_and_serve_the_screens_offline() {
    let at = now();
    let t = ticket(at);
    let pulled = json(&PullResponse::Changes {
        tickets: vec![t.clone()],
        gone: vec![],
        cursor: "e.1".into(),
        more: false,
    });
    let inbox = json(&NotificationsResponse {
        notifications: vec![Notification {
            id: 7,
            ticket: t.id,
            kind: "chased".into(),
            text_zh: "“水月亭路窨井盖不闭合”答复时限即将到期".into(),
            text_en: "The reply deadline is near".into(),
            created_at: at,
            read: false,
        }],
        unread: 1,
    });
    let server = fake(move |line| {
        if line.starts_with("GET /v1/sync/pull") {
            (200, pulled.clone())
        } else if line.starts_with("GET /v1/notifications") {
            (200, inbox.clone())
        } else if line.starts_with("POST /v1/notifications/read") {
            (204, String::new())
        } else if line.starts_with("GET /v1/reference?since=v1") {
            (
                200,
                json(&ReferenceResponse::Unchanged {
                    version: "v1".into(),
                }),
            )
        } else if line.starts_with("GET /v1/reference") {
            (
                200,
                json(&ReferenceResponse::Changed {
                    reference: Box::new(reference("v1")),
                }),
            )
        } else {
            (
                404,
                r#"{"error":"not_found","message_zh":"无","message_en":"none"}"#.into(),
            )
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let core = open_as_deputy(dir.path(), &server.url);

    // Before any sync: built-ins (the example taxonomy), no names.
    assert_eq!(core.reference().version().expect("v"), None);
    assert!(!core.reference().categories().expect("cats").is_empty());

    core.sync().now().await.expect("sync");
    assert_eq!(
        core.reference().version().expect("v").as_deref(),
        Some("v1")
    );
    let units = core.reference().units().expect("units");
    assert_eq!(units[0].name, "中国移动海宁分公司");

    // The home row and the detail speak in names.
    let home = core.tickets().home().expect("home");
    assert_eq!(home.tabs[0].header.label, "我的");
    assert_eq!(home.tabs[0].header.count, 1);
    let row = &home.tabs[0].rows[0];
    assert_eq!(row.unit_name.as_deref(), Some("中国移动海宁分公司"));
    assert!(row.category_label.is_some());
    assert_eq!(row.colour, Some(Colour::Green), "a month to reply");
    assert!(row.unread, "the contact claimed it and there is a notice");
    let d = core.tickets().detail(t.id.to_string()).expect("detail");
    assert_eq!(d.group_name.as_deref(), Some("三个街道民情直通车"));
    assert_eq!(d.timeline[0].actor_name, "陆靖英");
    assert_eq!(d.timeline[0].role_label, "市人大代表");
    assert_eq!(d.timeline[1].actor_name, "移动联络员");
    assert_eq!(d.timeline[1].summary, "接单");
    assert_eq!(d.clocks.len(), 1, "the reply clock runs");
    assert!(d.calendar_covers);

    // The inbox is on the device; reading it works offline and is sent later.
    let inbox = core.inbox().view().expect("inbox");
    assert_eq!(inbox.unread, 1);
    assert!(inbox.notifications[0].text.contains("答复时限"));
    core.inbox().mark_read(7).expect("read");
    assert_eq!(core.inbox().view().expect("inbox").unread, 0);
    core.tickets().mark_seen(t.id.to_string()).expect("seen");
    assert!(!core.tickets().home().expect("home").tabs[0].rows[0].unread);

    // Next pass: the read mark goes out; the reference is not due (6 h).
    core.sync().now().await.expect("sync");
    let lines = server.requests.lock().expect("lock").clone();
    assert!(lines
        .iter()
        .any(|l| l.starts_with("POST /v1/notifications/read")));
    assert_eq!(
        lines.iter().filter(|l| l.contains("/v1/reference")).count(),
        1,
        "{lines:?}"
    );
    assert_eq!(core.inbox().view().expect("inbox").unread, 0, "stays read");

    // After a login it is due again, asked with the version held.
    core.store()
        .write(|tx| minqing_core::reference::mark_due(tx))
        .expect("due");
    core.sync().now().await.expect("sync");
    let lines = server.requests.lock().expect("lock").clone();
    assert!(lines
        .iter()
        .any(|l| l.starts_with("GET /v1/reference?since=v1 ")));
    assert_eq!(
        core.reference().version().expect("v").as_deref(),
        Some("v1")
    );

    // Offline (the server gone): the screens still have their names.
    let reopened = Minqing::open_at(dir.path().to_path_buf()).expect("reopen");
    reopened
        .sync()
        .set_server("http://127.0.0.1:9".into())
        .expect("url");
    let d = reopened.tickets().detail(t.id.to_string()).expect("detail");
    assert_eq!(d.unit_name.as_deref(), Some("中国移动海宁分公司"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_the_reference_route_fails_nothing() {
    let t = ticket(now());
    let pulled = json(&PullResponse::Changes {
        tickets: vec![t.clone()],
        gone: vec![],
        cursor: "e.1".into(),
        more: false,
    });
    let server = fake(move |line| {
        if line.starts_with("GET /v1/sync/pull") {
            (200, pulled.clone())
        } else if line.starts_with("GET /v1/notifications") {
            (200, r#"{"notifications":[],"unread":0}"#.into())
        } else {
            (
                404,
                r#"{"error":"not_found","message_zh":"无","message_en":"none"}"#.into(),
            )
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let core = open_as_deputy(dir.path(), &server.url);
    let report = core
        .sync()
        .now()
        .await
        .expect("a 404 on /v1/reference fails nothing");
    assert_eq!(report.pulled, 1);
    assert_eq!(core.reference().version().expect("v"), None);
    // No names yet: people by role, units as unknown — never an id.
    let d = core.tickets().detail(t.id.to_string()).expect("detail");
    assert_eq!(d.timeline[1].actor_name, "单位联络员");
    assert!(!d.unit_name.expect("unit").contains('-'));
    // Not asked again on the next pass (checked; again in 6 h or after login).
    core.sync().now().await.expect("sync");
    let asked = server
        .requests
        .lock()
        .expect("lock")
        .iter()
        .filter(|l| l.contains("/v1/reference"))
        .count();
    assert_eq!(asked, 1);
}
