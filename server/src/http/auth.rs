//! Login routes: SMS code, code login, staff password login, refresh, logout, me.

use super::error::{json_rejection, Failure};
use super::AppState;
use crate::auth::{AuthError, Caller};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use minqing_protocol::wire::{
    LoginRequest, Me, PasswordLoginRequest, RefreshRequest, SessionTokens, SmsCodeRequest,
    SmsCodeResponse,
};

fn failure(e: AuthError) -> Failure {
    match e {
        AuthError::BadCode => Failure::new(
            StatusCode::UNAUTHORIZED,
            "bad_code",
            "验证码错误或已过期",
            "Wrong or expired code",
        ),
        AuthError::BadPassword => Failure::new(
            StatusCode::UNAUTHORIZED,
            "bad_password",
            "手机号或密码错误",
            "Wrong phone number or password",
        ),
        AuthError::BadToken => Failure::unauthorized(),
        AuthError::BadPhone => Failure::bad_request(
            "bad_phone",
            "请输入 11 位手机号",
            "Enter an 11-digit mobile number",
        ),
        AuthError::RateLimited(s) => {
            let mut f = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                &format!("发送过于频繁，请 {s} 秒后再试"),
                &format!("Too many codes; try again in {s} s"),
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
    body: Result<Json<SmsCodeRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<SmsCodeResponse>), Failure> {
    let Json(req) = body.map_err(json_rejection)?;
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
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<SessionTokens>, Failure> {
    let Json(req) = body.map_err(json_rejection)?;
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
    body: Result<Json<PasswordLoginRequest>, JsonRejection>,
) -> Result<Json<SessionTokens>, Failure> {
    let Json(req) = body.map_err(json_rejection)?;
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
    body: Result<Json<RefreshRequest>, JsonRejection>,
) -> Result<Json<SessionTokens>, Failure> {
    let Json(req) = body.map_err(json_rejection)?;
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
