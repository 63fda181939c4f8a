//! The HTTP API over real loopback HTTP: every role against every endpoint
//! (deny by default), login and session rules, and the bad requests the server
//! must refuse with a clear, typed answer while losing nothing.

mod support;

use minqing_protocol::ClientId;
use reqwest::Method;
use support::fixture::fixture;
use support::{start, TestServer};

/// Every role (and nobody) against every endpoint. `None` in a row means
/// "not logged in".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_endpoint() {
    every_role_against_every_endpoint_on(start().await).await;
}

/// The same table with the server on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_endpoint_on_postgres() {
    if let Some(s) = support::start_pg().await {
        every_role_against_every_endpoint_on(s).await;
    }
}

async fn every_role_against_every_endpoint_on(s: TestServer) {
    let names = [
        "陆靖英",         // city deputy, reporter, three-streets group
        "王建国",         // city deputy, same group
        "杜玉妹",         // town deputy, another group
        "移动联络员",     // unit contact, member of every group
        "移动负责人",     // unit head
        "孟宪珂",         // coordinator of the three-streets group
        "陈芊含",         // town staff of another town
        "市人大工作人员", // city staff
        "系统管理员",     // admin
    ];
    let mut tokens = Vec::new();
    for n in names {
        tokens.push((n, Some(s.login(n).await)));
    }
    tokens.push(("(nobody)", None));
    let deputy = tokens[0].1.clone().expect("deputy");
    let (ticket, photo, done_url, open_url) = fixture(&s, &deputy).await;

    // May this caller see the ticket (and its photo)?
    let sees = |n: &str| {
        matches!(
            n,
            "陆靖英"
                | "王建国"
                | "移动联络员"
                | "移动负责人"
                | "孟宪珂"
                | "市人大工作人员"
                | "系统管理员"
        )
    };
    let mut table = Vec::new();
    for (name, tok) in &tokens {
        let t = tok.as_ref().map(|t| t.access_token.as_str());
        let authed = t.is_some();
        let owner = *name == "陆靖英";
        let mut check = |what: &str, got: u16, want: u16| {
            table.push(format!("{name:<8} {what:<28} {got}"));
            assert_eq!(got, want, "{name}: {what}");
        };
        let st = |r: reqwest::Response| r.status().as_u16();
        let anon_or = |ok: u16| if authed { ok } else { 401 };

        check(
            "GET /health",
            st(s.req(Method::GET, "/health", t).send().await.expect("r")),
            200,
        );
        check(
            "GET /openapi.json",
            st(s.req(Method::GET, "/openapi.json", t)
                .send()
                .await
                .expect("r")),
            200,
        );
        check(
            "GET /v1/me",
            st(s.req(Method::GET, "/v1/me", t).send().await.expect("r")),
            anon_or(200),
        );
        check(
            "GET /v1/sync/pull",
            st(s.req(Method::GET, "/v1/sync/pull", t)
                .send()
                .await
                .expect("r")),
            anon_or(200),
        );
        let r = s
            .req(Method::POST, "/v1/sync/push", t)
            .json(&serde_json::json!({ "client_id": ClientId::new(), "mutations": [] }))
            .send()
            .await
            .expect("r");
        check("POST /v1/sync/push (empty)", st(r), anon_or(200));
        let r = s.req(Method::GET, "/v1/events", t).send().await.expect("r");
        check("GET /v1/events", st(r), anon_or(200));
        let r = s
            .req(Method::GET, &format!("/v1/tickets/{ticket}"), t)
            .send()
            .await
            .expect("r");
        check(
            "GET /v1/tickets/{id}",
            st(r),
            anon_or(if sees(name) { 200 } else { 404 }),
        );
        // The review levels: each view names the roles it serves.
        let deputy_role = matches!(*name, "陆靖英" | "王建国" | "杜玉妹");
        let supervisor = matches!(*name, "孟宪珂" | "陈芊含" | "市人大工作人员");
        for (path, ok) in [
            ("/v1/weekly/2026-W48", deputy_role),
            ("/v1/weekly/2026-W48/all", supervisor),
            ("/v1/review/town/2026-11", *name == "陈芊含"),
            ("/v1/review/city/2026-11", *name == "市人大工作人员"),
            ("/v1/assignments/2026-11", *name == "市人大工作人员"),
        ] {
            let r = s.req(Method::GET, path, t).send().await.expect("r");
            check(
                &format!("GET {path}"),
                st(r),
                anon_or(if ok { 200 } else { 403 }),
            );
        }
        let r = s
            .req(Method::GET, &format!("/v1/tickets/{ticket}/clocks"), t)
            .send()
            .await
            .expect("r");
        check(
            "GET /v1/tickets/{id}/clocks",
            st(r),
            anon_or(if sees(name) { 200 } else { 404 }),
        );
        let r = s
            .req(Method::GET, "/v1/jurisdictions", t)
            .send()
            .await
            .expect("r");
        check("GET /v1/jurisdictions", st(r), anon_or(200));
        let r = s
            .req(Method::GET, "/v1/notifications", t)
            .send()
            .await
            .expect("r");
        check("GET /v1/notifications", st(r), anon_or(200));
        let r = s
            .req(Method::GET, "/v1/admin/reference", t)
            .send()
            .await
            .expect("r");
        let is_admin = *name == "系统管理员";
        check(
            "GET /v1/admin/reference",
            st(r),
            anon_or(if is_admin { 200 } else { 403 }),
        );
        let r = s
            .req(Method::PUT, &format!("/v1/admin/groups/{}", uuid::Uuid::now_v7()), t)
            .json(&serde_json::json!({ "name_zh": "测试群", "name_en": "Test", "jurisdiction": "haizhou" }))
            .send()
            .await
            .expect("r");
        check(
            "PUT /v1/admin/groups/{id}",
            st(r),
            anon_or(if is_admin { 200 } else { 403 }),
        );
        let r = s
            .req(Method::PUT, "/v1/weekly/2026-W48", t)
            .json(&serde_json::json!({ "contacts": 0, "note": "本周无事项" }))
            .send()
            .await
            .expect("r");
        check(
            "PUT /v1/weekly/{week}",
            st(r),
            anon_or(if deputy_role { 200 } else { 403 }),
        );
        let r = s
            .req(Method::GET, &format!("/v1/tickets/{ticket}/duplicates"), t)
            .send()
            .await
            .expect("r");
        check(
            "GET /v1/tickets/{id}/duplicates",
            st(r),
            anon_or(if sees(name) { 200 } else { 404 }),
        );
        let r = s
            .req(Method::GET, &format!("/v1/photos/{photo}"), t)
            .send()
            .await
            .expect("r");
        check(
            "GET /v1/photos/{id}",
            st(r),
            anon_or(if sees(name) { 200 } else { 404 }),
        );
        for (m, url, ok) in [
            (Method::HEAD, done_url.as_str(), 200),
            (Method::HEAD, open_url.as_str(), 200),
            (Method::PATCH, open_url.as_str(), 409), // wrong offset on purpose
        ] {
            let r = s
                .req(m.clone(), url, t)
                .header("tus-resumable", "1.0.0")
                .header("content-type", "application/offset+octet-stream")
                .header("upload-offset", "999")
                .body(Vec::<u8>::new())
                .send()
                .await
                .expect("r");
            check(
                &format!("{m} /v1/uploads/{{id}}"),
                st(r),
                anon_or(if owner { ok } else { 404 }),
            );
        }
        // Termination: the owner may end an unfinished upload, not a finished one.
        for (url, ok) in [(open_url.as_str(), 204), (done_url.as_str(), 409)] {
            let r = s
                .req(Method::DELETE, url, t)
                .header("tus-resumable", "1.0.0")
                .send()
                .await
                .expect("r");
            check(
                "DELETE /v1/uploads/{id}",
                st(r),
                anon_or(if owner { ok } else { 404 }),
            );
        }
        let r = s
            .req(Method::POST, "/v1/auth/logout", t)
            .send()
            .await
            .expect("r");
        check("POST /v1/auth/logout", st(r), anon_or(204));
        // Logged out: the token is dead everywhere.
        check(
            "GET /v1/me after logout",
            st(s.req(Method::GET, "/v1/me", t).send().await.expect("r")),
            401,
        );
    }
    eprintln!("{}", table.join("\n"));
}
