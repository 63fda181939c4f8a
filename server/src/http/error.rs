//! The one error type of the HTTP layer, [`Failure`]: every handler, extractor
//! and middleware answers with it, and every error answer is JSON
//! (`minqing_protocol::wire::ApiError`): a stable [`ErrorCode`] plus a message
//! in Chinese and in English. Storage failures are 503 with `Retry-After`, so a
//! client retries later and nothing is lost.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minqing_protocol::wire::ApiError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Declares [`ErrorCode`] and its complete list, so a new code cannot be left
/// out of [`ErrorCode::ALL`] (and so of the check against `openapi.json`).
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal,)*) => {
        /// The stable, machine-readable `error` of every error answer. Clients
        /// branch on it; it is listed in `openapi.json` (`ApiError.error`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it goes on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// A body or query that does not parse, or has the wrong types.
    Malformed => "malformed",
    /// A body over the limit (JSON: from `Content-Length`, before it is read).
    TooLarge => "too_large",
    /// Not JSON where JSON is expected; not `image/jpeg` for a photo.
    UnsupportedMediaType => "unsupported_media_type",
    /// No access token, or one that is expired or revoked.
    Unauthorized => "unauthorized",
    /// Nothing there, or nothing the caller may see.
    NotFound => "not_found",
    /// The route exists but not with this method (405, with `Allow`).
    MethodNotAllowed => "method_not_allowed",
    /// The caller's role may not do this.
    Forbidden => "forbidden",
    /// A push skipped a mutation id (`expected` names the next one).
    Gap => "gap",
    /// The client's protocol version is below the server's minimum (426).
    TooOld => "too_old",
    /// Storage or another dependency failed; retry after `Retry-After`.
    Unavailable => "unavailable",
    /// Too many SMS codes; retry after `Retry-After`.
    RateLimited => "rate_limited",
    /// Too many wrong passwords or codes (from this account or address);
    /// retry after `Retry-After`.
    Throttled => "throttled",
    /// Locked after too many wrong passwords, until an administrator lifts it
    /// or `Retry-After` has passed.
    Locked => "locked",
    /// A wrong, expired or used-up login code.
    BadCode => "bad_code",
    /// A wrong phone number or password (staff login).
    BadPassword => "bad_password",
    /// Not an 11-digit mobile number.
    BadPhone => "bad_phone",
    /// More mutations in one push than the server takes.
    TooMany => "too_many",
    /// An admin's reference data that does not pass its checks.
    Invalid => "invalid",
    /// A reference file (taxonomy, routing, calendar) that does not build.
    InvalidReference => "invalid_reference",
    /// Not a week (`2020-W40`) or month (`2020-10`).
    BadPeriod => "bad_period",
    /// tus: no or another `Tus-Resumable` version (412).
    TusVersion => "tus_version",
    /// tus: no `Upload-Length`.
    BadLength => "bad_length",
    /// tus: `Upload-Offset` missing, not digits, or not where the upload
    /// stands (409; the answer's `Upload-Offset` is).
    OffsetMismatch => "offset_mismatch",
    /// tus: `Upload-Metadata` missing, not base64, or without a field it needs.
    BadMetadata => "bad_metadata",
    /// tus: `Upload-Checksum` not `sha256 <base64>`.
    BadChecksum => "bad_checksum",
    /// tus: the photo id is another user's upload.
    PhotoIdTaken => "photo_id_taken",
    /// tus: the request body broke off (what arrived is kept unless checksummed).
    Interrupted => "interrupted",
    /// tus: a chunk's `Upload-Checksum` does not match (460).
    ChecksumMismatch => "checksum_mismatch",
    /// tus: the whole photo's SHA-256 differs from the one recorded at capture (460).
    PhotoChecksumMismatch => "photo_checksum_mismatch",
    /// tus: the finished upload is not a JPEG whose pixels decode.
    NotJpeg => "not_jpeg",
    /// tus: the finished upload carries metadata (EXIF, XMP, IPTC, a
    /// comment, bytes after the image): upload the rendition capture makes.
    PhotoHasMetadata => "photo_has_metadata",
    /// tus: the user holds too many uploads not yet attached (count or
    /// bytes; 429 with `Retry-After`).
    UploadQuota => "upload_quota",
    /// tus: more bytes than `Upload-Length`.
    TooLong => "too_long",
    /// tus: an unfinished upload past its expiry (410).
    Expired => "expired",
    /// tus: another request is still writing to this upload (423).
    Busy => "busy",
    /// tus: a finished upload cannot be terminated.
    Completed => "completed",
    /// The web console's session cookie on a state-changing request without
    /// its `X-CSRF-Token` (403).
    Csrf => "csrf",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: status, code, messages, and what goes with them.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message_zh: Cow<'static, str>,
    pub message_en: Cow<'static, str>,
    /// For [`ErrorCode::Gap`]: the mutation id the server expects next.
    pub expected: Option<u64>,
    /// Sent as `Retry-After` (seconds).
    pub retry_after_s: Option<u64>,
    /// Further headers the answer carries (tus: `Tus-Version` with 412).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Failure {
    pub fn new(
        status: StatusCode,
        code: ErrorCode,
        zh: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Self {
        Failure {
            status,
            code,
            message_zh: zh.into(),
            message_en: en.into(),
            expected: None,
            retry_after_s: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "登录已失效，请重新登录",
            "Not logged in, or the session has expired",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "找不到，或无权查看",
            "Not found, or not yours to see",
        )
    }

    pub fn forbidden(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, zh, en)
    }

    pub fn bad_request(
        code: ErrorCode,
        zh: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, zh, en)
    }

    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            "请求内容过大",
            "Request body too large",
        )
    }

    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(%detail, "transient failure, answering 503");
        let mut f = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "服务器繁忙，稍后自动重试",
            "The server is busy; the app will retry",
        );
        f.retry_after_s = Some(2);
        f
    }

    /// The JSON body.
    pub fn body(&self) -> ApiError {
        ApiError {
            error: self.code.as_str().to_owned(),
            message_zh: self.message_zh.clone().into_owned(),
            message_en: self.message_en.clone().into_owned(),
            expected: self.expected,
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::unavailable(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body())).into_response();
        let h = r.headers_mut();
        if let Some(s) = self.retry_after_s {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        for (name, value) in self.headers {
            h.insert(name, value);
        }
        r
    }
}

/// The last word on error answers (a layer over every route): an error that
/// is not JSON — axum's own 405 (no body) and 404, a body limit's plain-text
/// 413, anything else a library answers — becomes the `ApiError` body for its
/// status, keeping its headers (a 405's `Allow`). Left alone: JSON (ours),
/// and HTML (the web console's pages answer 403/404 with the app's page, for
/// a browser).
pub async fn json_errors(req: Request, next: Next) -> Response {
    let answer = next.run(req).await;
    let status = answer.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return answer;
    }
    let kind = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // XML: the Open311 routes' errors in the spec's own form (`open311`).
    if kind.starts_with("application/json")
        || kind.starts_with("text/html")
        || kind.starts_with("text/xml")
    {
        return answer;
    }
    let (parts, _) = answer.into_parts();
    let failure = match status {
        StatusCode::NOT_FOUND => Failure::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => Failure::new(
            status,
            ErrorCode::MethodNotAllowed,
            "不支持此请求方法",
            "This route does not take this method (see Allow)",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Failure::too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Failure::new(
            status,
            ErrorCode::UnsupportedMediaType,
            "请求内容类型不正确",
            "Unsupported media type",
        ),
        s if s.is_server_error() => Failure::unavailable(format!("a plain {s} answer")),
        _ => Failure::new(
            status,
            ErrorCode::Malformed,
            "请求格式不正确",
            "Malformed request",
        ),
    };
    let mut json = failure.into_response();
    let kept = |name: &HeaderName| name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH;
    for name in parts.headers.keys().filter(|n| kept(n)) {
        json.headers_mut().remove(name);
    }
    for (name, value) in parts.headers.iter().filter(|(n, _)| kept(n)) {
        json.headers_mut().append(name.clone(), value.clone());
    }
    json
}
