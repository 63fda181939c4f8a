//! Every error answer is JSON: a stable code plus a message in Chinese and in
//! English (`ApiError`). Storage failures are 503 with `Retry-After`, so a
//! client retries later and nothing is lost.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minqing_protocol::wire::ApiError;

#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub body: ApiError,
    pub retry_after_s: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, code: &str, zh: &str, en: &str) -> Self {
        Failure {
            status,
            body: ApiError {
                error: code.to_owned(),
                message_zh: zh.to_owned(),
                message_en: en.to_owned(),
                expected: None,
            },
            retry_after_s: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "登录已失效，请重新登录",
            "Not logged in, or the session has expired",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "找不到，或无权查看",
            "Not found, or not yours to see",
        )
    }

    pub fn forbidden(zh: &str, en: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", zh, en)
    }

    pub fn bad_request(code: &str, zh: &str, en: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, zh, en)
    }

    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(%detail, "transient failure, answering 503");
        let mut f = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "服务器繁忙，稍后自动重试",
            "The server is busy; the app will retry",
        );
        f.retry_after_s = Some(2);
        f
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::unavailable(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if let Some(s) = self.retry_after_s {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

/// A JSON body that could not be taken: say why, in our own format.
pub fn json_rejection(rej: axum::extract::rejection::JsonRejection) -> Failure {
    use axum::extract::rejection::JsonRejection as J;
    match rej {
        J::MissingJsonContentType(_) => Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求须为 JSON（Content-Type: application/json）",
            "Expected Content-Type: application/json",
        ),
        J::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "请求内容过大",
            "Request body too large",
        ),
        other => Failure::bad_request(
            "malformed",
            "请求内容格式不正确",
            &format!("Malformed request body: {}", other.body_text()),
        ),
    }
}
