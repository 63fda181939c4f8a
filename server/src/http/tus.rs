//! Photo uploads over tus 1.0.0 with the creation, checksum (sha256),
//! termination and expiration extensions (https://tus.io/protocols/resumable-upload).
//!
//! Creation must carry `Upload-Metadata` with `photo_id`, `ticket_id`, `sha256`
//! (hex, as recorded at capture) and `filetype` (`image/jpeg`). The ticket
//! must be one the uploader may attach a photo to now (evidence: its
//! reporter; proof: the unit handling it) — 404 if they cannot see it, 403 if
//! they may not attach; a phone pushes a ticket's submission before it
//! uploads its photos, so the ticket exists by then. A user holds at most
//! `max_open_uploads` uploads (and `max_open_upload_bytes`) not yet attached
//! to their ticket: beyond, 429 `upload_quota` with `Retry-After`. Creating
//! again for the same photo returns the same upload, so a client that lost
//! the answer resumes instead of starting over. Only the uploader sees an
//! upload.
//!
//! With `creation-with-upload` the creation request carries the photo itself
//! (`Content-Type: application/offset+octet-stream`): one request for the
//! common case, answered `201` with `Location` and `Upload-Offset`. If the
//! photo's upload already exists, its body is not read and the answer gives
//! the offset the server holds, from which the client goes on with `PATCH`.
//!
//! The handlers check the request and answer; what a body does to an upload
//! (one writer, the part file, the offset, verification at the last byte) is
//! `crate::uploads` ([`Uploads::receive_body`], [`Uploads::vouched`]). Errors
//! are the service's [`Failure`] like everywhere else; every answer on these
//! routes carries `Tus-Resumable` (a layer on [`router`]).
//!
//! [`Uploads::receive_body`]: crate::uploads::Uploads::receive_body
//! [`Uploads::vouched`]: crate::uploads::Uploads::vouched

use super::doc::ApiErrorDoc;
use super::error::{ErrorCode, Failure};
use super::extract::{digits, Path};
use super::{path_uuid, AppState};
use crate::access::can_see;
use crate::auth::Caller;
use crate::store::now_ms;
use crate::store::uploads::{Quota, UploadRecord};
use crate::uploads::UploadError;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use minqing_protocol::ids::canonical_uuid;
use minqing_protocol::machine::permitted;
use minqing_protocol::wire::upload_meta;
use minqing_protocol::ActionKind;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const TUS_VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,creation-with-upload,checksum,termination,expiration";
/// How long a HEAD waits for a PATCH still running on the same upload.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);
/// tus: "460 Checksum Mismatch".
pub const CHECKSUM_MISMATCH: u16 = 460;

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION_HEADER: HeaderName = HeaderName::from_static("tus-version");

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, options))
        .routes(routes!(head_offset, patch, terminate, upload_options))
        .layer(map_response(with_tus))
}

/// Every answer on the tus routes says which tus it speaks.
async fn with_tus(mut r: Response) -> Response {
    r.headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    r
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn checksum_mismatch() -> StatusCode {
    StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A request that speaks tus 1.0.0 (`Tus-Resumable`); 412 otherwise.
pub struct Resumable;

impl<S: Send + Sync> FromRequestParts<S> for Resumable {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Failure> {
        if header_str(&parts.headers, "tus-resumable") == Some(TUS_VERSION) {
            return Ok(Resumable);
        }
        Err(Failure::new(
            StatusCode::PRECONDITION_FAILED,
            ErrorCode::TusVersion,
            "不支持的上传协议版本",
            "Unsupported tus version (need Tus-Resumable: 1.0.0)",
        )
        .with_header(TUS_VERSION_HEADER, HeaderValue::from_static(TUS_VERSION)))
    }
}

/// What became of an upload's bytes, as an answer.
impl From<UploadError> for Failure {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Busy => Failure::new(
                StatusCode::LOCKED,
                ErrorCode::Busy,
                "上一段仍在接收，稍后重试",
                "Another PATCH to this upload is still running",
            ),
            UploadError::Interrupted { .. } => Failure::bad_request(
                ErrorCode::Interrupted,
                "连接中断",
                "The request body broke off",
            ),
            UploadError::ChunkChecksum => Failure::new(
                checksum_mismatch(),
                ErrorCode::ChecksumMismatch,
                "数据校验失败，将重新发送这一段",
                "Checksum Mismatch",
            ),
            UploadError::TooLong => Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLong,
                "上传内容超出声明的大小",
                "More bytes than Upload-Length",
            ),
            UploadError::NotJpeg => Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::NotJpeg,
                "照片文件已损坏或不是 JPEG",
                "The uploaded file is not a JPEG photo",
            ),
            UploadError::HasMetadata(what) => Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::PhotoHasMetadata,
                "照片含有拍摄信息（位置、相机等），请用应用重新上传",
                format!("The photo carries metadata ({what}); upload the rendition without it"),
            ),
            UploadError::WholeChecksum => Failure::new(
                checksum_mismatch(),
                ErrorCode::PhotoChecksumMismatch,
                "照片与拍摄时记录的不一致，将重新上传",
                "The photo's SHA-256 differs from the one recorded at capture",
            ),
            e @ (UploadError::Io(_) | UploadError::Store(_) | UploadError::Db(_)) => {
                Failure::unavailable(e)
            }
        }
    }
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

fn bad_meta(what: &str) -> Failure {
    Failure::bad_request(
        ErrorCode::BadMetadata,
        "上传信息不完整",
        format!("Upload-Metadata: {what}"),
    )
}

/// What this tus server speaks (no token needed).
#[utoipa::path(options, path = "/v1/uploads", tag = "uploads",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Checksum-Algorithm, Tus-Max-Size")))]
pub async fn options(State(state): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(TUS_VERSION_HEADER, HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-extension", HeaderValue::from_static(EXTENSIONS));
    h.insert("tus-checksum-algorithm", HeaderValue::from_static("sha256"));
    h.insert(
        "tus-max-size",
        HeaderValue::from(state.limits.max_photo_bytes),
    );
    r
}

/// The same, on an upload's URL.
#[utoipa::path(options, path = "/v1/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload (as `Location` named it)")),
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Checksum-Algorithm, Tus-Max-Size")))]
pub async fn upload_options(state: State<AppState>) -> Response {
    options(state).await
}

/// tus creation, optionally with the photo's bytes (creation-with-upload).
#[utoipa::path(post, path = "/v1/uploads", tag = "uploads",
    security(("bearer" = []), ("console" = [])),
    params(
        ("Tus-Resumable" = String, Header, pattern = "^1\\.0\\.0$", description = "`1.0.0`"),
        ("Upload-Length" = u64, Header, minimum = 1, maximum = 20971520, description = "The photo's size in bytes: digits only (tus: 1*DIGIT), at most Tus-Max-Size (20 MiB by default)"),
        ("Upload-Metadata" = String, Header, description = "tus metadata: `photo_id`, `ticket_id` (canonical UUIDs), `sha256` (64 hex digits, of the photo as captured) and `filetype` (`image/jpeg`), each value base64"),
        ("Upload-Checksum" = Option<String>, Header, pattern = "^sha256 [A-Za-z0-9+/]{43}=$", description = "With a body: `sha256 <base64>` of the body"),
    ),
    request_body(content = super::doc::Binary, content_type = "application/offset+octet-stream", description = "creation-with-upload: the photo from offset 0 (optional; without it the upload is created empty)"),
    responses(
        (status = 201, description = "Created (Location; with a body, Upload-Offset); or the photo's existing upload and where it stands"),
        (status = 400, description = "bad_length: Upload-Length missing or not digits; bad_metadata; bad_checksum; interrupted: the body broke off", body = ApiErrorDoc),
        (status = 401, description = "unauthorized", body = ApiErrorDoc),
        (status = 403, description = "forbidden: not a ticket the caller may attach a photo to now; csrf: the console's cookie without X-CSRF-Token", body = ApiErrorDoc),
        (status = 404, description = "not_found: no such ticket, or not the caller's to see", body = ApiErrorDoc),
        (status = 409, description = "photo_id_taken: another user's upload has this photo id", body = ApiErrorDoc),
        (status = 412, description = "tus_version: no Tus-Resumable: 1.0.0 (Tus-Version says what is)", body = ApiErrorDoc),
        (status = 413, description = "too_large: Upload-Length over Tus-Max-Size; too_long: more bytes than Upload-Length", body = ApiErrorDoc),
        (status = 415, description = "unsupported_media_type: filetype not image/jpeg; not_jpeg; photo_has_metadata", body = ApiErrorDoc),
        (status = 423, description = "busy: another request is writing this upload", body = ApiErrorDoc),
        (status = 429, description = "upload_quota: too many uploads not yet attached (Retry-After)", body = ApiErrorDoc),
        (status = 460, description = "checksum_mismatch, photo_checksum_mismatch", body = ApiErrorDoc),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    _: Resumable,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    // tus: Upload-Length = 1*DIGIT (no sign, no spaces; Rust's `parse`
    // alone would take `+10`).
    let Some(length) = header_str(&headers, "upload-length").and_then(digits) else {
        return Err(Failure::bad_request(
            ErrorCode::BadLength,
            "缺少上传大小",
            "Upload-Length is required, as digits (deferred length is not supported)",
        ));
    };
    if length == 0 {
        return Err(Failure::bad_request(
            ErrorCode::BadLength,
            "上传大小不能为 0",
            "Upload-Length: a photo has at least one byte",
        ));
    }
    if length > state.limits.max_photo_bytes {
        return Err(Failure::new(
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
    let meta = header_str(&headers, "upload-metadata")
        .and_then(parse_metadata)
        .ok_or_else(|| bad_meta("missing or not base64"))?;
    let photo_id = meta
        .get(upload_meta::PHOTO_ID)
        .and_then(|v| canonical_uuid(v))
        .ok_or_else(|| bad_meta("photo_id must be a UUID in lower-case hex with hyphens"))?;
    let ticket_id = meta
        .get(upload_meta::TICKET_ID)
        .and_then(|v| canonical_uuid(v))
        .ok_or_else(|| bad_meta("ticket_id must be a UUID in lower-case hex with hyphens"))?;
    let sha256 = meta
        .get(upload_meta::SHA256)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|v| v.to_ascii_lowercase())
        .ok_or_else(|| bad_meta("sha256 must be 64 hex digits"))?;
    if meta.get(upload_meta::FILETYPE).map(String::as_str) != Some("image/jpeg") {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "只接受 JPEG 照片",
            "Only image/jpeg photos are accepted",
        ));
    }
    // The ticket must be one this user may attach a photo to now.
    let actor = caller.me.actor();
    let key = ticket_id.to_string();
    let ticket = state
        .db(move |db| db.ticket(&key).map_err(Failure::from))
        .await?
        .filter(|t| can_see(&actor, t));
    let Some(ticket) = ticket else {
        return Err(Failure::not_found());
    };
    let actor = caller.me.actor();
    let may_attach = [ActionKind::AttachEvidence, ActionKind::AttachProof]
        .into_iter()
        .any(|k| permitted(&ticket, &actor, k).is_ok());
    if !may_attach {
        return Err(Failure::forbidden(
            "不能为这条民情上传照片",
            "You may not attach a photo to this ticket",
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
    let quota = Quota {
        uploads: state.limits.max_open_uploads,
        bytes: state.limits.max_open_upload_bytes,
    };
    let got = state
        .db(move |db| {
            db.create_upload_within(&rec, now, quota)
                .map_err(Failure::from)
        })
        .await?;
    let got = got.map_err(|held| {
        Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::UploadQuota,
            "待上传照片过多，请先同步已上传的照片",
            format!(
                "{} uploads ({} bytes) not yet attached: at most {} ({} bytes); attach them first",
                held.uploads, held.bytes, quota.uploads, quota.bytes
            ),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("60"))
    })?;
    if got.user_id != user {
        return Err(Failure::new(
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
        let mut r = StatusCode::CREATED.into_response();
        if !got.completed {
            if let Ok(v) = HeaderValue::from_str(&http_date(got.expires_at)) {
                r.headers_mut().insert("upload-expires", v);
            }
        }
        r
    } else {
        let uid = uuid::Uuid::parse_str(&got.id).map_err(|_| Failure::not_found())?;
        if got.id == new_id && !got.completed && got.offset == 0 {
            let checksum = parse_checksum(&headers)?;
            receive_body(&state, uid, got, checksum, body, StatusCode::CREATED).await?
        } else {
            // Created before (an answer lost, an app killed): where it stands.
            let got = state.uploads.vouched(&state.db, uid, got).await?;
            offset_response(StatusCode::CREATED, &got)
        }
    };
    if r.status() == StatusCode::CREATED {
        if let Ok(v) = location {
            r.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(r)
}

/// The caller's live upload `id`, at an offset this process vouches for.
async fn own_upload(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(uuid::Uuid, UploadRecord), Failure> {
    let uid = path_uuid(id)?;
    let key = uid.to_string();
    let rec = state
        .db(move |db| db.upload(&key).map_err(Failure::from))
        .await?;
    let Some(rec) = rec.filter(|r| r.user_id == caller.me.user.to_string()) else {
        return Err(Failure::not_found());
    };
    if !rec.completed && rec.expires_at <= now_ms() {
        return Err(Failure::new(
            StatusCode::GONE,
            ErrorCode::Expired,
            "上传已过期，将重新上传",
            "This upload has expired; start a new one",
        ));
    }
    let rec = state.uploads.vouched(&state.db, uid, rec).await?;
    Ok((uid, rec))
}

/// An answer giving where upload `rec` stands.
fn offset_response(status: StatusCode, rec: &UploadRecord) -> Response {
    let mut r = status.into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("upload-offset", HeaderValue::from(rec.offset));
    h.insert("upload-length", HeaderValue::from(rec.length));
    if !rec.completed {
        if let Ok(v) = HeaderValue::from_str(&http_date(rec.expires_at)) {
            h.insert("upload-expires", v);
        }
    }
    r
}

/// Where an upload stands (its uploader only).
#[utoipa::path(head, path = "/v1/uploads/{id}", tag = "uploads",
    security(("bearer" = []), ("console" = [])),
    params(
        ("id" = String, Path, description = "The upload (as `Location` named it)"),
        ("Tus-Resumable" = String, Header, pattern = "^1\\.0\\.0$", description = "`1.0.0`"),
    ),
    responses(
        (status = 200, description = "Upload-Offset, Upload-Length (and Upload-Expires while unfinished)"),
        (status = 401, description = "unauthorized"),
        (status = 404, description = "not_found: no such upload, or not the caller's"),
        (status = 410, description = "expired: unfinished past its expiry"),
        (status = 412, description = "tus_version"),
    ))]
pub async fn head_offset(
    State(state): State<AppState>,
    caller: Caller,
    _: Resumable,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    // A PATCH still running for this upload (its client may already have
    // given up on it) settles first, so the offset includes what it kept.
    if let Ok(uid) = path_uuid(&id) {
        state.uploads.settled(uid, SETTLE_LIMIT).await;
    }
    let (_, rec) = own_upload(&state, &caller, &id).await?;
    Ok(offset_response(StatusCode::OK, &rec))
}

fn parse_checksum(h: &HeaderMap) -> Result<Option<[u8; 32]>, Failure> {
    let Some(v) = header_str(h, "upload-checksum") else {
        return Ok(None);
    };
    let bad = || {
        Failure::bad_request(
            ErrorCode::BadChecksum,
            "校验信息格式不正确",
            "Upload-Checksum must be `sha256 <base64>`",
        )
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

/// Send bytes from `Upload-Offset` on.
#[utoipa::path(patch, path = "/v1/uploads/{id}", tag = "uploads",
    security(("bearer" = []), ("console" = [])),
    params(
        ("id" = String, Path, description = "The upload (as `Location` named it)"),
        ("Tus-Resumable" = String, Header, pattern = "^1\\.0\\.0$", description = "`1.0.0`"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes start: digits only (tus: 1*DIGIT)"),
        ("Upload-Checksum" = Option<String>, Header, pattern = "^sha256 [A-Za-z0-9+/]{43}=$", description = "`sha256 <base64>` of the body: all or nothing"),
    ),
    request_body(content = super::doc::Binary, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Kept; Upload-Offset says how far (a finished upload answers 204 and its length)"),
        (status = 400, description = "bad_checksum; interrupted: the body broke off (what arrived is kept unless checksummed)", body = ApiErrorDoc),
        (status = 401, description = "unauthorized", body = ApiErrorDoc),
        (status = 403, description = "csrf: the console's cookie without X-CSRF-Token", body = ApiErrorDoc),
        (status = 404, description = "not_found: no such upload, or not the caller's", body = ApiErrorDoc),
        (status = 409, description = "offset_mismatch: Upload-Offset is not where the upload stands (missing or not digits included); this answer's Upload-Offset is", body = ApiErrorDoc),
        (status = 410, description = "expired", body = ApiErrorDoc),
        (status = 412, description = "tus_version", body = ApiErrorDoc),
        (status = 413, description = "too_long: more bytes than Upload-Length", body = ApiErrorDoc),
        (status = 415, description = "unsupported_media_type: not application/offset+octet-stream; not_jpeg; photo_has_metadata", body = ApiErrorDoc),
        (status = 423, description = "busy: another request is writing this upload", body = ApiErrorDoc),
        (status = 460, description = "checksum_mismatch, photo_checksum_mismatch", body = ApiErrorDoc),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    _: Resumable,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Failure> {
    let (uid, rec) = own_upload(&state, &caller, &id).await?;
    if header_str(&headers, "content-type") != Some("application/offset+octet-stream") {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "上传内容类型不正确",
            "PATCH needs Content-Type: application/offset+octet-stream",
        ));
    }
    let checksum = parse_checksum(&headers)?;
    // tus: Upload-Offset = 1*DIGIT, like Upload-Length.
    let claimed = header_str(&headers, "upload-offset").and_then(digits);
    if claimed != Some(rec.offset) {
        let mut r = Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::OffsetMismatch,
            "上传位置不一致，请按本回复的 Upload-Offset 继续",
            "Upload-Offset is not where the upload stands: resume from this answer's Upload-Offset",
        )
        .into_response();
        let at = offset_response(StatusCode::CONFLICT, &rec);
        r.headers_mut().extend(at.headers().clone());
        return Ok(r);
    }
    if rec.completed {
        return Ok(offset_response(StatusCode::NO_CONTENT, &rec));
    }
    receive_body(&state, uid, rec, checksum, body, StatusCode::NO_CONTENT).await
}

/// Take the body into the upload (`crate::uploads`) and answer with the offset
/// reached; a finished photo pokes the devices waiting for it.
async fn receive_body(
    state: &AppState,
    uid: uuid::Uuid,
    rec: UploadRecord,
    checksum: Option<[u8; 32]>,
    body: Body,
    status: StatusCode,
) -> Result<Response, Failure> {
    let rec = state
        .uploads
        .receive_body(&state.db, uid, rec, checksum, body.into_data_stream())
        .await?;
    if rec.completed {
        // Devices waiting for this photo fetch it on their next pass (other
        // processes hear of it through the store's NOTIFY, on PostgreSQL).
        state.pokes.poke();
    }
    Ok(offset_response(status, &rec))
}

/// tus termination: discard an unfinished upload.
#[utoipa::path(delete, path = "/v1/uploads/{id}", tag = "uploads",
    security(("bearer" = []), ("console" = [])),
    params(
        ("id" = String, Path, description = "The upload (as `Location` named it)"),
        ("Tus-Resumable" = String, Header, pattern = "^1\\.0\\.0$", description = "`1.0.0`"),
    ),
    responses(
        (status = 204, description = "Discarded"),
        (status = 401, description = "unauthorized", body = ApiErrorDoc),
        (status = 403, description = "csrf: the console's cookie without X-CSRF-Token", body = ApiErrorDoc),
        (status = 404, description = "not_found: no such upload, or not the caller's", body = ApiErrorDoc),
        (status = 409, description = "completed: a finished upload stays", body = ApiErrorDoc),
        (status = 410, description = "expired", body = ApiErrorDoc),
        (status = 412, description = "tus_version", body = ApiErrorDoc),
    ))]
pub async fn terminate(
    State(state): State<AppState>,
    caller: Caller,
    _: Resumable,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let (uid, rec) = own_upload(&state, &caller, &id).await?;
    if rec.completed {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::Completed,
            "照片已上传完成，不能撤销",
            "A finished upload cannot be terminated",
        ));
    }
    state.uploads.discard_everywhere(&uid).await;
    state
        .db(move |db| db.delete_upload(&rec.id).map_err(Failure::from))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
