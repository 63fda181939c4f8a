//! The OpenAPI document (ADR 0016), generated from the handlers and the wire
//! types: every route is registered with `utoipa_axum::routes!` from its
//! handler's `#[utoipa::path]`, so what is routed and what is documented are
//! one list; the bodies' schemas are the Rust types' own (`utoipa::ToSchema`,
//! the protocol crate's behind its `openapi` feature). Served at
//! `/openapi.json`.
//!
//! What the layers add to every operation, rather than each handler saying
//! it: `503 unavailable` (a storage failure, a full password-hashing queue, or
//! a request still running at the end of a shutdown's grace period). The
//! other common answers are named by each handler from the sets here
//! ([`Auth`], [`AuthWrite`], [`AdminOnly`], [`JsonIn`]), after what its
//! extractors refuse.

use super::error::ErrorCode;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::ToSchema;

/// Every error answer (`minqing_protocol::wire::ApiError`), with its `error`
/// as the server's [`ErrorCode`]s.
#[derive(ToSchema)]
#[schema(as = ApiError, title = "ApiError")]
#[allow(dead_code)]
pub struct ApiErrorDoc {
    /// Stable, machine-readable; clients branch on it. `gap` carries
    /// `expected`; `unavailable`, `rate_limited`, `throttled`, `locked` and
    /// `upload_quota` come with `Retry-After`.
    error: ErrorCode,
    /// For people, in Chinese.
    message_zh: String,
    /// For people, in English.
    message_en: String,
    /// For `gap`: the mutation id the server expects next.
    #[schema(minimum = 1)]
    expected: Option<u64>,
}

/// Bytes (a photo, a tus body): `{type: string, format: binary}`.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// An error answer with `description`.
pub fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiError")))
                .build(),
        )
        .build()
        .into()
}

fn set(entries: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    entries
        .iter()
        .map(|(status, description)| ((*status).to_owned(), error(description)))
        .collect()
}

/// A route for signed-in callers (the `Caller` extractor), read only.
pub struct Auth;

impl utoipa::IntoResponses for Auth {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(
            "401",
            "unauthorized: no bearer token or console session, or an expired or revoked one",
        )])
    }
}

/// A state-changing route for signed-in callers: with the console's cookie
/// it also needs `X-CSRF-Token`.
pub struct AuthWrite;

impl utoipa::IntoResponses for AuthWrite {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            (
                "401",
                "unauthorized: no bearer token or console session, or an expired or revoked one",
            ),
            ("403", "csrf: the console's cookie without its X-CSRF-Token"),
        ])
    }
}

/// The administrator's routes (the `Admin` extractor).
pub struct AdminOnly;

impl utoipa::IntoResponses for AdminOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            (
                "401",
                "unauthorized: no bearer token or console session, or an expired or revoked one",
            ),
            (
                "403",
                "forbidden: only the administrator; csrf: the console's cookie on a change without X-CSRF-Token",
            ),
        ])
    }
}

/// A JSON body (the `Json` extractor and the body limit).
pub struct JsonIn;

impl utoipa::IntoResponses for JsonIn {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            (
                "400",
                "malformed: the body does not parse, has the wrong types, or fields it may not have",
            ),
            ("413", "too_large: over 2 MiB (refused from Content-Length)"),
            (
                "415",
                "unsupported_media_type: not Content-Type: application/json",
            ),
        ])
    }
}

/// The security schemes and the document's own words.
struct Base;

impl utoipa::Modify for Base {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Opaque access token from login or refresh (1 h); stored keyed-hashed on the server.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "console",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::console::SESSION_COOKIE,
                "The web console's session (POST /v1/console/login). A request but \
                 GET/HEAD/OPTIONS with it must carry X-CSRF-Token from GET \
                 /v1/console/session, else 403 csrf.",
            ))),
        );
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Minqing (民情直通车) API",
        version = "1",
        description = "Protocol v1 between the Minqing phone core (and CLI, and the web console) \
            and the cloud platform. Semantics: docs/protocol.md. Generated from the server's \
            handlers and types (ADR 0016). Every error answer is ApiError, every status an \
            operation can answer is listed, and every operation can also answer 503 unavailable \
            with Retry-After. Deny by default: every /v1 route but login needs a bearer token or \
            the console's session. Ids are UUIDs in lower-case hex with hyphens only."
    ),
    components(schemas(ApiErrorDoc)),
    modifiers(&Base)
)]
struct Document;

/// The document, built once from the router's routes.
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = super::api().split_for_parts();
        let base = <Document as utoipa::OpenApi>::openapi();
        doc.info = base.info;
        let components = doc.components.get_or_insert_with(Default::default);
        if let Some(c) = base.components {
            components.schemas.extend(c.schemas);
            components.security_schemes.extend(c.security_schemes);
        }
        let unavailable = error(
            "unavailable: storage failed, password hashing is at its bound, or the server is \
             shutting down; retry after Retry-After",
        );
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| unavailable.clone());
            }
        }
        doc
    })
}

/// The document as served: [`document`] with what utoipa cannot say from
/// the types alone ([`exact`]).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut doc = serde_json::to_value(document()).expect("the document serializes");
        exact(&mut doc);
        serde_json::to_string_pretty(&doc).expect("the document serializes")
    })
}

/// The bounds of an integer of each width utoipa names (`non_strict_integers`),
/// and the name the OpenAPI format registry gives it
/// (<https://spec.openapis.org/registry/format/>): utoipa 5 writes the
/// unsigned ones `u-int8` … `u-int64`, the registry `uint8` … `uint64`.
fn width(format: &str) -> Option<(&'static str, serde_json::Value, serde_json::Value)> {
    use serde_json::json;
    Some(match format {
        "int8" => ("int8", json!(i8::MIN), json!(i8::MAX)),
        "int16" => ("int16", json!(i16::MIN), json!(i16::MAX)),
        "int32" => ("int32", json!(i32::MIN), json!(i32::MAX)),
        "int64" => ("int64", json!(i64::MIN), json!(i64::MAX)),
        "uint8" | "u-int8" => ("uint8", json!(0), json!(u8::MAX)),
        "uint16" | "u-int16" => ("uint16", json!(0), json!(u16::MAX)),
        "uint32" | "u-int32" => ("uint32", json!(0), json!(u32::MAX)),
        "uint64" | "u-int64" => ("uint64", json!(0), json!(u64::MAX)),
        _ => return None,
    })
}

/// What the server reads, said exactly:
/// - every integer is bounded by its Rust type's width (a value outside it
///   does not parse: 400), within the bounds a field declares;
/// - the console's login: a password or a code, exactly one;
/// - a query or header parameter is absent or a value, never `null`;
/// - `i64` used as a time is named `Timestamp`.
fn exact(doc: &mut serde_json::Value) {
    use serde_json::Value;
    fn walk(v: &mut Value, in_parameter: bool) {
        match v {
            Value::Object(map) => {
                let integer = match map.get("type") {
                    Some(Value::String(t)) => t == "integer",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                    _ => false,
                };
                let format = map.get("format").and_then(Value::as_str).map(str::to_owned);
                if let (true, Some((name, lo, hi))) = (integer, format.as_deref().and_then(width)) {
                    map.insert("format".into(), name.into());
                    let tighter = |declared: Option<&Value>, bound: Value, max: bool| match declared
                    {
                        Some(d)
                            if d.as_f64().zip(bound.as_f64()).is_some_and(|(d, b)| {
                                if max {
                                    d < b
                                } else {
                                    d > b
                                }
                            }) =>
                        {
                            d.clone()
                        }
                        _ => bound,
                    };
                    let min = tighter(map.get("minimum"), lo, false);
                    let max = tighter(map.get("maximum"), hi, true);
                    map.insert("minimum".into(), min);
                    map.insert("maximum".into(), max);
                }
                if in_parameter {
                    if let Some(Value::Array(ts)) = map.get("type") {
                        let ts: Vec<Value> = ts.iter().filter(|t| *t != "null").cloned().collect();
                        if ts.len() == 1 {
                            map.insert("type".into(), ts[0].clone());
                        }
                    }
                }
                if map.get("$ref").and_then(Value::as_str) == Some("#/components/schemas/i64") {
                    map.insert("$ref".into(), "#/components/schemas/Timestamp".into());
                }
                for (key, child) in map.iter_mut() {
                    walk(child, in_parameter || key == "parameters");
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, in_parameter)),
            _ => {}
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        if let Some(Value::Object(mut t)) = schemas.remove("i64") {
            t.insert(
                "description".into(),
                "Milliseconds since the Unix epoch, UTC (the server's clock)".into(),
            );
            schemas.insert("Timestamp".into(), Value::Object(t));
        }
    }
    walk(doc, false);
    // The console's login takes a password or a code, exactly one of the two
    // (`console::login`: both or neither is 400 `malformed`).
    if let Some(login) = doc.pointer_mut("/components/schemas/ConsoleLogin") {
        for field in ["password", "code"] {
            login["properties"][field]["type"] = "string".into();
        }
        login["oneOf"] = serde_json::json!([
            { "required": ["password"], "not": { "required": ["code"] } },
            { "required": ["code"], "not": { "required": ["password"] } },
        ]);
    }
    // Creation without a body is the plain tus creation.
    if let Some(body) = doc.pointer_mut("/paths/~1v1~1uploads/post/requestBody") {
        body["required"] = Value::Bool(false);
    }
}
