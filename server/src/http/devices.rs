//! The caller's push token (issue 12; `crate::push::devices`): `POST
//! /v1/devices` registers it for the caller's session (again: replaced),
//! `DELETE /v1/devices` removes it; logging out removes it too.

use super::doc::{ApiErrorDoc, AuthWrite, JsonIn};
use super::error::{ErrorCode, Failure};
use super::extract::Json;
use super::AppState;
use crate::auth::Caller;
use crate::push::devices::{RegisterError, Registration};
use crate::push::Provider;
use axum::extract::State;
use axum::http::StatusCode;
use minqing_protocol::wire::{DeviceRegistered, DeviceRegistration};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(register, unregister))
}

/// Register the push token of the caller's session (replacing the one it had).
#[utoipa::path(post, path = "/v1/devices", tag = "auth",
    security(("bearer" = [])),
    request_body = DeviceRegistration,
    responses(
        (status = 200, description = "Registered", body = DeviceRegistered),
        JsonIn, AuthWrite,
        (status = 422, description = "invalid: an unknown provider, or a token, app id, language or version that is empty, too long or malformed", body = ApiErrorDoc),
    ))]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<DeviceRegistration>,
) -> Result<Json<DeviceRegistered>, Failure> {
    let Some(provider) = Provider::parse(&b.provider) else {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            "不支持的推送服务（可用：apns、fcm、hms、mipush）",
            "Unknown push provider (apns, fcm, hms or mipush)",
        ));
    };
    let reg = Registration {
        provider,
        token: b.token,
        app_id: b.app_id,
        language: b.language,
        app_version: b.app_version,
    };
    let now = state.clock.now();
    state
        .db(move |db| {
            match db.register_device(&caller.session, &caller.me.user.to_string(), &reg, now) {
                Ok(device_id) => Ok(Json(DeviceRegistered { device_id })),
                Err(RegisterError::Invalid { field, reason }) => Err(Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::Invalid,
                    format!("推送登记无效：{field}"),
                    format!("Invalid push registration: {field} {reason}"),
                )),
                Err(RegisterError::Storage(e)) => Err(e.into()),
            }
        })
        .await
}

/// Remove the push token of the caller's session (none: nothing to do).
#[utoipa::path(delete, path = "/v1/devices", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Removed (or there was none)"), AuthWrite))]
pub async fn unregister(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, Failure> {
    state
        .db(move |db| {
            db.unregister_device(&caller.session)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
