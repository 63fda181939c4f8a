//! Open311 GeoReport v2 (`/open311/v2/`, `docs/open311.md`) over real HTTP on
//! both databases: the answers validated against the schemas the Open311
//! project publishes (`fixtures/open311/`, JSON Schema; the XML answers read
//! back into the JSON shape and validated against the same schemas, as no
//! XSD is published); the constituent's contact and the reporter never in
//! any answer, in either format; the filters; keys missing, unknown, revoked
//! or read-only refused with the spec's 403 error body; and a POSTed request
//! filed through the app's push, reaching the unit the routing rules name as
//! a deputy's own report does.

mod support;

use minqing_protocol::wire::{PushRequest, PushResponse};
use minqing_protocol::{
    Action, ClientId, EventId, Location, LocationSource, Mutation, MutationKind, Ticket, TicketId,
};
use reqwest::Method;
use serde_json::{json, Value};
use support::{start, TestServer};

// ------------------------------------------------------------ the schemas

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/open311/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("schema json")
}

/// The published schema `name`, its relative `$ref`s resolved to the files
/// beside it; formats (`date-time`, `uri`) checked.
fn validator(name: &str) -> jsonschema::Validator {
    let mut options = jsonschema::options().should_validate_formats(true);
    for r in ["request.json", "service.json"] {
        options = options.with_resource(
            format!("json-schema:///{r}"),
            jsonschema::Resource::from_contents(fixture(r)),
        );
    }
    options.build(&fixture(name)).expect("schema builds")
}

fn assert_valid(schema: &str, what: &str, v: &Value) {
    let validator = validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} against {schema}: {errors:#?}\n{v:#}"
    );
}

// -------------------------------------------------- XML into the JSON shape

#[derive(Debug)]
struct El {
    name: String,
    text: String,
    children: Vec<El>,
}

/// Parse `xml` (well-formed or the test fails) into its element tree.
fn parse_xml(xml: &str) -> El {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<El> = vec![El {
        name: String::new(),
        text: String::new(),
        children: vec![],
    }];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(El {
                name: String::from_utf8(e.name().as_ref().to_vec()).expect("name"),
                text: String::new(),
                children: vec![],
            }),
            Event::Empty(e) => {
                let el = El {
                    name: String::from_utf8(e.name().as_ref().to_vec()).expect("name"),
                    text: String::new(),
                    children: vec![],
                };
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Text(t) => {
                let text = t.decode().expect("text");
                let text = quick_xml::escape::unescape(&text).expect("unescape");
                stack.last_mut().expect("open").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().expect("ref");
                let entity = format!("&{name};");
                let text = quick_xml::escape::unescape(&entity).expect("entity");
                stack.last_mut().expect("open").text.push_str(&text);
            }
            Event::End(_) => {
                let el = stack.pop().expect("open");
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().expect("document");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().expect("root")
}

/// The JSON types a schema allows (`type`, or each `anyOf` branch's).
fn types(schema: &Value) -> Vec<String> {
    let mut out: Vec<String> = schema["type"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    for branch in schema["anyOf"].as_array().into_iter().flatten() {
        out.extend(types(branch));
    }
    out
}

/// `el` in the JSON shape `schema` describes: a list's children are its
/// items, an object's children its fields, a leaf typed as the schema says.
fn to_json(el: &El, schema: &Value) -> Value {
    let ts = types(schema);
    if ts.iter().any(|t| t == "array") {
        let items = &schema["items"];
        return Value::Array(el.children.iter().map(|c| to_json(c, items)).collect());
    }
    if let Some(props) = schema["properties"].as_object() {
        let mut obj = serde_json::Map::new();
        for c in &el.children {
            assert!(
                !obj.contains_key(&c.name),
                "<{}> twice in <{}>",
                c.name,
                el.name
            );
            obj.insert(
                c.name.clone(),
                to_json(c, props.get(&c.name).unwrap_or(&Value::Null)),
            );
        }
        return Value::Object(obj);
    }
    assert!(el.children.is_empty(), "<{}> is a leaf", el.name);
    if ts.iter().any(|t| t == "boolean") {
        return match el.text.as_str() {
            "true" => json!(true),
            "false" => json!(false),
            other => json!(other), // fails validation, as it should
        };
    }
    if ts.iter().any(|t| t == "number" || t == "integer") {
        if let Ok(n) = el.text.parse::<f64>() {
            return json!(n);
        }
    }
    json!(el.text)
}

/// The XML answer, checked for its root and its list items' names, in the
/// JSON shape of the published schema `schema` (lists: of `item_schema`).
fn xml_as_json(xml: &str, root: &str, item: Option<&str>, schema: &Value) -> Value {
    let el = parse_xml(xml);
    assert_eq!(el.name, root, "{xml}");
    if let Some(item) = item {
        for c in &el.children {
            assert_eq!(c.name, item, "{xml}");
        }
    }
    to_json(&el, schema)
}

fn list_of(item: &str) -> Value {
    json!({"type": "array", "items": fixture(item)})
}

// ---------------------------------------------------------------- helpers

async fn text(s: &TestServer, path: &str) -> (u16, String, String) {
    let r = s.http.get(s.u(path)).send().await.expect("get");
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, kind, r.text().await.expect("body"))
}

async fn get_json(s: &TestServer, path: &str) -> Value {
    let (status, kind, body) = text(s, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(kind.starts_with("application/json"), "{path}: {kind}");
    serde_json::from_str(&body).expect("json")
}

async fn get_xml(s: &TestServer, path: &str) -> String {
    let (status, kind, body) = text(s, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(kind.starts_with("text/xml"), "{path}: {kind}");
    body
}

/// `GET` a `/v1` route with a bearer token, as `T` (`what` names it if not).
async fn get_v1<T: serde::de::DeserializeOwned>(
    s: &TestServer,
    path: &str,
    token: &str,
    what: &str,
) -> T {
    s.req(Method::GET, path, Some(token))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect(what)
}

/// `deputy`'s own report from the app: a push of one submission.
async fn push_report(s: &TestServer, deputy: &str, new: minqing_protocol::NewTicket) {
    let client = ClientId::new();
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(deputy))
        .json(&PushRequest {
            client_id: client,
            mutations: vec![support::tickets::create(client, 1, new)],
        })
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);
    let pushed: PushResponse = r.json().await.expect("push answer");
    assert!(pushed.rejected.is_empty(), "{pushed:?}");
}

/// A key issued by the administrator, acting as `name`.
async fn issue_key(s: &TestServer, admin: &str, name: &str) -> (String, String) {
    let user = s.person(name).id;
    let r = s
        .req(Method::POST, "/v1/admin/open311-keys", Some(admin))
        .json(&json!({"label": format!("test key for {name}"), "user": user}))
        .send()
        .await
        .expect("issue");
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.expect("issued");
    (
        v["id"].as_str().expect("id").to_owned(),
        v["api_key"].as_str().expect("key").to_owned(),
    )
}

async fn post(s: &TestServer, format: &str, form: &[(&str, &str)]) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let r = s
        .http
        .post(s.u(&format!("/open311/v2/requests.{format}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The constituent's contact and the reporting deputy, as they must never
/// appear in an Open311 answer.
const CONSTITUENT_NAME: &str = "沈阿姨";
const CONSTITUENT_PHONE: &str = "13912345678";
const POSTED_NAME: (&str, &str) = ("建华", "周");
const POSTED_PHONE: &str = "13687654321";

/// The deputy 陆靖英's own report through the app (a push), with a
/// constituent's contact; and one filed through Open311 with one.
async fn seed_items(s: &TestServer, deputy: &str, key: &str) -> (TicketId, String) {
    let id = TicketId::new();
    let new = minqing_protocol::NewTicket {
        category: Some("C25".into()),
        item: Some("C25-02".into()),
        location: Some(Location {
            latitude: 30.5093,
            longitude: 120.6808,
            accuracy_m: Some(8.0),
            source: LocationSource::DeviceFix,
            address: Some("海洲街道文苑路".into()),
        }),
        constituent: Some(minqing_protocol::ConstituentContact {
            name: Some(CONSTITUENT_NAME.into()),
            phone: Some(CONSTITUENT_PHONE.into()),
        }),
        id,
        ..support::tickets::new("文苑路窨井盖松动，车过有响声")
    };
    push_report(s, deputy, new).await;

    let (status, body) = post(
        s,
        "json",
        &[
            ("api_key", key),
            ("service_code", "C03-02"),
            ("lat", "30.5101"),
            ("long", "120.6822"),
            ("address_string", "海洲街道西山路12号"),
            ("description", "西山路人行道窨井盖破损"),
            ("first_name", POSTED_NAME.0),
            ("last_name", POSTED_NAME.1),
            ("phone", POSTED_PHONE),
            ("email", "someone@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let v: Value = serde_json::from_str(&body).expect("posted");
    let posted = v[0]["service_request_id"].as_str().expect("id").to_owned();
    assert_eq!(v[0]["token"], v[0]["service_request_id"]);
    (id, posted)
}

/// Every GET route, both formats, as `key` sees it: (path, body).
async fn every_answer(s: &TestServer, key: &str, ids: &[String]) -> Vec<(String, String)> {
    let mut paths = vec![
        "/open311/v2/discovery".to_owned(),
        "/open311/v2/services".to_owned(),
        "/open311/v2/services/C03-02".to_owned(),
        format!("/open311/v2/requests?api_key={key}"),
        format!(
            "/open311/v2/requests?api_key={key}&service_request_id={}",
            ids.join(",")
        ),
    ];
    for id in ids {
        paths.push(format!("/open311/v2/requests/{id}?api_key={key}"));
        paths.push(format!("/open311/v2/tokens/{id}?api_key={key}"));
    }
    let mut out = Vec::new();
    for p in paths {
        for fmt in ["json", "xml"] {
            let path = match p.split_once('?') {
                Some((a, q)) => format!("{a}.{fmt}?{q}"),
                None => format!("{p}.{fmt}"),
            };
            let (status, _, body) = text(s, &path).await;
            assert_eq!(status, 200, "{path}: {body}");
            out.push((path, body));
        }
    }
    out
}

// ------------------------------------------------------------------ tests

/// The answers of a live server against the published GeoReport v2 schemas.
async fn answers_match_the_published_schemas(s: TestServer) {
    let admin = s.login("系统管理员").await.access_token;
    let (_, key) = issue_key(&s, &admin, "陆靖英").await;
    let deputy = s.login("陆靖英").await.access_token;
    let (app_id, posted) = seed_items(&s, &deputy, &key).await;

    let services = get_json(&s, "/open311/v2/services.json").await;
    assert_valid("services.json", "services.json", &services);
    let n = services.as_array().expect("list").len();
    assert!(n > 100, "every item of the taxonomy: {n}");
    let xml = get_xml(&s, "/open311/v2/services.xml").await;
    let from_xml = xml_as_json(&xml, "services", Some("service"), &list_of("service.json"));
    assert_valid("services.json", "services.xml", &from_xml);
    assert_eq!(from_xml, services, "the XML says what the JSON says");

    let def = get_json(&s, "/open311/v2/services/C03-02.json").await;
    assert_valid("service-definition.json", "services/C03-02.json", &def);
    let xml = get_xml(&s, "/open311/v2/services/C03-02.xml").await;
    let from_xml = xml_as_json(
        &xml,
        "service_definition",
        None,
        &fixture("service-definition.json"),
    );
    assert_valid("service-definition.json", "services/C03-02.xml", &from_xml);
    assert_eq!(from_xml, def);

    let list = get_json(&s, &format!("/open311/v2/requests.json?api_key={key}")).await;
    assert_valid("requests.json", "requests.json", &list);
    assert_eq!(list.as_array().expect("list").len(), 2, "{list:#}");
    let xml = get_xml(&s, &format!("/open311/v2/requests.xml?api_key={key}")).await;
    let from_xml = xml_as_json(
        &xml,
        "service_requests",
        Some("request"),
        &list_of("request.json"),
    );
    assert_valid("requests.json", "requests.xml", &from_xml);
    // JSON says null where XML leaves the element out.
    let without_nulls = |v: &Value| -> Value {
        let mut v = v.clone();
        for r in v.as_array_mut().expect("list") {
            r.as_object_mut().expect("obj").retain(|_, x| !x.is_null());
        }
        v
    };
    assert_eq!(without_nulls(&from_xml), without_nulls(&list));

    for id in [app_id.to_string(), posted.clone()] {
        let one = get_json(&s, &format!("/open311/v2/requests/{id}.json?api_key={key}")).await;
        assert_valid("requests.json", "requests/{id}.json", &one);
        let xml = get_xml(&s, &format!("/open311/v2/requests/{id}.xml?api_key={key}")).await;
        let from_xml = xml_as_json(
            &xml,
            "service_requests",
            Some("request"),
            &list_of("request.json"),
        );
        assert_valid("requests.json", "requests/{id}.xml", &from_xml);
    }

    // The app's report, as Open311 shows it: WGS-84 as stored, the unit the
    // rule routed it to, the accept deadline from the clocks.
    let mine = list
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["service_request_id"] == app_id.to_string())
        .expect("the app's report is listed");
    assert_eq!(mine["lat"], json!(30.5093));
    assert_eq!(mine["long"], json!(120.6808));
    assert_eq!(mine["address"], "海洲街道文苑路");
    assert_eq!(mine["service_code"], "C25-02");
    assert_eq!(mine["status"], "open");
    assert_eq!(mine["agency_responsible"], "中国移动海宁分公司");
    assert!(mine["expected_datetime"].is_string(), "{mine:#}");
    assert!(
        mine["requested_datetime"]
            .as_str()
            .expect("datetime")
            .ends_with("+08:00"),
        "{mine:#}"
    );

    // Discovery: no published schema; the spec's fields.
    let d = get_json(&s, "/open311/v2/discovery.json").await;
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(d["endpoints"][0]["url"], s.u("/open311/v2"));
    let xml = get_xml(&s, "/open311/v2/discovery.xml").await;
    let el = parse_xml(&xml);
    assert_eq!(el.name, "discovery");
    let endpoints = el
        .children
        .iter()
        .find(|c| c.name == "endpoints")
        .expect("endpoints");
    let formats = endpoints.children[0]
        .children
        .iter()
        .find(|c| c.name == "formats")
        .expect("formats");
    let formats: Vec<&str> = formats.children.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(formats, ["text/xml", "application/json"]);
}

/// No answer, in either format, to a key of any kind, carries the
/// constituent's name or phone number or the reporting deputy.
async fn no_contact_in_any_answer(s: TestServer) {
    let admin = s.login("系统管理员").await.access_token;
    let (_, deputy_key) = issue_key(&s, &admin, "陆靖英").await;
    let (_, staff_key) = issue_key(&s, &admin, "市人大工作人员").await;
    let deputy = s.login("陆靖英").await;
    let (app_id, posted) = seed_items(&s, &deputy.access_token, &deputy_key).await;
    let ids = [app_id.to_string(), posted.clone()];

    // The contacts are stored: the reporting deputy sees them in the app.
    let t: Ticket = get_v1(
        &s,
        &format!("/v1/tickets/{posted}"),
        &deputy.access_token,
        "ticket json",
    )
    .await;
    let c = t
        .constituent
        .expect("the POSTed contact is kept for the deputy");
    assert_eq!(c.name.as_deref(), Some("周建华"));
    assert_eq!(c.phone.as_deref(), Some(POSTED_PHONE));

    let reporter = s.person("陆靖英").clone();
    for key in [&deputy_key, &staff_key] {
        let answers = every_answer(&s, key, &ids).await;
        assert_eq!(answers.len(), 18);
        for (path, body) in &answers {
            for secret in [
                CONSTITUENT_NAME,
                CONSTITUENT_PHONE,
                "周建华",
                POSTED_PHONE,
                "someone@example.com",
                reporter.phone.as_str(),
                reporter.name.as_str(),
                &reporter.id.to_string(),
            ] {
                assert!(!body.contains(secret), "{path} shows {secret}: {body}");
            }
            for field in [
                "first_name",
                "last_name",
                "phone",
                "email",
                "constituent",
                "reporter",
            ] {
                assert!(!body.contains(field), "{path} has a {field} field: {body}");
            }
        }
        // Both items are in the lists (so the check above looked at them).
        let list = get_json(&s, &format!("/open311/v2/requests.json?api_key={key}")).await;
        assert_eq!(list.as_array().expect("list").len(), 2);
    }
}

/// The spec's filters: ids, service codes, status, the date window.
async fn filters(s: TestServer) {
    let admin = s.login("系统管理员").await.access_token;
    let (_, key) = issue_key(&s, &admin, "陆靖英").await;
    let deputy = s.login("陆靖英").await;
    let (app_id, posted) = seed_items(&s, &deputy.access_token, &key).await;
    let ids = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v
            .as_array()
            .expect("list")
            .iter()
            .map(|r| r["service_request_id"].as_str().expect("id").to_owned())
            .collect();
        out.sort();
        out
    };
    let q = |extra: &str| format!("/open311/v2/requests.json?api_key={key}{extra}");
    let mut both = vec![app_id.to_string(), posted.clone()];
    both.sort();

    assert_eq!(ids(&get_json(&s, &q("")).await), both);
    assert_eq!(
        ids(&get_json(&s, &q("&service_code=C03-02")).await),
        std::slice::from_ref(&posted)
    );
    assert_eq!(
        ids(&get_json(&s, &q("&service_code=C03-02,C25-02")).await),
        both
    );
    assert_eq!(
        ids(&get_json(&s, &q("&service_code=C99-01")).await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&get_json(&s, &q(&format!("&service_request_id={app_id}"))).await),
        [app_id.to_string()]
    );

    // The deputy explains the app's item on the spot: it is closed.
    let client = ClientId::new();
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&deputy.access_token))
        .json(&PushRequest {
            client_id: client,
            mutations: vec![Mutation {
                client_id: client,
                mutation_id: 1,
                kind: MutationKind::Act {
                    ticket: app_id,
                    event: EventId::new(),
                    action: Action::ExplainClose {
                        text: "已当场解释：井盖属移动公司，已通知".into(),
                    },
                },
            }],
        })
        .send()
        .await
        .expect("push");
    let pushed: PushResponse = r.json().await.expect("push answer");
    assert!(pushed.rejected.is_empty(), "{pushed:?}");
    let closed = get_json(&s, &q("&status=closed")).await;
    assert_eq!(ids(&closed), [app_id.to_string()]);
    assert!(
        closed[0]["expected_datetime"].is_null(),
        "no clock runs on a closed item"
    );
    assert_eq!(
        ids(&get_json(&s, &q("&status=open")).await),
        std::slice::from_ref(&posted)
    );
    assert_eq!(ids(&get_json(&s, &q("&status=open,closed")).await), both);

    // The window: both were reported just now.
    let now = time::OffsetDateTime::now_utc();
    let w3c = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("format")
            .replace('+', "%2B")
    };
    let hour = time::Duration::hours(1);
    assert_eq!(
        ids(&get_json(&s, &q(&format!("&start_date={}", w3c(now - hour)))).await),
        both
    );
    assert_eq!(
        ids(&get_json(&s, &q(&format!("&start_date={}", w3c(now + hour)))).await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&get_json(&s, &q(&format!("&end_date={}", w3c(now - hour)))).await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&get_json(
            &s,
            &q(&format!(
                "&start_date={}&end_date={}",
                w3c(now - hour),
                w3c(now + hour)
            ))
        )
        .await),
        both
    );
    // More than 90 days ago: outside the default window of an end date.
    let long_ago = now - time::Duration::days(91);
    assert_eq!(
        ids(&get_json(&s, &q(&format!("&start_date={}", w3c(long_ago)))).await),
        Vec::<String>::new(),
        "a start date alone opens a 90-day window"
    );

    // The wiki's pagination extension: one a page, newest first, all of
    // them over the pages.
    let first = ids(&get_json(&s, &q("&page_size=1")).await);
    let second = ids(&get_json(&s, &q("&page_size=1&page=2")).await);
    assert_eq!((first.len(), second.len()), (1, 1));
    let mut paged = [first, second].concat();
    paged.sort();
    assert_eq!(paged, both);
    assert_eq!(
        ids(&get_json(&s, &q("&page_size=1&page=3")).await),
        Vec::<String>::new()
    );

    // Bad filters: the spec's 400 error list, in the asked format.
    for (extra, what) in [
        ("&page_size=0", "page_size"),
        ("&page_size=1001", "page_size"),
        ("&page=first", "page"),
        ("&status=pending", "status"),
        ("&start_date=yesterday", "start_date"),
        ("&end_date=2026-13-01", "end_date"),
    ] {
        let (status, kind, body) = text(&s, &q(extra)).await;
        assert_eq!(status, 400, "{extra}: {body}");
        assert!(kind.starts_with("application/json"));
        let v: Value = serde_json::from_str(&body).expect("error json");
        assert_eq!(v[0]["code"], 400);
        assert!(
            v[0]["description"].as_str().expect("d").contains(what),
            "{body}"
        );
        let path = q(extra).replace("requests.json", "requests.xml");
        let (status, kind, body) = text(&s, &path).await;
        assert_eq!(status, 400);
        assert!(kind.starts_with("text/xml"), "{kind}");
        let el = parse_xml(&body);
        assert_eq!(el.name, "errors");
        assert_eq!(el.children[0].name, "error");
        assert_eq!(el.children[0].children[0].text, "400");
    }
    let (status, _, _) = text(
        &s,
        &format!("/open311/v2/requests/{posted}.csv?api_key={key}"),
    )
    .await;
    assert_eq!(status, 400, "neither .json nor .xml");
}

fn error_code(body: &str, xml: bool) -> u64 {
    if xml {
        let el = parse_xml(body);
        assert_eq!(el.name, "errors", "{body}");
        el.children[0].children[0].text.parse().expect("code")
    } else {
        let v: Value = serde_json::from_str(body).expect("error json");
        v[0]["code"].as_u64().expect("code")
    }
}

/// Keys: missing, unknown, revoked, or a staff member's (reads only) on POST;
/// missing or unknown on GET. Each the spec's 403 error list.
async fn keys_are_checked(s: TestServer) {
    let admin = s.login("系统管理员").await.access_token;
    let (deputy_id, deputy_key) = issue_key(&s, &admin, "陆靖英").await;
    let (_, staff_key) = issue_key(&s, &admin, "市人大工作人员").await;

    // Only the administrator issues keys.
    let deputy = s.login("陆靖英").await;
    let r = s
        .req(
            Method::POST,
            "/v1/admin/open311-keys",
            Some(&deputy.access_token),
        )
        .json(&json!({"label": "mine", "user": s.person("陆靖英").id}))
        .send()
        .await
        .expect("issue");
    assert_eq!(r.status(), 403);

    let form = |key: &'static str| {
        let mut f = vec![
            ("service_code", "C03-02"),
            ("lat", "30.51"),
            ("long", "120.68"),
            ("description", "路灯不亮"),
        ];
        if !key.is_empty() {
            f.push(("api_key", key));
        }
        f
    };
    let staff: &'static str = Box::leak(staff_key.into_boxed_str());
    let good: &'static str = Box::leak(deputy_key.into_boxed_str());
    for fmt in ["json", "xml"] {
        for key in ["", "mqk_not-a-key", staff] {
            let (status, body) = post(&s, fmt, &form(key)).await;
            assert_eq!(status, 403, "{key}: {body}");
            assert_eq!(error_code(&body, fmt == "xml"), 403);
        }
        let (status, body) = post(&s, fmt, &form(good)).await;
        assert_eq!(status, 201, "{body}");
        for key in ["", "mqk_not-a-key"] {
            let (status, _, body) =
                text(&s, &format!("/open311/v2/requests.{fmt}?api_key={key}")).await;
            assert_eq!(status, 403);
            assert_eq!(error_code(&body, fmt == "xml"), 403);
        }
        // A staff key reads.
        let (status, _, _) = text(&s, &format!("/open311/v2/requests.{fmt}?api_key={staff}")).await;
        assert_eq!(status, 200);
    }
    // Bad input with a good key: 400.
    let (status, body) = post(
        &s,
        "json",
        &[
            ("api_key", good),
            ("service_code", "C99-99"),
            ("lat", "30.5"),
            ("long", "120.6"),
        ],
    )
    .await;
    assert_eq!((status, error_code(&body, false)), (400, 400), "{body}");
    let (status, body) = post(&s, "json", &[("api_key", good), ("service_code", "C03-02")]).await;
    assert_eq!(status, 400, "no place: {body}");
    let (status, body) = post(
        &s,
        "json",
        &[
            ("api_key", good),
            ("service_code", "C03-02"),
            ("lat", "95"),
            ("long", "120"),
        ],
    )
    .await;
    assert_eq!(status, 400, "not WGS-84: {body}");

    // Revoked: refused at once; listed as revoked.
    let r = s
        .req(
            Method::DELETE,
            &format!("/v1/admin/open311-keys/{deputy_id}"),
            Some(&admin),
        )
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 204);
    for fmt in ["json", "xml"] {
        let (status, body) = post(&s, fmt, &form(good)).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body, fmt == "xml"), 403);
        let (status, _, _) = text(&s, &format!("/open311/v2/requests.{fmt}?api_key={good}")).await;
        assert_eq!(status, 403);
    }
    let keys: Value = get_v1(&s, "/v1/admin/open311-keys", &admin, "keys").await;
    let keys = keys["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2);
    let revoked = keys
        .iter()
        .find(|k| k["id"] == deputy_id.as_str())
        .expect("listed");
    assert!(revoked["revoked_at"].is_i64(), "{revoked}");
    assert!(
        !serde_json::to_string(&keys).expect("json").contains(good),
        "the key itself is never listed"
    );
    // Stored only as its HMAC.
    let state = s.state.clone();
    let good_owned = good.to_owned();
    let stored = tokio::task::spawn_blocking(move || {
        state
            .db
            .api_key_by_hash(&good_owned)
            .expect("read")
            .is_some()
    })
    .await
    .expect("task");
    assert!(!stored, "the key is not stored as itself");
}

/// A POSTed request is a deputy's report: the routing rule sends 市政设施 in
/// 海洲街道 to the housing bureau, whose contact sees it in the app beside the
/// same deputy's report from the phone, with a running deadline, and is told
/// of both alike; the Open311 answer says where it went.
async fn posted_request_reaches_the_unit(s: TestServer) {
    let admin = s.login("系统管理员").await.access_token;
    let (_, key) = issue_key(&s, &admin, "陆靖英").await;
    let deputy = s.login("陆靖英").await.access_token;
    let from_app = support::tickets::new("西山路另一处窨井盖破损");
    let app_id = from_app.id;
    let from_app = minqing_protocol::NewTicket {
        category: Some("C03".into()),
        item: Some("C03-02".into()),
        ..from_app
    };
    push_report(&s, &deputy, from_app).await;

    let (status, body) = post(
        &s,
        "xml",
        &[
            ("api_key", key.as_str()),
            ("service_code", "C03-02"),
            ("lat", "30.5101"),
            ("long", "120.6822"),
            ("description", "西山路人行道窨井盖破损"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let el = parse_xml(&body);
    assert_eq!(el.name, "service_requests");
    let request = &el.children[0];
    let field = |n: &str| {
        request
            .children
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.text.clone())
            .unwrap_or_default()
    };
    let id = field("service_request_id");
    assert!(
        field("service_notice").contains("市住房和城乡建设局"),
        "{body}"
    );

    let unit = s.login("住建联络员").await;
    let t: Ticket = get_v1(
        &s,
        &format!("/v1/tickets/{id}"),
        &unit.access_token,
        "the unit sees it",
    )
    .await;
    assert_eq!(t.state, minqing_protocol::TicketState::Routed);
    assert_eq!(t.reporter, s.person("陆靖英").id);
    assert_eq!(t.item.as_deref(), Some("C03-02"));
    assert_eq!(t.category.as_deref(), Some("C03"));
    assert_eq!(t.jurisdiction.as_deref(), Some("haizhou"));
    let clocks: Value = get_v1(
        &s,
        &format!("/v1/tickets/{id}/clocks"),
        &unit.access_token,
        "clocks json",
    )
    .await;
    assert!(
        !clocks["clocks"].as_array().expect("clocks").is_empty(),
        "{clocks}"
    );
    let inbox: Value = get_v1(&s, "/v1/notifications", &unit.access_token, "inbox json").await;
    let told = |ticket: &str| {
        inbox["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .filter(|n| n.to_string().contains(ticket))
            .count()
    };
    assert_eq!(
        told(&id),
        told(&app_id.to_string()),
        "the unit is told of the POSTed request as of the deputy's own: {inbox}"
    );
    let app: Ticket = get_v1(
        &s,
        &format!("/v1/tickets/{app_id}"),
        &unit.access_token,
        "the unit sees the deputy's own report",
    )
    .await;
    assert_eq!(
        (app.state, app.assigned_unit, app.jurisdiction.as_deref()),
        (t.state, t.assigned_unit, t.jurisdiction.as_deref()),
        "routed alike"
    );
    // And Open311 shows the unit responsible.
    let one = get_json(&s, &format!("/open311/v2/requests/{id}.json?api_key={key}")).await;
    assert_eq!(one[0]["agency_responsible"], "市住房和城乡建设局");
    assert_eq!(one[0]["status"], "open");
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::start().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(s) = super::support::start_pg().await {
                    super::$name(s).await;
                }
            }
        }
    )*};
}

on_both!(
    answers_match_the_published_schemas,
    no_contact_in_any_answer,
    filters,
    keys_are_checked,
    posted_request_reaches_the_unit,
);
