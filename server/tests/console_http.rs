//! Issue 13 over real HTTP: the web console's session cookie is one more way
//! to present a session, under the API's own rules — sign-in by password and
//! by SMS code, the cookie's attributes, CSRF refused, pages answering 303 /
//! 403 / 404 as the API would, logout. SQLite and PostgreSQL.

mod support;

use support::TestServer;

/// `(cookie header value, csrf token)` after a password sign-in.
async fn sign_in(s: &TestServer, name: &str, https: bool) -> (String, String, String) {
    let p = s.person(name);
    let mut req = s.http.post(s.u("/v1/console/login")).json(
        &serde_json::json!({ "phone": p.phone, "password": p.password.clone().expect("staff") }),
    );
    if https {
        req = req.header("x-forwarded-proto", "https");
    }
    let r = req.send().await.expect("login");
    assert_eq!(r.status(), 200);
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_owned();
    let body: serde_json::Value = r.json().await.expect("json");
    let cookie = set.split(';').next().expect("pair").to_owned();
    (
        cookie,
        body["csrf_token"].as_str().expect("csrf").to_owned(),
        set,
    )
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn cookie_session_under_the_apis_rules(s: TestServer) {
    let (cookie, csrf, set) = sign_in(&s, "陈芊含", false).await;
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure");
    let (_, _, https) = sign_in(&s, "市人大工作人员", true).await;
    assert!(https.contains("; Secure"), "{https}");

    // The cookie reads like a bearer token would.
    let me: serde_json::Value = s
        .http
        .get(s.u("/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["name"], "陈芊含");

    // A state-changing request without the token: 403 csrf, nothing done.
    let push =
        serde_json::json!({ "client_id": "0190f4a2-7b1e-7c3d-8e4f-5a6b7c8d9e0f", "mutations": [] });
    for token in [None, Some("0123456789abcdef0123456789abcdef")] {
        let mut r = s
            .http
            .post(s.u("/v1/sync/push"))
            .header("cookie", &cookie)
            .header("minqing-protocol", "1")
            .json(&push);
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        let r = r.send().await.expect("push");
        assert_eq!(r.status(), 403);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"], "csrf");
    }
    // A form post (what a forged page can send) is refused the same way.
    let r = s
        .http
        .post(s.u("/v1/console/logout"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1")
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), 403);
    // With the token: through.
    let r = s
        .http
        .post(s.u("/v1/sync/push"))
        .header("cookie", &cookie)
        .header("minqing-protocol", "1")
        .header("x-csrf-token", &csrf)
        .json(&push)
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);

    // Pages: the API's decisions, before the app starts.
    let http = no_redirects();
    let r = http.get(s.u("/board")).send().await.expect("page");
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/login?next=%2Fboard")
    );
    let page = |path: &'static str| http.get(s.u(path)).header("cookie", &cookie).send();
    assert_ne!(page("/board").await.expect("board").status(), 303);
    assert_eq!(page("/admin/units").await.expect("admin").status(), 403);
    assert_eq!(page("/review/city").await.expect("city").status(), 403);
    assert_ne!(page("/review/town").await.expect("town").status(), 403);
    assert_eq!(
        page("/items/0190f4a2-7b1e-7c3d-8e4f-5a6b7c8d9e0f")
            .await
            .expect("item")
            .status(),
        404
    );
    let (admin, _, _) = sign_in(&s, "系统管理员", false).await;
    let r = http
        .get(s.u("/admin/units"))
        .header("cookie", &admin)
        .send()
        .await
        .expect("admin page");
    assert_ne!(r.status(), 403);

    // Logout ends the session and clears the cookie.
    let r = s
        .http
        .post(s.u("/v1/console/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    assert!(r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("Max-Age=0")));
    let r = s
        .http
        .get(s.u("/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_cookie_sqlite() {
    cookie_session_under_the_apis_rules(support::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_cookie_postgres() {
    if let Some(s) = support::start_pg().await {
        cookie_session_under_the_apis_rules(s).await;
    }
}
