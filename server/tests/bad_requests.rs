//! Bad input gets a clear, typed answer and changes nothing: malformed JSON,
//! oversize bodies, wrong content types, path tricks in ids, replayed or
//! expired tokens and codes, old clients, broken uploads.

mod support;

use base64::Engine;
use minqing_protocol::wire::{ApiError, SessionTokens};
use minqing_protocol::{ClientId, PhotoId, TicketId};
use reqwest::Method;
use sha2::{Digest, Sha256};
use support::{start, TestServer};

async fn error_of(r: reqwest::Response) -> (u16, ApiError) {
    let status = r.status().as_u16();
    let body = r.text().await.expect("body");
    let e: ApiError = serde_json::from_str(&body)
        .unwrap_or_else(|_| panic!("status {status}: not an ApiError: {body}"));
    assert!(!e.message_zh.is_empty() && !e.message_en.is_empty());
    (status, e)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn meta(photo: PhotoId, ticket: TicketId, sha: &str, filetype: &str) -> String {
    format!(
        "photo_id {},ticket_id {},sha256 {},filetype {}",
        b64(&photo.to_string()),
        b64(&ticket.to_string()),
        b64(sha),
        b64(filetype)
    )
}

/// A ticket `t` filed, for its photos (an upload must name a ticket its
/// uploader may attach to).
async fn filed(s: &TestServer, t: &SessionTokens) -> TicketId {
    let client = ClientId::new();
    let nt = minqing_protocol::NewTicket {
        photo_count: 1,
        ..support::tickets::new("窨井盖松动")
    };
    let id = nt.id;
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&t.access_token))
        .json(&serde_json::json!({
            "client_id": client,
            "mutations": [support::tickets::create(client, 1, nt)],
        }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);
    id
}

/// A finished photo's bytes as the server gives them back (200 required).
async fn stored_photo(s: &TestServer, t: &SessionTokens, photo: PhotoId) -> Vec<u8> {
    let r = s
        .req(
            Method::GET,
            &format!("/v1/photos/{photo}"),
            Some(&t.access_token),
        )
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 200);
    r.bytes().await.expect("bytes").to_vec()
}

fn tus(s: &TestServer, m: Method, path: &str, t: &SessionTokens) -> reqwest::RequestBuilder {
    s.req(m, path, Some(&t.access_token))
        .header("tus-resumable", "1.0.0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversize_and_mistyped_bodies() {
    let s = start().await;
    let t = s.login("陆靖英").await;
    let tok = Some(t.access_token.as_str());
    let mut seen = Vec::new();

    let r = s
        .req(Method::POST, "/v1/sync/push", tok)
        .header("content-type", "application/json")
        .body("{\"client_id\": ")
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!((st, e.error.as_str()), (400, "malformed"));
    seen.push(format!("malformed JSON → {st} {}", e.error));

    let r = s
        .req(Method::POST, "/v1/sync/push", tok)
        .header("content-type", "application/json")
        .body(r#"{"client_id": "not-a-uuid", "mutations": []}"#)
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!((st, e.error.as_str()), (400, "malformed"));
    seen.push(format!("wrong field types → {st} {}", e.error));

    // 3 MB declared: refused from the headers, before the body is read. Sent
    // raw so the early answer is seen rather than a broken pipe.
    let raw = {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(s.url.trim_start_matches("http://")).expect("tcp");
        write!(
            c,
            "POST /v1/sync/push HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
             minqing-protocol: 1\r\ncontent-type: application/json\r\n\
             content-length: 3145728\r\nconnection: close\r\n\r\n{{",
            t.access_token
        )
        .expect("write");
        // Read the answer's head only; the server may hold the socket open.
        c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = vec![0u8; 4096];
        let mut out = Vec::new();
        while !String::from_utf8_lossy(&out).contains("too_large") {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains("too_large"), "{raw}");
    let (st, e) = (
        413,
        ApiError {
            error: "too_large".into(),
            message_zh: String::new(),
            message_en: String::new(),
            expected: None,
        },
    );
    seen.push(format!("3 MB JSON body → {st} {}", e.error));

    let r = s
        .req(Method::POST, "/v1/sync/push", tok)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!((st, e.error.as_str()), (415, "unsupported_media_type"));
    seen.push(format!("text/plain body → {st} {}", e.error));

    let r = tus(&s, Method::POST, "/v1/uploads", &t)
        .header("upload-length", "1000")
        .header(
            "upload-metadata",
            meta(
                PhotoId::new(),
                TicketId::new(),
                &"a".repeat(64),
                "image/heic",
            ),
        )
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!(st, 415);
    seen.push(format!("upload of image/heic → {st} {}", e.error));

    let r = tus(&s, Method::POST, "/v1/uploads", &t)
        .header("upload-length", (64u64 * 1024 * 1024).to_string())
        .header(
            "upload-metadata",
            meta(
                PhotoId::new(),
                TicketId::new(),
                &"a".repeat(64),
                "image/jpeg",
            ),
        )
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!(st, 413);
    seen.push(format!("64 MB Upload-Length → {st} {}", e.error));

    let r = s
        .req(Method::POST, "/v1/uploads", tok)
        .header("upload-length", "10")
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 412, "no Tus-Resumable");
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    seen.push("upload without Tus-Resumable → 412".into());

    let r = tus(&s, Method::POST, "/v1/uploads", &t)
        .header("upload-length", "10")
        .header("upload-metadata", "photo_id !!!notbase64")
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!((st, e.error.as_str()), (400, "bad_metadata"));
    seen.push(format!("garbage Upload-Metadata → {st} {}", e.error));

    let r = s
        .req(Method::GET, "/v1/sync/pull", tok)
        .header("minqing-protocol", "0")
        .send()
        .await
        .expect("r");
    // reqwest appends; send a request with only the old version instead.
    drop(r);
    let r = s
        .http
        .get(s.u("/v1/sync/pull"))
        .bearer_auth(&t.access_token)
        .header("minqing-protocol", "0")
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!((st, e.error.as_str()), (426, "too_old"));
    seen.push(format!("protocol version 0 → {st} {}", e.error));

    let r = s
        .req(Method::POST, "/v1/sync/push", tok)
        .json(&serde_json::json!({
            "client_id": ClientId::new(),
            "mutations": vec![serde_json::Value::Null; 501],
        }))
        .send()
        .await
        .expect("r");
    let (st, _) = error_of(r).await;
    assert_eq!(st, 400, "nulls are not mutations");
    seen.push(format!("501 null mutations → {st}"));
    eprintln!("{}", seen.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_tricks_in_ids_find_nothing() {
    let s = start().await;
    let t = s.login("陆靖英").await;
    let tok = Some(t.access_token.as_str());
    for path in [
        "/v1/tickets/..%2F..%2Fserver.db",
        "/v1/tickets/../../etc/passwd",
        "/v1/photos/..%2Fphotos%2Fx",
        "/v1/photos/%2e%2e%2fsms.log",
        "/v1/uploads/..%2F..%2Fserver.db",
        "/v1/tickets/01890a5d-ac96-774b-bcce-b302099a8057%00",
        "/v1/tickets/01890A5D-AC96-774B-BCCE-B302099A8057X",
        "/static/../server.db",
    ] {
        for m in [Method::GET, Method::HEAD, Method::PATCH, Method::DELETE] {
            let r = s
                .req(m.clone(), path, tok)
                .header("tus-resumable", "1.0.0")
                .send()
                .await
                .expect("r");
            let st = r.status().as_u16();
            assert!(
                st == 404 || st == 405,
                "{m} {path} answered {st}: {}",
                r.text().await.unwrap_or_default()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_expire_are_rate_limited_and_are_single_use() {
    let s = start().await;
    let phone = s.person("陆靖英").phone.clone();
    let code_req = || {
        s.http
            .post(s.u("/v1/auth/sms-code"))
            .json(&serde_json::json!({ "phone": phone }))
            .send()
    };
    let login = |code: String| {
        s.http
            .post(s.u("/v1/auth/login"))
            .json(&serde_json::json!({ "phone": phone, "code": code }))
            .send()
    };
    assert_eq!(code_req().await.expect("r").status(), 202);
    let r = code_req().await.expect("r");
    assert_eq!(r.status(), 429, "a second code within a minute");
    assert!(r.headers().contains_key("retry-after"));
    let code = s.latest_code(&phone).expect("code");

    // Five wrong guesses void the code, even for the right one afterwards.
    for _ in 0..5 {
        let wrong = format!(
            "{:06}",
            (code.parse::<u32>().expect("digits") + 1) % 1_000_000
        );
        let (st, e) = error_of(login(wrong).await.expect("r")).await;
        assert_eq!((st, e.error.as_str()), (401, "bad_code"));
    }
    let (st, _) = error_of(login(code.clone()).await.expect("r")).await;
    assert_eq!(st, 401, "voided after too many attempts");

    // Expiry: age the code in the database, as time would.
    let db = rusqlite::Connection::open(s.data_dir.join("server.db")).expect("db");
    db.execute(
        "UPDATE sms_codes SET attempts = 0, last_sent_at = 0, window_start = 0, code_hash = NULL",
        [],
    )
    .expect("reset");
    assert_eq!(code_req().await.expect("r").status(), 202);
    let code = s.latest_code(&phone).expect("code");
    db.execute("UPDATE sms_codes SET expires_at = 1", [])
        .expect("age");
    let (st, _) = error_of(login(code).await.expect("r")).await;
    assert_eq!(st, 401, "expired");

    // Single use.
    db.execute("UPDATE sms_codes SET last_sent_at = 0", [])
        .expect("allow resend");
    assert_eq!(code_req().await.expect("r").status(), 202);
    let code = s.latest_code(&phone).expect("code");
    assert_eq!(login(code.clone()).await.expect("r").status(), 200);
    assert_eq!(login(code).await.expect("r").status(), 401, "used up");

    // Unknown numbers: same answer, no SMS; malformed numbers: a clear 400.
    let r = s
        .http
        .post(s.u("/v1/auth/sms-code"))
        .json(&serde_json::json!({ "phone": "13999999999" }))
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 202);
    assert!(s.latest_code("13999999999").is_none());
    let r = s
        .http
        .post(s.u("/v1/auth/sms-code"))
        .json(&serde_json::json!({ "phone": "12345" }))
        .send()
        .await
        .expect("r");
    assert_eq!(error_of(r).await.1.error, "bad_phone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_a_replayed_refresh_revokes_the_session() {
    let s = start().await;
    let t = s.login("陆靖英").await;
    let refresh = |tok: String| {
        s.http
            .post(s.u("/v1/auth/refresh"))
            .json(&serde_json::json!({ "refresh_token": tok }))
            .send()
    };
    let r = refresh(t.refresh_token.clone()).await.expect("r");
    assert_eq!(r.status(), 200);
    let t2: SessionTokens = r.json().await.expect("json");
    assert_ne!(t2.access_token, t.access_token);
    let me = |tok: String| s.req(Method::GET, "/v1/me", Some(&tok)).send();
    assert_eq!(
        me(t.access_token.clone()).await.expect("r").status(),
        401,
        "old access dead"
    );
    assert_eq!(me(t2.access_token.clone()).await.expect("r").status(), 200);

    // The old refresh token comes back (stolen, or replayed): the session ends.
    assert_eq!(
        refresh(t.refresh_token.clone()).await.expect("r").status(),
        401
    );
    assert_eq!(
        me(t2.access_token.clone()).await.expect("r").status(),
        401,
        "revoked"
    );
    assert_eq!(refresh(t2.refresh_token).await.expect("r").status(), 401);

    // Garbage and missing tokens.
    assert_eq!(me("mqa_garbage".into()).await.expect("r").status(), 401);
    let r = s.http.get(s.u("/v1/me")).send().await.expect("r");
    assert_eq!(error_of(r).await.1.error, "unauthorized");

    // Tokens are stored hashed: the database does not contain them.
    let db = std::fs::read(s.data_dir.join("server.db")).expect("db");
    let hay = String::from_utf8_lossy(&db);
    assert!(!hay.contains(&t2.access_token[4..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_password_login() {
    let s = start().await;
    let staff = s.person("陈芊含").clone();
    let password = staff.password.clone().expect("staff have a password");
    let login = |phone: String, pw: String| {
        s.http
            .post(s.u("/v1/auth/password"))
            .json(&serde_json::json!({ "phone": phone, "password": pw }))
            .send()
    };
    assert_eq!(
        login(staff.phone.clone(), password)
            .await
            .expect("r")
            .status(),
        200
    );
    let (st, e) = error_of(login(staff.phone.clone(), "wrong".into()).await.expect("r")).await;
    assert_eq!((st, e.error.as_str()), (401, "bad_password"));
    // Deputies have no password login at all.
    let deputy = s.person("陆靖英").phone.clone();
    assert_eq!(login(deputy, String::new()).await.expect("r").status(), 401);
    // Stored as argon2, never in clear.
    let db = rusqlite::Connection::open(s.data_dir.join("server.db")).expect("db");
    let hash: String = db
        .query_row(
            "SELECT password_hash FROM users WHERE phone = ?1",
            [&staff.phone],
            |r| r.get(0),
        )
        .expect("hash");
    assert!(hash.starts_with("$argon2id$"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_uploads_are_refused_and_keep_nothing() {
    let s = start().await;
    let t = s.login("陆靖英").await;
    let ticket = filed(&s, &t).await;
    let bytes = minqing_capture::testsupport::rendition_jpeg(64, 64);
    let sha = hex::encode(Sha256::digest(&bytes));
    let create = |photo: PhotoId, sha: String, len: usize| {
        tus(&s, Method::POST, "/v1/uploads", &t)
            .header("upload-length", len.to_string())
            .header("upload-metadata", meta(photo, ticket, &sha, "image/jpeg"))
            .send()
    };
    let patch = |url: String, offset: usize, body: Vec<u8>, sum: Option<String>| {
        let mut b = tus(&s, Method::PATCH, &url, &t)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(body);
        if let Some(sum) = sum {
            b = b.header("upload-checksum", format!("sha256 {sum}"));
        }
        b.send()
    };
    let b64sum = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b));

    // A chunk whose checksum does not match: 460, offset unchanged.
    let r = create(PhotoId::new(), sha.clone(), bytes.len())
        .await
        .expect("r");
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    let r = patch(
        url.clone(),
        0,
        bytes[..100].to_vec(),
        Some(b64sum(b"other")),
    )
    .await
    .expect("r");
    assert_eq!(r.status(), 460);
    let r = tus(&s, Method::HEAD, &url, &t).send().await.expect("r");
    assert_eq!(r.headers()["upload-offset"], "0");
    // PATCH without the offset+octet-stream type.
    let r = tus(&s, Method::PATCH, &url, &t)
        .header("content-type", "application/json")
        .header("upload-offset", "0")
        .body("{}")
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 415);
    // More bytes than declared.
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 10]);
    let r = patch(url.clone(), 0, long, None).await.expect("r");
    assert_eq!(r.status(), 413);
    let r = tus(&s, Method::HEAD, &url, &t).send().await.expect("r");
    assert_eq!(r.headers()["upload-offset"], "0");

    // Whole photo differs from the SHA-256 recorded at capture: refused, gone.
    let mut corrupt = bytes.clone();
    let last = corrupt.len() - 3;
    corrupt[last] ^= 0xFF;
    let r = patch(url.clone(), 0, corrupt.clone(), Some(b64sum(&corrupt)))
        .await
        .expect("r");
    assert_eq!(r.status(), 460);
    assert_eq!(error_of(r).await.1.error, "photo_checksum_mismatch");
    let r = tus(&s, Method::HEAD, &url, &t).send().await.expect("r");
    assert_eq!(
        r.status(),
        404,
        "the bad upload is gone; the client starts anew"
    );

    // Right hash, but not a JPEG.
    let png = minqing_capture::testsupport::photo_png(8, 8);
    let r = create(PhotoId::new(), hex::encode(Sha256::digest(&png)), png.len())
        .await
        .expect("r");
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    let r = patch(url, 0, png.clone(), Some(b64sum(&png)))
        .await
        .expect("r");
    assert_eq!(error_of(r).await.1.error, "not_jpeg");

    // Expired upload: 410.
    let r = create(PhotoId::new(), sha.clone(), bytes.len())
        .await
        .expect("r");
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    let db = rusqlite::Connection::open(s.data_dir.join("server.db")).expect("db");
    db.execute(
        "UPDATE uploads SET expires_at = 1 WHERE completed_at IS NULL",
        [],
    )
    .expect("age");
    let r = tus(&s, Method::HEAD, &url, &t).send().await.expect("r");
    assert_eq!(r.status(), 410);

    // Nothing reached the photo store.
    let stored = std::fs::read_dir(s.data_dir.join("photos"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(stored, 0);

    // Another user's photo id cannot be taken over.
    let photo = PhotoId::new();
    assert_eq!(
        create(photo, sha.clone(), bytes.len())
            .await
            .expect("r")
            .status(),
        201
    );
    let other = s.login("王建国").await;
    let theirs = filed(&s, &other).await;
    let r = tus(&s, Method::POST, "/v1/uploads", &other)
        .header("upload-length", bytes.len().to_string())
        .header("upload-metadata", meta(photo, theirs, &sha, "image/jpeg"))
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 409);
}

/// tus `creation-with-upload`: the photo travels with its creation request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_with_upload() {
    let s = start().await;
    let t = s.login("陆靖英").await;
    let ticket = filed(&s, &t).await;
    let bytes = minqing_capture::testsupport::rendition_jpeg(64, 64);
    let sha = hex::encode(Sha256::digest(&bytes));
    let create_with = |photo: PhotoId, body: Vec<u8>| {
        tus(&s, Method::POST, "/v1/uploads", &t)
            .header("upload-length", bytes.len().to_string())
            .header("upload-metadata", meta(photo, ticket, &sha, "image/jpeg"))
            .header("content-type", "application/offset+octet-stream")
            .body(body)
            .send()
    };
    let offset = |r: &reqwest::Response| {
        r.headers()["upload-offset"]
            .to_str()
            .expect("offset")
            .to_owned()
    };
    let r = tus(&s, Method::OPTIONS, "/v1/uploads", &t)
        .send()
        .await
        .expect("r");
    let ext = r.headers()["tus-extension"].to_str().expect("ext");
    assert!(ext.split(',').any(|e| e == "creation-with-upload"), "{ext}");

    // The whole photo in one request: created, complete, readable.
    let photo = PhotoId::new();
    let r = create_with(photo, bytes.clone()).await.expect("r");
    assert_eq!(r.status(), 201);
    assert_eq!(offset(&r), bytes.len().to_string());
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    assert_eq!(stored_photo(&s, &t, photo).await, bytes);
    // Again (an answer lost): the same upload, where it stands; the body is not needed.
    let r = create_with(photo, Vec::new()).await.expect("r");
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"].to_str().expect("loc"), url);
    assert_eq!(offset(&r), bytes.len().to_string());

    // Half a photo (a client that sends a first part): the server holds it,
    // and a PATCH from there finishes the upload.
    let photo = PhotoId::new();
    let half = bytes.len() / 2;
    let r = create_with(photo, bytes[..half].to_vec()).await.expect("r");
    assert_eq!(r.status(), 201);
    assert_eq!(offset(&r), half.to_string());
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    let r = tus(&s, Method::PATCH, &url, &t)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", half.to_string())
        .body(bytes[half..].to_vec())
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 204);
    assert_eq!(offset(&r), bytes.len().to_string());

    // A photo that is not the one captured: refused, nothing kept, and the
    // right bytes are taken afterwards.
    let photo = PhotoId::new();
    let mut corrupt = bytes.clone();
    let last = corrupt.len() - 3;
    corrupt[last] ^= 0xFF;
    let r = create_with(photo, corrupt).await.expect("r");
    assert_eq!(r.status(), 460);
    assert!(r.headers().get("location").is_none());
    assert_eq!(error_of(r).await.1.error, "photo_checksum_mismatch");
    let r = create_with(photo, bytes.clone()).await.expect("r");
    assert_eq!(r.status(), 201);
    assert_eq!(offset(&r), bytes.len().to_string());
}

/// The bytes of an unfinished upload live in one server process's part file.
/// When they are not there (the upload began on another process without a
/// shared volume, or the file was lost), the server does not promise them:
/// HEAD and PATCH answer from what it holds, and the client sends the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_not_held_are_not_promised() {
    let s = start().await;
    let t = s.login("陆靖英").await;
    let ticket = filed(&s, &t).await;
    let bytes = minqing_capture::testsupport::rendition_jpeg(64, 64);
    let sha = hex::encode(Sha256::digest(&bytes));
    let photo = PhotoId::new();
    let r = tus(&s, Method::POST, "/v1/uploads", &t)
        .header("upload-length", bytes.len().to_string())
        .header("upload-metadata", meta(photo, ticket, &sha, "image/jpeg"))
        .send()
        .await
        .expect("r");
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    let patch = |offset: usize, body: Vec<u8>| {
        tus(&s, Method::PATCH, &url, &t)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(body)
            .send()
    };
    let half = bytes.len() / 2;
    let r = patch(0, bytes[..half].to_vec()).await.expect("r");
    assert_eq!(r.headers()["upload-offset"], half.to_string().as_str());

    let id = url.rsplit('/').next().expect("id");
    let part = s.data_dir.join("uploads").join(format!("{id}.part"));
    // The half is also shared with other server processes, as a segment in
    // the photo store: a process without the part file rebuilds it from
    // there and vouches for it.
    let segments = s.data_dir.join("photos").join("uploads").join(id);
    assert!(segments.is_dir(), "the kept half was shared");
    std::fs::remove_file(&part).expect("the part file is where the server keeps it");
    let r = tus(&s, Method::HEAD, &url, &t).send().await.expect("r");
    assert_eq!(r.headers()["upload-offset"], half.to_string().as_str());
    assert_eq!(
        std::fs::read(&part).expect("rebuilt from the segment"),
        &bytes[..half]
    );

    // Neither the part file nor a segment: nothing is promised.
    std::fs::remove_file(&part).expect("part file");
    std::fs::remove_dir_all(&segments).expect("segments");
    let r = tus(&s, Method::HEAD, &url, &t).send().await.expect("r");
    assert_eq!(r.headers()["upload-offset"], "0");
    let r = patch(half, bytes[half..].to_vec()).await.expect("r");
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["upload-offset"], "0");
    let r = patch(0, bytes.clone()).await.expect("r");
    assert_eq!(r.status(), 204);
    assert_eq!(stored_photo(&s, &t, photo).await, bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_client_id_and_ticket() {
    let s = start().await;
    let a = s.login("陆靖英").await;
    let b = s.login("杜玉妹").await;
    let client = ClientId::new();
    let push = |tok: &str| {
        s.req(Method::POST, "/v1/sync/push", Some(tok))
            .json(&serde_json::json!({ "client_id": client, "mutations": [] }))
            .send()
    };
    // An empty push does not claim the id; a real one does.
    let nt = serde_json::json!({
        "client_id": client,
        "mutations": [{
            "client_id": client, "mutation_id": 1,
            "kind": {"type": "create_ticket", "ticket": {
                "id": TicketId::new(), "event": minqing_protocol::EventId::new(),
                "group": null, "jurisdiction": null, "category": null, "item": null,
                "text": "路灯不亮", "location": null, "channel": "field_capture",
                "constituent": null, "mentioned_unit": null, "photo_count": 0
            }}
        }]
    });
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&a.access_token))
        .json(&nt)
        .send()
        .await
        .expect("r");
    assert_eq!(r.status(), 200);
    // The id is 陆靖英's now: another user may not push under it at all.
    let r = push(&b.access_token).await.expect("r");
    assert_eq!(r.status(), 403);
    let r = s
        .req(Method::POST, "/v1/sync/push", Some(&b.access_token))
        .json(&nt)
        .send()
        .await
        .expect("r");
    let (st, e) = error_of(r).await;
    assert_eq!((st, e.error.as_str()), (403, "forbidden"));
}
