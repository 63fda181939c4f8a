//! Local stand-ins for the outreach vendors (issue 12 items 5–6), on loopback
//! HTTP (axum): each checks a request as the vendor documents it and answers
//! with the vendor's own errors.
//!
//! - Tencent Cloud SMS `SendSms` (API 3.0): the common headers, the
//!   TC3-HMAC-SHA256 signature recomputed here from the request as received
//!   (its own implementation, from Tencent's "Signature v3"), the timestamp
//!   within 5 minutes, the application, signature name, template and its
//!   number of variables; answers `AuthFailure.SecretIdNotFound`,
//!   `AuthFailure.SignatureFailure`, `AuthFailure.SignatureExpire`,
//!   `FailedOperation.TemplateParamSetNotMatchApprovedTemplate`, and per number
//!   `LimitExceeded.PhoneNumberDailyLimit` past its daily limit.
//! - Alibaba Cloud SMS `SendSms` (2017-05-25, RPC signature v1.0): the
//!   `Signature` recomputed (HMAC-SHA1 of the sorted, percent-encoded query),
//!   the timestamp within 15 minutes, a nonce used once, the signature name,
//!   template and its variables; answers `InvalidAccessKeyId.NotFound`,
//!   `SignatureDoesNotMatch`, `InvalidTimeStamp.Expired`, `SignatureNonceUsed`,
//!   `isv.TEMPLATE_MISSING_PARAMETERS`, and `isv.BUSINESS_LIMIT_CONTROL` past a
//!   number's daily limit.
//! - WeCom group robot: `key` known (else errcode 93000), JSON, markdown message of
//!   at most 4096 bytes, 20 messages a minute per robot (else 45009).
//! - DingTalk custom robot: `access_token` known (else 300001), `timestamp`
//!   within an hour and `sign` = Base64(HMAC-SHA256(secret, timestamp + "\n" +
//!   secret)) (else 310000), JSON, markdown with title and text, 20 a minute (else
//!   130101).

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const TC_SECRET_ID: &str = "AKIDfakeSecretId0000000000000000";
pub const TC_SECRET_KEY: &str = "fakeSecretKey00000000000000000000";
pub const TC_APP: &str = "1400000001";
pub const TC_SIGN: &str = "民情直通车";
pub const TC_LOGIN_TEMPLATE: &str = "1000001";
pub const TC_NOTICE_TEMPLATE: &str = "1000002";

pub const ALI_KEY_ID: &str = "LTAIfakeAccessKeyId00";
pub const ALI_SECRET: &str = "fakeAccessKeySecret000000000000";
pub const ALI_SIGN: &str = "民情直通车";
pub const ALI_LOGIN_TEMPLATE: &str = "SMS_100000001";
pub const ALI_NOTICE_TEMPLATE: &str = "SMS_100000002";

pub const WECOM_KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
pub const DING_TOKEN: &str = "fake-access-token-0001";
pub const DING_SECRET: &str = "SECfake0123456789abcdef0123456789abcdef0123456789abcdef012345";

/// A request the fakes accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub vendor: &'static str,
    pub body: Value,
    pub headers: HashMap<String, String>,
    pub query: HashMap<String, String>,
}

#[derive(Default)]
pub struct Inner {
    /// Accepted requests, in order.
    pub accepted: Vec<Received>,
    /// Refusals: (vendor, code).
    pub refused: Vec<(&'static str, String)>,
    /// Texts sent per number.
    pub per_number: HashMap<String, u32>,
    /// Past this many texts a day a number is refused (Tencent's limit).
    pub daily_limit: u32,
    /// Alibaba nonces seen.
    pub nonces: std::collections::HashSet<String>,
    /// Posts per robot in the last minute (real time).
    pub recent: HashMap<String, Vec<Instant>>,
}

#[derive(Clone)]
pub struct Fakes {
    pub url: String,
    pub inner: Arc<Mutex<Inner>>,
}

impl Fakes {
    pub fn accepted(&self, vendor: &str) -> Vec<Received> {
        self.lock()
            .accepted
            .iter()
            .filter(|r| r.vendor == vendor)
            .cloned()
            .collect()
    }

    pub fn refused(&self) -> Vec<(&'static str, String)> {
        self.lock().refused.clone()
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `[sms.aliyun]` settings that reach this fake.
    pub fn aliyun_config(&self) -> minqing_server::outreach::aliyun_sms::AliyunConfig {
        minqing_server::outreach::aliyun_sms::AliyunConfig {
            endpoint: format!("{}/aliyun", self.url),
            region: "cn-hangzhou".into(),
            access_key_id: ALI_KEY_ID.into(),
            access_key_secret: Some(minqing_server::app::SecretText(ALI_SECRET.into())),
            sign_name: ALI_SIGN.into(),
            login_template_code: ALI_LOGIN_TEMPLATE.into(),
            notice_template_code: ALI_NOTICE_TEMPLATE.into(),
            timeout_secs: 5,
        }
    }

    pub fn wecom_webhook(&self) -> String {
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", self.url)
    }

    pub fn dingtalk_webhook(&self) -> String {
        format!("{}/robot/send?access_token={DING_TOKEN}", self.url)
    }

    /// The `[sms.tencent]` settings that reach this fake.
    pub fn tencent_config(&self) -> minqing_server::outreach::tencent_sms::TencentConfig {
        minqing_server::outreach::tencent_sms::TencentConfig {
            endpoint: self.url.clone(),
            region: "ap-guangzhou".into(),
            secret_id: TC_SECRET_ID.into(),
            secret_key: Some(minqing_server::app::SecretText(TC_SECRET_KEY.into())),
            sdk_app_id: TC_APP.into(),
            sign_name: TC_SIGN.into(),
            login_template_id: TC_LOGIN_TEMPLATE.into(),
            notice_template_id: TC_NOTICE_TEMPLATE.into(),
            timeout_secs: 5,
        }
    }
}

/// Start the fakes on a loopback port, on a runtime of their own (usable
/// from synchronous tests and from async ones alike).
pub fn start() -> Fakes {
    let inner = Arc::new(Mutex::new(Inner {
        daily_limit: 10,
        ..Default::default()
    }));
    let (tx, rx) = std::sync::mpsc::channel();
    let state = inner.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            let app = Router::new()
                .route("/", post(tencent))
                .route("/aliyun/", axum::routing::get(aliyun))
                .route("/cgi-bin/webhook/send", post(wecom))
                .route("/robot/send", post(dingtalk))
                .with_state(state);
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = rx.recv().expect("address");
    Fakes {
        url: format!("http://{addr}"),
        inner,
    }
}

type St = State<Arc<Mutex<Inner>>>;

fn headers_of(h: &HeaderMap) -> HashMap<String, String> {
    h.iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("key");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn tc_error(code: &str, message: &str) -> Json<Value> {
    Json(
        json!({"Response": {"Error": {"Code": code, "Message": message},
        "RequestId": "a1b2c3d4-0000-0000-0000-000000000000"}}),
    )
}

/// Tencent's check of a TC3-HMAC-SHA256 `Authorization`, from the request
/// as received.
fn tc3_check(h: &HashMap<String, String>, body: &[u8]) -> Result<(), (&'static str, &'static str)> {
    const BAD: (&str, &str) = (
        "AuthFailure.SignatureFailure",
        "The provided credentials could not be validated. Please check your signature is correct.",
    );
    let auth = h
        .get("authorization")
        .ok_or(("AuthFailure.SignatureFailure", "no Authorization"))?;
    let rest = auth.strip_prefix("TC3-HMAC-SHA256 ").ok_or(BAD)?;
    let mut parts = HashMap::new();
    for p in rest.split(", ") {
        let (k, v) = p.split_once('=').ok_or(BAD)?;
        parts.insert(k, v);
    }
    let cred = parts.get("Credential").ok_or(BAD)?;
    let mut c = cred.split('/');
    let (id, date, service, term) = (c.next(), c.next(), c.next(), c.next());
    if id != Some(TC_SECRET_ID) {
        return Err((
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        ));
    }
    let ts: i64 = h
        .get("x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or(BAD)?;
    if (now_secs() - ts).abs() > 300 {
        return Err(("AuthFailure.SignatureExpire", "Signature expired."));
    }
    let day = time::OffsetDateTime::from_unix_timestamp(ts)
        .expect("ts")
        .date();
    let expected_date = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    if date != Some(expected_date.as_str()) || service != Some("sms") || term != Some("tc3_request")
    {
        return Err(BAD);
    }
    let signed = parts.get("SignedHeaders").ok_or(BAD)?;
    let mut canonical_headers = String::new();
    for name in signed.split(';') {
        let v = h.get(name).ok_or(BAD)?;
        canonical_headers.push_str(&format!("{name}:{}\n", v.trim().to_ascii_lowercase()));
    }
    let payload_hash = hex::encode(Sha256::digest(body));
    let canonical = format!("POST\n/\n\n{canonical_headers}\n{signed}\n{payload_hash}");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{ts}\n{expected_date}/sms/tc3_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac256(
        format!("TC3{TC_SECRET_KEY}").as_bytes(),
        expected_date.as_bytes(),
    );
    let k_service = hmac256(&k_date, b"sms");
    let k_signing = hmac256(&k_service, b"tc3_request");
    let want = hex::encode(hmac256(&k_signing, to_sign.as_bytes()));
    if parts.get("Signature") != Some(&want.as_str()) {
        return Err(BAD);
    }
    Ok(())
}

async fn tencent(State(st): St, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let h = headers_of(&headers);
    let refuse = |code: &str, msg: &str| {
        st.lock()
            .unwrap_or_else(|p| p.into_inner())
            .refused
            .push(("tencent", code.to_owned()));
        tc_error(code, msg)
    };
    if h.get("x-tc-action").map(String::as_str) != Some("SendSms")
        || h.get("x-tc-version").map(String::as_str) != Some("2021-01-11")
        || h.get("x-tc-region").is_none_or(|r| r.is_empty())
    {
        return refuse(
            "InvalidAction",
            "action, version or region missing or wrong",
        );
    }
    if h.get("content-type").map(String::as_str) != Some("application/json; charset=utf-8") {
        return refuse("InvalidParameter", "content-type");
    }
    if let Err((code, msg)) = tc3_check(&h, &body) {
        return refuse(code, msg);
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refuse("InvalidParameter", "body is not JSON");
    };
    if v["SmsSdkAppId"] != TC_APP {
        return refuse(
            "FailedOperation.SmsSdkAppIdVerifyFail",
            "SdkAppId verify fail",
        );
    }
    if v["SignName"] != TC_SIGN {
        return refuse(
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "signature unapproved",
        );
    }
    let params = v["TemplateParamSet"].as_array().map(Vec::len);
    let want = match v["TemplateId"].as_str() {
        Some(TC_LOGIN_TEMPLATE) | Some(TC_NOTICE_TEMPLATE) => Some(2),
        _ => None,
    };
    if want.is_none() {
        return refuse(
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "template unapproved",
        );
    }
    if params != want {
        return refuse(
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
            "request content does not match the approved template",
        );
    }
    let Some([phone]) = v["PhoneNumberSet"].as_array().map(Vec::as_slice) else {
        return refuse(
            "InvalidParameterValue.IncorrectPhoneNumber",
            "one number expected",
        );
    };
    let phone = phone.as_str().unwrap_or("").to_owned();
    if !(phone.starts_with("+861") && phone.len() == 14) {
        return refuse(
            "InvalidParameterValue.IncorrectPhoneNumber",
            "not an E.164 mobile",
        );
    }
    let mut g = st.lock().unwrap_or_else(|p| p.into_inner());
    let limit = g.daily_limit;
    let n = g.per_number.entry(phone.clone()).or_default();
    if *n >= limit {
        g.refused
            .push(("tencent", "LimitExceeded.PhoneNumberDailyLimit".into()));
        return Json(json!({"Response": {"SendStatusSet": [{
            "SerialNo": "", "PhoneNumber": phone, "Fee": 0, "SessionContext": "",
            "Code": "LimitExceeded.PhoneNumberDailyLimit",
            "Message": "the number of SMS messages sent from a single mobile number every day exceeds the upper limit",
            "IsoCode": "CN"}], "RequestId": "b1"}}));
    }
    *n += 1;
    let serial = format!("2433:{:020}", g.accepted.len() + 1);
    g.accepted.push(Received {
        vendor: "tencent",
        body: v,
        headers: h,
        query: HashMap::new(),
    });
    Json(json!({"Response": {"SendStatusSet": [{
        "SerialNo": serial, "PhoneNumber": phone, "Fee": 1, "SessionContext": "",
        "Code": "Ok", "Message": "send success", "IsoCode": "CN"}], "RequestId": "c1"}}))
}

/// Both robots take `Content-Type: application/json` (a charset allowed).
fn is_json(h: &HeaderMap) -> bool {
    h.get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().map(str::trim) == Some("application/json"))
}

/// Within 20 a minute for `robot`? (counts this one when it is).
fn within_rate(g: &mut Inner, robot: &str) -> bool {
    let now = Instant::now();
    let recent = g.recent.entry(robot.to_owned()).or_default();
    recent.retain(|t| now.duration_since(*t) < Duration::from_secs(60));
    if recent.len() >= 20 {
        return false;
    }
    recent.push(now);
    true
}

async fn wecom(
    State(st): St,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let mut g = st.lock().unwrap_or_else(|p| p.into_inner());
    let g = &mut *g;
    let refuse = |g: &mut Inner, code: i64, msg: &str| {
        g.refused.push(("wecom", code.to_string()));
        Json(json!({"errcode": code, "errmsg": msg}))
    };
    if q.get("key").map(String::as_str) != Some(WECOM_KEY) {
        return refuse(g, 93000, "invalid webhook url");
    }
    if !is_json(&headers) {
        return refuse(g, 40001, "content-type is not application/json");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refuse(g, 40001, "invalid json");
    };
    let content = v["markdown"]["content"].as_str().unwrap_or("");
    if v["msgtype"] != "markdown" || content.is_empty() {
        return refuse(g, 40008, "invalid message type");
    }
    if content.len() > 4096 {
        return refuse(g, 40058, "markdown.content exceed max length 4096");
    }
    if !within_rate(g, "wecom") {
        return refuse(g, 45009, "api freq out of limit");
    }
    g.accepted.push(Received {
        vendor: "wecom",
        body: v,
        headers: headers_of(&headers),
        query: q,
    });
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

async fn dingtalk(
    State(st): St,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let mut g = st.lock().unwrap_or_else(|p| p.into_inner());
    let g = &mut *g;
    let refuse = |g: &mut Inner, code: i64, msg: &str| {
        g.refused.push(("dingtalk", code.to_string()));
        Json(json!({"errcode": code, "errmsg": msg}))
    };
    if q.get("access_token").map(String::as_str) != Some(DING_TOKEN) {
        return refuse(g, 300001, "token is not exist");
    }
    let ts: i64 = q.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    if (now_secs() * 1000 - ts).abs() > 3_600_000 {
        return refuse(
            g,
            310000,
            "sign not match, more: timestamp is more than an hour off",
        );
    }
    let want = base64::engine::general_purpose::STANDARD.encode(hmac256(
        DING_SECRET.as_bytes(),
        format!("{ts}\n{DING_SECRET}").as_bytes(),
    ));
    if q.get("sign") != Some(&want) {
        return refuse(g, 310000, "sign not match");
    }
    if !is_json(&headers) {
        return refuse(g, 43004, "content-type is not application/json");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refuse(g, 43004, "invalid json");
    };
    if v["msgtype"] != "markdown"
        || v["markdown"]["title"].as_str().unwrap_or("").is_empty()
        || v["markdown"]["text"].as_str().unwrap_or("").is_empty()
    {
        return refuse(g, 40035, "missing markdown title or text");
    }
    if !within_rate(g, "dingtalk") {
        return refuse(g, 130101, "send too fast, exceed 20 times per minute");
    }
    g.accepted.push(Received {
        vendor: "dingtalk",
        body: v,
        headers: headers_of(&headers),
        query: q,
    });
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// Alibaba's percent-encoding: RFC 3986 unreserved characters stay.
fn ali_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn aliyun(
    State(st): St,
    Query(q): Query<Vec<(String, String)>>,
) -> (axum::http::StatusCode, Json<Value>) {
    use axum::http::StatusCode;
    let mut g = st.lock().unwrap_or_else(|p| p.into_inner());
    let g = &mut *g;
    let refuse = |g: &mut Inner, status: StatusCode, code: &str, msg: &str| {
        g.refused.push(("aliyun", code.to_owned()));
        (
            status,
            Json(json!({"RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
                "Code": code, "Message": msg})),
        )
    };
    let get = |name: &str| {
        q.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if get("AccessKeyId") != ALI_KEY_ID {
        return refuse(
            g,
            StatusCode::NOT_FOUND,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    }
    let mut params: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    params.sort();
    let query = params
        .iter()
        .map(|(k, v)| format!("{}={}", ali_encode(k), ali_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("GET&%2F&{}", ali_encode(&query));
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{ALI_SECRET}&").as_bytes(),
    );
    let want = base64::engine::general_purpose::STANDARD
        .encode(ring::hmac::sign(&key, to_sign.as_bytes()).as_ref());
    if get("SignatureMethod") != "HMAC-SHA1"
        || get("SignatureVersion") != "1.0"
        || get("Signature") != want
    {
        return refuse(
            g,
            StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    let ts = time::OffsetDateTime::parse(
        get("Timestamp"),
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| t.unix_timestamp())
    .unwrap_or(0);
    if (now_secs() - ts).abs() > 900 {
        return refuse(
            g,
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        );
    }
    if !g.nonces.insert(get("SignatureNonce").to_owned()) {
        return refuse(
            g,
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        );
    }
    if get("Action") != "SendSms" || get("Version") != "2017-05-25" || get("Format") != "JSON" {
        return refuse(
            g,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "action, version or format",
        );
    }
    if get("SignName") != ALI_SIGN {
        return refuse(g, StatusCode::OK, "isv.SMS_SIGNATURE_ILLEGAL", "签名不合法");
    }
    let vars: Value = serde_json::from_str(get("TemplateParam")).unwrap_or(Value::Null);
    let needs: &[&str] = match get("TemplateCode") {
        ALI_LOGIN_TEMPLATE => &["code", "minutes"],
        ALI_NOTICE_TEMPLATE => &["kind", "ref"],
        _ => return refuse(g, StatusCode::OK, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法"),
    };
    if needs
        .iter()
        .any(|n| vars[*n].as_str().is_none_or(str::is_empty))
    {
        return refuse(
            g,
            StatusCode::OK,
            "isv.TEMPLATE_MISSING_PARAMETERS",
            "模板缺少变量",
        );
    }
    let phone = get("PhoneNumbers").to_owned();
    if !(phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())) {
        return refuse(g, StatusCode::OK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    let limit = g.daily_limit;
    let n = g.per_number.entry(format!("aliyun:{phone}")).or_default();
    if *n >= limit {
        return refuse(
            g,
            StatusCode::OK,
            "isv.BUSINESS_LIMIT_CONTROL",
            &format!("触发天级流控Permits:{limit}"),
        );
    }
    *n += 1;
    let biz = format!("9006197469364984{:02}^0", g.accepted.len());
    g.accepted.push(Received {
        vendor: "aliyun",
        body: json!({"PhoneNumbers": phone, "TemplateCode": get("TemplateCode"), "TemplateParam": vars}),
        headers: HashMap::new(),
        query: q.iter().cloned().collect(),
    });
    (
        StatusCode::OK,
        Json(json!({"Message": "OK", "RequestId": "F655A8D5", "BizId": biz, "Code": "OK"})),
    )
}
