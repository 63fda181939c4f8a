//! Issue 16, item 5: what a client sends is checked against what it may do —
//! the probes as they were found (a deputy filing into another group and into
//! one that does not exist, an unknown @-mentioned unit routed to, a
//! jurisdiction of `../../etc<script>` stored, a 1.5 MB address, constituent
//! name and phone), each refused with a typed reason that the phone shows in
//! Chinese, and nothing stored. Over real HTTP, SQLite and PostgreSQL.

mod support;

use minqing_protocol::wire::{PushResponse, RejectReason, SessionTokens};
use minqing_protocol::{
    Action, ClientId, ConstituentContact, Denied, EventId, GroupId, Location, LocationSource,
    Mutation, MutationKind, NewTicket, Ticket, TicketId, UnitId,
};
use reqwest::Method;
use support::{start, TestServer};

async fn push_one(
    s: &TestServer,
    tok: &SessionTokens,
    client: ClientId,
    n: u64,
    kind: MutationKind,
) -> Option<RejectReason> {
    let m = Mutation {
        client_id: client,
        mutation_id: n,
        kind,
    };
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&tok.access_token))
        .json(&serde_json::json!({ "client_id": client, "mutations": [m] }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);
    let body: PushResponse = r.json().await.expect("json");
    assert_eq!(body.last_mutation_id, n, "{body:?}");
    body.rejected.into_iter().next().map(|x| x.reason)
}

async fn stored(s: &TestServer, tok: &SessionTokens, id: TicketId) -> Option<Ticket> {
    let r = s
        .req(
            Method::GET,
            &format!("/v1/tickets/{id}"),
            Some(&tok.access_token),
        )
        .send()
        .await
        .expect("get");
    match r.status().as_u16() {
        200 => Some(r.json().await.expect("ticket")),
        404 => None,
        other => panic!("{other}"),
    }
}

/// What a probe's rejection must look like.
type Expect = Box<dyn Fn(&Option<RejectReason>) -> bool>;
fn invalid(reason: &Option<RejectReason>) -> Option<(String, String)> {
    match reason {
        Some(RejectReason::Denied(Denied::Invalid { field, reason })) => {
            Some((field.clone(), reason.clone()))
        }
        _ => None,
    }
}

async fn what_a_client_sends_is_checked_on(s: TestServer) {
    let deputy = s.login("陆靖英").await; // three-streets group
    let other = s.login("杜玉妹").await; // 斜桥 group
    let staff = s.login("市人大工作人员").await; // sees every item
    let coordinator = s.login("孟宪珂").await;
    let mine = deputy.me.groups[0];
    let theirs = other.me.groups[0];
    assert_ne!(mine, theirs);
    let client = ClientId::new();
    let mut n = 0;
    let mut submit = |nt: NewTicket| {
        n += 1;
        (n, MutationKind::CreateTicket { ticket: nt })
    };
    let huge = "x".repeat(1_500_000);
    let location = |address: &str| Location {
        latitude: 30.51,
        longitude: 120.68,
        accuracy_m: Some(8.0),
        source: LocationSource::DeviceFix,
        address: Some(address.to_owned()),
    };

    // Each probe: what it sends, and the typed reason it must get.
    let probes: Vec<(&str, NewTicket, Expect)> = vec![
        (
            "into another deputy's group",
            NewTicket {
                group: Some(theirs),
                ..support::tickets::new("别的群")
            },
            Box::new(|r| *r == Some(RejectReason::NotYourGroup)),
        ),
        (
            "into a group that does not exist",
            NewTicket {
                group: Some(GroupId::new()),
                ..support::tickets::new("不存在的群")
            },
            Box::new(|r| *r == Some(RejectReason::UnknownGroup)),
        ),
        (
            "@-mentioning a unit that does not exist",
            NewTicket {
                mentioned_unit: Some(UnitId::new()),
                ..support::tickets::new("不存在的单位")
            },
            Box::new(|r| *r == Some(RejectReason::UnknownUnit)),
        ),
        (
            "a jurisdiction of ../../etc<script>",
            NewTicket {
                jurisdiction: Some("../../etc<script>".into()),
                ..support::tickets::new("辖区")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "jurisdiction")),
        ),
        (
            "a well-formed jurisdiction that is not the deployment's",
            NewTicket {
                jurisdiction: Some("330482".into()),
                ..support::tickets::new("辖区")
            },
            Box::new(|r| *r == Some(RejectReason::UnknownJurisdiction)),
        ),
        (
            "a 1.5 MB address",
            NewTicket {
                location: Some(location(&huge)),
                ..support::tickets::new("地址")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "location.address")),
        ),
        (
            "a 1.5 MB constituent name",
            NewTicket {
                constituent: Some(ConstituentContact {
                    name: Some(huge.clone()),
                    phone: None,
                }),
                ..support::tickets::new("姓名")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "constituent.name")),
        ),
        (
            "a 1.5 MB constituent phone",
            NewTicket {
                constituent: Some(ConstituentContact {
                    name: None,
                    phone: Some(huge.clone()),
                }),
                ..support::tickets::new("电话")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "constituent.phone")),
        ),
        (
            "a phone number that is not one",
            NewTicket {
                constituent: Some(ConstituentContact {
                    name: Some("张阿姨".into()),
                    phone: Some("<script>alert(1)</script>".into()),
                }),
                ..support::tickets::new("电话")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "constituent.phone")),
        ),
        (
            "a 1.5 MB category",
            NewTicket {
                category: Some(huge.clone()),
                ..support::tickets::new("类别")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "category")),
        ),
        (
            "a NUL in the text",
            support::tickets::new("井盖\0松动"),
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "text")),
        ),
        (
            "a million photos announced",
            NewTicket {
                photo_count: 1_000_000,
                ..support::tickets::new("照片")
            },
            Box::new(|r| invalid(r).is_some_and(|(f, _)| f == "photo_count")),
        ),
    ];
    for (what, nt, want) in probes {
        let id = nt.id;
        let (k, kind) = submit(nt);
        let got = push_one(&s, &deputy, client, k, kind).await;
        assert!(want(&got), "{what}: {got:?}");
        let zh = got
            .as_ref()
            .map(RejectReason::message_zh)
            .unwrap_or_default();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) && !zh.contains("too long"),
            "{what}: the phone shows {zh:?}"
        );
        assert!(stored(&s, &staff, id).await.is_none(), "{what}: stored");
    }

    // What is allowed still is: the deputy's own group, a known jurisdiction
    // and unit, a mainland number, a sensible address.
    let mobile = s.login("移动联络员").await.me.unit.expect("unit");
    let ok = NewTicket {
        group: Some(mine),
        jurisdiction: Some("haizhou".into()),
        mentioned_unit: Some(mobile),
        location: Some(location("海宁市水月亭路")),
        constituent: Some(ConstituentContact {
            name: Some("张阿姨".into()),
            phone: Some("139 1234 5678".into()),
        }),
        ..support::tickets::new("水月亭路窨井盖松动")
    };
    let ok_id = ok.id;
    let (k, kind) = submit(ok);
    assert_eq!(push_one(&s, &deputy, client, k, kind).await, None);
    let t = stored(&s, &staff, ok_id).await.expect("stored");
    assert_eq!(t.group, Some(mine));
    assert_eq!(t.assigned_unit, Some(mobile));

    // A coordinator reassigning the item to a unit that does not exist.
    let c = ClientId::new();
    let got = push_one(
        &s,
        &coordinator,
        c,
        1,
        MutationKind::Act {
            ticket: ok_id,
            event: EventId::new(),
            action: Action::Reassign {
                unit: UnitId::new(),
            },
        },
    )
    .await;
    assert_eq!(got, Some(RejectReason::UnknownUnit));
    let t = stored(&s, &staff, ok_id).await.expect("stored");
    assert_eq!(t.assigned_unit, Some(mobile), "not reassigned");
    // City staff naming an assignment list that is no path segment.
    let got = push_one(
        &s,
        &staff,
        ClientId::new(),
        1,
        MutationKind::Act {
            ticket: ok_id,
            event: EventId::new(),
            action: Action::AssignToGovernment {
                list: "../2020年10月".into(),
            },
        },
    )
    .await;
    assert!(invalid(&got).is_some_and(|(f, _)| f == "list"), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_client_sends_is_checked() {
    what_a_client_sends_is_checked_on(start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_client_sends_is_checked_on_postgres() {
    if let Some(s) = support::start_pg().await {
        what_a_client_sends_is_checked_on(s).await;
    }
}
