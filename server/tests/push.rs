//! Push status updates (issue 12) over real HTTP, against the fake vendors of
//! `support::push_vendors` (loopback; each request checked as the vendor
//! documents it): a phone registers its token; a claim reaches the
//! reporter's phone exactly once with the right text and data; dead tokens
//! are removed; a 503/429 with `Retry-After` is retried after it and not
//! before; two servers on one PostgreSQL deliver each notice once.

mod support;

use minqing_protocol::wire::{DeviceRegistered, PushResponse};
use minqing_protocol::*;
use minqing_server::push::outbox;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use support::push_vendors::{FakeVendors, Received, Scripted, BUNDLE, PACKAGE};
use support::{tickets, TestServer};

struct Phone {
    token: String,
    client: ClientId,
    next: u64,
}

impl Phone {
    /// A new session of `name` (a phone logged in; opened directly, so one
    /// person may hold several without the SMS code's rate limit).
    async fn login(s: &TestServer, name: &str) -> Phone {
        let (state, id) = (s.state.clone(), s.person(name).id);
        let tokens = tokio::task::spawn_blocking(move || {
            state
                .auth
                .open_session(&state.db, id, "push test", minqing_server::store::now_ms())
                .expect("session")
        })
        .await
        .expect("task");
        Phone {
            token: tokens.access_token,
            client: ClientId::new(),
            next: 1,
        }
    }

    /// Register this session's push token; the device id.
    async fn register(&self, s: &TestServer, provider: &str, token: &str, lang: &str) -> String {
        let app = if provider == "apns" { BUNDLE } else { PACKAGE };
        let r = s
            .req(Method::POST, "/v1/devices", Some(&self.token))
            .json(&json!({"provider": provider, "token": token, "app_id": app,
                          "language": lang, "app_version": "1.0.0"}))
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
        r.json::<DeviceRegistered>().await.expect("json").device_id
    }

    async fn push(&mut self, s: &TestServer, kinds: Vec<MutationKind>) -> PushResponse {
        self.push_to(&s.http, &s.url, kinds).await
    }

    /// [`Phone::push`] to the server at `base` (another process on the same
    /// database takes this session too).
    async fn push_to(
        &mut self,
        http: &reqwest::Client,
        base: &str,
        kinds: Vec<MutationKind>,
    ) -> PushResponse {
        let ms: Vec<Mutation> = kinds
            .into_iter()
            .map(|kind| {
                let m = Mutation {
                    client_id: self.client,
                    mutation_id: self.next,
                    kind,
                };
                self.next += 1;
                m
            })
            .collect();
        let r = http
            .post(format!("{base}/v1/sync/push"))
            .header("minqing-protocol", "1")
            .bearer_auth(&self.token)
            .json(&json!({ "client_id": self.client, "mutations": ms }))
            .send()
            .await
            .expect("push");
        assert_eq!(r.status(), StatusCode::OK);
        let p: PushResponse = r.json().await.expect("json");
        assert!(p.rejected.is_empty(), "{p:?}");
        p
    }

    async fn file(&mut self, s: &TestServer, text: &str) -> TicketId {
        let t = tickets::new(text);
        let id = t.id;
        self.push(s, vec![MutationKind::CreateTicket { ticket: t }])
            .await;
        id
    }

    async fn act(&mut self, s: &TestServer, ticket: TicketId, action: Action) {
        self.push(
            s,
            vec![MutationKind::Act {
                ticket,
                event: EventId::new(),
                action,
            }],
        )
        .await;
    }
}

/// A hex token for APNs; other vendors take any printable token.
fn apns_token(n: u8) -> String {
    format!("{:02x}", n).repeat(32)
}

fn user(s: &TestServer, name: &str) -> String {
    s.person(name).id.to_string()
}

async fn deliveries(s: &TestServer, name: &str) -> Vec<outbox::Delivery> {
    let (db, u) = (s.state.db.clone(), user(s, name));
    tokio::task::spawn_blocking(move || db.push_deliveries_to(&u, 1000))
        .await
        .expect("task")
        .expect("deliveries")
}

async fn wait_deliveries(
    s: &TestServer,
    name: &str,
    done: impl Fn(&[outbox::Delivery]) -> bool,
) -> Vec<outbox::Delivery> {
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let d = deliveries(s, name).await;
        if done(&d) || Instant::now() > until {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_reaches_the_reporters_phone_once() {
    let fakes = FakeVendors::start().await;
    let s = support::start_with(|c| c.push = fakes.config()).await;
    let mut lu = Phone::login(&s, "陆靖英").await; // city deputy, street group
    let mut contact = Phone::login(&s, "移动联络员").await; // in every group
    let lu_token = apns_token(0xa1);
    lu.register(&s, "apns", &lu_token, "zh-CN").await;
    contact
        .register(&s, "hms", "hms-contact-token", "zh-CN")
        .await;

    // A new item in the pool: the group's unit contacts hear of it, without
    // its text (it may name the constituent).
    let text = "水月亭路窨井盖不闭合，住户张三13800000000反映";
    let item = lu.file(&s, text).await;
    let got = fakes
        .wait_until(Duration::from_secs(10), |r| {
            r.iter().any(|x| x.token == "hms-contact-token")
        })
        .await;
    let new: Vec<&Received> = got
        .iter()
        .filter(|x| x.token == "hms-contact-token")
        .collect();
    assert_eq!(new.len(), 1, "{got:?}");
    assert_eq!(
        (new[0].kind.as_str(), new[0].ticket.as_str()),
        ("submitted", item.to_string().as_str())
    );
    assert_eq!(new[0].body, "有一件新事项待认领。");
    assert!(
        got.iter().all(|x| x.token != lu_token),
        "the reporter is not told of her own step: {got:?}"
    );

    // The claim: the reporter's phone gets exactly one push, in Chinese,
    // naming the unit but nothing of the item, with the item in its data.
    let claimed_at = minqing_server::store::now_ms();
    contact.act(&s, item, Action::Claim).await;
    let got = fakes
        .wait_until(Duration::from_secs(10), |r| {
            r.iter().any(|x| x.token == lu_token)
        })
        .await;
    let to_lu: Vec<&Received> = got.iter().filter(|x| x.token == lu_token).collect();
    assert_eq!(to_lu.len(), 1, "{got:?}");
    let p = to_lu[0];
    let latency_ms = p.at_ms - claimed_at;
    eprintln!("claim → APNs request: {latency_ms} ms");
    assert!(latency_ms < 2_000, "{latency_ms} ms");
    assert_eq!(p.vendor, "apns");
    assert_eq!(p.kind, "claimed");
    assert_eq!(p.ticket, item.to_string());
    assert_eq!(p.title, "民情直通车");
    assert_eq!(p.body, "中国移动海宁分公司已接单，您反映的事项正在办理。");
    for x in &got {
        assert!(!x.body.contains("窨井") && !x.body.contains("张三") && !x.body.contains("1380"));
    }
    // Still one a moment later (no second dispatcher, no retry), recorded as sent.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        fakes
            .received()
            .iter()
            .filter(|x| x.token == lu_token)
            .count(),
        1
    );
    let d = wait_deliveries(&s, "陆靖英", |d| d.iter().all(|x| x.state == "sent")).await;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].state.as_str(), d[0].attempts), ("sent", 1));
    let (db, id) = (s.state.db.clone(), d[0].id);
    let attempts = tokio::task::spawn_blocking(move || db.push_attempts_of(id))
        .await
        .expect("task")
        .expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].status, attempts[0].outcome.as_str()),
        (Some(200), "sent")
    );
    // An English phone gets English.
    let mut lu_en = Phone::login(&s, "陆靖英").await;
    lu_en
        .register(&s, "fcm", "fcm-english-token", "en-GB")
        .await;
    contact
        .act(
            &s,
            item,
            Action::Ask {
                text: "井盖是什么颜色？".into(),
            },
        )
        .await;
    let got = fakes
        .wait_until(Duration::from_secs(10), |r| {
            r.iter().any(|x| x.token == "fcm-english-token")
        })
        .await;
    let en = got
        .iter()
        .find(|x| x.token == "fcm-english-token")
        .expect("english push");
    assert_eq!(en.title, "Minqing");
    assert_eq!(
        en.body,
        "中国移动海宁分公司 asked about your item: please answer in the app."
    );
    assert!(fakes.violations().is_empty(), "{:?}", fakes.violations());
    lu_en
        .act(
            &s,
            item,
            Action::Answer {
                text: "绿色".into(),
            },
        )
        .await;
    drop(lu_en);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_tokens_are_removed() {
    let fakes = FakeVendors::start().await;
    let s = support::start_with(|c| c.push = fakes.config()).await;
    let mut lu = Phone::login(&s, "陆靖英").await;
    let mut contact = Phone::login(&s, "移动联络员").await;
    let item = lu.file(&s, "路灯不亮").await;
    // Four phones of the reporter (four sessions), one per vendor, each
    // token dead as its vendor says it.
    let apns = apns_token(0xd1);
    let cases = [
        ("apns", apns.as_str(), Scripted::apns(410, "Unregistered")),
        (
            "fcm",
            "fcm-dead",
            Scripted::fcm(404, "NOT_FOUND", "UNREGISTERED"),
        ),
        (
            "hms",
            "hms-dead",
            Scripted::hms(200, "80300007", "All the tokens are invalid"),
        ),
        ("mipush", "mi-dead", Scripted::mipush_bad_regid("mi-dead")),
    ];
    for (provider, token, answer) in &cases {
        let phone = Phone::login(&s, "陆靖英").await;
        phone.register(&s, provider, token, "zh-CN").await;
        fakes.script(token, vec![answer.clone()]);
    }
    let alive = Phone::login(&s, "陆靖英").await;
    alive.register(&s, "apns", &apns_token(0xa2), "zh-CN").await;
    contact.act(&s, item, Action::Claim).await;
    let d = wait_deliveries(&s, "陆靖英", |d| {
        d.len() == 5 && d.iter().all(|x| x.state != "pending")
    })
    .await;
    let mut states: Vec<(String, String)> = d
        .iter()
        .map(|x| (x.provider.clone(), x.state.clone()))
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("apns".into(), "dead".into()),
            ("apns".into(), "sent".into()),
            ("fcm".into(), "dead".into()),
            ("hms".into(), "dead".into()),
            ("mipush".into(), "dead".into()),
        ]
    );
    // The dead tokens' devices are gone; the live one stays.
    let (db, u) = (s.state.db.clone(), user(&s, "陆靖英"));
    let left = tokio::task::spawn_blocking(move || db.devices_of(&u))
        .await
        .expect("task")
        .expect("devices");
    let tokens: Vec<&str> = left.iter().map(|d| d.registration.token.as_str()).collect();
    assert_eq!(tokens, [apns_token(0xa2).as_str()]);
    // The next notice goes to the live phone only.
    contact
        .act(
            &s,
            item,
            Action::Ask {
                text: "哪一盏？".into(),
            },
        )
        .await;
    let got = fakes
        .wait_until(Duration::from_secs(10), |r| {
            r.iter().filter(|x| x.kind == "asked").count() >= 1
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked: Vec<String> = fakes
        .received()
        .iter()
        .filter(|x| x.kind == "asked")
        .map(|x| x.token.clone())
        .collect();
    assert_eq!(asked, [apns_token(0xa2)], "{got:?}");
    assert!(fakes.violations().is_empty(), "{:?}", fakes.violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_not_before() {
    let fakes = FakeVendors::start().await;
    let s = support::start_with(|c| c.push = fakes.config()).await;
    let mut lu = Phone::login(&s, "陆靖英").await;
    let mut contact = Phone::login(&s, "移动联络员").await;
    let item = lu.file(&s, "垃圾桶满了").await;
    let apns = apns_token(0x50);
    lu.register(&s, "apns", &apns, "zh-CN").await;
    fakes.script(
        &apns,
        vec![Scripted::apns(503, "ServiceUnavailable").retry_after("2")],
    );
    let other = Phone::login(&s, "陆靖英").await;
    other.register(&s, "fcm", "fcm-quota", "zh-CN").await;
    fakes.script(
        "fcm-quota",
        vec![Scripted::fcm(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED").retry_after("1")],
    );
    contact.act(&s, item, Action::Claim).await;
    let got = fakes
        .wait_until(Duration::from_secs(15), |r| {
            r.iter().filter(|x| x.token == apns).count() >= 2
                && r.iter().filter(|x| x.token == "fcm-quota").count() >= 2
        })
        .await;
    for (token, after_ms) in [(apns.as_str(), 2_000), ("fcm-quota", 1_000)] {
        let tries: Vec<&Received> = got.iter().filter(|x| x.token == token).collect();
        assert_eq!(tries.len(), 2, "{token}: {got:?}");
        assert_eq!(
            (tries[0].status, tries[1].status),
            (if token == apns { 503 } else { 429 }, 200)
        );
        let gap = tries[1].at_ms - tries[0].at_ms;
        eprintln!("{token}: retried {gap} ms after a Retry-After of {after_ms} ms");
        assert!(
            gap >= after_ms,
            "{token}: retried after {gap} ms, before {after_ms}"
        );
        assert!(gap < after_ms + 1_500, "{token}: {gap} ms");
    }
    let d = wait_deliveries(&s, "陆靖英", |d| {
        d.len() == 2 && d.iter().all(|x| x.state == "sent")
    })
    .await;
    assert!(
        d.iter().all(|x| x.state == "sent" && x.attempts == 2),
        "{d:?}"
    );
    let db = s.state.db.clone();
    let ids: Vec<i64> = d.iter().map(|x| x.id).collect();
    let attempts = tokio::task::spawn_blocking(move || {
        ids.iter()
            .map(|i| db.push_attempts_of(*i).expect("attempts"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("task");
    let mut first: Vec<(Option<u16>, &str, Option<i64>)> = attempts
        .iter()
        .map(|a| (a[0].status, a[0].outcome.as_str(), a[0].retry_after_ms))
        .collect();
    first.sort();
    assert_eq!(
        first,
        [
            (Some(429), "retry", Some(1_000)),
            (Some(503), "retry", Some(2_000))
        ]
    );
    assert!(fakes.violations().is_empty(), "{:?}", fakes.violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_register_replace_and_go_at_logout() {
    let fakes = FakeVendors::start().await;
    let s = support::start_with(|c| c.push = fakes.config()).await;
    let lu = Phone::login(&s, "陆靖英").await;
    let bad = |body: serde_json::Value| {
        s.req(Method::POST, "/v1/devices", Some(&lu.token))
            .json(&body)
            .send()
    };
    let r = bad(json!({"provider": "jpush", "token": "x", "app_id": "a", "language": "zh", "app_version": "1"}))
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = bad(json!({"provider": "apns", "token": "not hex", "app_id": "a", "language": "zh", "app_version": "1"}))
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .req(Method::POST, "/v1/devices", None)
        .json(&json!({"provider": "fcm", "token": "t", "app_id": "a", "language": "zh", "app_version": "1"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let first = lu.register(&s, "fcm", "token-1", "zh-CN").await;
    let again = lu.register(&s, "fcm", "token-2", "zh-CN").await;
    assert_eq!(first, again, "a session has one device, replaced");
    let devices = |s: &TestServer| {
        let (db, u) = (s.state.db.clone(), user(s, "陆靖英"));
        tokio::task::spawn_blocking(move || db.devices_of(&u).expect("devices"))
    };
    let d = devices(&s).await.expect("task");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].registration.token, "token-2");
    // The same token from a new login moves there.
    let lu2 = Phone::login(&s, "陆靖英").await;
    lu2.register(&s, "fcm", "token-2", "zh-CN").await;
    let d = devices(&s).await.expect("task");
    assert_eq!(d.len(), 1);
    // DELETE removes it; logout removes another session's.
    let r = s
        .req(Method::DELETE, "/v1/devices", Some(&lu2.token))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(devices(&s).await.expect("task").is_empty());
    lu.register(&s, "mipush", "mi-1", "zh-CN").await;
    assert_eq!(devices(&s).await.expect("task").len(), 1);
    let r = s
        .req(Method::POST, "/v1/auth/logout", Some(&lu.token))
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_success(), "{}", r.status());
    assert!(devices(&s).await.expect("task").is_empty());
}

/// Two servers on one PostgreSQL database, each with its own connection
/// pool, dispatcher and fake vendor: every notice reaches the phone once,
/// and both dispatchers took part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_deliver_each_notice_once() {
    let Some(url) = tokio::task::spawn_blocking(support::db::fresh_pg_url)
        .await
        .expect("task")
    else {
        return;
    };
    let (fake_a, fake_b) = (FakeVendors::start().await, FakeVendors::start().await);
    fake_a.set_delay(Duration::from_millis(5));
    fake_b.set_delay(Duration::from_millis(5));
    let a = support::start_with(|c| {
        c.database_url = Some(url.clone());
        c.push = fake_a.config();
    })
    .await;
    // The second server shares the database (already seeded by the first).
    let dir = tempfile::tempdir().expect("dir");
    let config = minqing_server::app::Config {
        data_dir: dir.path().join("b"),
        listen: "127.0.0.1:0".into(),
        database_url: Some(url.clone()),
        push: fake_b.config(),
        // Every process sharing a database has the same server secret.
        server_secret_file: Some(a.data_dir.join("server.key")),
        ..Default::default()
    };
    let b = minqing_server::app::Server::bind(&config)
        .await
        .expect("bind b");
    let b_url = format!("http://{}", b.addr);
    tokio::spawn(b.run());

    let mut lu = Phone::login(&a, "陆靖英").await;
    let contact = Phone::login(&a, "移动联络员").await;
    contact.register(&a, "hms", "hms-contact", "zh-CN").await;
    // Rounds of 300 new items, pushed half through each server (as behind a
    // load balancer), each notice checked to go out exactly once. Which
    // dispatcher takes a delivery is a race (both hear every commit), so a
    // round may go all to one server; more rounds follow until both have
    // sent some (at most five), so the test always exercises the race.
    const N: usize = 300;
    let mut rounds = 0;
    let (ra, rb) = loop {
        rounds += 1;
        let items: Vec<MutationKind> = (0..N)
            .map(|i| MutationKind::CreateTicket {
                ticket: tickets::new(&format!("第{rounds}轮第{i}件")),
            })
            .collect();
        for (k, chunk) in items.chunks(50).enumerate() {
            if k % 2 == 0 {
                lu.push(&a, chunk.to_vec()).await;
            } else {
                lu.push_to(&a.http, &b_url, chunk.to_vec()).await;
            }
        }
        let done = |fa: &FakeVendors, fb: &FakeVendors| fa.received().len() + fb.received().len();
        let until = Instant::now() + Duration::from_secs(60);
        while done(&fake_a, &fake_b) < rounds * N && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (ra, rb) = (fake_a.received(), fake_b.received());
        eprintln!(
            "after round {rounds}: server A sent {}, server B sent {}",
            ra.len(),
            rb.len()
        );
        let mut tickets: Vec<String> = ra.iter().chain(&rb).map(|x| x.ticket.clone()).collect();
        assert_eq!(tickets.len(), rounds * N, "each notice once");
        tickets.sort();
        tickets.dedup();
        assert_eq!(tickets.len(), rounds * N, "no notice twice");
        if (!ra.is_empty() && !rb.is_empty()) || rounds == 5 {
            break (ra, rb);
        }
    };
    assert!(!ra.is_empty() && !rb.is_empty(), "both servers dispatched");
    assert!(fake_a.violations().is_empty() && fake_b.violations().is_empty());
}
