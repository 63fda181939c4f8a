//! The staff web console (issue 13; ADR 0012): its sign-in by cookie, its
//! pages and its built files, served by this server at `/`.
//!
//! # Sessions
//! The console is a single-page app over the same JSON API as the phones. A
//! sign-in (`POST /v1/console/login`: a staff password, or an SMS code) runs
//! the very handlers of `/v1/auth/password` and `/v1/auth/login` — same
//! throttling, same argon2 — and opens an ordinary session; its access token
//! goes into an `HttpOnly; SameSite=Strict` cookie (`Secure` when the request
//! came over HTTPS through the proxy), and its refresh token is never given
//! out (it is expired at once). The session is the console's: idle for
//! [`Console::idle_ms`] it ends (each request moves its expiry on, at most
//! one write a minute), and it never lasts beyond [`Console::max_ms`].
//!
//! The cookie is only another way to present the session:
//! [`cookie_caller`] is what the `Caller` extractor falls back to when a
//! request has no bearer token, so every route decides with exactly the rules
//! it applies to the phones. Cross-site request forgery: a request that
//! changes anything (any method but GET, HEAD, OPTIONS) with the cookie must
//! carry `X-CSRF-Token`, a value derived from the session's token that only a
//! page that read `GET /v1/console/session` knows (a synchronizer token; a
//! forged form cannot set a header, and `SameSite=Strict` keeps the cookie
//! off cross-site requests in the first place). Refused: 403 `csrf`.
//!
//! # Pages
//! Every page URL answers the app's `index.html` — after the same decision
//! the API makes: not signed in, a redirect to `/login`; an administration
//! page for anyone but the administrator, 403 (the `Admin` extractor's rule);
//! a review page for a role its queue does not serve, 403; an item the
//! caller may not see, 404 (`crate::access::can_see`). The app shows the
//! matching page for those statuses. Built files (`/assets/…`, content-hashed)
//! are cached for a year and sent gzip-compressed when the build left a `.gz`.
//!
//! Where the built files are: `console_dir` in the configuration; otherwise
//! `console/dist` under the working directory, or under the source tree the
//! server was built from (ADR 0012). Without them `/` says how to build them.

use super::auth::{login, password};
use super::error::{ErrorCode, Failure};
use super::extract::{path_uuid, Json};
use super::AppState;
use crate::access::can_see;
use crate::auth::{AuthError, Caller};
use crate::store::now_ms;
use crate::throttle::ClientAddr;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minqing_protocol::wire::{LoginRequest, Me, PasswordLoginRequest};
use minqing_protocol::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The session cookie.
pub const SESSION_COOKIE: &str = "mq_session";
/// The header a state-changing request with the cookie must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// What the console's sessions are labelled (the session list, the sliding
/// expiry: only these slide).
pub const DEVICE: &str = "console";

/// `Content-Security-Policy` of the console's page: its own scripts and
/// styles only (Element Plus sets inline style attributes), photos and
/// data/blob images, nothing from elsewhere, never framed.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The console's settings.
#[derive(Debug, Clone)]
pub struct Console {
    /// The built app (`index.html`, `assets/`), if found.
    pub dir: Option<PathBuf>,
    /// A session unused this long ends.
    pub idle_ms: i64,
    /// A session ends this long after sign-in, used or not.
    pub max_ms: i64,
}

impl Default for Console {
    fn default() -> Self {
        Console::new(None, 30)
    }
}

impl Console {
    /// `dir` as configured, else the first of `./console/dist` and the
    /// source tree's `console/dist` that holds an `index.html`.
    pub fn new(dir: Option<PathBuf>, idle_minutes: u64) -> Self {
        let dir = dir.or_else(|| {
            [
                PathBuf::from("console/dist"),
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../console/dist"),
            ]
            .into_iter()
            .find(|d| d.join("index.html").is_file())
        });
        Console {
            dir,
            idle_ms: i64::try_from(idle_minutes.max(1)).unwrap_or(30) * 60_000,
            max_ms: 12 * 3_600_000,
        }
    }
}

/// The console's API routes (documented like every other).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(session))
}

/// The console's page URLs and built files: HTML and assets for a browser,
/// not the API, so not in the OpenAPI document (`docs/protocol.md`, "The
/// staff console"). A page answers 303/403/404 with the app's page; a file
/// that is not there the JSON 404.
pub const PAGES: &[&str] = &[
    "/",
    "/login",
    "/board",
    "/items",
    "/items/{id}",
    "/review",
    "/review/{*rest}",
    "/admin",
    "/admin/{*rest}",
    "/report",
    "/assets/{*path}",
    "/favicon.svg",
];

/// The routes of [`PAGES`].
pub fn pages() -> Router<AppState> {
    PAGES.iter().fold(Router::new(), |router, &path| {
        let handler = match path {
            "/login" => get(login_page),
            "/assets/{*path}" | "/favicon.svg" => get(asset),
            _ => get(page),
        };
        router.route(path, handler)
    })
}

/// The CSRF token of the session whose access token is `token`: a page that
/// can read it (`GET /v1/console/session`, same origin only) sends it back.
pub fn csrf_token(token: &str) -> String {
    let digest = Sha256::digest(format!("minqing console csrf\0{token}").as_bytes());
    hex::encode(&digest[..16])
}

/// Constant-time equality of two short strings.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The session cookie's value, if the request has one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn csrf_failure() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Csrf,
        "请求缺少有效的安全令牌，请刷新页面后重试",
        "Missing or wrong X-CSRF-Token: reload the page and try again",
    )
}

/// The caller behind the session cookie (what the `Caller` extractor falls
/// back to without a bearer token): 401 without a live console session, 403
/// `csrf` for a state-changing request without the session's CSRF token.
pub async fn cookie_caller(
    method: &Method,
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Caller, Failure> {
    let token = session_cookie(headers).ok_or_else(Failure::unauthorized)?;
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same(sent, &csrf_token(&token)) {
            return Err(csrf_failure());
        }
    }
    session_caller(state, token).await
}

/// The caller whose console session `token` is, its idle expiry moved on.
async fn session_caller(state: &AppState, token: String) -> Result<Caller, Failure> {
    let auth = state.auth.clone();
    let console = state.console.clone();
    state
        .db(move |db| {
            let caller = match auth.authenticate(db, &token) {
                Ok(c) => c,
                Err(AuthError::Store(e)) => return Err(e.into()),
                Err(_) => return Err(Failure::unauthorized()),
            };
            db.touch_console_session(
                &caller.session,
                DEVICE,
                now_ms(),
                console.idle_ms,
                console.max_ms,
            )?;
            Ok(caller)
        })
        .await
}

/// Does the request come over HTTPS (through a proxy that says so)?
fn over_https(headers: &HeaderMap) -> bool {
    let says = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("https"))
    };
    says("x-forwarded-proto") || says("forwarded")
}

fn cookie(headers: &HeaderMap, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if over_https(headers) { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `POST /v1/console/login`: a password or an SMS code, one of the two.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLogin {
    pub phone: String,
    pub password: Option<String>,
    pub code: Option<String>,
}

/// Who is signed in, and the token state-changing requests carry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsoleSession {
    pub me: Me,
    pub csrf_token: String,
    /// The session ends after this long without a request.
    pub idle_expires_in_s: u64,
}

/// Sign in to the console: the `/v1/auth/password` or `/v1/auth/login` handler
/// (same throttling), the session in an `HttpOnly; SameSite=Strict` cookie.
#[utoipa::path(post, path = "/v1/console/login", tag = "console",
    request_body = ConsoleLogin,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie: mq_session=…`", body = ConsoleSession),
        super::doc::JsonIn,
        (status = 400, description = "malformed: the body does not parse, or has both or neither of password and code", body = super::doc::ApiErrorDoc),
        (status = 401, description = "bad_password, bad_code", body = super::doc::ApiErrorDoc),
        (status = 429, description = "throttled, locked (Retry-After)", body = super::doc::ApiErrorDoc),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Json(req): Json<ConsoleLogin>,
) -> Result<Response, Failure> {
    let tokens = match (req.password, req.code) {
        (Some(pw), None) => {
            let body = PasswordLoginRequest {
                phone: req.phone,
                password: pw,
                device: DEVICE.into(),
            };
            password(State(state.clone()), addr, Json(body)).await?.0
        }
        (None, Some(code)) => {
            let body = LoginRequest {
                phone: req.phone,
                code,
                device: DEVICE.into(),
            };
            login(State(state.clone()), addr, Json(body)).await?.0
        }
        _ => {
            return Err(Failure::bad_request(
                ErrorCode::Malformed,
                "请填写密码或验证码之一",
                "Give either a password or a code",
            ))
        }
    };
    let access = tokens.access_token;
    let console = state.console.clone();
    let auth = state.auth.clone();
    let token = access.clone();
    let me = state
        .db(move |db| {
            let caller = auth.authenticate(db, &token).map_err(|e| match e {
                AuthError::Store(e) => e.into(),
                _ => Failure::unauthorized(),
            })?;
            db.begin_console_session(&caller.session, now_ms(), console.idle_ms)?;
            Ok(caller.me)
        })
        .await?;
    let answer = ConsoleSession {
        me,
        csrf_token: csrf_token(&access),
        idle_expires_in_s: u64::try_from(state.console.idle_ms / 1000).unwrap_or(0),
    };
    let max_age = state.console.max_ms / 1000;
    Ok((
        [(header::SET_COOKIE, cookie(&headers, &access, max_age))],
        Json(answer),
    )
        .into_response())
}

/// `GET /v1/console/session`: the signed-in person and the CSRF token (the
/// app asks when it starts).
#[utoipa::path(get, path = "/v1/console/session", tag = "console",
    security(("console" = [])),
    responses(
        (status = 200, description = "The session and its CSRF token", body = ConsoleSession),
        (status = 401, description = "unauthorized: no live console session", body = super::doc::ApiErrorDoc),
    ))]
pub async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ConsoleSession>, Failure> {
    let token = session_cookie(&headers).ok_or_else(Failure::unauthorized)?;
    let caller = session_caller(&state, token.clone()).await?;
    Ok(Json(ConsoleSession {
        me: caller.me,
        csrf_token: csrf_token(&token),
        idle_expires_in_s: u64::try_from(state.console.idle_ms / 1000).unwrap_or(0),
    }))
}

/// `POST /v1/console/logout`: the session ends and the cookie goes.
#[utoipa::path(post, path = "/v1/console/logout", tag = "console",
    security(("bearer" = []), ("console" = [])),
    responses((status = 204, description = "Signed out; the cookie cleared"), super::doc::AuthWrite))]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, Failure> {
    state
        .db(move |db| {
            db.revoke_session(&caller.session, now_ms())
                .map_err(Failure::from)
        })
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie(&headers, "", 0))],
    )
        .into_response())
}

/// What a page URL needs beyond being signed in.
enum Need {
    Nothing,
    Role(fn(Role) -> bool),
    SeeItem(String),
}

fn need(path: &str) -> Need {
    let path = path.trim_end_matches('/');
    if path == "/admin" || path.starts_with("/admin/") {
        // The `Admin` extractor's rule.
        return Need::Role(|r| r == Role::Admin);
    }
    // The review routes' rules (`super::review`).
    match path {
        "/review/town" => return Need::Role(|r| r == Role::TownStaff),
        "/review/city" | "/review/assignments" => return Need::Role(|r| r == Role::CityStaff),
        "/review/weekly" => return Need::Role(Role::supervises),
        _ => {}
    }
    if let Some(id) = path.strip_prefix("/items/") {
        return Need::SeeItem(id.to_owned());
    }
    Need::Nothing
}

/// The app's page, if built.
fn index(state: &AppState, status: StatusCode) -> Response {
    let Some(dir) = &state.console.dir else {
        return not_built(status);
    };
    match std::fs::read(dir.join("index.html")) {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response(),
        Err(_) => not_built(status),
    }
}

/// How to build the app, with the page's own status when it is a refusal
/// (403, 404) and 503 otherwise.
fn not_built(status: StatusCode) -> Response {
    let status = if status.is_success() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'",
            ),
        ],
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>民情直通车</title>\
         <p>网页控制台尚未构建：在源代码目录运行 <code>scripts/console.sh build</code>，\
         或设置 <code>console_dir</code>。</p>\
         <p>The web console is not built: run <code>scripts/console.sh build</code> in the \
         source tree, or set <code>console_dir</code>.</p></html>",
    )
        .into_response()
}

async fn login_page(State(state): State<AppState>) -> Response {
    index(&state, StatusCode::OK)
}

/// A page of the app: signed in, and allowed what the page shows.
async fn page(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let caller = match session_cookie(req.headers()) {
        Some(token) => session_caller(&state, token).await.ok(),
        None => None,
    };
    let Some(caller) = caller else {
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/login?next={next}"))],
        )
            .into_response();
    };
    let status = match need(&path) {
        Need::Nothing => StatusCode::OK,
        Need::Role(allowed) if allowed(caller.me.role) => StatusCode::OK,
        Need::Role(_) => StatusCode::FORBIDDEN,
        Need::SeeItem(id) => {
            let Ok(id) = path_uuid(&id) else {
                return index(&state, StatusCode::NOT_FOUND);
            };
            let actor = caller.me.actor();
            let seen = state
                .db(move |db| {
                    Ok(db
                        .ticket(&id.to_string())?
                        .is_some_and(|t| can_see(&actor, &t)))
                })
                .await;
            match seen {
                Ok(true) => StatusCode::OK,
                Ok(false) => StatusCode::NOT_FOUND,
                Err(f) => return f.into_response(),
            }
        }
    };
    index(&state, status)
}

/// The content type of a built file.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// A built file: `assets/` are content-hashed, so cached for a year.
async fn asset(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_owned();
    let Some(dir) = state.console.dir.clone() else {
        return Failure::not_found().into_response();
    };
    // Plain names only: no `..`, no hidden files, no backslashes.
    let plain = path.split('/').all(|seg| {
        !seg.is_empty()
            && !seg.starts_with('.')
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    if !plain {
        return Failure::not_found().into_response();
    }
    let gzip_ok = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let file = dir.join(&path);
    let gz = dir.join(format!("{path}.gz"));
    let (bytes, gzipped) = match (gzip_ok, tokio::fs::read(&gz).await) {
        (true, Ok(b)) => (b, true),
        _ => match tokio::fs::read(&file).await {
            Ok(b) => (b, false),
            Err(_) => return Failure::not_found().into_response(),
        },
    };
    let mut answer = (
        [
            (header::CONTENT_TYPE, content_type(&path)),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::VARY, "Accept-Encoding"),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        ],
        bytes,
    )
        .into_response();
    if gzipped {
        answer
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mq_session=mqa_x; b=2"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("mqa_x"));
        h.insert(header::COOKIE, HeaderValue::from_static("mq_session="));
        assert_eq!(session_cookie(&h), None);
    }

    #[test]
    fn pages_need_what_their_api_needs() {
        assert!(
            matches!(need("/admin/units"), Need::Role(f) if f(Role::Admin) && !f(Role::CityStaff))
        );
        assert!(
            matches!(need("/review/town"), Need::Role(f) if f(Role::TownStaff) && !f(Role::CityStaff))
        );
        assert!(matches!(need("/items/abc"), Need::SeeItem(id) if id == "abc"));
        assert!(matches!(need("/board"), Need::Nothing));
    }

    #[test]
    fn the_csrf_token_is_the_sessions() {
        assert_eq!(csrf_token("mqa_a"), csrf_token("mqa_a"));
        assert_ne!(csrf_token("mqa_a"), csrf_token("mqa_b"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
