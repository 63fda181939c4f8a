//! The admin's reference-data API over real HTTP, on SQLite and PostgreSQL:
//! only the admin may write; a unit, a group and a person added through it take
//! part at once (a new gas company gets the gas items through a routing rule
//! the admin loaded, and its contact logs in and sees them); a file that would
//! break another is refused whole and changes nothing; the shipped calendar
//! years are in effect, an admin's year replaces the shipped one.

mod support;

use support::tickets;

use minqing_protocol::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::TestServer;

const FIXTURE_2020: &str = include_str!("../../protocol/tests/fixtures/calendar-2020.toml");
const FIXTURE_2008: &str = include_str!("../../protocol/tests/fixtures/calendar-2008.toml");

async fn put(s: &TestServer, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
    let r = s
        .req(Method::PUT, path, token)
        .json(&body)
        .send()
        .await
        .expect("put");
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn admin_edits_reference_data(s: TestServer) {
    let admin = s.login("系统管理员").await.access_token;
    let deputy = s.login("陆靖英").await.access_token;
    let city = s.login("市人大工作人员").await.access_token;
    let gas = UnitId::new();
    let unit = json!({ "name_zh": "海宁新奥燃气", "name_en": "Haining Gas", "kind": "company", "key": "gas" });
    let path = format!("/v1/admin/units/{gas}");

    // Deny by default: only the admin writes.
    for token in [Some(deputy.as_str()), Some(city.as_str())] {
        assert_eq!(
            put(&s, token, &path, unit.clone()).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        put(&s, None, &path, unit.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let r = s
        .req(Method::GET, "/v1/admin/reference", Some(&deputy))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Jurisdictions: the seeded city and its 12 streets and towns; a new one.
    let r = s
        .req(Method::GET, "/v1/jurisdictions", Some(&deputy))
        .send()
        .await
        .expect("get");
    let all: Vec<Value> = r.json().await.expect("json");
    assert_eq!(all.len(), 13);
    assert!(all
        .iter()
        .any(|j| j["code"] == "xucun" && j["name_zh"] == "许村镇" && j["parent"] == "haining"));
    let town = json!({ "name_zh": "新区", "name_en": "New District", "kind": "street", "parent": "haining" });
    assert_eq!(
        put(&s, Some(&admin), "/v1/admin/jurisdictions/xinqu", town)
            .await
            .0,
        StatusCode::OK
    );
    for (code, body, why, expected) in [
        (
            "x",
            json!({ "name_zh": "x", "name_en": "x", "kind": "town", "parent": "nowhere" }),
            "no parent",
            // Well formed, but the directory has no such parent: 409.
            &[StatusCode::CONFLICT][..],
        ),
        (
            "y",
            json!({ "name_zh": "y", "name_en": "y", "kind": "city", "parent": "haining" }),
            "a city has no parent",
            &[StatusCode::BAD_REQUEST][..],
        ),
        (
            "../z",
            json!({ "name_zh": "z", "name_en": "z", "kind": "town", "parent": "haining" }),
            "code",
            &[StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND][..],
        ),
    ] {
        let path = format!("/v1/admin/jurisdictions/{}", code.replace('/', "%2F"));
        let (st, err) = put(&s, Some(&admin), &path, body).await;
        assert!(expected.contains(&st), "{why}: {st} {err}");
    }
    let nowhere = json!({ "name_zh": "群", "name_en": "g", "jurisdiction": "atlantis" });
    assert_eq!(
        put(
            &s,
            Some(&admin),
            &format!("/v1/admin/groups/{}", GroupId::new()),
            nowhere
        )
        .await
        .0,
        StatusCode::CONFLICT,
        "no such jurisdiction: the directory disagrees with a well-formed body"
    );

    // A unit, a group and the unit's contact.
    assert_eq!(put(&s, Some(&admin), &path, unit).await.0, StatusCode::OK);
    let bad_kind = json!({ "name_zh": "x", "name_en": "x", "kind": "club" });
    assert_eq!(
        put(&s, Some(&admin), &path, bad_kind).await.0,
        StatusCode::BAD_REQUEST
    );
    let group = GroupId::new();
    let g = json!({ "name_zh": "燃气专线群", "name_en": "Gas line", "jurisdiction": "haizhou" });
    assert_eq!(
        put(&s, Some(&admin), &format!("/v1/admin/groups/{group}"), g)
            .await
            .0,
        StatusCode::OK
    );
    let contact = UserId::new();
    let user_path = format!("/v1/admin/users/{contact}");
    let phone = "13800579901";
    let person = |phone: &str, unit: Option<UnitId>, groups: Vec<GroupId>| {
        json!({ "phone": phone, "name": "燃气联络员", "role": "unit_contact",
                "unit": unit, "jurisdiction": null, "groups": groups })
    };
    for (body, why, expected) in [
        (
            person("123", Some(gas), vec![group]),
            "phone",
            StatusCode::BAD_REQUEST,
        ),
        (
            person(phone, None, vec![group]),
            "a contact names a unit",
            StatusCode::BAD_REQUEST,
        ),
        (
            person(&s.person("陆靖英").phone, Some(gas), vec![group]),
            "phone in use",
            StatusCode::CONFLICT,
        ),
        (
            person(phone, Some(gas), vec![GroupId::new()]),
            "no such group",
            StatusCode::CONFLICT,
        ),
    ] {
        let (st, err) = put(&s, Some(&admin), &user_path, body).await;
        assert_eq!(st, expected, "{why}: {err}");
        assert_eq!(err["error"], "invalid", "{why}: {err}");
    }
    assert_eq!(
        put(
            &s,
            Some(&admin),
            &user_path,
            person(phone, Some(gas), vec![group])
        )
        .await
        .0,
        StatusCode::OK
    );

    // Routing: gas items (C08) go to the new company.
    let routing = minqing_protocol::taxonomy::EXAMPLE_ROUTING_TOML.replace(
        r#"{ category = "C08", unit = "housing" }"#,
        r#"{ category = "C08", unit = "gas" }"#,
    );
    assert!(
        routing.contains(r#"unit = "gas""#),
        "the example still routes C08"
    );
    let (st, summary) = put(
        &s,
        Some(&admin),
        "/v1/admin/routing",
        json!({ "toml": routing }),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{summary}");
    assert_eq!(
        (summary["categories"].as_u64(), summary["items"].as_u64()),
        (Some(29), Some(115))
    );

    let client = ClientId::new();
    let ticket = NewTicket {
        category: Some("C08".into()),
        ..tickets::new("人行道上燃气警示桩突出，容易绊倒行人")
    };
    let id = ticket.id;
    let m = tickets::create(client, 1, ticket);
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&deputy))
        .json(&json!({ "client_id": client, "mutations": [m] }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), StatusCode::OK);
    let gas_contact = s.login_phone(phone).await.access_token;
    let r = s
        .req(
            Method::GET,
            &format!("/v1/tickets/{id}"),
            Some(&gas_contact),
        )
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the new contact sees the item routed to them"
    );
    let t: Ticket = r.json().await.expect("ticket");
    assert_eq!((t.state, t.assigned_unit), (TicketState::Routed, Some(gas)));

    // The administrator cannot demote themself (nobody would be left to undo
    // it): 409, and the role stays. Schemathesis did this by following GET
    // /v1/me's `user` into PUT /v1/admin/users/{id}.
    let me: Value = s
        .req(Method::GET, "/v1/me", Some(&admin))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let admin_phone = s.person("系统管理员").phone.clone();
    let demoted = json!({ "phone": admin_phone, "name": "系统管理员", "role": "city_staff",
                          "unit": null, "jurisdiction": null, "groups": [] });
    let (st, err) = put(
        &s,
        Some(&admin),
        &format!("/v1/admin/users/{}", me["user"].as_str().expect("user")),
        demoted,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"], "invalid", "{err}");
    let me: Value = s
        .req(Method::GET, "/v1/me", Some(&admin))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "admin", "{me}");

    // A taxonomy without 通信设施 (C25) would orphan a routing rule: refused whole.
    let mut taxonomy: toml::Table =
        toml::from_str(minqing_protocol::taxonomy::EXAMPLE_TAXONOMY_TOML).expect("toml");
    if let Some(toml::Value::Array(cats)) = taxonomy.get_mut("categories") {
        cats.retain(|c| c.get("code").and_then(|v| v.as_str()) != Some("C25"));
    }
    let (st, err) = put(
        &s,
        Some(&admin),
        "/v1/admin/taxonomy",
        json!({ "toml": toml::to_string(&taxonomy).expect("toml") }),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "invalid_reference", "{err}");
    let r = s
        .req(Method::GET, "/v1/admin/reference", Some(&admin))
        .send()
        .await
        .expect("get");
    let now: Value = r.json().await.expect("json");
    assert_eq!(now["categories"], 29, "nothing changed");
    assert!(now["files"]["routing"]
        .as_str()
        .expect("routing")
        .contains(r#"unit = "gas""#));

    // Calendar years: the State Council's arrangements ship and are in effect…
    let shipped: Vec<i32> = minqing_protocol::calendar::OFFICIAL_YEARS
        .iter()
        .map(|(y, _)| *y)
        .collect();
    assert_eq!(now["calendar_years"], json!(shipped));
    let shipped_text = |year: i32| {
        minqing_protocol::calendar::OFFICIAL_YEARS
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, t)| json!(t))
            .expect("ships")
    };
    assert_eq!(now["files"]["calendar/2020"], shipped_text(2020));
    // …and an admin's year replaces the shipped one, file for file.
    let (st, summary) = put(
        &s,
        Some(&admin),
        "/v1/admin/calendar/2020",
        json!({ "toml": FIXTURE_2020 }),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(summary["calendar_years"], json!(shipped));
    assert_eq!(summary["files"]["calendar/2020"], json!(FIXTURE_2020));
    assert_eq!(summary["files"]["calendar/2021"], shipped_text(2021));
    // A year's file as its notice states it, reaching into the year before (2008's
    // New Year holiday from 2007-12-30; the field case once refused) is taken.
    let (st, summary) = put(
        &s,
        Some(&admin),
        "/v1/admin/calendar/2008",
        json!({ "toml": FIXTURE_2008 }),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{summary}");
    assert_eq!(summary["calendar_years"][0], 2008);
    // Read back: the stored 2020 is the one in effect.
    let r = s
        .req(Method::GET, "/v1/admin/reference", Some(&admin))
        .send()
        .await
        .expect("get");
    let again: Value = r.json().await.expect("json");
    assert_eq!(again["files"]["calendar/2020"], json!(FIXTURE_2020));
    let wrong_year = put(
        &s,
        Some(&admin),
        "/v1/admin/calendar/2021",
        json!({ "toml": FIXTURE_2020 }),
    )
    .await;
    assert_eq!(wrong_year.0, StatusCode::BAD_REQUEST);
    let garbage = put(&s, Some(&admin), "/v1/admin/calendar/2021", json!({ "toml": "year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2021-05-05'\nto='2021-05-01'\n" })).await;
    assert_eq!(garbage.0, StatusCode::BAD_REQUEST);
    assert_eq!(garbage.1["error"], "invalid_reference");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_edits_reference_data_on_sqlite() {
    admin_edits_reference_data(support::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_edits_reference_data_on_postgres() {
    if let Some(s) = support::start_pg().await {
        admin_edits_reference_data(s).await;
    }
}
