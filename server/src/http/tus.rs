//! Photo uploads over tus 1.0.0 with the creation, checksum (sha256),
//! termination and expiration extensions (https://tus.io/protocols/resumable-upload).
//!
//! Creation must carry `Upload-Metadata` with `photo_id`, `ticket_id`, `sha256`
//! (hex, as recorded at capture) and `filetype` (`image/jpeg`). Creating again
//! for the same photo returns the same upload, so a client that lost the answer
//! resumes instead of starting over. Only the uploader sees an upload.
//!
//! With `creation-with-upload` the creation request carries the photo itself
//! (`Content-Type: application/offset+octet-stream`): one request for the
//! common case, answered `201` with `Location` and `Upload-Offset`. If the
//! photo's upload already exists, its body is not read and the answer gives
//! the offset the server holds, from which the client goes on with `PATCH`.

// Early returns carry a ready `Response`; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use super::error::{ErrorCode, Failure};
use super::{path_uuid, AppState};
use crate::auth::Caller;
use crate::store::now_ms;
use crate::store::uploads::UploadRecord;
use crate::uploads::{Appended, UploadError};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use minqing_protocol::wire::upload_meta;
use std::collections::HashMap;

pub const TUS_VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,creation-with-upload,checksum,termination,expiration";
/// How long a HEAD waits for a PATCH still running on the same upload.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);
/// tus: "460 Checksum Mismatch".
pub const CHECKSUM_MISMATCH: u16 = 460;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/uploads", post(create).options(options))
        .route(
            "/v1/uploads/{id}",
            axum::routing::head(head)
                .patch(patch)
                .delete(terminate)
                .options(options),
        )
}

fn with_tus(mut r: Response) -> Response {
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    r
}

fn fail(f: Failure) -> Response {
    with_tus(f.into_response())
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check_resumable(h: &HeaderMap) -> Result<(), Response> {
    if header_str(h, "tus-resumable") == Some(TUS_VERSION) {
        return Ok(());
    }
    let mut r = fail(Failure::new(
        StatusCode::PRECONDITION_FAILED,
        ErrorCode::TusVersion,
        "不支持的上传协议版本",
        "Unsupported tus version (need Tus-Resumable: 1.0.0)",
    ));
    r.headers_mut()
        .insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    Err(r)
}

fn http_date(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn parse_metadata(s: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in s.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once(' ').unwrap_or((pair, ""));
        let v = base64::engine::general_purpose::STANDARD.decode(v).ok()?;
        out.insert(k.to_owned(), String::from_utf8(v).ok()?);
    }
    Some(out)
}

fn bad_meta(what: &str) -> Response {
    fail(Failure::bad_request(
        ErrorCode::BadMetadata,
        "上传信息不完整",
        format!("Upload-Metadata: {what}"),
    ))
}

pub async fn options(State(state): State<AppState>) -> Response {
    let mut r = with_tus(StatusCode::NO_CONTENT.into_response());
    let h = r.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-extension", HeaderValue::from_static(EXTENSIONS));
    h.insert("tus-checksum-algorithm", HeaderValue::from_static("sha256"));
    if let Ok(v) = HeaderValue::from_str(&state.limits.max_photo_bytes.to_string()) {
        h.insert("tus-max-size", v);
    }
    r
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(r) = check_resumable(&headers) {
        return r;
    }
    let Some(length) = header_str(&headers, "upload-length").and_then(|v| v.parse::<u64>().ok())
    else {
        return fail(Failure::bad_request(
            ErrorCode::BadLength,
            "缺少上传大小",
            "Upload-Length is required (deferred length is not supported)",
        ));
    };
    if length > state.limits.max_photo_bytes || length == 0 {
        return fail(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!(
                "照片过大（上限 {} MB）",
                state.limits.max_photo_bytes / (1024 * 1024)
            ),
            format!(
                "Photo size must be 1 to {} bytes",
                state.limits.max_photo_bytes
            ),
        ));
    }
    let Some(meta) = header_str(&headers, "upload-metadata").and_then(parse_metadata) else {
        return bad_meta("missing or not base64");
    };
    let Some(photo_id) = meta
        .get(upload_meta::PHOTO_ID)
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
    else {
        return bad_meta("photo_id must be a UUID");
    };
    let Some(ticket_id) = meta
        .get(upload_meta::TICKET_ID)
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
    else {
        return bad_meta("ticket_id must be a UUID");
    };
    let Some(sha256) = meta
        .get(upload_meta::SHA256)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|v| v.to_ascii_lowercase())
    else {
        return bad_meta("sha256 must be 64 hex digits");
    };
    if meta.get(upload_meta::FILETYPE).map(String::as_str) != Some("image/jpeg") {
        return fail(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "只接受 JPEG 照片",
            "Only image/jpeg photos are accepted",
        ));
    }
    let now = now_ms();
    let new_id = uuid::Uuid::now_v7().to_string();
    let rec = UploadRecord {
        id: new_id.clone(),
        user_id: caller.me.user.to_string(),
        photo_id: photo_id.to_string(),
        ticket_id: ticket_id.to_string(),
        sha256,
        length,
        offset: 0,
        expires_at: now + state.limits.upload_ttl_ms,
        completed: false,
    };
    let user = rec.user_id.clone();
    let got = match state
        .db(move |db| db.create_upload(&rec, now).map_err(Failure::from))
        .await
    {
        Ok(r) => r,
        Err(f) => return fail(f),
    };
    if got.user_id != user {
        return fail(Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::PhotoIdTaken,
            "照片编号冲突",
            "This photo id is already used",
        ));
    }
    let location = HeaderValue::from_str(&format!("/v1/uploads/{}", got.id));
    let with_upload =
        header_str(&headers, "content-type") == Some("application/offset+octet-stream");
    let mut r = if !with_upload {
        let mut r = with_tus(StatusCode::CREATED.into_response());
        if !got.completed {
            if let Ok(v) = HeaderValue::from_str(&http_date(got.expires_at)) {
                r.headers_mut().insert("upload-expires", v);
            }
        }
        r
    } else if got.id == new_id && !got.completed && got.offset == 0 {
        let checksum = match parse_checksum(&headers) {
            Ok(c) => c,
            Err(r) => return r,
        };
        let Ok(uid) = uuid::Uuid::parse_str(&got.id) else {
            return fail(Failure::not_found());
        };
        receive_body(&state, uid, got, checksum, body, StatusCode::CREATED).await
    } else {
        // Created before (an answer lost, an app killed): where it stands.
        let got = match uuid::Uuid::parse_str(&got.id) {
            Ok(uid) => match vouched(&state, uid, got).await {
                Ok(g) => g,
                Err(f) => return fail(f),
            },
            Err(_) => return fail(Failure::not_found()),
        };
        let offset = got.offset;
        offset_response(StatusCode::CREATED, &got, offset)
    };
    if r.status() == StatusCode::CREATED {
        if let Ok(v) = location {
            r.headers_mut().insert(header::LOCATION, v);
        }
    }
    r
}

/// The caller's live upload `id`, or the response to give instead.
async fn own_upload(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(uuid::Uuid, UploadRecord), Response> {
    let uid = path_uuid(id).map_err(fail)?;
    let key = uid.to_string();
    let rec = state
        .db(move |db| db.upload(&key).map_err(Failure::from))
        .await
        .map_err(fail)?;
    let Some(rec) = rec.filter(|r| r.user_id == caller.me.user.to_string()) else {
        return Err(fail(Failure::not_found()));
    };
    if !rec.completed && rec.expires_at <= now_ms() {
        return Err(fail(Failure::new(
            StatusCode::GONE,
            ErrorCode::Expired,
            "上传已过期，将重新上传",
            "This upload has expired; start a new one",
        )));
    }
    let rec = vouched(state, uid, rec).await.map_err(fail)?;
    Ok((uid, rec))
}

/// `rec` with an offset this process can vouch for. Unfinished bytes live in
/// this process's part file: an upload begun on another server process (or
/// whose part file was lost) goes on from what is here, usually from 0, and
/// the record says so before anyone relies on it.
async fn vouched(
    state: &AppState,
    uid: uuid::Uuid,
    mut rec: UploadRecord,
) -> Result<UploadRecord, Failure> {
    if rec.completed || rec.offset == 0 {
        return Ok(rec);
    }
    let held = state.uploads.held(&uid).await;
    if held < rec.offset {
        tracing::warn!(upload = %uid, recorded = rec.offset, held, "upload bytes not here; going on from what is");
        let key = rec.id.clone();
        state
            .db(move |db| db.set_upload_offset(&key, held).map_err(Failure::from))
            .await?;
        rec.offset = held;
    }
    Ok(rec)
}

fn offset_response(status: StatusCode, rec: &UploadRecord, offset: u64) -> Response {
    let mut r = with_tus(status.into_response());
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&offset.to_string()) {
        h.insert("upload-offset", v);
    }
    if let Ok(v) = HeaderValue::from_str(&rec.length.to_string()) {
        h.insert("upload-length", v);
    }
    if !rec.completed {
        if let Ok(v) = HeaderValue::from_str(&http_date(rec.expires_at)) {
            h.insert("upload-expires", v);
        }
    }
    r
}

pub async fn head(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = check_resumable(&headers) {
        return r;
    }
    // A PATCH still running for this upload (its client may already have
    // given up on it) settles first, so the offset includes what it kept.
    if let Ok(uid) = path_uuid(&id) {
        state.uploads.settled(uid, SETTLE_LIMIT).await;
    }
    match own_upload(&state, &caller, &id).await {
        Ok((_, rec)) => offset_response(StatusCode::OK, &rec, rec.offset),
        Err(r) => r,
    }
}

fn parse_checksum(h: &HeaderMap) -> Result<Option<[u8; 32]>, Response> {
    let Some(v) = header_str(h, "upload-checksum") else {
        return Ok(None);
    };
    let bad = || {
        fail(Failure::bad_request(
            ErrorCode::BadChecksum,
            "校验信息格式不正确",
            "Upload-Checksum must be `sha256 <base64>`",
        ))
    };
    let (algo, b64) = v.split_once(' ').ok_or_else(bad)?;
    if algo != "sha256" {
        return Err(bad());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| bad())?;
    bytes.try_into().map(Some).map_err(|_| bad())
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    if let Err(r) = check_resumable(&headers) {
        return r;
    }
    let (uid, rec) = match own_upload(&state, &caller, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if header_str(&headers, "content-type") != Some("application/offset+octet-stream") {
        return fail(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "上传内容类型不正确",
            "PATCH needs Content-Type: application/offset+octet-stream",
        ));
    }
    let checksum = match parse_checksum(&headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let claimed = header_str(&headers, "upload-offset").and_then(|v| v.parse::<u64>().ok());
    if claimed != Some(rec.offset) {
        return offset_response(StatusCode::CONFLICT, &rec, rec.offset);
    }
    if rec.completed {
        return offset_response(StatusCode::NO_CONTENT, &rec, rec.offset);
    }
    receive_body(&state, uid, rec, checksum, body, StatusCode::NO_CONTENT).await
}

/// Take a request body into upload `rec` (already checked: the caller's, live,
/// at the offset the client claimed) and answer with the offset reached. At
/// the end the photo is verified and stored, and the record completed.
async fn receive_body(
    state: &AppState,
    uid: uuid::Uuid,
    rec: UploadRecord,
    checksum: Option<[u8; 32]>,
    body: Body,
    status: StatusCode,
) -> Response {
    let Some(_busy) = state.uploads.claim(uid) else {
        return fail(Failure::new(
            StatusCode::LOCKED,
            ErrorCode::Busy,
            "上一段仍在接收，稍后重试",
            "Another PATCH to this upload is still running",
        ));
    };
    let received = state
        .uploads
        .receive(
            &uid,
            rec.offset,
            rec.length,
            checksum,
            body.into_data_stream(),
        )
        .await;
    let key = rec.id.clone();
    let (new_offset, whole) = match received {
        Ok(Appended::Partial(n)) => (n, None),
        Ok(Appended::Whole { bytes, sha256 }) => (rec.length, Some(Whole::Memory(bytes, sha256))),
        Ok(Appended::WholeOnDisk { sha256 }) => (rec.length, Some(Whole::Disk(sha256))),
        Err(UploadError::Interrupted { kept }) => {
            let _ = state
                .db(move |db| {
                    db.set_upload_offset(&key, rec.offset + kept)
                        .map_err(Failure::from)
                })
                .await;
            return fail(Failure::bad_request(
                ErrorCode::Interrupted,
                "连接中断",
                "The request body broke off",
            ));
        }
        Err(UploadError::ChunkChecksum) => {
            return fail(Failure::new(
                StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
                ErrorCode::ChecksumMismatch,
                "数据校验失败，将重新发送这一段",
                "Checksum Mismatch",
            ))
        }
        Err(UploadError::TooLong) => {
            return fail(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLong,
                "上传内容超出声明的大小",
                "More bytes than Upload-Length",
            ))
        }
        Err(e) => return fail(Failure::unavailable(e)),
    };
    let mut rec = rec;
    if new_offset == rec.length {
        let finished = match whole {
            Some(Whole::Memory(bytes, sha256)) => {
                state
                    .uploads
                    .finish_whole(&uid, &rec.photo_id, &rec.sha256, bytes, sha256)
                    .await
            }
            Some(Whole::Disk(sha256)) => {
                state
                    .uploads
                    .finish(&uid, &rec.photo_id, &rec.sha256, Some(sha256))
                    .await
            }
            None => {
                state
                    .uploads
                    .finish(&uid, &rec.photo_id, &rec.sha256, None)
                    .await
            }
        };
        match finished {
            Ok(()) => {}
            Err(e @ (UploadError::WholeChecksum | UploadError::NotJpeg)) => {
                let k = key.clone();
                let _ = state
                    .db(move |db| db.delete_upload(&k).map_err(Failure::from))
                    .await;
                return fail(match e {
                    UploadError::NotJpeg => Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        ErrorCode::NotJpeg,
                        "照片文件已损坏或不是 JPEG",
                        "The uploaded file is not a JPEG photo",
                    ),
                    _ => Failure::new(
                        StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
                        ErrorCode::PhotoChecksumMismatch,
                        "照片与拍摄时记录的不一致，将重新上传",
                        "The photo's SHA-256 differs from the one recorded at capture",
                    ),
                });
            }
            Err(e) => return fail(Failure::unavailable(e)),
        }
        // Offset and completion in one write.
        let k = key.clone();
        if let Err(f) = state
            .db(move |db| db.complete_upload(&k, now_ms()).map_err(Failure::from))
            .await
        {
            return fail(f);
        }
        rec.completed = true;
        // Devices waiting for this photo fetch it on their next pass (other
        // processes hear of it through the store's NOTIFY, on PostgreSQL).
        state.pokes.poke();
    } else {
        let k = key.clone();
        if let Err(f) = state
            .db(move |db| db.set_upload_offset(&k, new_offset).map_err(Failure::from))
            .await
        {
            return fail(f);
        }
    }
    offset_response(status, &rec, new_offset)
}

/// A whole upload that arrived in one request, hashed on the way.
enum Whole {
    Memory(bytes::Bytes, [u8; 32]),
    Disk([u8; 32]),
}

pub async fn terminate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = check_resumable(&headers) {
        return r;
    }
    let (uid, rec) = match own_upload(&state, &caller, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if rec.completed {
        return fail(Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::Completed,
            "照片已上传完成，不能撤销",
            "A finished upload cannot be terminated",
        ));
    }
    state.uploads.discard(&uid).await;
    match state
        .db(move |db| db.delete_upload(&rec.id).map_err(Failure::from))
        .await
    {
        Ok(()) => with_tus(StatusCode::NO_CONTENT.into_response()),
        Err(f) => fail(f),
    }
}
