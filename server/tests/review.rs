//! The three review levels over real HTTP, on SQLite and on PostgreSQL: the
//! deputies' weekly summaries (一周一结报, "nothing this week" included) and who
//! has not filed; the town staff's first-review queue for the month, cleared
//! (一月一清) once every item is marked; the city staff's review; an assignment
//! list to the government with its feedback per item — and who may see what.

mod support;

use support::tickets;

use minqing_protocol::wire::{
    AssignmentList, PushResponse, ReviewQueue, WeeklyQueue, WeeklySummary,
};
use minqing_protocol::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::TestServer;

struct Device {
    token: String,
    client: ClientId,
    next: u64,
}

impl Device {
    async fn login(s: &TestServer, name: &str) -> Device {
        Device {
            token: s.login(name).await.access_token,
            client: ClientId::new(),
            next: 1,
        }
    }

    async fn push(&mut self, s: &TestServer, kind: MutationKind) -> PushResponse {
        let m = Mutation {
            client_id: self.client,
            mutation_id: self.next,
            kind,
        };
        self.next += 1;
        let r = s
            .req(Method::POST, "/v1/sync/push", Some(&self.token))
            .json(&json!({ "client_id": self.client, "mutations": [m] }))
            .send()
            .await
            .expect("push");
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("json")
    }

    async fn act(&mut self, s: &TestServer, ticket: TicketId, action: Action) -> PushResponse {
        self.push(
            s,
            MutationKind::Act {
                ticket,
                event: EventId::new(),
                action,
            },
        )
        .await
    }

    async fn get(&self, s: &TestServer, path: &str) -> reqwest::Response {
        s.req(Method::GET, path, Some(&self.token))
            .send()
            .await
            .expect("get")
    }
}

async fn ok<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    r.json().await.expect("json")
}

/// This week and this month in China time, as the routes name them.
fn periods() -> (String, String) {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    let (year, week, _) = now.date().to_iso_week_date();
    (
        format!("{year}-W{week:02}"),
        format!("{}-{:02}", now.year(), now.month() as u8),
    )
}

async fn review_levels(s: TestServer) {
    let (week, month) = periods();
    let mut du = Device::login(&s, "杜玉妹").await; // town deputy, 斜桥 group
    let mut lu = Device::login(&s, "陆靖英").await; // city deputy, street group
    let coordinator = Device::login(&s, "孟宪珂").await; // street group
    let mut town = Device::login(&s, "陈芊含").await; // town staff, 斜桥
    let mut city = Device::login(&s, "市人大工作人员").await;
    let mut contact = Device::login(&s, "移动联络员").await;

    // Weekly summaries: nothing filed yet; 陆靖英 met people, reported nothing.
    let mine: WeeklySummary = ok(du.get(&s, &format!("/v1/weekly/{week}")).await).await;
    assert!(!mine.filed && mine.items.is_empty());
    let r = s
        .req(Method::PUT, &format!("/v1/weekly/{week}"), Some(&lu.token))
        .json(&json!({ "contacts": 3, "note": "本周接待群众3人，无新问题" }))
        .send()
        .await
        .expect("file");
    let filed: WeeklySummary = ok(r).await;
    assert!(filed.filed && filed.nothing_this_week);
    assert_eq!(filed.contacts, Some(3));

    // 杜玉妹 reports an item this week and files.
    let ticket = NewTicket {
        channel: SourceChannel::Reception,
        ..tickets::new("斜桥镇中心小学门口斑马线褪色")
    };
    let item = ticket.id;
    let r = du.push(&s, MutationKind::CreateTicket { ticket }).await;
    assert!(r.rejected.is_empty());
    let r = s
        .req(Method::PUT, &format!("/v1/weekly/{week}"), Some(&du.token))
        .json(&json!({ "contacts": 5, "note": "联络站接待" }))
        .send()
        .await
        .expect("file");
    let filed: WeeklySummary = ok(r).await;
    assert_eq!(
        (filed.items.clone(), filed.nothing_this_week),
        (vec![item], false)
    );

    // Who filed: the coordinator sees the street group's deputies, the town
    // staff 斜桥's; units and deputies may not look.
    let q: WeeklyQueue = ok(coordinator.get(&s, &format!("/v1/weekly/{week}/all")).await).await;
    let names: Vec<(&str, bool)> = q
        .summaries
        .iter()
        .map(|x| (x.name.as_str(), x.filed))
        .collect();
    assert!(names.contains(&("陆靖英", true)), "{names:?}");
    assert!(names.contains(&("王建国", false)), "{names:?}");
    assert!(
        !names.iter().any(|(n, _)| *n == "杜玉妹"),
        "not the coordinator's group"
    );
    assert_eq!(q.missing as usize, names.iter().filter(|(_, f)| !f).count());
    let q: WeeklyQueue = ok(town.get(&s, &format!("/v1/weekly/{week}/all")).await).await;
    assert!(q.summaries.iter().any(|x| x.name == "杜玉妹" && x.filed));
    for (who, path) in [
        (&contact, format!("/v1/weekly/{week}/all")),
        (&du, format!("/v1/weekly/{week}/all")),
        (&contact, format!("/v1/weekly/{week}")),
        (&city, format!("/v1/review/town/{month}")),
        (&town, format!("/v1/review/city/{month}")),
        (&du, format!("/v1/review/town/{month}")),
        (&town, "/v1/assignments/x".to_owned()),
        (&contact, "/v1/assignments/x".to_owned()),
    ] {
        assert_eq!(
            who.get(&s, &path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    for (who, path) in [
        (&du, "/v1/weekly/2026-W99".to_owned()),
        (&du, "/v1/weekly/..%2F..%2Fetc".to_owned()),
        (&town, format!("/v1/review/town/{}-13", &month[..4])),
    ] {
        let r = who.get(&s, &path).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    assert_eq!(
        town.get(&s, &format!("/v1/review/county/{month}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The town's first review: the month's queue, cleared once marked.
    let q: ReviewQueue = ok(town.get(&s, &format!("/v1/review/town/{month}")).await).await;
    assert_eq!(q.items.len(), 1);
    assert!(!q.items[0].reviewed && !q.cleared);
    let review = |level| Action::Review {
        level,
        note: "已核实，转交通部门".into(),
    };
    assert!(town
        .act(&s, item, review(ReviewLevel::Town))
        .await
        .rejected
        .is_empty());
    let q: ReviewQueue = ok(town.get(&s, &format!("/v1/review/town/{month}")).await).await;
    assert!(q.items[0].reviewed && q.cleared, "一月一清");
    // Once per level; and not by the wrong level.
    assert_eq!(
        town.act(&s, item, review(ReviewLevel::Town))
            .await
            .rejected
            .len(),
        1
    );
    assert_eq!(
        town.act(&s, item, review(ReviewLevel::City))
            .await
            .rejected
            .len(),
        1
    );

    // The city's review, then the assignment list and the government's feedback.
    let q: ReviewQueue = ok(city.get(&s, &format!("/v1/review/city/{month}")).await).await;
    assert!(!q.cleared);
    assert!(city
        .act(&s, item, review(ReviewLevel::City))
        .await
        .rejected
        .is_empty());
    let q: ReviewQueue = ok(city.get(&s, &format!("/v1/review/city/{month}")).await).await;
    assert!(q.cleared);
    let list = format!("{month} 交办清单");
    let assign = Action::AssignToGovernment { list: list.clone() };
    assert!(city.act(&s, item, assign).await.rejected.is_empty());
    let feedback = Action::GovernmentFeedback {
        text: "已列入市政维修计划，月底前完成".into(),
        resolved: false,
    };
    assert!(city.act(&s, item, feedback).await.rejected.is_empty());
    let path = format!("/v1/assignments/{}", list.replace(' ', "%20"));
    let got: AssignmentList = ok(city.get(&s, &path).await).await;
    assert_eq!(got.list, list);
    assert_eq!(got.items.len(), 1);
    assert_eq!(got.items[0].ticket, item);
    assert_eq!(got.items[0].feedback.len(), 1);
    assert!(!got.items[0].feedback[0].resolved);
    // Another list is empty; the deputy still sees the whole story in the timeline.
    let other: AssignmentList = ok(city.get(&s, "/v1/assignments/other").await).await;
    assert!(other.items.is_empty());
    let t: Ticket = ok(du.get(&s, &format!("/v1/tickets/{item}")).await).await;
    assert_eq!(
        t.timeline.len(),
        1 + 4,
        "submitted, two reviews, assigned, feedback"
    );

    // A decline tells the group's coordinators, in their inbox (same transaction).
    let ticket = tickets::new("水月亭路窨井盖不闭合");
    let street_item = ticket.id;
    let create = MutationKind::CreateTicket { ticket };
    assert!(lu.push(&s, create).await.rejected.is_empty());
    assert!(contact
        .act(&s, street_item, Action::Claim)
        .await
        .rejected
        .is_empty());
    let decline = Action::Decline {
        reason: "不是移动公司的井盖".into(),
    };
    assert!(contact
        .act(&s, street_item, decline)
        .await
        .rejected
        .is_empty());
    let inbox: minqing_protocol::wire::NotificationsResponse =
        ok(coordinator.get(&s, "/v1/notifications").await).await;
    assert_eq!(inbox.unread, 1);
    assert_eq!(inbox.notifications[0].ticket, street_item);
    assert!(inbox.notifications[0]
        .text_zh
        .contains("不是移动公司的井盖"));
    // Nobody else's inbox: the town staff of another town heard nothing.
    let other: minqing_protocol::wire::NotificationsResponse =
        ok(town.get(&s, "/v1/notifications").await).await;
    assert_eq!(other.unread, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_levels_on_sqlite() {
    review_levels(support::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_levels_on_postgres() {
    if let Some(s) = support::start_pg().await {
        review_levels(s).await;
    }
}
