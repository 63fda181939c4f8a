//! The HTTP layer's own rules, over real HTTP: every error code the server can
//! answer is the list the OpenAPI document (generated, `/openapi.json`) gives; every rejection of an extractor
//! (body, query, path, token, role) is the JSON error body; every answer
//! carries a request id, and every log line of the request says it.

mod support;

use minqing_protocol::wire::ApiError;
use minqing_server::http::error::ErrorCode;
use reqwest::Method;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use support::start;

#[test]
fn error_codes_are_the_ones_openapi_lists() {
    let doc: serde_json::Value =
        serde_json::from_str(minqing_server::http::doc::json()).expect("openapi.json");
    let error = &doc["components"]["schemas"]["ApiError"]["properties"]["error"];
    assert_eq!(error["$ref"], "#/components/schemas/ErrorCode", "{error}");
    let listed: Vec<String> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode has an enum")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect();
    let ours: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| {
            // The wire form is serde's, and `as_str` says the same.
            let wire = serde_json::to_value(c).expect("serialize");
            assert_eq!(wire, c.as_str(), "{c:?}");
            c.as_str().to_owned()
        })
        .collect();
    let listed_set: BTreeSet<_> = listed.iter().collect();
    let ours_set: BTreeSet<_> = ours.iter().collect();
    assert_eq!(
        listed_set.len(),
        listed.len(),
        "openapi.json lists a code twice"
    );
    assert_eq!(ours_set.len(), ours.len(), "ErrorCode has a code twice");
    assert_eq!(
        ours_set, listed_set,
        "ErrorCode and openapi.json's ApiError.error enum differ"
    );
}

async fn error_of(r: reqwest::Response) -> (u16, ApiError) {
    let status = r.status().as_u16();
    let body = r.text().await.expect("body");
    let e: ApiError = serde_json::from_str(&body)
        .unwrap_or_else(|_| panic!("status {status}: not an ApiError: {body}"));
    assert!(!e.message_zh.is_empty() && !e.message_en.is_empty());
    assert!(
        ErrorCode::ALL.iter().any(|c| c.as_str() == e.error),
        "{} is not an ErrorCode",
        e.error
    );
    (status, e)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_is_a_json_error() {
    let s = start().await;
    let deputy = s.login("陆靖英").await.access_token;
    let admin = s.login("系统管理员").await.access_token;
    let calendar = serde_json::json!({ "toml": "" });

    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "a query of the wrong type",
            s.req(Method::GET, "/v1/notifications?after=soon", Some(&deputy)),
            400,
            "malformed",
        ),
        (
            "a path of the wrong type",
            s.req(Method::PUT, "/v1/admin/calendar/next", Some(&admin))
                .json(&calendar),
            400,
            "malformed",
        ),
        (
            "a body of the wrong type",
            s.req(Method::POST, "/v1/notifications/read", Some(&deputy))
                .json(&serde_json::json!({ "up_to": "all" })),
            400,
            "malformed",
        ),
        (
            "a body that is not JSON",
            s.req(Method::POST, "/v1/notifications/read", Some(&deputy))
                .header("content-type", "text/plain")
                .body("{\"up_to\": 1}"),
            415,
            "unsupported_media_type",
        ),
        (
            "an admin route without a token",
            s.req(Method::PUT, "/v1/admin/calendar/2027", None)
                .json(&calendar),
            401,
            "unauthorized",
        ),
        (
            "an admin route for a deputy",
            s.req(Method::PUT, "/v1/admin/calendar/2027", Some(&deputy))
                .json(&calendar),
            403,
            "forbidden",
        ),
        (
            "the admin's reference for a deputy",
            s.req(Method::GET, "/v1/admin/reference", Some(&deputy)),
            403,
            "forbidden",
        ),
        (
            "a ticket id that is not one",
            s.req(Method::GET, "/v1/tickets/42", Some(&deputy)),
            404,
            "not_found",
        ),
        (
            "no such route",
            s.req(Method::GET, "/v1/nothing", Some(&deputy)),
            404,
            "not_found",
        ),
        (
            "an upload without Tus-Resumable",
            s.req(Method::POST, "/v1/uploads", Some(&deputy))
                .header("upload-length", "10"),
            412,
            "tus_version",
        ),
    ];
    for (what, req, status, code) in cases {
        let r = req.send().await.expect("send");
        let (st, e) = error_of(r).await;
        assert_eq!((st, e.error.as_str()), (status, code), "{what}");
    }
    // The admin passes the same extractor.
    let r = s
        .req(Method::GET, "/v1/admin/reference", Some(&admin))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() {
    let s = start().await;
    let r = s.http.get(s.u("/health")).send().await.expect("health");
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().expect("ascii");
    uuid::Uuid::parse_str(id).expect("a made-up id is a UUID");
    // A caller's own id (a proxy's, a client's) goes through and comes back.
    let r = s
        .http
        .get(s.u("/v1/me"))
        .header("x-request-id", "phone-7f3a-0001")
        .send()
        .await
        .expect("me");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-request-id"], "phone-7f3a-0001");
}

/// Log lines as the server's subscriber writes them, kept for the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A failure logged away from the request's task — on the SMS worker's
/// thread, which carries the request's span as the database work on tokio's
/// blocking pool does — still names the request it belongs to, and so does the
/// request's own line when it is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_name_their_request() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();
    let s = start().await;
    let phone = s.person("陆靖英").phone.clone();
    // The SMS gateway cannot write its log: texting the code fails on the SMS
    // worker's thread, after the answer (a 202 whatever the gateway does, so
    // the answer does not tell a registered number — issue 16), and the
    // failure's line still names the request.
    std::fs::remove_file(s.data_dir.join("sms.log")).ok();
    std::fs::create_dir_all(s.data_dir.join("sms.log")).expect("a directory in the way");
    let r = s
        .http
        .post(s.u("/v1/auth/sms-code"))
        .header("x-request-id", "req-sms-0042")
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await
        .expect("sms-code");
    assert_eq!(r.headers()["x-request-id"], "req-sms-0042");
    assert_eq!(r.status(), 202);
    let _ = s.latest_code(&phone); // waits for the worker
    let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("req-sms-0042")).collect();
    assert!(
        lines.iter().any(|l| l.contains("SMS not sent")),
        "the failure's line names the request:\n{log}"
    );
    assert!(
        lines.iter().any(|l| l.contains("202")),
        "the answer's line names the request:\n{log}"
    );
}
