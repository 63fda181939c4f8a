//! An in-process server on a loopback port (real HTTP, a real SQLite file or,
//! with `start_pg`, a fresh PostgreSQL database) and a small client for the API
//! tests. [`db`] has the storage backends for store-level tests.

#![allow(dead_code)]

pub mod db;
pub mod fixture;
pub mod push_vendors;
pub mod tickets;

use minqing_protocol::wire::SessionTokens;
use minqing_server::app::{Config, Server};
use minqing_server::seed::{seed_demo, DemoUser};
use std::path::PathBuf;

pub struct TestServer {
    pub url: String,
    /// Set when the server runs on PostgreSQL.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub people: Vec<DemoUser>,
    pub http: reqwest::Client,
    /// The server's state (its database, throttle, …), for tests that look inside.
    pub state: minqing_server::http::AppState,
    _dir: tempfile::TempDir,
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

pub async fn start_with(tune: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = Config {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".into(),
        ..Config::default()
    };
    tune(&mut config);
    let server = Server::bind(&config).await.expect("bind");
    let state = server.state().clone();
    let db = server.state().db.clone();
    // Off the async workers: the PostgreSQL client blocks.
    let people = tokio::task::spawn_blocking(move || seed_demo(&db))
        .await
        .expect("seed task")
        .expect("seed");
    let url = format!("http://{}", server.addr);
    tokio::spawn(server.run());
    TestServer {
        url,
        database_url: config.database_url,
        data_dir: config.data_dir,
        people,
        http: reqwest::Client::new(),
        state,
        _dir: dir,
    }
}

/// The same server on a fresh PostgreSQL database (`None`: skipped, see [`db`]).
pub async fn start_pg() -> Option<TestServer> {
    let url = tokio::task::spawn_blocking(db::fresh_pg_url)
        .await
        .expect("create database")?;
    Some(start_with(|c| c.database_url = Some(url)).await)
}

impl TestServer {
    pub fn person(&self, name: &str) -> &DemoUser {
        self.people
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no demo user {name}"))
    }

    pub fn u(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// The newest code texted to `phone`. Texts are handed to the gateway by a
    /// worker just after the answer: this waits (up to 5 s) until the worker
    /// has sent everything queued, then reads `sms.log`.
    pub fn latest_code(&self, phone: &str) -> Option<String> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.state.auth.sms_pending() > 0 && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let log = std::fs::read_to_string(self.data_dir.join("sms.log")).unwrap_or_default();
        minqing_server::sms::latest_code(&log, phone)
    }

    /// Log in through the SMS-code flow.
    pub async fn login(&self, name: &str) -> SessionTokens {
        let phone = self.person(name).phone.clone();
        self.login_phone(&phone).await
    }

    /// Log in by phone number (someone the demo seed did not print).
    pub async fn login_phone(&self, phone: &str) -> SessionTokens {
        let phone = phone.to_owned();
        let r = self
            .http
            .post(self.u("/v1/auth/sms-code"))
            .json(&serde_json::json!({ "phone": phone }))
            .send()
            .await
            .expect("sms-code");
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        let code = self.latest_code(&phone).expect("a code in sms.log");
        let r = self
            .http
            .post(self.u("/v1/auth/login"))
            .json(&serde_json::json!({ "phone": phone, "code": code, "device": "test" }))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 200);
        r.json().await.expect("tokens")
    }

    /// A request with the bearer token and the protocol header.
    pub fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let b = self
            .http
            .request(method, self.u(path))
            .header("minqing-protocol", "1");
        match token {
            Some(t) => b.bearer_auth(t),
            None => b,
        }
    }
}
