//! Login routes: SMS code, code login, staff password login, refresh, logout,
//! me; and the administrator's view of throttled logins (list, lift).
//!
//! Guessing is held back (`crate::throttle`): every wrong password counts
//! against the account and the client address, every wrong code against the
//! number and the address; past the free tries the next one waits (429
//! `throttled` + `Retry-After`, doubling), an account is locked after
//! `password_lock_after` (429 `locked`) until an administrator lifts it. A
//! held-back attempt is not checked at all, so even the right password waits.
//! SMS code requests are limited per number, per address and overall (429
//! `rate_limited`). Password hashing runs under a bound: a full queue answers
//! 503 `unavailable` + `Retry-After` at once.

use super::doc::{AdminOnly, Auth as Signed, AuthWrite, JsonIn};
use super::error::{ErrorCode, Failure};
use super::extract::{Admin, Json, Path};
use super::AppState;
use crate::auth::{Auth, AuthError, Caller};
use crate::store::now_ms;
use crate::store::throttle::{Outcome, Throttled, Verdict};
use crate::throttle::ClientAddr;
use axum::extract::State;
use axum::http::StatusCode;
use minqing_protocol::wire::{
    LoginRequest, Me, PasswordLoginRequest, RefreshRequest, SessionTokens, SmsCodeRequest,
    SmsCodeResponse,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sms_code))
        .routes(routes!(login))
        .routes(routes!(password))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(lockouts))
        .routes(routes!(lift_lockout))
}

/// 429 with `Retry-After` in whole seconds (at least one).
fn too_many(code: ErrorCode, retry_after_ms: i64, zh: String, en: String) -> Failure {
    let s = (retry_after_ms.max(0) as u64).div_ceil(1000).max(1);
    let mut f = Failure::new(StatusCode::TOO_MANY_REQUESTS, code, zh, en);
    f.retry_after_s = Some(s);
    f
}

/// The answer to an attempt the throttle holds back.
fn held_back(v: Verdict) -> Failure {
    match v {
        Verdict::Go => Failure::unavailable("an attempt let through was refused"),
        Verdict::Wait { retry_after_ms } => {
            let s = (retry_after_ms.max(0) as u64).div_ceil(1000).max(1);
            too_many(
                ErrorCode::Throttled,
                retry_after_ms,
                format!("错误次数过多，请 {s} 秒后再试"),
                format!("Too many wrong tries; try again in {s} s"),
            )
        }
        Verdict::Locked { retry_after_ms } => too_many(
            ErrorCode::Locked,
            retry_after_ms,
            "密码错误次数过多，账号已锁定，请联系系统管理员解锁".into(),
            "Locked after too many wrong passwords; ask the administrator to unlock it".into(),
        ),
    }
}

/// The hashing queue is full.
fn busy() -> Failure {
    Failure::unavailable("password hashing: queue full")
}

fn failure(e: AuthError) -> Failure {
    match e {
        AuthError::BadCode => Failure::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadCode,
            "验证码错误或已过期",
            "Wrong or expired code",
        ),
        AuthError::BadPassword => Failure::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadPassword,
            "手机号或密码错误",
            "Wrong phone number or password",
        ),
        AuthError::BadToken => Failure::unauthorized(),
        AuthError::BadPhone => Failure::bad_request(
            ErrorCode::BadPhone,
            "请输入 11 位手机号",
            "Enter an 11-digit mobile number",
        ),
        AuthError::RateLimited(s) => {
            let mut f = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("发送过于频繁，请 {s} 秒后再试"),
                format!("Too many codes; try again in {s} s"),
            );
            f.retry_after_s = Some(s);
            f
        }
        AuthError::Sms(e) => Failure::unavailable(e),
        AuthError::Store(e) => e.into(),
    }
}

/// Text a six-digit login code (valid 5 min). Unknown numbers get the same
/// answer and no text.
#[utoipa::path(post, path = "/v1/auth/sms-code", tag = "auth",
    request_body = SmsCodeRequest,
    responses(
        (status = 202, description = "A code was sent (or would have been)", body = SmsCodeResponse),
        JsonIn,
        (status = 400, description = "bad_phone: not an 11-digit mobile number; malformed: the body does not parse", body = super::doc::ApiErrorDoc),
        (status = 429, description = "rate_limited: one a minute and five an hour per number, none while its wrong guesses are used up; per address and overall too (Retry-After)", body = super::doc::ApiErrorDoc),
    ))]
pub async fn sms_code(
    State(state): State<AppState>,
    addr: ClientAddr,
    Json(req): Json<SmsCodeRequest>,
) -> Result<(StatusCode, Json<SmsCodeResponse>), Failure> {
    if let Err(wait) = state.throttle.sms_request(&addr) {
        let s = wait.0.as_secs().max(1);
        let mut f = Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("发送过于频繁，请 {s} 秒后再试"),
            format!("Too many codes; try again in {s} s"),
        );
        f.retry_after_s = Some(s);
        return Err(f);
    }
    let auth = state.auth.clone();
    let policy = auth.policy;
    state
        .db(move |db| auth.request_code(db, &req.phone).map_err(failure))
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SmsCodeResponse {
            expires_in_s: (policy.ttl_ms / 1000) as u64,
            resend_after_s: (policy.resend_ms / 1000) as u64,
        }),
    ))
}

/// Log in with a phone number and its SMS code.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A session", body = SessionTokens),
        JsonIn,
        (status = 401, description = "bad_code: wrong, expired or used code, or guesses used up", body = super::doc::ApiErrorDoc),
        (status = 429, description = "throttled: too many wrong codes from this address (Retry-After)", body = super::doc::ApiErrorDoc),
    ))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    Json(req): Json<LoginRequest>,
) -> Result<Json<SessionTokens>, Failure> {
    let auth = state.auth.clone();
    let throttle = state.throttle.clone();
    let addr = addr.key();
    let tokens = state
        .db(move |db| {
            let subjects = throttle.rules.code(&addr);
            match db.begin_attempt(&subjects, now_ms())? {
                Verdict::Go => {}
                refused => return Err(held_back(refused)),
            }
            let tokens = auth
                .login(db, &req.phone, &req.code, &req.device)
                .map_err(failure)?;
            db.end_attempt(&subjects, Outcome::Right)?;
            Ok(tokens)
        })
        .await?;
    Ok(Json(tokens))
}

/// Staff password login. Every attempt the throttle lets through costs one
/// argon2 verification, registered number or not.
/// Staff log in with a password (argon2id, under a bound).
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth",
    request_body = PasswordLoginRequest,
    responses(
        (status = 200, description = "A session", body = SessionTokens),
        JsonIn,
        (status = 401, description = "bad_password: wrong number or password", body = super::doc::ApiErrorDoc),
        (status = 429, description = "throttled: doubling waits per account and address; locked: 10 wrong in a row until an administrator lifts it (Retry-After)", body = super::doc::ApiErrorDoc),
    ))]
pub async fn password(
    State(state): State<AppState>,
    addr: ClientAddr,
    Json(req): Json<PasswordLoginRequest>,
) -> Result<Json<SessionTokens>, Failure> {
    // What the account counts by: the number as given (bounded; a malformed
    // one is counted and verified like any other).
    let phone: String = req.phone.chars().take(32).collect();
    let addr = addr.key();
    let throttle = state.throttle.clone();
    let stored = {
        let (phone, addr, throttle) = (phone.clone(), addr.clone(), throttle.clone());
        state
            .db(move |db| {
                match db.begin_attempt(&throttle.rules.password(&phone, &addr), now_ms())? {
                    Verdict::Go => {}
                    refused => return Err(held_back(refused)),
                }
                Auth::password_hash_of(db, &phone).map_err(failure)
            })
            .await?
    };
    let user = stored.as_ref().map(|(user, _)| *user);
    let verified = state
        .auth
        .verify_password(
            &throttle.hashing,
            stored.map(|(_, hash)| hash),
            req.password,
        )
        .await;
    let outcome = match verified {
        Ok(true) => Outcome::Right,
        Ok(false) => return Err(failure(AuthError::BadPassword)),
        Err(_busy) => Outcome::Unchecked,
    };
    let auth = state.auth.clone();
    let device = req.device;
    state
        .db(move |db| {
            db.end_attempt(&throttle.rules.password(&phone, &addr), outcome)?;
            match (outcome, user) {
                (Outcome::Right, Some(user)) => auth
                    .open_session(db, user, &device, now_ms())
                    .map_err(failure),
                (Outcome::Unchecked, _) => Err(busy()),
                _ => Err(failure(AuthError::BadPassword)),
            }
        })
        .await
        .map(Json)
}

/// Rotate both tokens; a rotated refresh token presented again revokes the session.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The session's new tokens", body = SessionTokens),
        JsonIn,
        (status = 401, description = "unauthorized: unknown, expired or replayed refresh token", body = super::doc::ApiErrorDoc),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<Json<SessionTokens>, Failure> {
    let auth = state.auth.clone();
    let tokens = state
        .db(move |db| auth.refresh(db, &req.refresh_token).map_err(failure))
        .await?;
    Ok(Json(tokens))
}

/// End this session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    security(("bearer" = []), ("console" = [])),
    responses((status = 204, description = "Revoked"), AuthWrite))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, Failure> {
    state
        .db(move |db| {
            db.revoke_session(&caller.session, crate::store::now_ms())
                .map_err(Failure::from)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the token speaks for.
#[utoipa::path(get, path = "/v1/me", tag = "auth",
    security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "The caller", body = Me), Signed))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(caller.me)
}

/// Accounts and addresses the throttle holds back now (the administrator's).
#[utoipa::path(get, path = "/v1/admin/lockouts", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "What the login throttle holds back now", body = Vec<Throttled>), AdminOnly))]
pub async fn lockouts(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Vec<Throttled>>, Failure> {
    let list = state
        .db(|db| db.throttled(now_ms()).map_err(Failure::from))
        .await?;
    Ok(Json(list))
}

/// Lift a number's lockout and waits (its password tries and its wrong-code
/// count); 404 if nothing held it.
#[utoipa::path(delete, path = "/v1/admin/lockouts/{phone}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("phone" = String, Path, description = "The phone number as the throttle counts it")),
    responses(
        (status = 204, description = "Lifted"),
        AdminOnly,
        (status = 404, description = "not_found: nothing held this number", body = super::doc::ApiErrorDoc),
    ))]
pub async fn lift_lockout(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(phone): Path<String>,
) -> Result<StatusCode, Failure> {
    if phone.len() > 32 {
        return Err(Failure::not_found());
    }
    let masked = mask_phone(&phone);
    let lifted = state
        .db(move |db| db.lift_lockout(&phone).map_err(Failure::from))
        .await?;
    tracing::info!(by = %admin.me.user, phone = %masked, lifted, "lockout lifted");
    if lifted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Failure::not_found())
    }
}

/// A phone number as logs show it: `138****0001`.
fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}
