//! Access control on every route (issue 15 item 1): the role × operation
//! matrix, over real loopback HTTP, on SQLite and on PostgreSQL.
//!
//! The operations are the server's own list: every operation of the OpenAPI
//! document it serves, which is generated from the router itself
//! (utoipa-axum registers each route from its handler's `#[utoipa::path]`,
//! ADR 0016). So a route added without a row here fails the test, and so does
//! a row for a route that no longer exists. Nothing here is a hand list of
//! routes to remember.
//!
//! Each operation is called by every demo role and by nobody:
//! - nobody gets 401 wherever the document asks for a session (`security`);
//! - a caller the row does not let in gets 403 — or 404 where the rule is
//!   visibility (an item, photo or upload that is not theirs to know of);
//! - a caller the row lets in gets past the gate: anything but 401/403 (and
//!   not 404 either, on visibility rows). Write bodies are `{}` unless the
//!   role is decided after the body is read, so what passes changes nothing.
//!
//! Removing an `Admin` extractor, a role check or a visibility filter from any
//! handler turns a cell red.

mod support;

use minqing_protocol::wire::SessionTokens;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use support::fixture::fixture;
use support::{start, start_pg, TestServer};

/// Every demo role: two city deputies of the three-streets group (陆靖英 files
/// the fixture item), a town deputy of another group, a unit's contact and
/// head, the three-streets coordinator, town staff of another town and of
/// 海洲街道 (three streets), city staff, the administrator.
const PEOPLE: [&str; 10] = [
    "陆靖英",
    "王建国",
    "杜玉妹",
    "移动联络员",
    "移动负责人",
    "孟宪珂",
    "陈芊含",
    "沈晓燕",
    "市人大工作人员",
    "系统管理员",
];

/// What a caller must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// Past the gate: not 401 or 403.
    Pass,
    /// Past the gate and allowed to know the thing: not 401, 403 or 404.
    Found,
    /// Exactly this status.
    Is(u16),
}

/// Who may, by name (`None`: nobody signed in, only asked of operations the
/// document leaves open).
type Rule = fn(Option<&str>) -> Want;

fn one_of(who: Option<&str>, names: &[&str], otherwise: u16) -> Want {
    match who {
        Some(n) if names.contains(&n) => Want::Pass,
        _ => Want::Is(otherwise),
    }
}

fn anyone(_: Option<&str>) -> Want {
    Want::Pass
}
fn signed_in(_: Option<&str>) -> Want {
    Want::Pass
}
fn admin(w: Option<&str>) -> Want {
    one_of(w, &["系统管理员"], 403)
}
fn city_staff(w: Option<&str>) -> Want {
    one_of(w, &["市人大工作人员"], 403)
}
fn town_staff(w: Option<&str>) -> Want {
    one_of(w, &["陈芊含", "沈晓燕"], 403)
}
/// Coordinators and staff (`Role::supervises`).
fn supervisors(w: Option<&str>) -> Want {
    one_of(w, &["孟宪珂", "陈芊含", "沈晓燕", "市人大工作人员"], 403)
}
fn deputies(w: Option<&str>) -> Want {
    one_of(w, &["陆靖英", "王建国", "杜玉妹"], 403)
}
/// Who sees the fixture item (filed by 陆靖英 into the three-streets group's
/// pool): its group's people, the units routed there (the pool is every
/// member unit's), city staff and the administrator — not another group's
/// deputy or town staff. Everyone else is told it does not exist.
fn sees(w: Option<&str>) -> Want {
    match one_of(
        w,
        &[
            "陆靖英",
            "王建国",
            "移动联络员",
            "移动负责人",
            "孟宪珂",
            "沈晓燕",
            "市人大工作人员",
            "系统管理员",
        ],
        404,
    ) {
        Want::Pass => Want::Found,
        other => other,
    }
}
/// An upload is its uploader's alone.
fn uploader(w: Option<&str>) -> Want {
    match w {
        Some("陆靖英") => Want::Found,
        _ => Want::Is(404),
    }
}
/// A photo goes onto the fixture item only from its reporter now (403 for
/// those who see it, 404 for the rest).
fn may_attach(w: Option<&str>) -> Want {
    match (w, sees(w)) {
        (Some("陆靖英"), _) => Want::Found,
        (_, Want::Found) => Want::Is(403),
        (_, other) => other,
    }
}
/// Reports and the master ledger: city staff and the administrator (the
/// whole city), town staff (their own town).
fn report_staff(w: Option<&str>) -> Want {
    one_of(
        w,
        &["陈芊含", "沈晓燕", "市人大工作人员", "系统管理员"],
        403,
    )
}
/// 陆靖英's 履职台帐: hers, and the city's staff and administrator.
fn her_ledger(w: Option<&str>) -> Want {
    one_of(w, &["陆靖英", "市人大工作人员", "系统管理员"], 403)
}
/// China Mobile's ledger: its own people, and the city's.
fn mobile_ledger(w: Option<&str>) -> Want {
    one_of(
        w,
        &["移动联络员", "移动负责人", "市人大工作人员", "系统管理员"],
        403,
    )
}
/// Open311 requests and tokens need an `api_key` (a bearer token is not
/// one): 403 for everyone here.
fn open311_key(_: Option<&str>) -> Want {
    Want::Is(403)
}
/// The console's session check reads the cookie only.
fn console_cookie(_: Option<&str>) -> Want {
    Want::Is(401)
}

/// One request of an operation.
struct Call {
    path: String,
    rule: Rule,
    headers: Vec<(&'static str, String)>,
    /// `None`: `{}` for POST/PUT/PATCH, nothing otherwise; `Null`: an empty
    /// body; a string: sent as it is (with the row's content type).
    body: Option<Value>,
    /// Ends the caller's session: made with a fresh one.
    ends_session: bool,
}

fn call(path: impl Into<String>, rule: Rule) -> Call {
    Call {
        path: path.into(),
        rule,
        body: None,
        headers: Vec::new(),
        ends_session: false,
    }
}

/// The ids the rows need.
struct Fix {
    /// 陆靖英's user id.
    deputy: String,
    /// China Mobile's unit id.
    unit: String,
    ticket: String,
    photo: String,
    finished_upload: String,
    open_upload: String,
}

/// The matrix: "METHOD /path as documented" → its calls. Write operations
/// send `{}` unless a row gives its body.
fn rows(f: &Fix) -> BTreeMap<&'static str, Vec<Call>> {
    let new_id = || uuid::Uuid::now_v7().to_string();
    let t = &f.ticket;
    let tus = |mut c: Call, extra: &[(&'static str, String)]| {
        c.headers.push(("tus-resumable", "1.0.0".into()));
        c.headers.extend(extra.iter().cloned());
        c
    };
    let weekly = json!({ "contacts": 0, "note": "本周无事项" });
    let mut m: BTreeMap<&'static str, Vec<Call>> = BTreeMap::new();
    let mut add = |op: &'static str, calls: Vec<Call>| {
        assert!(m.insert(op, calls).is_none(), "{op} twice");
    };
    // Open to all.
    add("GET /health", vec![call("/health", anyone)]);
    add("GET /openapi.json", vec![call("/openapi.json", anyone)]);
    for op in [
        "POST /v1/auth/sms-code",
        "POST /v1/auth/login",
        "POST /v1/auth/password",
        "POST /v1/auth/refresh",
        "POST /v1/console/login",
    ] {
        add(op, vec![call(&op[5..], anyone)]);
    }
    add("OPTIONS /v1/uploads", vec![call("/v1/uploads", anyone)]);
    add(
        "OPTIONS /v1/uploads/{id}",
        vec![call(&f.open_upload, anyone)],
    );
    // Open311: discovery and services are public; requests need a key.
    for (op, path, rule) in [
        (
            "GET /open311/v2/discovery.json",
            "/open311/v2/discovery.json",
            anyone as Rule,
        ),
        (
            "GET /open311/v2/discovery.xml",
            "/open311/v2/discovery.xml",
            anyone,
        ),
        (
            "GET /open311/v2/services.json",
            "/open311/v2/services.json",
            anyone,
        ),
        (
            "GET /open311/v2/services.xml",
            "/open311/v2/services.xml",
            anyone,
        ),
        (
            "GET /open311/v2/services/{file}",
            "/open311/v2/services/C03-02.json",
            anyone,
        ),
        (
            "GET /open311/v2/requests.json",
            "/open311/v2/requests.json",
            open311_key,
        ),
        (
            "GET /open311/v2/requests.xml",
            "/open311/v2/requests.xml",
            open311_key,
        ),
        (
            "GET /open311/v2/tokens/{file}",
            "/open311/v2/tokens/x.json",
            open311_key,
        ),
    ] {
        add(op, vec![call(path, rule)]);
    }
    // A request filed as the spec has it (a form), without an api_key.
    for op in [
        "POST /open311/v2/requests.json",
        "POST /open311/v2/requests.xml",
    ] {
        let mut c = call(&op[5..], open311_key);
        c.body = Some(Value::String(
            "service_code=C03-02&lat=30.5102&long=120.6801&description=%E4%BA%95%E7%9B%96".into(),
        ));
        c.headers
            .push(("content-type", "application/x-www-form-urlencoded".into()));
        add(op, vec![c]);
    }
    add(
        "GET /open311/v2/requests/{file}",
        vec![call(format!("/open311/v2/requests/{t}.json"), open311_key)],
    );
    // Every signed-in person: their own things and the shared reference.
    for op in [
        "GET /v1/me",
        "GET /v1/sync/pull",
        "POST /v1/sync/push",
        "GET /v1/events",
        "GET /v1/jurisdictions",
        "GET /v1/notifications",
        "POST /v1/notifications/read",
        "GET /v1/reference",
        "GET /v1/taxonomy",
        // A session's own push token.
        "POST /v1/devices",
        "DELETE /v1/devices",
        // The console's lists answer with the caller's own scope.
        "GET /v1/board",
        "GET /v1/items",
        "GET /v1/items/export",
    ] {
        add(
            op,
            vec![call(&op[op.find(' ').map_or(0, |i| i + 1)..], signed_in)],
        );
    }
    add(
        "GET /v1/console/session",
        vec![call("/v1/console/session", console_cookie)],
    );
    for op in ["POST /v1/auth/logout", "POST /v1/console/logout"] {
        add(
            op,
            vec![Call {
                ends_session: true,
                ..call(&op[5..], signed_in)
            }],
        );
    }
    // One item: only those who may know of it.
    for op in [
        "GET /v1/tickets/{id}",
        "GET /v1/tickets/{id}/clocks",
        "GET /v1/tickets/{id}/duplicates",
        "GET /v1/items/{id}",
    ] {
        let path = op[4..].replace("{id}", t);
        add(op, vec![call(path, sees)]);
    }
    add(
        "GET /v1/photos/{id}",
        vec![call(format!("/v1/photos/{}", f.photo), sees)],
    );
    // Uploads: creating one names an item the caller may attach to now; an
    // upload is its uploader's.
    let announce = [
        ("upload-length", "100".to_owned()),
        (
            "upload-metadata",
            format!(
                "photo_id {},ticket_id {},sha256 {},filetype {}",
                support::fixture::b64(&new_id()),
                support::fixture::b64(t),
                support::fixture::b64(&"0".repeat(64)),
                support::fixture::b64("image/jpeg")
            ),
        ),
    ];
    add(
        "POST /v1/uploads",
        vec![tus(call("/v1/uploads", may_attach), &announce)],
    );
    add(
        "HEAD /v1/uploads/{id}",
        vec![tus(call(&f.open_upload, uploader), &[])],
    );
    add(
        "PATCH /v1/uploads/{id}",
        vec![tus(
            Call {
                body: Some(Value::Null),
                ..call(&f.open_upload, uploader)
            },
            &[
                ("content-type", "application/offset+octet-stream".into()),
                ("upload-offset", "999".into()),
            ],
        )],
    );
    // (A finished upload: its uploader is told it cannot be ended, 409.)
    add(
        "DELETE /v1/uploads/{id}",
        vec![tus(call(&f.finished_upload, uploader), &[])],
    );
    // Review and supervision.
    add(
        "GET /v1/weekly/{week}",
        vec![call("/v1/weekly/2026-W48", deputies)],
    );
    add(
        "PUT /v1/weekly/{week}",
        vec![Call {
            body: Some(weekly),
            ..call("/v1/weekly/2026-W48", deputies)
        }],
    );
    add(
        "GET /v1/weekly/{week}/all",
        vec![call("/v1/weekly/2026-W48/all", supervisors)],
    );
    add(
        "GET /v1/review/{level}/{month}",
        vec![
            call("/v1/review/town/2026-11", town_staff),
            call("/v1/review/city/2026-11", city_staff),
        ],
    );
    add(
        "GET /v1/assignments",
        vec![call("/v1/assignments", city_staff)],
    );
    add(
        "GET /v1/assignments/{list}",
        vec![call("/v1/assignments/x", city_staff)],
    );
    // Reports and ledgers (a DOCX: no browser is started to print a PDF).
    add(
        "GET /v1/stats",
        vec![call("/v1/stats?period=2026-10", report_staff)],
    );
    add(
        "GET /v1/stats/items",
        vec![call(
            "/v1/stats/items?period=2026-10&figure=received",
            report_staff,
        )],
    );
    add(
        "GET /v1/reports/{period}",
        vec![call("/v1/reports/2026-10?format=docx", report_staff)],
    );
    add(
        "GET /v1/ledgers/master",
        vec![call("/v1/ledgers/master?period=2026-10", report_staff)],
    );
    add(
        "GET /v1/ledgers/deputy/{user}",
        vec![call(format!("/v1/ledgers/deputy/{}", f.deputy), her_ledger)],
    );
    add(
        "GET /v1/ledgers/unit/{unit}",
        vec![call(format!("/v1/ledgers/unit/{}", f.unit), mobile_ledger)],
    );
    // The administrator's.
    for (op, path) in [
        ("GET /v1/admin/reference", "/v1/admin/reference".to_owned()),
        ("GET /v1/admin/directory", "/v1/admin/directory".to_owned()),
        (
            "GET /v1/admin/contact-access",
            "/v1/admin/contact-access".to_owned(),
        ),
        ("GET /v1/admin/lockouts", "/v1/admin/lockouts".to_owned()),
        (
            "DELETE /v1/admin/lockouts/{phone}",
            "/v1/admin/lockouts/13999990000".to_owned(),
        ),
        (
            "GET /v1/admin/open311-keys",
            "/v1/admin/open311-keys".to_owned(),
        ),
        (
            "POST /v1/admin/open311-keys",
            "/v1/admin/open311-keys".to_owned(),
        ),
        (
            "DELETE /v1/admin/open311-keys/{id}",
            format!("/v1/admin/open311-keys/{}", new_id()),
        ),
        ("PUT /v1/admin/taxonomy", "/v1/admin/taxonomy".to_owned()),
        ("PUT /v1/admin/routing", "/v1/admin/routing".to_owned()),
        (
            "PUT /v1/admin/calendar/{year}",
            "/v1/admin/calendar/2026".to_owned(),
        ),
        (
            "PUT /v1/admin/jurisdictions/{code}",
            "/v1/admin/jurisdictions/haining".to_owned(),
        ),
        (
            "PUT /v1/admin/units/{id}",
            format!("/v1/admin/units/{}", new_id()),
        ),
        (
            "PUT /v1/admin/groups/{id}",
            format!("/v1/admin/groups/{}", new_id()),
        ),
        (
            "PUT /v1/admin/users/{id}",
            format!("/v1/admin/users/{}", new_id()),
        ),
        (
            "GET /v1/admin/groups/{id}/robots",
            format!("/v1/admin/groups/{}/robots", new_id()),
        ),
        (
            "PUT /v1/admin/groups/{id}/robots/{kind}",
            format!("/v1/admin/groups/{}/robots/wecom", new_id()),
        ),
        (
            "DELETE /v1/admin/groups/{id}/robots/{kind}",
            format!("/v1/admin/groups/{}/robots/wecom", new_id()),
        ),
    ] {
        add(op, vec![call(path, admin)]);
    }
    m
}

/// The operations the server documents, as "METHOD /path", with whether
/// each asks for a session.
async fn operations(s: &TestServer) -> BTreeMap<String, bool> {
    let doc: Value = s
        .http
        .get(s.u("/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let mut out = BTreeMap::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            if !matches!(
                method.as_str(),
                "get" | "put" | "post" | "delete" | "patch" | "head" | "options"
            ) {
                continue;
            }
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            out.insert(format!("{} {path}", method.to_uppercase()), secured);
        }
    }
    out
}

/// Another session for `name`: by password where the demo gave one; by SMS
/// code otherwise, once the number's wait between two codes (60 s, the
/// default `CodePolicy`) since the matrix's logins is over.
async fn fresh_session(s: &TestServer, name: &str, logged_in: Instant) -> String {
    let person = s.person(name).clone();
    if let Some(pw) = &person.password {
        let r = s
            .http
            .post(s.u("/v1/auth/password"))
            .json(&json!({ "phone": person.phone, "password": pw }))
            .send()
            .await
            .expect("password");
        assert_eq!(r.status(), 200, "{name}");
        let t: SessionTokens = r.json().await.expect("tokens");
        return t.access_token;
    }
    let wait = Duration::from_secs(61).saturating_sub(logged_in.elapsed());
    tokio::time::sleep(wait).await;
    s.login(name).await.access_token
}

fn ok(want: Want, got: u16) -> bool {
    match want {
        Want::Pass => got != 401 && got != 403,
        Want::Found => got != 401 && got != 403 && got != 404,
        Want::Is(s) => got == s,
    }
}

async fn matrix(s: TestServer) {
    let logged_in = Instant::now();
    let mut tokens: Vec<(Option<&str>, Option<SessionTokens>)> = Vec::new();
    for n in PEOPLE {
        tokens.push((Some(n), Some(s.login(n).await)));
    }
    tokens.push((None, None));
    let deputy = tokens[0].1.clone().expect("deputy");
    let (ticket, photo, finished_upload, open_upload) = fixture(&s, &deputy).await;
    let liaison = tokens[3].1.clone().expect("liaison");
    let me: Value = s
        .req(Method::GET, "/v1/me", Some(&liaison.access_token))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let fix = Fix {
        deputy: s.person("陆靖英").id.to_string(),
        unit: me["unit"].as_str().expect("the liaison's unit").to_owned(),
        ticket: ticket.to_string(),
        photo: photo.to_string(),
        finished_upload,
        open_upload,
    };
    let documented = operations(&s).await;
    let table = rows(&fix);
    let ops: BTreeSet<&str> = documented.keys().map(String::as_str).collect();
    let covered: BTreeSet<&str> = table.keys().copied().collect();
    let missing: Vec<_> = ops.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&ops).collect();
    assert!(
        missing.is_empty(),
        "operations the server routes with no row in the matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for operations the server does not route: {stale:?}"
    );

    let mut wrong = Vec::new();
    let mut cells = 0;
    // Operations that end a session go last. The first of them is made with
    // each caller's session of the matrix; each later one with a session of
    // its own (`fresh_session`).
    let mut order: Vec<(&&str, &Vec<Call>)> = table.iter().collect();
    order.sort_by_key(|(_, calls)| calls.iter().any(|c| c.ends_session));
    let mut endings = 0;
    for (op, calls) in order {
        let secured = documented.get(*op).copied().unwrap_or(true);
        let method =
            Method::from_bytes(op.split(' ').next().unwrap_or("").as_bytes()).expect("method");
        for c in calls {
            let own_session = c.ends_session && endings > 0;
            endings += usize::from(c.ends_session);
            for (who, tok) in &tokens {
                let want = match who {
                    None if secured => Want::Is(401),
                    _ => (c.rule)(*who),
                };
                let token = match (who, tok) {
                    (Some(n), Some(_)) if own_session => {
                        Some(fresh_session(&s, n, logged_in).await)
                    }
                    (_, Some(t)) => Some(t.access_token.clone()),
                    _ => None,
                };
                let mut req = s.req(method.clone(), &c.path, token.as_deref());
                for (k, v) in &c.headers {
                    req = req.header(*k, v);
                }
                req = match &c.body {
                    Some(Value::Null) => req.body(Vec::<u8>::new()),
                    Some(Value::String(raw)) => req.body(raw.clone()),
                    Some(b) => req.json(b),
                    None if matches!(method, Method::POST | Method::PUT | Method::PATCH) => {
                        req.json(&json!({}))
                    }
                    None => req,
                };
                let got = req.send().await.expect("send").status().as_u16();
                cells += 1;
                if !ok(want, got) {
                    wrong.push(format!(
                        "{op} ({}) as {}: got {got}, want {want:?}",
                        c.path,
                        who.unwrap_or("(nobody)")
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!(
        "{} operations × {} callers: {cells} cells",
        table.len(),
        tokens.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_by_every_role_on_sqlite() {
    matrix(start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_by_every_role_on_postgres() {
    if let Some(s) = start_pg().await {
        matrix(s).await;
    }
}
