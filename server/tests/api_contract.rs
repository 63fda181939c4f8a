//! Issue 16 item 8, "The API says what it does", over real HTTP: every error
//! body is the JSON error (axum's own 405 and 404 included, for every route
//! and method); an anonymous sync request without `minqing-protocol` is 401,
//! not 426; one spelling of an id (lower-case canonical UUID) for tickets and
//! photos alike, in paths, bodies and tus metadata; tus headers are digits
//! only (`Upload-Length: +10` refused); the generated document says
//! `additionalProperties: false` where the server refuses extra fields.

mod support;

use base64::Engine;
use minqing_protocol::wire::ApiError;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{start, TestServer};

fn uuid7() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The body as an `ApiError` (the test fails on anything else).
async fn api_error(what: &str, r: reqwest::Response) -> (StatusCode, ApiError) {
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.text().await.expect("body");
    assert!(
        kind.starts_with("application/json"),
        "{what}: {status} as {kind}: {body}"
    );
    let e: ApiError = serde_json::from_str(&body)
        .unwrap_or_else(|_| panic!("{what}: {status}: not an ApiError: {body}"));
    (status, e)
}

/// Every documented path, with each method it does not document: 405 as the
/// JSON error `method_not_allowed`, with `Allow` naming what it takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_an_undocumented_method_with_the_json_405() {
    let s = start().await;
    let doc: Value = serde_json::from_str(minqing_server::http::doc::json()).expect("doc");
    let mut n = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "0190f4a2-7b1e-7c3d-8e4f-5a6b7c8d9e0f"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let documented: Vec<String> = ops
            .as_object()
            .expect("ops")
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if documented.iter().any(|m| m == method) {
                continue;
            }
            // HEAD is answered wherever GET is; OPTIONS only by tus.
            let m = Method::from_bytes(method.as_bytes()).expect("method");
            let r = s.req(m, &concrete, None).send().await.expect("send");
            let allow = r
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let what = format!("{method} {path}");
            let (status, e) = api_error(&what, r).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
            assert_eq!(e.error, "method_not_allowed", "{what}");
            assert!(!allow.is_empty(), "{what}: no Allow");
            for m in &documented {
                assert!(
                    allow.contains(m.as_str()),
                    "{what}: Allow {allow} lacks {m}"
                );
            }
            n += 1;
        }
    }
    assert!(n >= 150, "{n} route × method pairs checked");

    // And the rest of axum's own answers: an unknown path, a body that is
    // not JSON, a body over the limit, a path parameter that does not parse.
    let admin = s.login("系统管理员").await.access_token;
    let r = s
        .req(Method::GET, "/v1/nothing", None)
        .send()
        .await
        .expect("send");
    assert_eq!(api_error("unknown", r).await.0, StatusCode::NOT_FOUND);
    let r = s
        .req(Method::PUT, "/v1/admin/taxonomy", Some(&admin))
        .header("content-type", "text/plain")
        .body("toml = 1")
        .send()
        .await
        .expect("send");
    assert_eq!(
        api_error("text/plain", r).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let r = s
        .req(Method::PUT, "/v1/admin/calendar/twenty", Some(&admin))
        .json(&json!({ "toml": "" }))
        .send()
        .await
        .expect("send");
    assert_eq!(api_error("year", r).await.0, StatusCode::BAD_REQUEST);
    // Last: refused from its Content-Length, the connection is closed unread.
    let r = s
        .req(Method::PUT, "/v1/admin/taxonomy", Some(&admin))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .expect("send");
    assert_eq!(api_error("3 MiB", r).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Sync routes: anonymous is 401 whatever the protocol header says; signed
/// in without it (or with `+1`, or an old version) is 426.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_is_401_before_the_protocol_426() {
    let s = start().await;
    let deputy = s.login("陆靖英").await.access_token;
    let push = json!({ "client_id": uuid7(), "mutations": [] });
    for (method, path) in [
        (Method::GET, "/v1/sync/pull"),
        (Method::POST, "/v1/sync/push"),
        (Method::GET, "/v1/events"),
    ] {
        let bare = |token: Option<&str>, protocol: Option<&str>| {
            let mut b = s.http.request(method.clone(), s.u(path));
            if let Some(t) = token {
                b = b.bearer_auth(t);
            }
            if let Some(p) = protocol {
                b = b.header("minqing-protocol", p);
            }
            if method == Method::POST {
                b = b.json(&push);
            }
            b
        };
        for protocol in [None, Some("0"), Some("1")] {
            let r = bare(None, protocol).send().await.expect("send");
            let (st, e) = api_error(path, r).await;
            assert_eq!(
                st,
                StatusCode::UNAUTHORIZED,
                "{path} anonymous, {protocol:?}"
            );
            assert_eq!(e.error, "unauthorized");
        }
        // (Spaces around a value are not the value's: HTTP drops them, RFC 9110 §5.5.)
        for protocol in [None, Some("0"), Some("+1"), Some("1.0"), Some("x")] {
            let r = bare(Some(&deputy), protocol).send().await.expect("send");
            let (st, e) = api_error(path, r).await;
            assert_eq!(st, StatusCode::UPGRADE_REQUIRED, "{path} {protocol:?}");
            assert_eq!(e.error, "too_old");
        }
    }
}

fn new_ticket(id: &str) -> Value {
    json!({
        "id": id, "event": uuid7(), "group": null, "jurisdiction": null,
        "category": null, "item": null, "text": "水月亭路窨井盖松动", "location": null,
        "channel": "field_capture", "constituent": null, "mentioned_unit": null,
        "photo_count": 0
    })
}

async fn push(s: &TestServer, token: &str, ticket: Value) -> reqwest::Response {
    let client = uuid7();
    s.req(Method::POST, "/v1/sync/push", Some(token))
        .json(&json!({
            "client_id": client,
            "mutations": [{
                "client_id": client, "mutation_id": 1,
                "kind": {"type": "create_ticket", "ticket": ticket}
            }]
        }))
        .send()
        .await
        .expect("push")
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// One spelling of an id: a ticket that exists is found by its lower-case
/// id only — upper case is the same 404 JSON as a photo's; an upper-case id
/// in a body or in tus metadata is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_lower_case_canonical_uuids_everywhere() {
    let s = start().await;
    let deputy = s.login("陆靖英").await.access_token;
    let id = uuid7();
    let r = push(&s, &deputy, new_ticket(&id)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["rejected"], json!([]), "{body}");
    let get = |path: String| s.req(Method::GET, &path, Some(&deputy)).send();
    assert_eq!(
        get(format!("/v1/tickets/{id}"))
            .await
            .expect("get")
            .status(),
        StatusCode::OK
    );
    let upper = id.to_uppercase();
    for path in [
        format!("/v1/tickets/{upper}"),
        format!("/v1/tickets/{upper}/clocks"),
        format!("/v1/tickets/{upper}/duplicates"),
        format!("/v1/photos/{upper}"),
        format!("/v1/photos/{}", uuid7().to_uppercase()),
        format!("/v1/tickets/{{{id}}}"),
        format!("/v1/tickets/{}", id.replace('-', "")),
    ] {
        let (st, e) = api_error(&path, get(path.clone()).await.expect("get")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(e.error, "not_found", "{path}");
    }

    // In a body: refused as malformed, nothing stored.
    let other = uuid7();
    let r = push(&s, &deputy, new_ticket(&other.to_uppercase())).await;
    let (st, e) = api_error("push", r).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e.error, "malformed");
    assert_eq!(
        get(format!("/v1/tickets/{other}"))
            .await
            .expect("get")
            .status(),
        StatusCode::NOT_FOUND
    );

    // In tus metadata: refused before a byte is stored.
    let r = s
        .req(Method::POST, "/v1/uploads", Some(&deputy))
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "10")
        .header(
            "upload-metadata",
            format!(
                "photo_id {},ticket_id {},sha256 {},filetype {}",
                b64(&uuid7()),
                b64(&upper),
                b64(&"0".repeat(64)),
                b64("image/jpeg")
            ),
        )
        .send()
        .await
        .expect("upload");
    let (st, e) = api_error("tus metadata", r).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e.error, "bad_metadata");
}

/// tus numbers are `1*DIGIT` (tus 1.0.0, "Headers"): a sign or another
/// notation in `Upload-Length` is 400 `bad_length`, in `Upload-Offset` 409
/// `offset_mismatch`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_length_is_digits_only() {
    let s = start().await;
    let deputy = s.login("陆靖英").await.access_token;
    let ticket = uuid7();
    let r = push(&s, &deputy, new_ticket(&ticket)).await;
    assert_eq!(r.status(), StatusCode::OK);
    // (Spaces around a value are not the value's: HTTP drops them, RFC 9110 §5.5.)
    for length in ["+10", "-10", "1 0", "1e1", "0x0a", "10.0", ""] {
        let r = s
            .req(Method::POST, "/v1/uploads", Some(&deputy))
            .header("tus-resumable", "1.0.0")
            .header("upload-length", length)
            .header(
                "upload-metadata",
                format!(
                    "photo_id {},ticket_id {},sha256 {},filetype {}",
                    b64(&uuid7()),
                    b64(&ticket),
                    b64(&"0".repeat(64)),
                    b64("image/jpeg")
                ),
            )
            .send()
            .await
            .expect("upload");
        let (st, e) = api_error(length, r).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "Upload-Length {length:?}");
        assert_eq!(e.error, "bad_length", "Upload-Length {length:?}");
    }

    // Upload-Offset likewise: `+0` is not 0. The 409 is the JSON error
    // `offset_mismatch` and says where the upload stands.
    let r = s
        .req(Method::POST, "/v1/uploads", Some(&deputy))
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "10")
        .header(
            "upload-metadata",
            format!(
                "photo_id {},ticket_id {},sha256 {},filetype {}",
                b64(&uuid7()),
                b64(&ticket),
                b64(&"0".repeat(64)),
                b64("image/jpeg")
            ),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location")
        .to_owned();
    let path = location
        .find("/v1/uploads/")
        .map(|i| location[i..].to_owned())
        .expect("an upload path");
    for offset in ["+0", "-0", "0x0", "1"] {
        let r = s
            .req(Method::PATCH, &path, Some(&deputy))
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", offset)
            .header("content-type", "application/offset+octet-stream")
            .body(vec![0u8; 2])
            .send()
            .await
            .expect("patch");
        assert_eq!(
            r.headers()
                .get("upload-offset")
                .and_then(|v| v.to_str().ok()),
            Some("0"),
            "Upload-Offset {offset:?}"
        );
        let (st, e) = api_error(offset, r).await;
        assert_eq!(st, StatusCode::CONFLICT, "Upload-Offset {offset:?}");
        assert_eq!(e.error, "offset_mismatch", "Upload-Offset {offset:?}");
    }
}

/// Bodies whose type refuses unknown fields (serde `deny_unknown_fields`)
/// say `additionalProperties: false`, and the server does refuse one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_bodies_say_so_in_the_document() {
    let doc: Value = serde_json::from_str(minqing_server::http::doc::json()).expect("doc");
    for name in [
        "UnitBody",
        "GroupBody",
        "UserBody",
        "JurisdictionBody",
        "FileBody",
        "ConsoleLogin",
        "ReadBody",
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(
            schema["additionalProperties"],
            json!(false),
            "{name}: {schema}"
        );
    }
    // The console's login: a password or a code, exactly one (both is 400).
    let login = &doc["components"]["schemas"]["ConsoleLogin"];
    assert_eq!(login["oneOf"].as_array().map(Vec::len), Some(2), "{login}");
    let s = start().await;
    let r = s
        .req(Method::POST, "/v1/console/login", None)
        .json(&json!({ "phone": "13800570014", "password": "x", "code": "123456" }))
        .send()
        .await
        .expect("login");
    let (st, e) = api_error("both", r).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e.error, "malformed");
    let admin = s.login("系统管理员").await.access_token;
    let r = s
        .req(
            Method::PUT,
            &format!("/v1/admin/units/{}", uuid7()),
            Some(&admin),
        )
        .json(&json!({ "name_zh": "x", "name_en": "x", "kind": "other", "extra": 1 }))
        .send()
        .await
        .expect("put");
    let (st, e) = api_error("extra field", r).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e.error, "malformed");
}
