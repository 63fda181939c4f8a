//! Errors in two layers (as in application-services): [`Error`] is detailed and
//! used inside the crate; [`MinqingError`] is the small enum that crosses the FFI
//! with a user-readable message (zh-CN unless the app chose English).

use minqing_capture::CaptureError;
use minqing_protocol::Denied;

/// Everything that can go wrong inside the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("photo: {0}")]
    Photo(#[from] CaptureError),
    #[error("denied: {0}")]
    Denied(#[from] Denied),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("schema: {0}")]
    Schema(#[from] crate::store::schema::SchemaError),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    #[error("encoding: {0}")]
    Json(#[from] serde_json::Error),
    #[error("background task failed: {0}")]
    Task(String),
    /// The shell's keystore gave no usable key.
    #[error("store key: {0}")]
    Key(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error the apps see. Each carries a message ready to show the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum MinqingError {
    /// The photo could not be used (HEIC, not an image, damaged, too large).
    #[error("{reason}")]
    Photo { code: String, reason: String },
    /// The action is not allowed for this user or in this state.
    #[error("{reason}")]
    Denied { reason: String },
    /// A draft, ticket or photo that does not exist (any more).
    #[error("{reason}")]
    NotFound { reason: String },
    /// Input the user can correct.
    #[error("{reason}")]
    Invalid { reason: String },
    /// The device store failed (disk full, damaged file). Nothing was changed.
    #[error("{reason}")]
    Storage { reason: String },
    /// No connection, or the server is busy. Nothing is lost; sync retries.
    #[error("{reason}")]
    Network { reason: String },
    /// Not logged in, or the session ended: log in again (the queue is kept).
    #[error("{reason}")]
    NotLoggedIn { reason: String },
    /// The server needs a newer app (the queue is kept until the update).
    #[error("{reason}")]
    UpdateRequired { reason: String },
    /// The server refused the request (wrong code, too many attempts, …).
    #[error("{reason}")]
    Refused { code: String, reason: String },
}

/// The language of user-facing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, uniffi::Enum)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for MinqingError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        MinqingError::Storage { reason: e.reason }
    }
}

impl Error {
    /// Translate for the user, logging the detail that the user does not need.
    pub fn to_public(&self, lang: Lang) -> MinqingError {
        let zh = lang == Lang::ZhCn;
        match self {
            Error::Photo(e) => MinqingError::Photo {
                code: capture_code(e).into(),
                reason: capture_message(e, zh),
            },
            Error::Denied(d) => MinqingError::Denied {
                reason: if zh { d.message_zh() } else { d.to_string() },
            },
            Error::NotFound { what, id } => MinqingError::NotFound {
                reason: if zh {
                    format!("找不到{}（{id}）", what_zh(what))
                } else {
                    format!("{what} {id} not found")
                },
            },
            Error::Invalid { field, reason } => MinqingError::Invalid {
                reason: if zh {
                    format!("输入有误（{field}）：{reason}")
                } else {
                    format!("invalid {field}: {reason}")
                },
            },
            other => {
                tracing::error!(error = %other, "storage failure");
                MinqingError::Storage {
                    reason: if zh {
                        format!("本机存储出错，未做任何更改：{other}")
                    } else {
                        format!("device storage failed, nothing was changed: {other}")
                    },
                }
            }
        }
    }
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "draft" => "草稿",
        "ticket" => "民情",
        "photo" => "照片",
        "outbox entry" => "待发送记录",
        _ => "记录",
    }
}

fn capture_code(e: &CaptureError) -> &'static str {
    e.code()
}

fn capture_message(e: &CaptureError, zh: bool) -> String {
    if zh {
        e.message_zh()
    } else {
        e.message_en()
    }
}
