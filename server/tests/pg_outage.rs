//! A server on PostgreSQL whose database goes away answers 503 with
//! Retry-After (the app retries later, nothing is lost), and serves again as
//! soon as the database is back — no restart.

mod support;

use postgres::NoTls;
use reqwest::Method;

fn admin(url: &str) -> postgres::Client {
    let mut u = url::Url::parse(url).expect("url");
    u.set_path("postgres");
    postgres::Client::connect(u.as_str(), NoTls).expect("admin connection")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_heals() {
    let Some(s) = support::start_pg().await else {
        return;
    };
    let tokens = s.login("陆靖英").await;
    let pull = || async {
        s.req(Method::GET, "/v1/sync/pull", Some(&tokens.access_token))
            .send()
            .await
            .expect("pull")
    };
    assert_eq!(pull().await.status(), 200);

    let url = s.database_url.clone().expect("on postgres");
    let name = url::Url::parse(&url).expect("url").path()[1..].to_owned();
    let cut = move |allow: bool| {
        let mut c = admin(&url);
        c.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}"))
            .expect("alter");
        if !allow {
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .expect("terminate");
        }
    };
    let down = cut.clone();
    tokio::task::spawn_blocking(move || down(false))
        .await
        .expect("cut");
    let r = pull().await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "unavailable");

    tokio::task::spawn_blocking(move || cut(true))
        .await
        .expect("heal");
    assert_eq!(
        pull().await.status(),
        200,
        "serving again without a restart"
    );
}
