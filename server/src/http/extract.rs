//! Extractors whose rejection is the service's error ([`Failure`]), so a
//! handler names what it needs and never maps a rejection itself:
//! - [`Json`], [`Query`], [`Path`]: axum's, answering our JSON error body
//!   (415 not JSON, 413 too large, 400 `malformed` for anything that does not
//!   parse or has the wrong types);
//! - [`Caller`]: the bearer token's user, or the web console's session
//!   cookie with its CSRF check (401 otherwise; 403 `csrf`);
//! - [`Admin`]: a caller who is the system administrator (403 for everyone else);
//! - [`Id`]: a canonical UUID from the path (anything else is 404);
//! - [`Protocol`]: the client's protocol version (426 when missing or too old).

use super::error::{ErrorCode, Failure};
use super::AppState;
use crate::auth::{AuthError, Caller};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use minqing_protocol::Role;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A JSON body in, or a JSON answer out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Failure> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for Failure {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "请求须为 JSON（Content-Type: application/json）",
                "Expected Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Failure::too_large()
            }
            other => Failure::bad_request(
                ErrorCode::Malformed,
                "请求内容格式不正确",
                format!("Malformed request body: {}", other.body_text()),
            ),
        }
    }
}

/// A query string.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}

impl From<QueryRejection> for Failure {
    fn from(rejection: QueryRejection) -> Self {
        Failure::bad_request(
            ErrorCode::Malformed,
            "查询参数格式不正确",
            format!("Malformed query: {}", rejection.body_text()),
        )
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}

impl From<PathRejection> for Failure {
    fn from(rejection: PathRejection) -> Self {
        Failure::bad_request(
            ErrorCode::Malformed,
            "路径格式不正确",
            format!("Malformed path: {}", rejection.body_text()),
        )
    }
}

/// The one path parameter of a route, as a canonical UUID: no `..`, no
/// slashes, no other spelling of the same id (anything else is 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        let Path(s) = Path::<String>::from_request_parts(parts, state).await?;
        path_uuid(&s).map(Id)
    }
}

/// Parse an id from a path: only a canonical UUID (lower-case hex with
/// hyphens, `minqing_protocol::ids::UUID_PATTERN`) gets through; another
/// spelling of the same id names nothing (404), as in every body and header.
pub fn path_uuid(s: &str) -> Result<uuid::Uuid, Failure> {
    minqing_protocol::ids::canonical_uuid(s).ok_or_else(Failure::not_found)
}

/// The protocol version a sync client speaks (`minqing-protocol`): missing,
/// not a number, or below `MIN_PROTOCOL_VERSION` is 426 `too_old`, and the
/// client keeps its outbox until it is updated. Named after [`Caller`] in a
/// handler, so an anonymous request is 401 first, whatever it says.
#[derive(Debug, Clone, Copy)]
pub struct Protocol(pub u32);

impl<S: Send + Sync> FromRequestParts<S> for Protocol {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Failure> {
        let version = parts
            .headers
            .get(minqing_protocol::wire::PROTOCOL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(digits);
        match version.and_then(|v| u32::try_from(v).ok()) {
            Some(v) if v >= minqing_protocol::wire::MIN_PROTOCOL_VERSION => Ok(Protocol(v)),
            _ => Err(Failure::new(
                StatusCode::UPGRADE_REQUIRED,
                ErrorCode::TooOld,
                "应用版本过旧，请升级；未发送的内容会保留",
                "This app is too old for the server; update it (nothing unsent is lost)",
            )),
        }
    }
}

/// A header's integer as HTTP grammars write one (`1*DIGIT`): ASCII digits
/// only — no sign, no spaces, no other notation — that fit in a `u64`.
/// (Rust's own `parse` takes a leading `+`.)
pub fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The authenticated caller of a `/v1` route: the bearer token's, or else
/// the web console's session cookie (with its CSRF check; `super::console`).
impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned)
        else {
            return super::console::cookie_caller(&parts.method, &parts.headers, state).await;
        };
        let auth = state.auth.clone();
        state
            .db(move |db| match auth.authenticate(db, &token) {
                Ok(c) => Ok(c),
                Err(AuthError::Store(e)) => Err(e.into()),
                Err(_) => Err(Failure::unauthorized()),
            })
            .await
    }
}

/// A caller who is the system administrator (系统管理员); everyone else is
/// answered 403 before the handler runs.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.me.role == Role::Admin {
            Ok(Admin(caller))
        } else {
            Err(Failure::forbidden(
                "只有系统管理员可以维护基础数据",
                "Only an administrator edits reference data",
            ))
        }
    }
}
