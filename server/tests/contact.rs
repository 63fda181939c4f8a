//! Issue 16, item 4: a constituent's private contact (PIPL) is seen only by
//! those who need it — the reporting deputy, and the unit that has taken the
//! item on while it handles it — in every answer that carries tickets (one
//! ticket, pull), and each disclosure to someone else is recorded for the
//! administrator (`GET /v1/admin/contact-access`). Over real HTTP, on SQLite
//! and PostgreSQL.

mod support;

use minqing_protocol::wire::{ContactAccessLog, PullResponse, PushResponse, SessionTokens};
use minqing_protocol::{
    Action, ClientId, ConstituentContact, EventId, Mutation, MutationKind, Ticket, TicketId,
};
use reqwest::Method;
use std::collections::HashMap;
use support::{start, TestServer};

const EVERYONE: [&str; 11] = [
    "陆靖英",         // the reporter (city deputy, three-streets group)
    "王建国",         // another deputy of the same group
    "杜玉妹",         // a deputy of another group
    "移动联络员",     // contact of the unit the item is routed to, then claims it
    "移动负责人",     // that unit's head
    "住建联络员",     // another unit's contact (member of every group)
    "孟宪珂",         // the group's coordinator
    "陈芊含",         // town staff
    "市人大工作人员", // city staff
    "系统管理员",     // the administrator
    "海洲街道联络员", // a street office's contact, member of the group
];

fn contact() -> ConstituentContact {
    ConstituentContact {
        name: Some("张阿姨".into()),
        phone: Some("13912345678".into()),
    }
}

async fn push(s: &TestServer, tok: &SessionTokens, client: ClientId, ms: Vec<Mutation>) {
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&tok.access_token))
        .json(&serde_json::json!({ "client_id": client, "mutations": ms }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);
    let body: PushResponse = r.json().await.expect("json");
    assert!(body.rejected.is_empty(), "{body:?}");
}

/// What `tok` is shown of `ticket`: by `GET /v1/tickets/{id}` (None: 404)
/// and by a pull from scratch (None: not in it).
async fn seen(
    s: &TestServer,
    tok: &SessionTokens,
    ticket: TicketId,
) -> (Option<Ticket>, Option<Ticket>) {
    let r = s
        .req(
            Method::GET,
            &format!("/v1/tickets/{ticket}"),
            Some(&tok.access_token),
        )
        .send()
        .await
        .expect("get");
    let one = match r.status().as_u16() {
        200 => Some(r.json::<Ticket>().await.expect("ticket")),
        404 => None,
        other => panic!("GET ticket: {other}"),
    };
    let r = s
        .req(Method::GET, "/v1/sync/pull", Some(&tok.access_token))
        .send()
        .await
        .expect("pull");
    assert_eq!(r.status(), 200);
    let pulled = match r.json::<PullResponse>().await.expect("pull json") {
        PullResponse::Changes { tickets, .. } => tickets.into_iter().find(|t| t.id == ticket),
        PullResponse::Reset { .. } => panic!("reset on a pull from scratch"),
    };
    (one, pulled)
}

/// For each person: (sees the ticket, sees the contact), both by one-ticket
/// and pull — the two must agree.
async fn table(
    s: &TestServer,
    tokens: &HashMap<&str, SessionTokens>,
    ticket: TicketId,
) -> HashMap<String, (bool, bool)> {
    let mut out = HashMap::new();
    for name in EVERYONE {
        let (one, pulled) = seen(s, &tokens[name], ticket).await;
        assert_eq!(
            one.is_some(),
            pulled.is_some(),
            "{name}: one ticket and pull disagree on visibility"
        );
        assert_eq!(
            one.as_ref().map(|t| t.constituent.clone()),
            pulled.as_ref().map(|t| t.constituent.clone()),
            "{name}: one ticket and pull disagree on the contact"
        );
        let contact_shown = one.as_ref().is_some_and(|t| t.constituent.is_some());
        if contact_shown {
            assert_eq!(
                one.as_ref().and_then(|t| t.constituent.clone()),
                Some(contact())
            );
        }
        out.insert(name.to_owned(), (one.is_some(), contact_shown));
    }
    out
}

fn expect(rows: &[(&str, bool, bool)]) -> HashMap<String, (bool, bool)> {
    rows.iter()
        .map(|(n, a, b)| ((*n).to_owned(), (*a, *b)))
        .collect()
}

async fn audit(s: &TestServer, tok: &SessionTokens, ticket: TicketId) -> reqwest::Response {
    s.req(
        Method::GET,
        &format!("/v1/admin/contact-access?ticket={ticket}"),
        Some(&tok.access_token),
    )
    .send()
    .await
    .expect("audit")
}

async fn the_contact_is_shown_only_to_those_who_need_it_on(s: TestServer) {
    let mut tokens = HashMap::new();
    for n in EVERYONE {
        tokens.insert(n, s.login(n).await);
    }
    let mobile = tokens["移动联络员"].me.unit.expect("mobile's unit");
    // 陆靖英 files an item with the constituent's contact, @-mentioning China Mobile.
    let client = ClientId::new();
    let nt = minqing_protocol::NewTicket {
        constituent: Some(contact()),
        mentioned_unit: Some(mobile),
        ..support::tickets::new("水月亭路窨井盖松动，张阿姨反映")
    };
    let ticket = nt.id;
    push(
        &s,
        &tokens["陆靖英"],
        client,
        vec![support::tickets::create(client, 1, nt)],
    )
    .await;

    // Routed to China Mobile, not yet claimed: only the reporter sees the contact.
    let routed = table(&s, &tokens, ticket).await;
    assert_eq!(
        routed,
        expect(&[
            ("陆靖英", true, true),
            ("王建国", true, false),
            ("杜玉妹", false, false),
            ("移动联络员", true, false),
            ("移动负责人", true, false),
            ("住建联络员", false, false),
            ("孟宪珂", true, false),
            ("陈芊含", false, false),
            ("市人大工作人员", true, false),
            ("系统管理员", true, false),
            ("海洲街道联络员", false, false),
        ]),
        "routed"
    );

    // China Mobile claims it (接单): its contact and head handle it now.
    let unit_client = ClientId::new();
    push(
        &s,
        &tokens["移动联络员"],
        unit_client,
        vec![Mutation {
            client_id: unit_client,
            mutation_id: 1,
            kind: MutationKind::Act {
                ticket,
                event: EventId::new(),
                action: Action::Claim,
            },
        }],
    )
    .await;
    let accepted = table(&s, &tokens, ticket).await;
    assert_eq!(
        accepted,
        expect(&[
            ("陆靖英", true, true),
            ("王建国", true, false),
            ("杜玉妹", false, false),
            ("移动联络员", true, true),
            ("移动负责人", true, true),
            ("住建联络员", false, false),
            ("孟宪珂", true, false),
            ("陈芊含", false, false),
            ("市人大工作人员", true, false),
            ("系统管理员", true, false),
            ("海洲街道联络员", false, false),
        ]),
        "accepted"
    );

    // The audit: the two disclosures to China Mobile's people, by each route;
    // none for the reporter, none for those who were not shown it.
    let r = audit(&s, &tokens["系统管理员"], ticket).await;
    assert_eq!(r.status(), 200);
    let log: ContactAccessLog = r.json().await.expect("log");
    let mut got: Vec<(String, String)> = log
        .entries
        .iter()
        .map(|e| {
            assert_eq!(e.ticket, ticket);
            let who = EVERYONE
                .iter()
                .find(|n| tokens[**n].me.user == e.user)
                .expect("a known user");
            assert_eq!(e.role, tokens[*who].me.role);
            assert!(e.at > 0);
            ((*who).to_owned(), e.via.clone())
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("移动联络员".to_owned(), "pull".to_owned()),
            ("移动联络员".to_owned(), "ticket".to_owned()),
            ("移动负责人".to_owned(), "pull".to_owned()),
            ("移动负责人".to_owned(), "ticket".to_owned()),
        ]
    );
    assert_eq!(log.next, None);
    // Paging by id.
    let r = s
        .req(
            Method::GET,
            &format!("/v1/admin/contact-access?ticket={ticket}&limit=3"),
            Some(&tokens["系统管理员"].access_token),
        )
        .send()
        .await
        .expect("page");
    let page: ContactAccessLog = r.json().await.expect("page");
    assert_eq!(page.entries.len(), 3);
    let after = page.next.expect("a next page");
    let r = s
        .req(
            Method::GET,
            &format!("/v1/admin/contact-access?ticket={ticket}&after={after}"),
            Some(&tokens["系统管理员"].access_token),
        )
        .send()
        .await
        .expect("page 2");
    let rest: ContactAccessLog = r.json().await.expect("page 2");
    assert_eq!(rest.entries.len(), 1);
    // The audit is the administrator's alone.
    for n in ["陆靖英", "移动联络员", "孟宪珂", "市人大工作人员"] {
        let r = audit(&s, &tokens[n], ticket).await;
        assert_eq!(r.status(), 403, "{n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_is_shown_only_to_those_who_need_it() {
    the_contact_is_shown_only_to_those_who_need_it_on(start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_is_shown_only_to_those_who_need_it_on_postgres() {
    if let Some(s) = support::start_pg().await {
        the_contact_is_shown_only_to_those_who_need_it_on(s).await;
    }
}
