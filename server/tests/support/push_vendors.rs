//! Fake push vendors on one loopback port, for the push tests (issue 12):
//! APNs, FCM (with Google's OAuth token endpoint), Huawei HMS Push Kit (with
//! its OAuth endpoint) and Xiaomi MiPush. Each checks a request as its vendor
//! documents it — APNs: HTTP/2, `authorization: bearer <ES256 JWT>` verified
//! with the test key (`kid`, `iss`, `iat` within the hour), `apns-topic`,
//! `apns-push-type`, a payload with `aps.alert` of at most 4096 bytes; FCM:
//! the RS256 JWT grant verified (`iss`, `scope`, `aud`, `exp` ≤ an hour), the
//! bearer token it issued, `message.token`, `notification`, string `data`;
//! HMS: the client-credentials grant, the bearer token, `message.token[]`,
//! `android.category`, `data` as a JSON string; MiPush: `Authorization:
//! key=<secret>`, the form's `registration_id`, `restricted_package_name`,
//! `title` < 50 and `description` < 128 characters, `extra.channel_id` — and
//! answers with the vendor's own success or, when a test scripted one for a
//! token, its documented error. A request that breaks the rules is answered
//! 400 and listed in [`FakeVendors::violations`].

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use minqing_server::push::apns::ApnsConfig;
use minqing_server::push::fcm::FcmConfig;
use minqing_server::push::hms::HmsConfig;
use minqing_server::push::mipush::MipushConfig;
use minqing_server::push::PushConfig;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TEAM_ID: &str = "TEAM123456";
pub const KEY_ID: &str = "KEY1234567";
pub const BUNDLE: &str = "cn.minqing.app";
pub const PACKAGE: &str = "cn.minqing.app";
pub const PROJECT: &str = "minqing-test";
pub const CLIENT_EMAIL: &str = "push@minqing-test.iam.gserviceaccount.com";
pub const HMS_APP: &str = "10086";
pub const HMS_SECRET: &str = "hms-client-secret";
pub const MI_SECRET: &str = "mi-app-secret";
pub const MI_CHANNEL: &str = "minqing_service";
const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// The test keys (also found from the workspace's `tests` crate, which
/// includes this file).
fn keys() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../server/tests/support/keys")
}

/// One request a fake vendor received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `apns`, `fcm`, `hms`, `mipush`.
    pub vendor: &'static str,
    /// When it arrived (ms since the epoch).
    pub at_ms: i64,
    pub token: String,
    pub title: String,
    pub body: String,
    /// The data field: the item …
    pub ticket: String,
    /// … and the notice's kind.
    pub kind: String,
    /// What the fake answered.
    pub status: u16,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Scripted {
    pub fn apns(status: u16, reason: &str) -> Scripted {
        let mut body = json!({ "reason": reason });
        if status == 410 {
            body["timestamp"] = json!(1_700_000_000_000i64);
        }
        Scripted {
            status,
            body,
            retry_after: None,
        }
    }

    /// FCM's error shape: `google.rpc.Status` with an `FcmError` detail.
    pub fn fcm(status: u16, rpc_status: &str, error_code: &str) -> Scripted {
        Scripted {
            status,
            body: json!({"error": {
                "code": status,
                "message": "error",
                "status": rpc_status,
                "details": [{
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": error_code,
                }],
            }}),
            retry_after: None,
        }
    }

    pub fn hms(status: u16, code: &str, msg: &str) -> Scripted {
        Scripted {
            status,
            body: json!({"code": code, "msg": msg, "requestId": "1594966942374601530033"}),
            retry_after: None,
        }
    }

    /// MiPush's success naming the token among `bad_regids`.
    pub fn mipush_bad_regid(token: &str) -> Scripted {
        Scripted {
            status: 200,
            body: json!({"result": "ok", "code": 0, "description": "成功",
                "data": {"id": "scm01b27480583432312Ei", "bad_regids": token},
                "info": "Received push messages for 1 REGID"}),
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, v: &str) -> Scripted {
        self.retry_after = Some(v.to_owned());
        self
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    violations: Vec<String>,
    scripts: HashMap<String, VecDeque<Scripted>>,
    issued: Vec<String>,
    /// Answer every send this long after it arrives (a slow vendor).
    delay: Duration,
}

#[derive(Clone)]
struct Fake {
    inner: Arc<Mutex<Inner>>,
    apns_key: Arc<DecodingKey>,
    fcm_key: Arc<DecodingKey>,
    token_uri: String,
}

/// The running fakes.
pub struct FakeVendors {
    pub url: String,
    fake: Fake,
    dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeVendors {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now_ms() -> i64 {
    minqing_server::store::now_ms()
}

impl FakeVendors {
    pub async fn start() -> FakeVendors {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let apns_pub = std::fs::read(keys().join("apns_test_pub.pem")).expect("apns key");
        let fcm_pub = std::fs::read(keys().join("fcm_test_pub.pem")).expect("fcm key");
        let fake = Fake {
            inner: Arc::default(),
            apns_key: Arc::new(DecodingKey::from_ec_pem(&apns_pub).expect("ec")),
            fcm_key: Arc::new(DecodingKey::from_rsa_pem(&fcm_pub).expect("rsa")),
            token_uri: format!("{url}/fcm/token"),
        };
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let dir = tempfile::tempdir().expect("dir");
        let account = json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test",
            "private_key": std::fs::read_to_string(keys().join("fcm_test.pem")).expect("fcm key"),
            "client_email": CLIENT_EMAIL,
            "token_uri": fake.token_uri,
        });
        std::fs::write(dir.path().join("fcm.json"), account.to_string()).expect("write");
        FakeVendors {
            url,
            fake,
            dir,
            task,
        }
    }

    /// A `[push]` configuration with all four vendors pointed at the fakes.
    pub fn config(&self) -> PushConfig {
        PushConfig {
            apns: Some(ApnsConfig {
                base_url: self.url.clone(),
                key_file: keys().join("apns_test.p8"),
                key_id: KEY_ID.into(),
                team_id: TEAM_ID.into(),
                h2c: true,
                max_in_flight: 64,
            }),
            fcm: Some(FcmConfig {
                base_url: self.url.clone(),
                service_account_file: self.dir.path().join("fcm.json"),
                h2c: false,
                max_in_flight: 64,
            }),
            hms: Some(HmsConfig {
                base_url: self.url.clone(),
                token_url: format!("{}/hms/oauth2/v3/token", self.url),
                app_id: HMS_APP.into(),
                client_secret: minqing_server::app::SecretText(HMS_SECRET.into()),
                category: "WORK".into(),
                h2c: false,
                max_in_flight: 64,
            }),
            mipush: Some(MipushConfig {
                base_url: self.url.clone(),
                app_secret: minqing_server::app::SecretText(MI_SECRET.into()),
                channel_id: MI_CHANNEL.into(),
                h2c: false,
                max_in_flight: 64,
            }),
            poll_ms: 200,
            ..PushConfig::default()
        }
    }

    /// The next answers to pushes for `token`, in order (then success).
    pub fn script(&self, token: &str, answers: Vec<Scripted>) {
        let mut g = self.fake.inner.lock().expect("lock");
        g.scripts
            .entry(token.to_owned())
            .or_default()
            .extend(answers);
    }

    /// Answer each push this much later (a slow vendor).
    pub fn set_delay(&self, d: Duration) {
        self.fake.inner.lock().expect("lock").delay = d;
    }

    pub fn received(&self) -> Vec<Received> {
        self.fake.inner.lock().expect("lock").received.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.fake.inner.lock().expect("lock").violations.clone()
    }

    /// Wait (up to `timeout`) until `done` holds for what was received.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let until = Instant::now() + timeout;
        loop {
            let r = self.received();
            if done(&r) || Instant::now() > until {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn refuse(fake: &Fake, vendor: &str, why: String) -> Response {
    fake.inner
        .lock()
        .expect("lock")
        .violations
        .push(format!("{vendor}: {why}"));
    (StatusCode::BAD_REQUEST, why).into_response()
}

async fn handle(State(fake): State<Fake>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let at = now_ms();
    if parts.method != axum::http::Method::POST {
        return refuse(&fake, "any", format!("{} {path}: only POST", parts.method));
    }
    if let Some(token) = path.strip_prefix("/3/device/") {
        return apns(&fake, parts.version, &parts.headers, token, &body, at).await;
    }
    if path == "/fcm/token" {
        return fcm_token(&fake, &body);
    }
    if path == format!("/v1/projects/{PROJECT}/messages:send") {
        return fcm_send(&fake, &parts.headers, &body, at).await;
    }
    if path == "/hms/oauth2/v3/token" {
        return hms_token(&fake, &body);
    }
    if path == format!("/v1/{HMS_APP}/messages:send") {
        return hms_send(&fake, &parts.headers, &body, at).await;
    }
    if path == "/v3/message/regid" {
        return mipush(&fake, &parts.headers, &body, at).await;
    }
    refuse(&fake, "any", format!("no such endpoint: {path}"))
}

/// Record the push and answer it: the token's scripted answer, else `ok`.
async fn answer(fake: &Fake, mut r: Received, ok: (u16, Value)) -> Response {
    let (script, delay) = {
        let mut g = fake.inner.lock().expect("lock");
        let s = g.scripts.get_mut(&r.token).and_then(VecDeque::pop_front);
        (s, g.delay)
    };
    let (status, body, retry_after) = match script {
        Some(s) => (s.status, s.body, s.retry_after),
        None => (ok.0, ok.1, None),
    };
    r.status = status;
    fake.inner.lock().expect("lock").received.push(r);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response();
    if let Some(v) = retry_after {
        resp.headers_mut()
            .insert("retry-after", v.parse().expect("header"));
    }
    resp
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn apns(
    fake: &Fake,
    version: Version,
    h: &HeaderMap,
    token: &str,
    body: &Bytes,
    at: i64,
) -> Response {
    if version != Version::HTTP_2 {
        return refuse(
            fake,
            "apns",
            format!("APNs speaks HTTP/2 only, got {version:?}"),
        );
    }
    let Some(jwt) = header(h, "authorization").and_then(|a| a.strip_prefix("bearer ")) else {
        return refuse(fake, "apns", "no `authorization: bearer <JWT>`".into());
    };
    match decode_header(jwt) {
        Ok(hd) if hd.alg == Algorithm::ES256 && hd.kid.as_deref() == Some(KEY_ID) => {}
        other => return refuse(fake, "apns", format!("JWT header: {other:?}")),
    }
    let mut v = Validation::new(Algorithm::ES256);
    v.required_spec_claims.clear();
    v.required_spec_claims.insert("iss".into());
    v.validate_exp = false;
    v.set_issuer(&[TEAM_ID]);
    let claims = match decode::<Value>(jwt, &fake.apns_key, &v) {
        Ok(c) => c.claims,
        Err(e) => return refuse(fake, "apns", format!("JWT: {e}")),
    };
    let iat = claims["iat"].as_i64().unwrap_or(0);
    let now_s = at / 1000;
    if iat > now_s + 60 || now_s - iat > 3600 {
        return answer_now(403, json!({"reason": "ExpiredProviderToken"}));
    }
    if header(h, "apns-topic") != Some(BUNDLE) {
        return refuse(
            fake,
            "apns",
            format!("apns-topic {:?}", header(h, "apns-topic")),
        );
    }
    if header(h, "apns-push-type") != Some("alert") {
        return refuse(fake, "apns", "apns-push-type must be alert".into());
    }
    if body.len() > 4096 {
        return answer_now(413, json!({"reason": "PayloadTooLarge"}));
    }
    let p: Value = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(e) => return refuse(fake, "apns", format!("payload: {e}")),
    };
    let alert = &p["aps"]["alert"];
    let (Some(title), Some(text)) = (alert["title"].as_str(), alert["body"].as_str()) else {
        return refuse(fake, "apns", format!("aps.alert.title/body missing: {p}"));
    };
    if !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return answer_now(400, json!({"reason": "BadDeviceToken"}));
    }
    let r = Received {
        vendor: "apns",
        at_ms: at,
        token: token.to_owned(),
        title: title.to_owned(),
        body: text.to_owned(),
        ticket: p["ticket"].as_str().unwrap_or("").to_owned(),
        kind: p["kind"].as_str().unwrap_or("").to_owned(),
        status: 0,
    };
    answer(fake, r, (200, json!({}))).await
}

fn answer_now(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body),
    )
        .into_response()
}

fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn fcm_token(fake: &Fake, body: &Bytes) -> Response {
    let f = form(body);
    if f.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse(fake, "fcm", format!("grant_type {:?}", f.get("grant_type")));
    }
    let Some(jwt) = f.get("assertion") else {
        return refuse(fake, "fcm", "no assertion".into());
    };
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[fake.token_uri.as_str()]);
    v.set_issuer(&[CLIENT_EMAIL]);
    let claims = match decode::<Value>(jwt, &fake.fcm_key, &v) {
        Ok(c) => c.claims,
        Err(e) => {
            return answer_now(
                400,
                json!({"error": "invalid_grant", "error_description": e.to_string()}),
            )
        }
    };
    if claims["scope"] != FCM_SCOPE {
        return refuse(fake, "fcm", format!("scope {}", claims["scope"]));
    }
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if exp - iat > 3600 {
        return refuse(fake, "fcm", "exp more than an hour after iat".into());
    }
    let mut g = fake.inner.lock().expect("lock");
    let t = format!("ya29.fcm-test-{}", g.issued.len());
    g.issued.push(t.clone());
    answer_now(
        200,
        json!({"access_token": t, "expires_in": 3599, "token_type": "Bearer"}),
    )
}

fn bearer_ok(fake: &Fake, h: &HeaderMap) -> bool {
    let Some(t) = header(h, "authorization").and_then(|a| a.strip_prefix("Bearer ")) else {
        return false;
    };
    fake.inner
        .lock()
        .expect("lock")
        .issued
        .iter()
        .any(|i| i == t)
}

async fn fcm_send(fake: &Fake, h: &HeaderMap, body: &Bytes, at: i64) -> Response {
    if !bearer_ok(fake, h) {
        return answer_now(
            401,
            json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."}}),
        );
    }
    let b: Value = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => return refuse(fake, "fcm", format!("body: {e}")),
    };
    let m = &b["message"];
    let Some(token) = m["token"].as_str() else {
        return refuse(fake, "fcm", "message.token missing".into());
    };
    let (Some(title), Some(text)) = (
        m["notification"]["title"].as_str(),
        m["notification"]["body"].as_str(),
    ) else {
        return refuse(
            fake,
            "fcm",
            "message.notification.title/body missing".into(),
        );
    };
    // FCM's `data` is a map of strings to strings.
    let data_ok = m["data"]
        .as_object()
        .is_some_and(|d| d.values().all(Value::is_string));
    if !data_ok {
        return refuse(
            fake,
            "fcm",
            format!("message.data must map strings: {}", m["data"]),
        );
    }
    let r = Received {
        vendor: "fcm",
        at_ms: at,
        token: token.to_owned(),
        title: title.to_owned(),
        body: text.to_owned(),
        ticket: m["data"]["ticket"].as_str().unwrap_or("").to_owned(),
        kind: m["data"]["kind"].as_str().unwrap_or("").to_owned(),
        status: 0,
    };
    answer(
        fake,
        r,
        (200, json!({"name": format!("projects/{PROJECT}/messages/0:1500415314455276%31bd1c9631bd1c96")})),
    )
    .await
}

fn hms_token(fake: &Fake, body: &Bytes) -> Response {
    let f = form(body);
    if f.get("grant_type").map(String::as_str) != Some("client_credentials")
        || f.get("client_id").map(String::as_str) != Some(HMS_APP)
    {
        return refuse(fake, "hms", format!("token request {f:?}"));
    }
    if f.get("client_secret").map(String::as_str) != Some(HMS_SECRET) {
        return answer_now(
            401,
            json!({"error": 1101, "sub_error": 20186, "error_description": "invalid client"}),
        );
    }
    let mut g = fake.inner.lock().expect("lock");
    let t = format!("CF3Hms-test-{}", g.issued.len());
    g.issued.push(t.clone());
    answer_now(
        200,
        json!({"access_token": t, "expires_in": 3600, "token_type": "Bearer"}),
    )
}

async fn hms_send(fake: &Fake, h: &HeaderMap, body: &Bytes, at: i64) -> Response {
    if !bearer_ok(fake, h) {
        return answer_now(
            401,
            json!({"code": "80200001", "msg": "Oauth authentication error", "requestId": "1"}),
        );
    }
    let b: Value = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => return refuse(fake, "hms", format!("body: {e}")),
    };
    let m = &b["message"];
    let Some(token) = m["token"]
        .as_array()
        .filter(|t| t.len() == 1)
        .and_then(|t| t[0].as_str())
    else {
        return answer_now(
            400,
            json!({"code": "80300010", "msg": "The number of tokens in the message body exceeds the default value", "requestId": "1"}),
        );
    };
    if m["android"]["category"].as_str().is_none() {
        return refuse(
            fake,
            "hms",
            "android.category missing (a service/work message must say so)".into(),
        );
    }
    let Some(data) = m["data"]
        .as_str()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
    else {
        return refuse(fake, "hms", "message.data must be a JSON string".into());
    };
    let n = &m["android"]["notification"];
    let (Some(title), Some(text)) = (n["title"].as_str(), n["body"].as_str()) else {
        return refuse(
            fake,
            "hms",
            "android.notification.title/body missing".into(),
        );
    };
    let r = Received {
        vendor: "hms",
        at_ms: at,
        token: token.to_owned(),
        title: title.to_owned(),
        body: text.to_owned(),
        ticket: data["ticket"].as_str().unwrap_or("").to_owned(),
        kind: data["kind"].as_str().unwrap_or("").to_owned(),
        status: 0,
    };
    answer(
        fake,
        r,
        (
            200,
            json!({"code": "80000000", "msg": "Success", "requestId": "157440955549500001002006"}),
        ),
    )
    .await
}

async fn mipush(fake: &Fake, h: &HeaderMap, body: &Bytes, at: i64) -> Response {
    if header(h, "authorization") != Some(&format!("key={MI_SECRET}")) {
        return answer_now(
            200,
            json!({"result": "error", "code": 22000, "reason": "authentication failed", "description": "认证失败"}),
        );
    }
    let f = form(body);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    for k in [
        "registration_id",
        "restricted_package_name",
        "title",
        "description",
        "payload",
    ] {
        if get(k).trim().is_empty() {
            return refuse(fake, "mipush", format!("{k} missing"));
        }
    }
    if get("restricted_package_name") != PACKAGE {
        return refuse(fake, "mipush", "restricted_package_name".into());
    }
    if get("title").chars().count() >= 50 || get("description").chars().count() >= 128 {
        return refuse(
            fake,
            "mipush",
            "title ≥ 50 or description ≥ 128 characters".into(),
        );
    }
    if get("extra.channel_id") != MI_CHANNEL {
        return refuse(fake, "mipush", "extra.channel_id".into());
    }
    if get("pass_through") != "0" {
        return refuse(
            fake,
            "mipush",
            "pass_through must be 0 (a notification)".into(),
        );
    }
    // The payload is URL-encoded JSON.
    let payload: String = url::form_urlencoded::parse(format!("p={}", get("payload")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Ok(data) = serde_json::from_str::<Value>(&payload) else {
        return refuse(
            fake,
            "mipush",
            format!("payload is not URL-encoded JSON: {payload}"),
        );
    };
    let r = Received {
        vendor: "mipush",
        at_ms: at,
        token: get("registration_id"),
        title: get("title"),
        body: get("description"),
        ticket: data["ticket"].as_str().unwrap_or("").to_owned(),
        kind: data["kind"].as_str().unwrap_or("").to_owned(),
        status: 0,
    };
    answer(
        fake,
        r,
        (200, json!({"result": "ok", "code": 0, "description": "成功", "data": {"id": "slm40b01474362542427Ut"}, "info": "Received push messages for 1 REGID"})),
    )
    .await
}
