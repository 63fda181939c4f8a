//! The seed's story, replayed step by step with its own timestamps: 4 October
//! 2020, a public holiday in golden week. Three device cores (the deputy 陆靖英,
//! China Mobile's contact and the coordinator 孟宪珂) talk to one server over
//! real HTTP on loopback; the server runs on a manual clock that the test moves
//! to each moment of the story, so every event is stamped with the story's time.
//! It ends resolved and confirmed the same day, with the whole timeline on the
//! server and on both phones. Then a second item nobody takes is chased by the
//! running scheduler after the holiday, and the deputy's phone is told.

use minqing_capture::testsupport::photo_jpeg;
use minqing_core::screens::{ActionInput, EntryKind};
use minqing_core::Minqing;
use minqing_e2e::devices::{drained, open, wait_for};
use minqing_protocol::clocks::{ChaseTarget, ClockKind, Colour};
use minqing_protocol::wire::{ClocksResponse, NotificationsResponse};
use minqing_protocol::{
    Action, ActionKind, EventKind, OutcomePath, PhotoKind, Ticket, TicketState,
};
use minqing_server::app::{Config, Server};
use minqing_server::clock::Clock;
use minqing_server::seed::seed_demo;
use minqing_server::Db;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

macro_rules! cst {
    ($($t:tt)*) => {
        datetime!($($t)* +8).unix_timestamp() * 1000
    };
}

struct Story {
    url: String,
    data_dir: std::path::PathBuf,
    phones: HashMap<String, String>,
    /// Staff passwords the demo seed printed.
    passwords: HashMap<String, String>,
    clock: Clock,
    db: Arc<Db>,
}

impl Story {
    async fn start(dir: &Path) -> Story {
        let data_dir = dir.join("server");
        let config = Config {
            data_dir: data_dir.clone(),
            listen: "127.0.0.1:0".into(),
            calendar_dir: Some(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocol/tests/fixtures"),
            ),
            escalation_interval_secs: 1,
            ..Config::default()
        };
        let clock = Clock::manual(cst!(2020-10-04 08:00));
        let server = Server::bind(&config)
            .await
            .expect("bind")
            .with_clock(clock.clone());
        let db = server.state().db.clone();
        let seeded = db.clone();
        let people = tokio::task::spawn_blocking(move || seed_demo(&seeded))
            .await
            .expect("join")
            .expect("seed");
        let url = format!("http://{}", server.addr);
        tokio::spawn(server.run());
        Story {
            url,
            data_dir,
            passwords: people
                .iter()
                .filter_map(|p| Some((p.name.clone(), p.password.clone()?)))
                .collect(),
            phones: people.into_iter().map(|p| (p.name, p.phone)).collect(),
            clock,
            db,
        }
    }

    async fn login(&self, dev: &Minqing, name: &str) {
        let phone = self.phones[name].clone();
        dev.sync().set_server(self.url.clone()).expect("url");
        dev.account()
            .request_code(phone.clone())
            .await
            .expect("code");
        let code = minqing_server::sms::wait_for_code(
            &self.data_dir.join("sms.log"),
            &phone,
            std::time::Duration::from_secs(5),
        )
        .expect("code in sms.log");
        assert_eq!(
            dev.account().login(phone, code).await.expect("login").name,
            name
        );
    }

    /// A session of `name`'s own, for reading their inbox over plain HTTP:
    /// staff by password (their phone may have had a code this minute), others
    /// by SMS code.
    async fn token(&self, name: &str) -> String {
        let http = reqwest::Client::new();
        let phone = self.phones[name].clone();
        if let Some(password) = self.passwords.get(name) {
            let r = http
                .post(format!("{}/v1/auth/password", self.url))
                .header("minqing-protocol", "1")
                .json(
                    &serde_json::json!({ "phone": phone, "password": password, "device": "inbox" }),
                )
                .send()
                .await
                .expect("login");
            let tokens: serde_json::Value = r.json().await.expect("tokens");
            return tokens["access_token"].as_str().expect("token").to_owned();
        }
        let r = http
            .post(format!("{}/v1/auth/sms-code", self.url))
            .header("minqing-protocol", "1")
            .json(&serde_json::json!({ "phone": phone }))
            .send()
            .await
            .expect("code");
        assert_eq!(r.status(), 202);
        let code = minqing_server::sms::wait_for_code(
            &self.data_dir.join("sms.log"),
            &phone,
            std::time::Duration::from_secs(5),
        )
        .expect("code");
        let r = http
            .post(format!("{}/v1/auth/login", self.url))
            .header("minqing-protocol", "1")
            .json(&serde_json::json!({ "phone": phone, "code": code, "device": "inbox" }))
            .send()
            .await
            .expect("login");
        let tokens: serde_json::Value = r.json().await.expect("tokens");
        tokens["access_token"].as_str().expect("token").to_owned()
    }

    async fn clocks(&self, token: &str, id: &str) -> ClocksResponse {
        reqwest::Client::new()
            .get(format!("{}/v1/tickets/{id}/clocks", self.url))
            .header("minqing-protocol", "1")
            .bearer_auth(token)
            .send()
            .await
            .expect("clocks")
            .json()
            .await
            .expect("json")
    }

    async fn inbox(&self, token: &str) -> NotificationsResponse {
        reqwest::Client::new()
            .get(format!("{}/v1/notifications", self.url))
            .header("minqing-protocol", "1")
            .bearer_auth(token)
            .send()
            .await
            .expect("inbox")
            .json()
            .await
            .expect("json")
    }

    /// Move the server's clock to a moment of the story.
    fn at(&self, t: i64) {
        self.clock.set(t);
    }

    fn server_ticket(&self, id: &str) -> Ticket {
        self.db.ticket(id).expect("read").expect("on the server")
    }
}

async fn sync(dev: &Minqing) {
    dev.sync().now().await.expect("sync");
    assert!(drained(dev), "{:?}", dev.sync().outbox());
}

fn step(t: &Ticket) -> String {
    match &t.timeline.last().expect("timeline").kind {
        EventKind::Submitted => "submitted".into(),
        EventKind::Action { action } => action.name().into(),
        EventKind::Chased { .. } => "chased".into(),
        EventKind::RoutedByRule { .. } => "routed_by_rule".into(),
        EventKind::Absorbed { .. } => "absorbed".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fourth_of_october() {
    let dir = tempfile::tempdir().expect("dir");
    let story = Story::start(dir.path()).await;
    let deputy = open(dir.path(), "deputy");
    let mobile = open(dir.path(), "mobile");
    let coordinator = open(dir.path(), "coordinator");
    story.login(&deputy, "陆靖英").await;
    story.login(&mobile, "移动联络员").await;
    story.login(&coordinator, "孟宪珂").await;

    // 08:48 — the deputy posts: photo, text, place. Nobody is @-mentioned.
    story.at(cst!(2020-10-04 08:48));
    let draft = deputy.drafts().create().expect("draft");
    deputy
        .drafts()
        .set_text(
            draft.id.clone(),
            "水月亭路移动公司至方便桥之间有几个窨井盖不闭合，晚上车辆经过时声音很响，影响居民休息"
                .into(),
        )
        .expect("text");
    deputy
        .drafts()
        .add_photo_bytes(draft.id.clone(), photo_jpeg(1600, 1200))
        .expect("photo");
    let id = deputy.drafts().submit(draft.id).expect("完成").id;
    sync(&deputy).await;
    let t = story.server_ticket(&id);
    assert_eq!(t.state, TicketState::Pool, "nobody named: open to claim");
    assert_eq!(t.created_at, cst!(2020-10-04 08:48));
    assert_eq!(t.photos.len(), 1);

    // Seconds later the coordinator asks which kind of cover it is.
    story.at(cst!(2020-10-04 08:49));
    sync(&coordinator).await;
    coordinator
        .tickets()
        .act(
            id.clone(),
            ActionInput::Ask {
                text: "是哪种井盖？不同井盖权属单位不同".into(),
            },
        )
        .expect("ask");
    sync(&coordinator).await;

    // The deputy answers: mostly China Mobile's.
    story.at(cst!(2020-10-04 08:53));
    sync(&deputy).await;
    deputy
        .tickets()
        .act(
            id.clone(),
            ActionInput::Answer {
                text: "大多是移动公司的井盖".into(),
            },
        )
        .expect("answer");
    sync(&deputy).await;

    // Afternoon: China Mobile's contact takes it, sends staff, and gives it
    // back: not ours.
    story.at(cst!(2020-10-04 14:05));
    sync(&mobile).await;
    assert_eq!(mobile.tickets().detail(id.clone()).expect("seen").id, id);
    mobile
        .tickets()
        .act(id.clone(), minqing_core::screens::ActionInput::Claim)
        .expect("接单");
    sync(&mobile).await;
    assert_eq!(story.server_ticket(&id).state, TicketState::Accepted);
    story.at(cst!(2020-10-04 15:30));
    mobile
        .tickets()
        .act(
            id.clone(),
            ActionInput::Decline {
                reason: "已派人现场查看，不是移动公司的井盖".into(),
            },
        )
        .expect("decline");
    sync(&mobile).await;
    let t = story.server_ticket(&id);
    assert_eq!(t.state, TicketState::Pool);
    assert_eq!(t.assigned_unit, None);
    // The coordinator is told why it is back in the pool.
    let coordinator_token = story.token("孟宪珂").await;
    let inbox = story.inbox(&coordinator_token).await;
    assert_eq!(inbox.unread, 1);
    let notice = &inbox.notifications[0];
    assert_eq!(notice.kind, "declined");
    assert!(
        notice.text_zh.starts_with("中国移动海宁分公司退回了")
            && notice.text_zh.contains("不是移动公司的井盖"),
        "{}",
        notice.text_zh
    );
    assert_eq!(notice.created_at, cst!(2020-10-04 15:30));

    // 17:48 — the deputy re-checks and adds a photo of the "中国移动" marking.
    story.at(cst!(2020-10-04 17:48));
    sync(&deputy).await;
    deputy
        .tickets()
        .add_photo_bytes(
            id.clone(),
            photo_jpeg(1200, 1600),
            minqing_protocol::PhotoKind::Evidence,
        )
        .expect("evidence photo");
    sync(&deputy).await;
    assert_eq!(story.server_ticket(&id).photos.len(), 2);

    // China Mobile: "send me the location, I'll send someone again."
    story.at(cst!(2020-10-04 17:55));
    sync(&mobile).await;
    let seen = mobile.tickets().detail(id.clone()).expect("ticket");
    assert_eq!(seen.photos.len(), 2, "the contact has both photos");
    mobile
        .tickets()
        .act(
            id.clone(),
            ActionInput::Ask {
                text: "请发一下具体位置，我再派人去".into(),
            },
        )
        .expect("ask");
    mobile
        .tickets()
        .act(id.clone(), minqing_core::screens::ActionInput::Claim)
        .expect("接单 again");
    sync(&mobile).await;
    story.at(cst!(2020-10-04 18:02));
    sync(&deputy).await;
    deputy
        .tickets()
        .act(
            id.clone(),
            ActionInput::Answer {
                text: "水月亭路移动营业厅往方便桥方向约五十米，路中间三个".into(),
            },
        )
        .expect("answer");
    sync(&deputy).await;

    // 19:09 — fixed (已处理好), with a photo of the fix.
    story.at(cst!(2020-10-04 19:09));
    sync(&mobile).await;
    let proof = mobile
        .tickets()
        .add_photo_bytes(
            id.clone(),
            photo_jpeg(1600, 1200),
            minqing_protocol::PhotoKind::Proof,
        )
        .expect("proof photo");
    mobile
        .tickets()
        .act(
            id.clone(),
            ActionInput::Resolve {
                text: "已处理好".into(),
                outcome: OutcomePath::HandledInGroup,
                proof_photo_ids: vec![proof],
            },
        )
        .expect("resolve");
    sync(&mobile).await;
    assert_eq!(story.server_ticket(&id).state, TicketState::Resolved);

    // The deputy looks, confirms and rates it.
    story.at(cst!(2020-10-04 19:30));
    sync(&deputy).await;
    // The deputy's screen offers exactly confirm / reject (and asking,
    // adding photos) — the state machine's answer, not the shell's.
    let detail = deputy.tickets().detail(id.clone()).expect("detail");
    let offered: Vec<ActionKind> = detail.actions.iter().map(|a| a.kind).collect();
    assert!(offered.contains(&ActionKind::Confirm) && offered.contains(&ActionKind::Reject));
    assert!(!offered.contains(&ActionKind::Claim));
    deputy
        .tickets()
        .act(id.clone(), ActionInput::Confirm { rating: Some(5) })
        .expect("confirm");
    sync(&deputy).await;

    // The whole day, as the server recorded it.
    let t = story.server_ticket(&id);
    t.check_invariants().expect("consistent");
    assert_eq!(t.state, TicketState::Closed);
    assert_eq!(t.resolved, Some(true));
    assert_eq!(t.rating, Some(5));
    let steps: Vec<(String, i64)> = t
        .timeline
        .iter()
        .map(|e| {
            let name = match &e.kind {
                EventKind::Submitted => "submitted".to_owned(),
                EventKind::Action {
                    action: Action::AttachPhoto { photo },
                } => match photo.kind {
                    PhotoKind::Evidence => "attach_evidence".to_owned(),
                    PhotoKind::Proof => "attach_proof".to_owned(),
                },
                EventKind::Action { action } => action.name().to_owned(),
                EventKind::Chased { .. } => "chased".to_owned(),
                EventKind::RoutedByRule { .. } => "routed_by_rule".to_owned(),
                EventKind::Absorbed { .. } => "absorbed".to_owned(),
            };
            (name, e.at)
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("submitted", cst!(2020-10-04 08:48)),
        ("attach_evidence", cst!(2020-10-04 08:48)),
        ("ask", cst!(2020-10-04 08:49)),
        ("answer", cst!(2020-10-04 08:53)),
        ("claim", cst!(2020-10-04 14:05)),
        ("decline", cst!(2020-10-04 15:30)),
        ("attach_evidence", cst!(2020-10-04 17:48)),
        ("ask", cst!(2020-10-04 17:55)),
        ("claim", cst!(2020-10-04 17:55)),
        ("answer", cst!(2020-10-04 18:02)),
        ("attach_proof", cst!(2020-10-04 19:09)),
        ("resolve", cst!(2020-10-04 19:09)),
        ("confirm", cst!(2020-10-04 19:30)),
    ]
    .into_iter()
    .map(|(n, at)| (n.to_owned(), at))
    .collect();
    assert_eq!(steps, expected);
    let chased = t
        .timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Chased { .. }))
        .count();
    assert_eq!(chased, 0, "handled the same day: nobody was chased");

    // Both phones hold the same timeline as the server.
    sync(&mobile).await;
    for dev in [&deputy, &mobile] {
        let local = dev.tickets().detail(id.clone()).expect("local");
        assert_eq!(local.timeline.len(), t.timeline.len());
        assert_eq!(local.state, TicketState::Closed);
    }
    assert_eq!(step(&t), "confirm");
    // The deputy's detail screen: the timeline by name and role, never an id.
    let shown = deputy.tickets().detail(id.clone()).expect("detail");
    assert_eq!(shown.timeline[0].kind, EntryKind::Submitted);
    assert_eq!(shown.timeline[0].actor_name, "陆靖英");
    assert!(shown
        .timeline
        .iter()
        .all(|e| e.actor_name.len() < 36 && !e.summary.contains(&id) && !e.role_label.is_empty()));
    assert_eq!(shown.reporter_name, "陆靖英");

    // A second item posted that evening that nobody takes: after golden week
    // the running scheduler chases it up the ladder, and the deputy's phone,
    // listening in the background, pulls the chases.
    story.at(cst!(2020-10-04 19:40));
    let draft = deputy.drafts().create().expect("draft");
    deputy
        .drafts()
        .set_text(draft.id.clone(), "方便桥东侧路灯不亮".into())
        .expect("text");
    let second = deputy.drafts().submit(draft.id).expect("完成").id;
    sync(&deputy).await;
    // Its clocks that evening: acceptance due when golden week ends, reply in a
    // month; both green.
    let c = story.clocks(&coordinator_token, &second).await;
    assert!(c.calendar_covers);
    let due: Vec<(ClockKind, i64, Colour)> = c
        .clocks
        .iter()
        .map(|x| (x.kind, x.due_at, x.colour))
        .collect();
    assert_eq!(
        due,
        vec![
            (ClockKind::Acceptance, cst!(2020-10-10 00:00), Colour::Green),
            (ClockKind::Reply, cst!(2020-11-05 00:00), Colour::Green),
        ]
    );
    let handle = deputy.sync().start().expect("background sync");
    // Monday 12 October, 09:00: acceptance was due at the end of Friday 9 October.
    story.at(cst!(2020-10-12 09:00));
    wait_for("the scheduler's chases", Duration::from_secs(20), || {
        story.server_ticket(&second).timeline.len() == 1 + 3
    })
    .await;
    let t = story.server_ticket(&second);
    let ladder: Vec<(ClockKind, ChaseTarget, i64)> = t
        .timeline
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Chased { chase } => Some((chase.clock, chase.target, chase.scheduled_at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ladder,
        vec![
            // Yellow in the last quarter of its time (started 19:40 on the 4th,
            // due at midnight after Friday the 9th).
            (
                ClockKind::Acceptance,
                ChaseTarget::UnitContact,
                cst!(2020-10-10 00:00) - (cst!(2020-10-10 00:00) - cst!(2020-10-04 19:40)) / 4
            ),
            (
                ClockKind::Acceptance,
                ChaseTarget::UnitHead,
                cst!(2020-10-10 00:00)
            ),
            // One working day late: Saturday 10 October is a make-up workday.
            (
                ClockKind::Acceptance,
                ChaseTarget::Coordinator,
                cst!(2020-10-11 00:00)
            ),
            // Three working days late (10, 12, 13 October): not yet on Monday.
            (
                ClockKind::Acceptance,
                ChaseTarget::Committee,
                cst!(2020-10-14 00:00)
            ),
        ]
        .into_iter()
        .filter(|(_, _, at)| *at <= cst!(2020-10-12 09:00))
        .collect::<Vec<_>>()
    );
    // The chases reached people: the group's unit contacts (the item is in the
    // pool; the housing bureau's contact is one of them), then — no unit, so no
    // head — the coordinator, twice; the committee not yet. Read, the inbox is quiet.
    let contact_token = story.token("住建联络员").await;
    let chased = |n: &NotificationsResponse| {
        n.notifications
            .iter()
            .filter(|x| x.kind == "chased" && x.ticket.to_string() == second)
            .count()
    };
    let inbox = story.inbox(&contact_token).await;
    assert_eq!(chased(&inbox), 1, "{inbox:?}");
    assert!(inbox.notifications[0].text_zh.contains("受理时限即将到期"));
    let inbox = story.inbox(&coordinator_token).await;
    assert_eq!(chased(&inbox), 2, "{inbox:?}");
    let staff = story.token("市人大工作人员").await;
    assert_eq!(chased(&story.inbox(&staff).await), 0);
    let c = story.clocks(&coordinator_token, &second).await;
    assert_eq!(
        c.clocks[0].colour,
        Colour::Red,
        "acceptance overdue on the 12th"
    );
    assert_eq!(c.clocks[0].label_zh, "受理时限");
    let newest = inbox.notifications[0].id;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/notifications/read", story.url))
        .header("minqing-protocol", "1")
        .bearer_auth(&coordinator_token)
        .json(&serde_json::json!({ "up_to": newest }))
        .send()
        .await
        .expect("read");
    assert_eq!(r.status(), 204);
    assert_eq!(story.inbox(&coordinator_token).await.unread, 0);

    wait_for(
        "the deputy's phone to pull the chases",
        Duration::from_secs(20),
        || {
            deputy
                .tickets()
                .detail(second.clone())
                .map(|v| v.timeline.len() == t.timeline.len())
                .unwrap_or(false)
        },
    )
    .await;
    drop(handle);
}
