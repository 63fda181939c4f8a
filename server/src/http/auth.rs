//! Login routes: SMS code, code login, staff password login, refresh, logout, me.

use super::error::{ErrorCode, Failure};
use super::extract::Json;
use super::AppState;
use crate::auth::{AuthError, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use minqing_protocol::wire::{
    LoginRequest, Me, PasswordLoginRequest, RefreshRequest, SessionTokens, SmsCodeRequest,
    SmsCodeResponse,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/sms-code", post(sms_code))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/password", post(password))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/me", get(me))
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

pub async fn sms_code(
    State(state): State<AppState>,
    Json(req): Json<SmsCodeRequest>,
) -> Result<(StatusCode, Json<SmsCodeResponse>), Failure> {
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

pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<SessionTokens>, Failure> {
    let auth = state.auth.clone();
    let tokens = state
        .db(move |db| {
            auth.login(db, &req.phone, &req.code, &req.device)
                .map_err(failure)
        })
        .await?;
    Ok(Json(tokens))
}

pub async fn password(
    State(state): State<AppState>,
    Json(req): Json<PasswordLoginRequest>,
) -> Result<Json<SessionTokens>, Failure> {
    let auth = state.auth.clone();
    let tokens = state
        .db(move |db| {
            auth.password_login(db, &req.phone, &req.password, &req.device)
                .map_err(failure)
        })
        .await?;
    Ok(Json(tokens))
}

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

pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, Failure> {
    state
        .db(move |db| {
            db.revoke_session(&caller.session, crate::store::now_ms())
                .map_err(Failure::from)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(caller: Caller) -> Json<Me> {
    Json(caller.me)
}
