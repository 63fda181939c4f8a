//! The admin's API for reference data (系统管理员 only; everyone else 403):
//! jurisdictions, units, direct-line groups and users (who belongs where), and the reference
//! files the workflow runs on — the taxonomy, the routing rules, one calendar
//! file per year. A file is checked whole, together with the others (see
//! `crate::workflow::reference`), before it is stored; the new rules apply at
//! once and every open item's deadlines are looked at again.
//!
//! Other server processes sharing a PostgreSQL database read stored reference
//! files when they start; a running one keeps its copy until restarted.

use super::doc::{AdminOnly, ApiErrorDoc, Auth, JsonIn};
use super::error::{ErrorCode, Failure};
use super::extract::{Admin, Id, Json, Path};
use super::AppState;
use crate::auth::Caller;
use crate::store::directory::{NewGroup, NewUnit, NewUser};
use crate::workflow::reference::{year_of, CALENDAR_PREFIX, ROUTING, TAXONOMY};
use axum::extract::State;
use minqing_protocol::{GroupId, Role, UnitId};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The admin's routes, and the list of jurisdictions every signed-in user reads.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jurisdictions))
        .routes(routes!(put_jurisdiction))
        .routes(routes!(put_unit))
        .routes(routes!(put_group))
        .routes(routes!(put_user))
        .routes(routes!(get_reference))
        .routes(routes!(put_taxonomy))
        .routes(routes!(put_routing))
        .routes(routes!(put_calendar))
}

fn invalid(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Failure {
    Failure::bad_request(ErrorCode::Invalid, zh, en)
}

/// A reference to something that is not there (a parent, a jurisdiction, a
/// unit or group), or a value another record holds (a phone number, a unit
/// key): 409, the request is well formed but the directory disagrees.
fn conflict(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Failure {
    Failure::new(axum::http::StatusCode::CONFLICT, ErrorCode::Invalid, zh, en)
}

/// A name: one line (no control characters), not blank, at most 100
/// characters (the document's pattern, with `maxLength` 100).
fn name_ok(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= 100 && !s.chars().any(char::is_control)
}

const BAD_FIELDS: &str =
    "invalid: a field out of its bounds (the schema's); malformed: the body does not parse";

/// `PUT /v1/admin/units/{id}`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitBody {
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name_zh: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name_en: String,
    #[schema(pattern = "^(department|town|street|company|other)$")]
    pub kind: String,
    /// What routing rules call the unit.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub key: Option<String>,
}

/// What was stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub id: String,
}

/// Add or change a unit.
#[utoipa::path(put, path = "/v1/admin/units/{id}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = UnitId, Path)),
    request_body = UnitBody,
    responses(
        (status = 200, description = "Stored", body = Saved),
        JsonIn,
        AdminOnly,
        (status = 400, description = BAD_FIELDS, body = ApiErrorDoc),
        (status = 404, description = "not_found: an id not written canonically", body = ApiErrorDoc),
        (status = 409, description = "invalid: another unit has this key", body = ApiErrorDoc),
    ))]
pub async fn put_unit(
    State(state): State<AppState>,
    _: Admin,
    Id(id): Id,
    Json(u): Json<UnitBody>,
) -> Result<Json<Saved>, Failure> {
    let id = UnitId(id);
    if !name_ok(&u.name_zh) || !name_ok(&u.name_en) {
        return Err(invalid(
            "单位名称不能为空或过长",
            "unit names must be 1–100 characters",
        ));
    }
    if !["department", "town", "street", "company", "other"].contains(&u.kind.as_str()) {
        return Err(invalid(
            "单位类型不对",
            "kind: department, town, street, company or other",
        ));
    }
    let key_ok = |k: &str| {
        !k.is_empty()
            && k.len() <= 64
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
    };
    if u.key.as_deref().is_some_and(|k| !key_ok(k)) {
        return Err(invalid("单位标识不对", "key: 1–64 of a-z, 0-9, _ - . :"));
    }
    state
        .db(move |db| {
            db.insert_unit(&NewUnit {
                id,
                name_zh: &u.name_zh,
                name_en: &u.name_en,
                kind: &u.kind,
                key: u.key.as_deref(),
            })
            .map_err(|e| {
                if is_constraint(&e) {
                    conflict("单位标识已被其他单位使用", "another unit has this key")
                } else {
                    e.into()
                }
            })?;
            Ok(Json(Saved { id: id.to_string() }))
        })
        .await
}

/// `PUT /v1/admin/groups/{id}`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name_zh: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name_en: String,
    /// A jurisdiction's code (it must exist).
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub jurisdiction: String,
}

/// Add or change a direct-line group.
#[utoipa::path(put, path = "/v1/admin/groups/{id}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = GroupId, Path)),
    request_body = GroupBody,
    responses(
        (status = 200, description = "Stored", body = Saved),
        JsonIn,
        AdminOnly,
        (status = 400, description = BAD_FIELDS, body = ApiErrorDoc),
        (status = 404, description = "not_found: an id not written canonically", body = ApiErrorDoc),
        (status = 409, description = "invalid: no such jurisdiction", body = ApiErrorDoc),
    ))]
pub async fn put_group(
    State(state): State<AppState>,
    _: Admin,
    Id(id): Id,
    Json(g): Json<GroupBody>,
) -> Result<Json<Saved>, Failure> {
    let id = GroupId(id);
    if !name_ok(&g.name_zh) || !name_ok(&g.name_en) || !name_ok(&g.jurisdiction) {
        return Err(invalid(
            "群名称或辖区不能为空或过长",
            "names and jurisdiction: 1–100 characters",
        ));
    }
    state
        .db(move |db| {
            if !db.jurisdictions()?.iter().any(|j| j.code == g.jurisdiction) {
                return Err(conflict("没有这个辖区", "no such jurisdiction"));
            }
            db.insert_group(&NewGroup {
                id,
                name_zh: &g.name_zh,
                name_en: &g.name_en,
                jurisdiction: &g.jurisdiction,
            })?;
            Ok(Json(Saved { id: id.to_string() }))
        })
        .await
}

/// `PUT /v1/admin/users/{id}`: unit contacts and heads name their unit
/// (which must exist), other roles none.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    #[schema(pattern = "^[0-9]{11}$")]
    pub phone: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    pub role: Role,
    pub unit: Option<UnitId>,
    pub jurisdiction: Option<String>,
    /// Direct-line groups (they must exist).
    #[serde(default)]
    pub groups: Vec<GroupId>,
}

/// Add or change a person.
#[utoipa::path(put, path = "/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = minqing_protocol::UserId, Path)),
    request_body = UserBody,
    responses(
        (status = 200, description = "Stored", body = Saved),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid: a field out of its bounds, or a unit given to a role without one (or none to a unit's); malformed: the body does not parse", body = ApiErrorDoc),
        (status = 404, description = "not_found: an id not written canonically", body = ApiErrorDoc),
        (status = 409, description = "invalid: the phone number is another person's, or no such unit or group; or the administrator's own role changed (an administrator cannot take away their own role: another administrator must)", body = ApiErrorDoc),
    ))]
pub async fn put_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Id(id): Id,
    Json(u): Json<UserBody>,
) -> Result<Json<Saved>, Failure> {
    let id = minqing_protocol::UserId(id);
    // The administrator demoting themself would leave nobody to undo it
    // (found by schemathesis following GET /v1/me's `user` into this route).
    if id == admin.me.user && u.role != Role::Admin {
        return Err(conflict(
            "不能取消自己的系统管理员角色，请由其他管理员操作",
            "an administrator cannot take away their own role; another administrator must",
        ));
    }
    if u.phone.len() != 11 || !u.phone.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("手机号应为11位数字", "phone: 11 digits"));
    }
    if !name_ok(&u.name) {
        return Err(invalid("姓名不能为空或过长", "name: 1–100 characters"));
    }
    if u.role.is_unit() != u.unit.is_some() {
        return Err(invalid(
            "单位联络员和负责人须指定单位，其他角色不指定",
            "unit contacts and heads name their unit; other roles none",
        ));
    }
    state
        .db(move |db| {
            db.insert_user(&NewUser {
                id,
                phone: &u.phone,
                name: &u.name,
                role: u.role,
                unit: u.unit,
                jurisdiction: u.jurisdiction.as_deref(),
                password_hash: None,
                groups: u.groups.clone(),
            })
            .map_err(|e| {
                if is_constraint(&e) {
                    // A phone number already used, or a unit or group that does not exist.
                    conflict(
                        "手机号已被使用，或单位、群组不存在",
                        "phone already in use, or no such unit or group",
                    )
                } else {
                    e.into()
                }
            })?;
            Ok(Json(Saved { id: id.to_string() }))
        })
        .await
}

/// A uniqueness or foreign-key violation: the caller's data, not the database.
fn is_constraint(e: &crate::store::StoreError) -> bool {
    use crate::store::StoreError;
    match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            f.code == rusqlite::ErrorCode::ConstraintViolation
        }
        StoreError::Postgres(p) => p.code().is_some_and(|c| {
            *c == postgres::error::SqlState::UNIQUE_VIOLATION
                || *c == postgres::error::SqlState::FOREIGN_KEY_VIOLATION
        }),
        _ => false,
    }
}

/// A reference file.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileBody {
    /// The file's TOML text.
    pub toml: String,
}

/// The reference files in effect and what they hold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferenceSummary {
    /// Every reference file in effect, by name (`taxonomy`, `routing`,
    /// `calendar/<year>`).
    pub files: BTreeMap<String, String>,
    pub categories: usize,
    pub items: usize,
    pub routing_rules: usize,
    pub calendar_years: Vec<i32>,
}

fn summary(files: BTreeMap<String, String>, wf: &crate::workflow::Workflow) -> ReferenceSummary {
    let (categories, items) = wf.taxonomy.counts();
    ReferenceSummary {
        files,
        categories,
        items,
        routing_rules: wf.routing.rules.len(),
        calendar_years: wf.calendar.years().collect(),
    }
}

#[utoipa::path(get, path = "/v1/admin/reference", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "The reference files in effect", body = ReferenceSummary), AdminOnly))]
pub async fn get_reference(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<ReferenceSummary>, Failure> {
    let defaults = state.reference.clone();
    state
        .db(move |db| {
            let all = defaults.with(db.reference_data()?);
            let wf = db.workflow();
            Ok(Json(summary(all.files, &wf)))
        })
        .await
}

/// Store `name` = `toml` if everything still builds; apply it at once.
async fn put_file(
    state: AppState,
    name: String,
    toml: String,
) -> Result<Json<ReferenceSummary>, Failure> {
    let defaults = state.reference.clone();
    let now = state.clock.now();
    state
        .db(move |db| {
            let candidate = defaults
                .with(db.reference_data()?)
                .with([(name.clone(), toml.clone())]);
            let wf = candidate.build().map_err(|e| {
                Failure::bad_request(
                    ErrorCode::InvalidReference,
                    format!("文件未通过检查：{e}"),
                    format!("Refused, nothing changed: {e}"),
                )
            })?;
            db.put_reference(&name, &toml, now)?;
            db.set_workflow(wf.clone())?;
            Ok(Json(summary(candidate.files, &wf)))
        })
        .await
}

/// Replace the taxonomy; checked whole with the other files, applied at once.
#[utoipa::path(put, path = "/v1/admin/taxonomy", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    request_body = FileBody,
    responses(
        (status = 200, description = "Stored and in effect", body = ReferenceSummary),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid_reference: the file does not build, nothing changed; malformed: the body does not parse", body = ApiErrorDoc),
    ))]
pub async fn put_taxonomy(
    State(state): State<AppState>,
    _: Admin,
    Json(f): Json<FileBody>,
) -> Result<Json<ReferenceSummary>, Failure> {
    put_file(state, TAXONOMY.to_owned(), f.toml).await
}

/// Replace the routing rules; checked whole with the other files, applied at once.
#[utoipa::path(put, path = "/v1/admin/routing", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    request_body = FileBody,
    responses(
        (status = 200, description = "Stored and in effect", body = ReferenceSummary),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid_reference: the file does not build, nothing changed; malformed: the body does not parse", body = ApiErrorDoc),
    ))]
pub async fn put_routing(
    State(state): State<AppState>,
    _: Admin,
    Json(f): Json<FileBody>,
) -> Result<Json<ReferenceSummary>, Failure> {
    put_file(state, ROUTING.to_owned(), f.toml).await
}

/// Replace one year's working-day calendar.
#[utoipa::path(put, path = "/v1/admin/calendar/{year}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("year" = i32, Path)),
    request_body = FileBody,
    responses(
        (status = 200, description = "Stored and in effect", body = ReferenceSummary),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid_reference: the file does not build; invalid: it is another year's; malformed: the body or the year does not parse", body = ApiErrorDoc),
    ))]
pub async fn put_calendar(
    State(state): State<AppState>,
    _: Admin,
    Path(year): Path<i32>,
    Json(f): Json<FileBody>,
) -> Result<Json<ReferenceSummary>, Failure> {
    match year_of(&f.toml) {
        Ok(y) if y == year => {}
        Ok(y) => {
            return Err(invalid(
                format!("文件是{y}年的，不是{year}年的"),
                format!("the file describes {y}, not {year}"),
            ))
        }
        Err(e) => {
            return Err(Failure::bad_request(
                ErrorCode::InvalidReference,
                format!("日历文件未通过检查：{e}"),
                format!("Refused, nothing changed: {e}"),
            ))
        }
    }
    put_file(state, format!("{CALENDAR_PREFIX}{year}"), f.toml).await
}

/// Add or change a jurisdiction: the city (no parent), or a street or town
/// (whose parent must exist).
#[utoipa::path(put, path = "/v1/admin/jurisdictions/{code}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("code" = String, Path, pattern = "^[A-Za-z0-9_-]{1,32}$")),
    request_body = JurisdictionBody,
    responses(
        (status = 200, description = "Stored", body = Saved),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid: a field out of its bounds, or a city with a parent (a street or town without); malformed: the body does not parse", body = ApiErrorDoc),
        (status = 409, description = "invalid: no such parent jurisdiction", body = ApiErrorDoc),
    ))]
pub async fn put_jurisdiction(
    State(state): State<AppState>,
    _: Admin,
    Path(code): Path<String>,
    Json(j): Json<JurisdictionBody>,
) -> Result<Json<Saved>, Failure> {
    let code_ok = !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    if !code_ok {
        return Err(invalid("辖区代码不对", "code: 1–32 of a-z, 0-9, _ -"));
    }
    if !name_ok(&j.name_zh) || !name_ok(&j.name_en) {
        return Err(invalid("辖区名称不能为空或过长", "names: 1–100 characters"));
    }
    if !["city", "street", "town"].contains(&j.kind.as_str())
        || (j.kind == "city") != j.parent.is_none()
    {
        return Err(invalid(
            "辖区类型须为市、街道或镇；街道和镇须有上级",
            "kind: city (no parent), street or town (with a parent)",
        ));
    }
    state
        .db(move |db| {
            let known = db.jurisdictions()?;
            if let Some(p) = &j.parent {
                if p == &code || !known.iter().any(|k| &k.code == p) {
                    return Err(conflict("上级辖区不存在", "no such parent jurisdiction"));
                }
            }
            db.upsert_jurisdiction(&minqing_protocol::wire::Jurisdiction {
                code: code.clone(),
                name_zh: j.name_zh,
                name_en: j.name_en,
                kind: j.kind,
                parent: j.parent,
            })?;
            Ok(Json(Saved { id: code }))
        })
        .await
}

/// `PUT /v1/admin/jurisdictions/{code}`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionBody {
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name_zh: String,
    #[schema(
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name_en: String,
    #[schema(pattern = "^(city|street|town)$")]
    pub kind: String,
    pub parent: Option<String>,
}

/// Every jurisdiction (any signed-in user: apps show their names).
#[utoipa::path(get, path = "/v1/jurisdictions", tag = "reference",
    security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "Every jurisdiction", body = Vec<minqing_protocol::wire::Jurisdiction>), Auth))]
pub async fn jurisdictions(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<minqing_protocol::wire::Jurisdiction>>, Failure> {
    state.db(|db| Ok(Json(db.jurisdictions()?))).await
}
