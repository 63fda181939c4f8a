//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2/>) under
//! `/open311/v2/`: how other civic-issue tools (FixMyStreet, SeeClickFix, a
//! city's 311 system) read items and file new ones. `docs/open311.md` says
//! what is served and how the spec's fields map onto tickets; ADR 0017 why.
//!
//! - `discovery.{json,xml}` — this endpoint, its formats;
//! - `services.{json,xml}` — the taxonomy: one service per item (小类),
//!   `service_code` = item code, `group` = its category's name;
//! - `services/{code}.{json,xml}` — a service definition (no attributes:
//!   every service's `metadata` is `false`);
//! - `requests.{json,xml}` GET — items with the spec's filters
//!   (`service_request_id`, `service_code`, `start_date`, `end_date`,
//!   `status`; default window the last 90 days, at most 1,000; the wiki's
//!   `page`/`page_size` extension);
//! - `requests.{json,xml}` POST — file an item as the key's deputy, through
//!   the same push as the app (state machine, routing rules, clocks);
//! - `requests/{id}.{json,xml}` — one item;
//! - `tokens/{token}.{json,xml}` — a POSTed request is a ticket at once, so
//!   its token is its id and this answers with it.
//!
//! **Who sees what.** Discovery and the services (reference data, no cases)
//! are public. Every request route needs an `api_key` an administrator
//! issued (`/v1/admin/open311-keys`; stored only as its HMAC, like session
//! tokens); the key acts as one account of the directory and sees exactly
//! the items that account may see (`crate::access::can_see`). What an item
//! shows is built field by field from the ticket's public part (code, text,
//! place, state, unit, times): the constituent's name and phone number, and
//! who reported it, are never read into an answer, whatever the key.
//!
//! Errors are the spec's: a list of `{code, description}` (`<errors><error>`
//! in XML) with the HTTP status as the code — 400 bad input, 403 a missing,
//! unknown or revoked key (or a read-only key POSTing), 404 nothing there, 503
//! storage (with `Retry-After`).
//!
//! The routes are registered with `utoipa_axum` like the rest of the API.
//! matchit (axum's router) has no parameters with a static suffix, so the
//! fixed paths are one handler per format (`services.json`, `services.xml`)
//! and the ones with an id take `{file}` (`C03-02.json`) and split the suffix.

use super::doc::{AdminOnly, ApiErrorDoc, JsonIn};
use super::error::Failure;
use super::extract::{Admin, Json};
use super::AppState;
use crate::access::can_see;
use crate::store::open311::{ApiKeyInfo, KeyHolder, NewApiKey};
use crate::store::Db;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minqing_protocol::calendar::CHINA_TIME;
use minqing_protocol::clocks::running_clocks;
use minqing_protocol::{
    Actor, ClientId, ConstituentContact, EventId, GroupId, Location, LocationSource, Mutation,
    MutationKind, NewTicket, SourceChannel, Ticket, TicketId, TicketState, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The spec this serves.
pub const SPEC_URL: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this endpoint's behaviour last changed (discovery's `changeset`).
pub const CHANGESET: &str = "2026-11-29T00:00:00+08:00";
/// The spec's default window of `GET requests`: the last 90 days …
pub const DEFAULT_WINDOW_MS: i64 = 90 * 24 * 3600 * 1000;
/// … and at most this many requests ("whichever is smallest").
pub const MAX_REQUESTS: usize = 1000;
/// At most this many ids in one `service_request_id` list.
pub const MAX_IDS: usize = 100;
/// `description` is cut to the published schema's `maxLength`.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// The `service_code` of an item filed without a category.
pub const UNCLASSIFIED: &str = "unclassified";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery_json))
        .routes(routes!(discovery_xml))
        .routes(routes!(services_json))
        .routes(routes!(services_xml))
        .routes(routes!(service_definition))
        .routes(routes!(requests_json, post_request_json))
        .routes(routes!(requests_xml, post_request_xml))
        .routes(routes!(request_one))
        .routes(routes!(token))
        .routes(routes!(list_keys, issue_key))
        .routes(routes!(revoke_key))
}

// ---------------------------------------------------------------- formats

/// The two formats of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `C03-02.json` → (`C03-02`, JSON); `None` for any other suffix.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(stem) = file.strip_suffix(".json") {
            Some((stem, Format::Json))
        } else {
            file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
        }
        .filter(|(stem, _)| !stem.is_empty())
    }
}

/// The XML element of each item of a list, by the list's name (the spec's
/// XML examples).
fn item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        _ => "item",
    }
}

fn xml_value(w: &mut quick_xml::Writer<Vec<u8>>, name: &str, v: &Value) -> std::io::Result<()> {
    use quick_xml::events::BytesText;
    match v {
        // Absent in XML (JSON says null).
        Value::Null => Ok(()),
        Value::Bool(b) => w
            .create_element(name)
            .write_text_content(BytesText::new(if *b { "true" } else { "false" }))
            .map(|_| ()),
        Value::Number(n) => w
            .create_element(name)
            .write_text_content(BytesText::new(&n.to_string()))
            .map(|_| ()),
        Value::String(s) => w
            .create_element(name)
            .write_text_content(BytesText::new(s))
            .map(|_| ()),
        Value::Array(items) => {
            let child = item_name(name);
            w.create_element(name)
                .write_inner_content(|w| items.iter().try_for_each(|i| xml_value(w, child, i)))
                .map(|_| ())
        }
        Value::Object(fields) => w
            .create_element(name)
            .write_inner_content(|w| fields.iter().try_for_each(|(k, v)| xml_value(w, k, v)))
            .map(|_| ()),
    }
}

/// `body` as the spec's XML under `root` (a list's items named after it),
/// with the XML declaration.
pub fn to_xml(root: &str, body: &Value) -> std::io::Result<String> {
    use quick_xml::events::{BytesDecl, Event};
    let mut w = quick_xml::Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    xml_value(&mut w, root, body)?;
    String::from_utf8(w.into_inner()).map_err(std::io::Error::other)
}

/// An answer in either format: the JSON shape, and the XML root it goes under.
fn answer(status: StatusCode, format: Format, root: &str, body: &impl Serialize) -> Response {
    let value = match serde_json::to_value(body) {
        Ok(v) => v,
        Err(e) => return Open311Error::unavailable(format, e).into_response(),
    };
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            value.to_string(),
        )
            .into_response(),
        Format::Xml => match to_xml(root, &value) {
            Ok(text) => (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                text,
            )
                .into_response(),
            Err(e) => Open311Error::unavailable(format, e).into_response(),
        },
    }
}

// ----------------------------------------------------------------- errors

/// One error of the spec's error list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorItem {
    /// The HTTP status.
    pub code: u16,
    /// Chinese, then English.
    pub description: String,
}

/// An error answered in the spec's form (a list of one [`ErrorItem`]), in
/// the format the request asked for.
#[derive(Debug)]
pub struct Open311Error {
    pub status: StatusCode,
    pub format: Format,
    pub description: String,
}

impl Open311Error {
    pub fn new(status: StatusCode, format: Format, zh: &str, en: &str) -> Self {
        Open311Error {
            status,
            format,
            description: format!("{zh} / {en}"),
        }
    }

    fn bad(format: Format, zh: &str, en: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, format, zh, en)
    }

    fn no_key(format: Format) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format,
            "缺少 api_key，或 api_key 无效、已被吊销",
            "api_key missing, unknown or revoked",
        )
    }

    fn not_found(format: Format) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format,
            "找不到，或无权查看",
            "Not found, or not this key's to see",
        )
    }

    fn unavailable(format: Format, detail: impl std::fmt::Display) -> Self {
        tracing::warn!(%detail, "open311: transient failure, answering 503");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format,
            "服务器繁忙，请稍后重试",
            "The server is busy; retry later",
        )
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let body = vec![ErrorItem {
            code: self.status.as_u16(),
            description: self.description,
        }];
        let mut r = answer(self.status, self.format, "errors", &body);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        r
    }
}

type Answer = Result<Response, Open311Error>;

/// A path without `.json` or `.xml` (answered in JSON).
fn unknown_format() -> Open311Error {
    Open311Error::bad(
        Format::Json,
        "格式须为 .json 或 .xml",
        "The format must be .json or .xml",
    )
}

/// Database work on the blocking pool; its failures are the spec's 503.
async fn db<T: Send + 'static>(
    state: &AppState,
    format: Format,
    f: impl FnOnce(&Db) -> Result<T, Open311Error> + Send + 'static,
) -> Result<T, Open311Error> {
    state
        .db(move |db| Ok(f(db)))
        .await
        .map_err(|e| Open311Error::unavailable(format, e.message_en))?
}

fn store(format: Format) -> impl Fn(crate::store::StoreError) -> Open311Error {
    move |e| Open311Error::unavailable(format, e)
}

// -------------------------------------------------------------- discovery

/// One endpoint of the discovery document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Endpoint {
    pub specification: String,
    pub url: String,
    pub changeset: String,
    /// `production`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `text/xml`, `application/json`.
    pub formats: Vec<String>,
}

/// `discovery.json`: where the endpoint is and what it speaks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

fn discovery(format: Format, headers: &HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    let body = Discovery {
        changeset: CHANGESET.into(),
        contact: "市人大常委会办公室（民情直通车平台管理员）/ the city people's congress standing committee's office (the platform's administrator)".into(),
        key_service: "向平台管理员申请 api_key / ask the platform's administrator for an api_key".into(),
        endpoints: vec![Endpoint {
            specification: SPEC_URL.into(),
            url: format!("{scheme}://{host}/open311/v2"),
            changeset: CHANGESET.into(),
            kind: "production".into(),
            formats: vec!["text/xml".into(), "application/json".into()],
        }],
    };
    answer(StatusCode::OK, format, "discovery", &body)
}

/// Service discovery (JSON). Public.
#[utoipa::path(get, path = "/open311/v2/discovery.json", tag = "open311",
    responses((status = 200, description = "The discovery document", body = Discovery)))]
pub async fn discovery_json(headers: HeaderMap) -> Response {
    discovery(Format::Json, &headers)
}

/// Service discovery (XML, root `discovery`). Public.
#[utoipa::path(get, path = "/open311/v2/discovery.xml", tag = "open311",
    responses((status = 200, description = "The discovery document", content_type = "text/xml", body = Discovery)))]
pub async fn discovery_xml(headers: HeaderMap) -> Response {
    discovery(Format::Xml, &headers)
}

// --------------------------------------------------------------- services

/// One service: an item (小类) of the taxonomy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Service {
    /// The item's code, e.g. `C03-02`.
    pub service_code: String,
    /// The item's Chinese name.
    pub service_name: String,
    /// The item's English name.
    pub description: String,
    /// Always `false`: no extra attributes.
    pub metadata: bool,
    /// Always `realtime`: a POSTed request is a ticket at once.
    #[serde(rename = "type")]
    pub kind: String,
    /// The category's code and names, comma-separated.
    pub keywords: String,
    /// The category's Chinese name (大类).
    pub group: String,
}

fn services(state: &AppState, format: Format) -> Response {
    let wf = state.db.workflow();
    let list: Vec<Service> = wf
        .taxonomy
        .categories
        .iter()
        .flat_map(|c| {
            c.items.iter().map(move |i| Service {
                service_code: i.code.clone(),
                service_name: i.name_zh.clone(),
                description: i.name_en.clone(),
                metadata: false,
                kind: "realtime".into(),
                keywords: format!("{},{},{}", c.code, c.name_zh, c.name_en),
                group: c.name_zh.clone(),
            })
        })
        .collect();
    answer(StatusCode::OK, format, "services", &list)
}

/// The service list (JSON): the taxonomy's items. Public.
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    responses((status = 200, description = "Every service", body = Vec<Service>)))]
pub async fn services_json(State(state): State<AppState>) -> Response {
    services(&state, Format::Json)
}

/// The service list (XML, `<services><service>`). Public.
#[utoipa::path(get, path = "/open311/v2/services.xml", tag = "open311",
    responses((status = 200, description = "Every service", content_type = "text/xml", body = Vec<Service>)))]
pub async fn services_xml(State(state): State<AppState>) -> Response {
    services(&state, Format::Xml)
}

/// A service definition: no attributes (the constituent's contact goes in
/// the spec's own `first_name`/`last_name`/`phone` fields of a POST).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    /// Always empty.
    pub attributes: Vec<Value>,
}

/// One service's definition; `file` is `{service_code}.json` or `.xml`.
/// Public.
#[utoipa::path(get, path = "/open311/v2/services/{file}", tag = "open311",
    params(("file" = String, Path, description = "`{service_code}.json` or `{service_code}.xml`")),
    responses(
        (status = 200, description = "The definition (no attributes)", content((ServiceDefinition = "application/json"), (ServiceDefinition = "text/xml"))),
        (status = 400, description = "Neither `.json` nor `.xml`", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
        (status = 404, description = "No such service", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
    ))]
pub async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Answer {
    let (code, format) = Format::split(&file).ok_or_else(unknown_format)?;
    let wf = state.db.workflow();
    if wf.taxonomy.item(code).is_none() {
        return Err(Open311Error::not_found(format));
    }
    Ok(answer(
        StatusCode::OK,
        format,
        "service_definition",
        &ServiceDefinition {
            service_code: code.to_owned(),
            attributes: vec![],
        },
    ))
}

// ---------------------------------------------------------------- requests

/// One request as the spec shows it: the ticket's public part only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceRequest {
    /// The ticket id.
    pub service_request_id: String,
    /// `open`, or `closed` (closed or merged).
    pub status: String,
    /// The state in Chinese and English; for a merged item, which it was
    /// merged into.
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    /// The item's code (else the category's; else `unclassified`).
    pub service_code: String,
    /// The item's text, at most 4,000 characters.
    pub description: Option<String>,
    /// The unit responsible now (its Chinese name).
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    /// W3C datetime, China time (+08:00).
    pub requested_datetime: String,
    /// The last event.
    pub updated_datetime: Option<String>,
    /// When the earliest running deadline (accept, reply) falls due.
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    /// WGS-84.
    pub lat: Option<f64>,
    /// WGS-84.
    pub long: Option<f64>,
    /// Always absent: photos are shown only to signed-in people.
    pub media_url: Option<String>,
}

/// A time (ms since the epoch) as a W3C datetime in China time, to the second.
pub fn w3c(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .map(|t| t.to_offset(CHINA_TIME))
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The code a ticket is listed under.
fn service_code(t: &Ticket) -> String {
    t.item
        .clone()
        .or_else(|| t.category.clone())
        .unwrap_or_else(|| UNCLASSIFIED.to_owned())
}

/// `t` as Open311 shows it. Reads only public fields: never
/// `constituent`, `reporter`, `co_reporters`, photos or the timeline's texts.
fn request_of(
    t: &Ticket,
    wf: &crate::workflow::Workflow,
    units: &HashMap<minqing_protocol::UnitId, String>,
) -> ServiceRequest {
    let service_name = t
        .item
        .as_deref()
        .and_then(|i| wf.taxonomy.item(i).map(|i| i.name_zh.clone()))
        .or_else(|| {
            t.category
                .as_deref()
                .and_then(|c| wf.taxonomy.category(c).map(|c| c.name_zh.clone()))
        });
    let status_notes = match (t.state, t.merged_into) {
        (TicketState::Merged, Some(into)) => format!("已合并到 {into} / merged into {into}"),
        (s, _) => format!("{} / {}", s.label_zh(), s.label_en()),
    };
    let expected = running_clocks(t, &wf.calendar, &wf.policy)
        .iter()
        .map(|c| c.due_at)
        .min();
    let description: String = t.text.chars().take(MAX_DESCRIPTION_CHARS).collect();
    ServiceRequest {
        service_request_id: t.id.to_string(),
        status: if t.state.is_terminal() {
            "closed"
        } else {
            "open"
        }
        .into(),
        status_notes: Some(status_notes),
        service_name,
        service_code: service_code(t),
        description: (!description.is_empty()).then_some(description),
        agency_responsible: t.assigned_unit.and_then(|u| units.get(&u).cloned()),
        service_notice: None,
        requested_datetime: w3c(t.created_at),
        updated_datetime: Some(w3c(t.timeline.last().map_or(t.created_at, |e| e.at))),
        expected_datetime: expected.map(w3c),
        address: t.location.as_ref().and_then(|l| l.address.clone()),
        address_id: None,
        zipcode: None,
        lat: t.location.as_ref().map(|l| l.latitude),
        long: t.location.as_ref().map(|l| l.longitude),
        media_url: None,
    }
}

/// The account behind `key`, as the directory has it now: `Err(403)` for a
/// missing, unknown or revoked key, or one whose account is gone.
fn holder(
    state: &AppState,
    db: &Db,
    key: Option<&str>,
    format: Format,
) -> Result<(KeyHolder, Actor), Open311Error> {
    let key = key
        .filter(|k| !k.is_empty())
        .ok_or(Open311Error::no_key(format))?;
    let held = db
        .api_key_by_hash(&state.auth.api_key_hash(key))
        .map_err(store(format))?
        .ok_or(Open311Error::no_key(format))?;
    let me = db
        .me(held.user)
        .map_err(store(format))?
        .ok_or(Open311Error::no_key(format))?;
    Ok((held, me.actor()))
}

/// `GET requests`'s query (the spec's filters). Unknown parameters are
/// ignored, as is `jurisdiction_id` (one city per deployment).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// Issued by an administrator; required.
    pub api_key: Option<String>,
    pub jurisdiction_id: Option<String>,
    /// Comma-separated ids (at most 100); when given, the other filters are
    /// ignored (as the spec says).
    pub service_request_id: Option<String>,
    /// Comma-separated service codes.
    pub service_code: Option<String>,
    /// W3C datetime (or a date, midnight China time): reported at or after.
    pub start_date: Option<String>,
    /// W3C datetime (or a date): reported before.
    pub end_date: Option<String>,
    /// `open`, `closed`, or both comma-separated.
    pub status: Option<String>,
    /// The wiki's pagination extension: requests per page, 1–1,000
    /// (default 1,000).
    pub page_size: Option<String>,
    /// The wiki's pagination extension: which page, from 1 (default 1).
    pub page: Option<String>,
}

/// A W3C datetime (`2026-11-01T08:00:00+08:00`, `…Z`) or a date (midnight
/// China time), as ms since the epoch.
pub fn parse_w3c(s: &str) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(d.midnight().assume_offset(CHINA_TIME).unix_timestamp() * 1000)
}

fn list(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn requests(
    state: AppState,
    format: Format,
    q: Result<Query<RequestsQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Query(q) = q.map_err(|e| {
        Open311Error::bad(
            format,
            "查询参数格式不正确",
            &format!("Malformed query: {e}"),
        )
    })?;
    let now = state.clock.now();
    let ids = list(&q.service_request_id);
    if ids.len() > MAX_IDS {
        return Err(Open311Error::bad(
            format,
            "service_request_id 一次最多 100 个",
            "At most 100 service_request_ids at once",
        ));
    }
    let codes = list(&q.service_code);
    let statuses = list(&q.status);
    let count = |v: &Option<String>, name: &str, max: usize, default: usize| match v.as_deref() {
        None => Ok(default),
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                Open311Error::bad(
                    format,
                    &format!("{name} 须为 1 到 {max} 的整数"),
                    &format!("{name} must be a whole number from 1 to {max}"),
                )
            }),
    };
    let page_size = count(&q.page_size, "page_size", MAX_REQUESTS, MAX_REQUESTS)?;
    let page = count(&q.page, "page", usize::MAX, 1)?;
    if let Some(s) = statuses.iter().find(|s| *s != "open" && *s != "closed") {
        return Err(Open311Error::bad(
            format,
            "status 只能是 open 或 closed",
            &format!("status must be open or closed, not {s}"),
        ));
    }
    let date = |v: &Option<String>, name: &str| -> Result<Option<i64>, Open311Error> {
        v.as_deref()
            .map(|s| {
                parse_w3c(s).ok_or_else(|| {
                    Open311Error::bad(
                        format,
                        &format!("{name} 不是 W3C 日期时间"),
                        &format!("{name} is not a W3C datetime (e.g. 2026-11-01T08:00:00+08:00)"),
                    )
                })
            })
            .transpose()
    };
    let (start, end) = (
        date(&q.start_date, "start_date")?,
        date(&q.end_date, "end_date")?,
    );
    let (from, to) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s.saturating_add(DEFAULT_WINDOW_MS)),
        (None, Some(e)) => (e - DEFAULT_WINDOW_MS, e),
        (None, None) => (now - DEFAULT_WINDOW_MS, now + 1),
    };
    if from > to {
        return Err(Open311Error::bad(
            format,
            "start_date 晚于 end_date",
            "start_date is after end_date",
        ));
    }
    let st = state.clone();
    let shown = db(&state, format, move |db| {
        let (_, actor) = holder(&st, db, q.api_key.as_deref(), format)?;
        let found: Vec<Ticket> = if ids.is_empty() {
            let mut all = db
                .tickets_reported_between(from, to)
                .map_err(store(format))?;
            all.reverse(); // newest first
            all.into_iter()
                .filter(|t| can_see(&actor, t))
                .filter(|t| codes.is_empty() || codes.contains(&service_code(t)))
                .filter(|t| {
                    let s = if t.state.is_terminal() {
                        "closed"
                    } else {
                        "open"
                    };
                    statuses.is_empty() || statuses.iter().any(|x| x == s)
                })
                .skip((page - 1).saturating_mul(page_size))
                .take(page_size)
                .collect()
        } else {
            let mut out = Vec::new();
            for id in &ids {
                if let Some(t) = db.ticket(id).map_err(store(format))? {
                    if can_see(&actor, &t) {
                        out.push(t);
                    }
                }
            }
            out
        };
        let units = db.unit_names().map_err(store(format))?;
        let wf = db.workflow();
        Ok(found
            .iter()
            .map(|t| request_of(t, &wf, &units))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(answer(StatusCode::OK, format, "service_requests", &shown))
}

/// Requests (JSON) the key's account may see, filtered; at most 1,000,
/// newest first; by default those reported in the last 90 days.
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311",
    params(RequestsQuery),
    responses(
        (status = 200, description = "The requests (no constituent contact, no reporter)", body = Vec<ServiceRequest>),
        (status = 400, description = "A filter that does not parse", body = Vec<ErrorItem>),
        (status = 403, description = "api_key missing, unknown or revoked", body = Vec<ErrorItem>),
    ))]
pub async fn requests_json(
    State(state): State<AppState>,
    q: Result<Query<RequestsQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    requests(state, Format::Json, q).await
}

/// Requests (XML, `<service_requests><request>`); as the JSON route.
#[utoipa::path(get, path = "/open311/v2/requests.xml", tag = "open311",
    params(RequestsQuery),
    responses(
        (status = 200, description = "The requests (no constituent contact, no reporter)", content_type = "text/xml", body = Vec<ServiceRequest>),
        (status = 400, description = "A filter that does not parse", content_type = "text/xml", body = Vec<ErrorItem>),
        (status = 403, description = "api_key missing, unknown or revoked", content_type = "text/xml", body = Vec<ErrorItem>),
    ))]
pub async fn requests_xml(
    State(state): State<AppState>,
    q: Result<Query<RequestsQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    requests(state, Format::Xml, q).await
}

/// Only the key: `GET requests/{id}` and `tokens/{token}`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// Issued by an administrator; required.
    pub api_key: Option<String>,
    pub jurisdiction_id: Option<String>,
}

/// One request; `file` is `{service_request_id}.json` or `.xml`.
#[utoipa::path(get, path = "/open311/v2/requests/{file}", tag = "open311",
    params(("file" = String, Path, description = "`{service_request_id}.json` or `.xml`"), KeyQuery),
    responses(
        (status = 200, description = "A list of the one request", content((Vec<ServiceRequest> = "application/json"), (Vec<ServiceRequest> = "text/xml"))),
        (status = 400, description = "Neither `.json` nor `.xml`", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
        (status = 403, description = "api_key missing, unknown or revoked", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
        (status = 404, description = "No such request, or not the key's to see", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
    ))]
pub async fn request_one(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<KeyQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let (id, format) = Format::split(&file).ok_or_else(unknown_format)?;
    let Query(q) =
        q.map_err(|_| Open311Error::bad(format, "查询参数格式不正确", "Malformed query"))?;
    let id = id.to_owned();
    let st = state.clone();
    let one = db(&state, format, move |db| {
        let (_, actor) = holder(&st, db, q.api_key.as_deref(), format)?;
        let t = db
            .ticket(&id)
            .map_err(store(format))?
            .filter(|t| can_see(&actor, t))
            .ok_or(Open311Error::not_found(format))?;
        let units = db.unit_names().map_err(store(format))?;
        Ok(vec![request_of(&t, &db.workflow(), &units)])
    })
    .await?;
    Ok(answer(StatusCode::OK, format, "service_requests", &one))
}

/// A token's request. Requests become tickets at once, so the token a POST
/// answers with is the request's id; this answers it back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenAnswer {
    pub service_request_id: String,
    pub token: String,
}

/// The request of a token (`{token}.json` or `.xml`): requests are tickets
/// at once, so the token is the id; 404 unless the key may see it.
#[utoipa::path(get, path = "/open311/v2/tokens/{file}", tag = "open311",
    params(("file" = String, Path, description = "`{token}.json` or `.xml`"), KeyQuery),
    responses(
        (status = 200, description = "The request's id", content((Vec<TokenAnswer> = "application/json"), (Vec<TokenAnswer> = "text/xml"))),
        (status = 400, description = "Neither `.json` nor `.xml`", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
        (status = 403, description = "api_key missing, unknown or revoked", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
        (status = 404, description = "No such token, or not the key's to see", content((Vec<ErrorItem> = "application/json"), (Vec<ErrorItem> = "text/xml"))),
    ))]
pub async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<KeyQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let (token, format) = Format::split(&file).ok_or_else(unknown_format)?;
    let Query(q) =
        q.map_err(|_| Open311Error::bad(format, "查询参数格式不正确", "Malformed query"))?;
    let token = token.to_owned();
    let st = state.clone();
    let found = db(&state, format, move |db| {
        let (_, actor) = holder(&st, db, q.api_key.as_deref(), format)?;
        let t = db
            .ticket(&token)
            .map_err(store(format))?
            .filter(|t| can_see(&actor, t))
            .ok_or(Open311Error::not_found(format))?;
        Ok(vec![TokenAnswer {
            service_request_id: t.id.to_string(),
            token,
        }])
    })
    .await?;
    Ok(answer(StatusCode::OK, format, "service_requests", &found))
}

// ------------------------------------------------------------------- POST

/// What a POST answers: the new request's id (its token is the same id).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Posted {
    pub service_request_id: String,
    pub token: String,
    /// Where it went (routed to a unit, or open to claim), Chinese and English.
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// The POST body's fields (`application/x-www-form-urlencoded`, the spec's);
/// `attribute[…]`, `email`, `device_id`, `account_id`, `media_url` are
/// accepted and not kept.
#[derive(Debug, Default, ToSchema)]
#[allow(dead_code)]
pub struct PostForm {
    /// Issued by an administrator to a deputy; required.
    api_key: String,
    /// An item code from the service list; required.
    service_code: String,
    /// WGS-84; with `long`, or `address_string`, required.
    lat: Option<f64>,
    long: Option<f64>,
    address_string: Option<String>,
    description: Option<String>,
    /// The constituent's name and phone number: kept as the item's private
    /// contact (the deputy and the unit that takes it on see it; Open311
    /// never shows it).
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
}

async fn post_request(state: AppState, format: Format, headers: HeaderMap, body: Bytes) -> Answer {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !kind
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(Open311Error::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format,
            "请求内容须为 application/x-www-form-urlencoded",
            "The body must be application/x-www-form-urlencoded",
        ));
    }
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        form.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let key = field("api_key");
    let code = field("service_code").ok_or_else(|| {
        Open311Error::bad(format, "缺少 service_code", "service_code is required")
    })?;
    let number = |k: &str| -> Result<Option<f64>, Open311Error> {
        field(k)
            .map(|v| {
                v.parse::<f64>().map_err(|_| {
                    Open311Error::bad(
                        format,
                        &format!("{k} 不是数字"),
                        &format!("{k} is not a number"),
                    )
                })
            })
            .transpose()
    };
    let (lat, long) = (number("lat")?, number("long")?);
    let address = field("address_string");
    let location = match (lat, long) {
        (Some(latitude), Some(longitude)) => {
            let l = Location {
                latitude,
                longitude,
                accuracy_m: None,
                source: LocationSource::Manual,
                address: address.clone(),
            };
            if !l.is_valid() {
                return Err(Open311Error::bad(
                    format,
                    "lat/long 超出 WGS-84 范围",
                    "lat/long out of the WGS-84 range",
                ));
            }
            Some(l)
        }
        (None, None) if address.is_some() => None,
        _ => {
            return Err(Open311Error::bad(
                format,
                "须提供 lat 和 long，或 address_string",
                "lat and long, or address_string, are required",
            ))
        }
    };
    let mut text = field("description").unwrap_or_default();
    if location.is_none() {
        if let Some(a) = &address {
            text = format!("{text}\n地址 / Address: {a}").trim().to_owned();
        }
    }
    let name = format!(
        "{}{}",
        field("last_name").unwrap_or_default(),
        field("first_name").unwrap_or_default()
    );
    let phone = field("phone");
    let constituent = (!name.is_empty() || phone.is_some()).then(|| ConstituentContact {
        name: (!name.is_empty()).then_some(name),
        phone,
    });

    let now = state.clock.now();
    let st = state.clone();
    let (id, notice) = db(&state, format, move |db| {
        let (held, actor) = holder(&st, db, key.as_deref(), format)?;
        if !actor.role.is_deputy() {
            return Err(Open311Error::new(
                StatusCode::FORBIDDEN,
                format,
                "此 api_key 只能查询，不能提交",
                "This api_key may read but not file requests (it is not a deputy's)",
            ));
        }
        let wf = db.workflow();
        let category = wf
            .taxonomy
            .categories
            .iter()
            .find(|c| c.items.iter().any(|i| i.code == code))
            .map(|c| c.code.clone())
            .ok_or_else(|| {
                Open311Error::bad(
                    format,
                    &format!("没有这个 service_code：{code}"),
                    &format!("No such service_code: {code}"),
                )
            })?;
        let id = TicketId::new();
        let new = NewTicket {
            id,
            event: EventId::new(),
            group: held.group,
            jurisdiction: None,
            category: Some(category),
            item: Some(code),
            text,
            location,
            channel: SourceChannel::Other,
            constituent,
            mentioned_unit: None,
            photo_count: 0,
        };
        if let Err(d) = new.check() {
            return Err(Open311Error::bad(format, "请求内容不合规", &d.to_string()));
        }
        // Its own client id, mutation 1: the push's exactly-once record
        // then needs no counter shared by concurrent POSTs.
        let client = ClientId::new();
        let pushed = db
            .push(
                &actor,
                client,
                &[Mutation {
                    client_id: client,
                    mutation_id: 1,
                    kind: MutationKind::CreateTicket { ticket: new },
                }],
                now,
            )
            .map_err(|e| Open311Error::unavailable(format, e))?;
        if let Some(r) = pushed.rejected.first() {
            return Err(Open311Error::bad(
                format,
                &r.reason.message_zh(),
                &r.reason.to_string(),
            ));
        }
        let t = db
            .ticket(&id.to_string())
            .map_err(store(format))?
            .ok_or_else(|| Open311Error::unavailable(format, "the pushed ticket is not there"))?;
        let notice = match t.assigned_unit {
            Some(u) => {
                let name = db
                    .unit_names()
                    .map_err(store(format))?
                    .remove(&u)
                    .unwrap_or_default();
                format!("已转交 {name} / routed to {name}")
            }
            None => "待认领 / open to claim by a unit".to_owned(),
        };
        Ok((id, notice))
    })
    .await?;
    state.pokes.poke();
    let body = vec![Posted {
        service_request_id: id.to_string(),
        token: id.to_string(),
        service_notice: notice,
        account_id: None,
    }];
    Ok(answer(
        StatusCode::CREATED,
        format,
        "service_requests",
        &body,
    ))
}

/// File a request (form-encoded body) as the key's deputy: it goes through
/// the app's push (state machine, routing rules, deadlines) and is a ticket
/// at once. 201 with its id.
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    request_body(content = PostForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Filed: its id (and the same as token)", body = Vec<Posted>),
        (status = 400, description = "A missing or bad field, or refused by the state machine", body = Vec<ErrorItem>),
        (status = 403, description = "api_key missing, unknown or revoked, or not a deputy's", body = Vec<ErrorItem>),
        (status = 415, description = "Not form-encoded", body = Vec<ErrorItem>),
    ))]
pub async fn post_request_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    post_request(state, Format::Json, headers, body).await
}

/// File a request; answers in XML (`<service_requests><request>`).
#[utoipa::path(post, path = "/open311/v2/requests.xml", tag = "open311",
    request_body(content = PostForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Filed: its id (and the same as token)", content_type = "text/xml", body = Vec<Posted>),
        (status = 400, description = "A missing or bad field, or refused by the state machine", content_type = "text/xml", body = Vec<ErrorItem>),
        (status = 403, description = "api_key missing, unknown or revoked, or not a deputy's", content_type = "text/xml", body = Vec<ErrorItem>),
        (status = 415, description = "Not form-encoded", content_type = "text/xml", body = Vec<ErrorItem>),
    ))]
pub async fn post_request_xml(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    post_request(state, Format::Xml, headers, body).await
}

// --------------------------------------------------------- admin: the keys

/// `POST /v1/admin/open311-keys`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueKey {
    /// Whom it is for (1–100 characters), e.g. `FixMyStreet bridge`.
    pub label: String,
    /// The account the key acts as: it sees what that account sees; a
    /// deputy's key may also file requests.
    pub user: UserId,
    /// For a deputy's key: the direct-line group its requests go to (one of
    /// the deputy's; absent: the deputy's first).
    #[serde(default)]
    pub group: Option<GroupId>,
}

/// The issued key: `api_key` is shown this once and never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedKey {
    pub id: String,
    pub api_key: String,
}

/// `GET /v1/admin/open311-keys`
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<ApiKeyInfo>,
}

/// Every Open311 key (never the keys themselves), newest first.
#[utoipa::path(get, path = "/v1/admin/open311-keys", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "The keys", body = KeyList), AdminOnly))]
pub async fn list_keys(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<KeyList>, Failure> {
    state
        .db(|db| {
            Ok(Json(KeyList {
                keys: db.api_keys()?,
            }))
        })
        .await
}

/// Issue an Open311 key acting as `user`.
#[utoipa::path(post, path = "/v1/admin/open311-keys", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    request_body = IssueKey,
    responses(
        (status = 201, description = "The key, shown once", body = IssuedKey),
        JsonIn,
        AdminOnly,
        (status = 400, description = "invalid: an empty or too long label, no such user, or a group the deputy is not in", body = ApiErrorDoc),
    ))]
pub async fn issue_key(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(b): Json<IssueKey>,
) -> Result<(StatusCode, Json<IssuedKey>), Failure> {
    use super::error::ErrorCode;
    let label = b.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(Failure::bad_request(
            ErrorCode::Invalid,
            "名称须为 1–100 个字符",
            "The label must be 1–100 characters",
        ));
    }
    let key = crate::auth::new_api_key();
    let hash = state.auth.api_key_hash(&key);
    let now = state.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let issued_by = admin.me.user;
    let answer_id = id.clone();
    state
        .db(move |db| {
            let me = db.me(b.user)?.ok_or_else(|| {
                Failure::bad_request(ErrorCode::Invalid, "没有这个用户", "No such user")
            })?;
            if let Some(g) = b.group {
                if !me.groups.contains(&g) {
                    return Err(Failure::bad_request(
                        ErrorCode::Invalid,
                        "此用户不在这个直通车群",
                        "The user is not a member of this group",
                    ));
                }
            }
            db.insert_api_key(&NewApiKey {
                id: &id,
                key_hash: &hash,
                user: b.user,
                group: b.group,
                label: &label,
                issued_by,
                issued_at: now,
            })?;
            tracing::info!(key = %id, user = %b.user, "open311: key issued");
            Ok(())
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedKey {
            id: answer_id,
            api_key: key,
        }),
    ))
}

/// Revoke an Open311 key (at once: the next request with it is refused).
#[utoipa::path(delete, path = "/v1/admin/open311-keys/{id}", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(("id" = String, Path, description = "The key's id (not the key)")),
    responses(
        (status = 204, description = "Revoked"),
        AdminOnly,
        (status = 404, description = "not_found: no such key", body = ApiErrorDoc),
    ))]
pub async fn revoke_key(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, Failure> {
    let now = state.clock.now();
    state
        .db(move |db| {
            if db.revoke_api_key(&id, now)? {
                tracing::info!(key = %id, "open311: key revoked");
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(Failure::not_found())
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_xml_shape() {
        assert_eq!(Format::split("C03-02.json"), Some(("C03-02", Format::Json)));
        assert_eq!(Format::split("x.xml"), Some(("x", Format::Xml)));
        assert_eq!(Format::split(".xml"), None);
        assert_eq!(Format::split("x.csv"), None);
        let v = serde_json::json!([{"code": 403, "description": "a<b & \"c\"", "n": null}]);
        assert_eq!(
            to_xml("errors", &v).expect("xml"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>403</code>\
             <description>a&lt;b &amp; &quot;c&quot;</description></error></errors>"
        );
    }

    #[test]
    fn w3c_datetimes_round_trip() {
        let ms = 1_764_400_000_000;
        assert_eq!(w3c(ms), "2025-11-29T15:06:40+08:00");
        assert_eq!(parse_w3c(&w3c(ms)), Some(ms));
        assert_eq!(parse_w3c("2025-11-29T07:06:40Z"), Some(ms));
        assert_eq!(
            parse_w3c("2025-11-29"),
            Some(1_764_345_600_000),
            "a date is midnight in China"
        );
        assert_eq!(parse_w3c("29/11/2025"), None);
    }
}
