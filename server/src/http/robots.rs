//! The administrator's API for the direct-line groups' robots (issue 12,
//! item 6; `crate::outreach::robots`): set, list and remove a group's WeCom
//! group robot and DingTalk custom robot. The webhook (which holds the robot's
//! key or access token) and DingTalk's signing secret are stored sealed under
//! the server secret and are never shown again: a listing gives the kind, the
//! webhook's host and path, and since when events are posted. Everyone but
//! the administrator gets 403.

use super::doc::{AdminOnly, ApiErrorDoc, JsonIn};
use super::error::{ErrorCode, Failure};
use super::extract::{Admin, Json, Path};
use super::AppState;
use crate::outreach::robots::{check, RobotError, RobotKind, RobotSetting, RobotView};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_robots))
        .routes(routes!(put_robot, delete_robot))
}

/// `PUT /v1/admin/groups/{id}/robots/{kind}`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RobotBody {
    /// The webhook the vendor gave: WeCom
    /// `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`, DingTalk
    /// `https://oapi.dingtalk.com/robot/send?access_token=…`.
    #[schema(max_length = 1000)]
    pub webhook: String,
    /// DingTalk's signing secret (`SEC…`, "加签"); absent for WeCom.
    #[schema(max_length = 200)]
    pub secret: Option<String>,
}

fn group_id(id: &str) -> Result<String, Failure> {
    let parsed = uuid::Uuid::parse_str(id).map_err(|_| Failure::not_found())?;
    // One spelling of an id (as `Id` requires elsewhere).
    if parsed.to_string() != id {
        return Err(Failure::not_found());
    }
    Ok(id.to_owned())
}

fn kind(k: &str) -> Result<RobotKind, Failure> {
    RobotKind::parse(k).ok_or_else(Failure::not_found)
}

fn refused(e: RobotError) -> Failure {
    let zh = match e {
        RobotError::NotHttps => "机器人地址须为 https 网址",
        RobotError::NoKey => "企业微信机器人地址须含 key",
        RobotError::NoAccessToken => "钉钉机器人地址须含 access_token",
        RobotError::NoSecret => "钉钉机器人须填写加签密钥（SEC 开头）",
        RobotError::UnexpectedSecret => "企业微信机器人没有加签密钥",
    };
    Failure::bad_request(ErrorCode::Invalid, zh, e.to_string())
}

/// A group's robots (without their keys).
#[utoipa::path(get, path = "/v1/admin/groups/{id}/robots", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = String, Path, description = "The group's id")),
    responses(
        (status = 200, description = "The group's robots", body = [RobotView]),
        AdminOnly,
        (status = 404, description = "not_found: no such group", body = ApiErrorDoc),
    ))]
pub async fn list_robots(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<RobotView>>, Failure> {
    let id = group_id(&id)?;
    let sealer = state.outreach.sealer.clone();
    state
        .db(move |db| {
            if !db.group_exists(&id)? {
                return Err(Failure::not_found());
            }
            Ok(Json(db.robots(&id, &sealer)?))
        })
        .await
}

/// Set (or replace) a group's robot of one kind; events from now on are posted.
#[utoipa::path(put, path = "/v1/admin/groups/{id}/robots/{kind}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = String, Path, description = "The group's id"),
           ("kind" = RobotKind, Path)),
    request_body = RobotBody,
    responses(
        (status = 200, description = "Stored; the group's robots", body = [RobotView]),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid: not an https webhook, no key / access_token, a DingTalk robot without its SEC… secret", body = ApiErrorDoc),
        (status = 404, description = "not_found: no such group or kind", body = ApiErrorDoc),
    ))]
pub async fn put_robot(
    State(state): State<AppState>,
    _: Admin,
    Path((id, k)): Path<(String, String)>,
    Json(body): Json<RobotBody>,
) -> Result<Json<Vec<RobotView>>, Failure> {
    let id = group_id(&id)?;
    let setting = RobotSetting {
        kind: kind(&k)?,
        webhook: body.webhook.trim().to_owned(),
        secret: body.secret.map(|s| s.trim().to_owned()),
    };
    check(&setting).map_err(refused)?;
    let sealer = state.outreach.sealer.clone();
    let now = state.clock.now();
    state
        .db(move |db| {
            if !db.group_exists(&id)? {
                return Err(Failure::not_found());
            }
            db.set_robot(&id, &setting, &sealer, now)?;
            Ok(Json(db.robots(&id, &sealer)?))
        })
        .await
}

/// Remove a group's robot of one kind (its queued posts are dropped).
#[utoipa::path(delete, path = "/v1/admin/groups/{id}/robots/{kind}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = String, Path, description = "The group's id"),
           ("kind" = RobotKind, Path)),
    responses(
        (status = 204, description = "Removed"),
        AdminOnly,
        (status = 404, description = "not_found: no such robot", body = ApiErrorDoc),
    ))]
pub async fn delete_robot(
    State(state): State<AppState>,
    _: Admin,
    Path((id, k)): Path<(String, String)>,
) -> Result<StatusCode, Failure> {
    let id = group_id(&id)?;
    let kind = kind(&k)?;
    state
        .db(move |db| {
            if db.remove_robot(&id, kind)? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(Failure::not_found())
            }
        })
        .await
}
