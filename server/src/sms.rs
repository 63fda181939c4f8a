//! Sending SMS. Production plugs a vendor's gateway in behind [`SmsGateway`]
//! (Tencent Cloud SMS: `crate::outreach::tencent_sms`, chosen by the `[sms]`
//! configuration); the demo and development gateway appends each message as
//! one JSON line to `<data-dir>/sms.log`, where a developer (or a test) reads
//! the code. There is no fixed code anywhere.
//!
//! A vendor in mainland China sends only texts from templates it approved: a
//! message carries its [`SmsTemplate`] and the values of its variables beside
//! the full text the log gateway writes.

use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize)]
pub struct SmsMessage {
    pub phone: String,
    pub text: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Which approved template the text is, with its variables' values.
    #[serde(skip)]
    pub template: SmsTemplate,
}

/// The texts the platform sends, as a vendor's approved templates (one
/// template id per kind in the `[sms]` configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsTemplate {
    /// A login code (6 digits), valid `minutes`.
    LoginCode { code: String, minutes: u32 },
    /// A notice waiting in the app (the SMS fallback): what kind, in Chinese
    /// and at most 6 characters ("督办", "请确认"), and the item's short
    /// reference (its id's first 8 hex digits). Never the item's text.
    Notice { kind_zh: String, item_ref: String },
}

impl SmsTemplate {
    /// The template's variables in order ({1}, {2}, …).
    pub fn params(&self) -> Vec<String> {
        match self {
            SmsTemplate::LoginCode { code, minutes } => vec![code.clone(), minutes.to_string()],
            SmsTemplate::Notice { kind_zh, item_ref } => vec![kind_zh.clone(), item_ref.clone()],
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("sms gateway: {0}")]
pub struct SmsError(pub String);

pub trait SmsGateway: Send + Sync {
    fn send(&self, msg: &SmsMessage) -> Result<(), SmsError> {
        self.deliver(msg).map(|_| ())
    }

    /// Send, and say what the vendor calls the message (its serial number),
    /// when it says. Blocking: call it off the async runtime.
    fn deliver(&self, msg: &SmsMessage) -> Result<Option<String>, SmsError>;
}

impl<T: SmsGateway + ?Sized> SmsGateway for std::sync::Arc<T> {
    fn deliver(&self, msg: &SmsMessage) -> Result<Option<String>, SmsError> {
        (**self).deliver(msg)
    }
}

/// Appends messages to a file, one JSON object a line.
pub struct FileGateway {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileGateway {
    pub fn new(path: PathBuf) -> Self {
        FileGateway {
            path,
            lock: Mutex::new(()),
        }
    }
}

impl SmsGateway for FileGateway {
    fn deliver(&self, msg: &SmsMessage) -> Result<Option<String>, SmsError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut line = serde_json::to_string(msg).map_err(|e| SmsError(e.to_string()))?;
        line.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| SmsError(format!("{}: {e}", self.path.display())))?;
        f.write_all(line.as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| SmsError(e.to_string()))?;
        Ok(None)
    }
}

/// The code in the newest message to `phone` in an `sms.log` (for tests, the
/// CLI's `--code` helper in development, and the demo instructions).
pub fn latest_code(log: &str, phone: &str) -> Option<String> {
    log.lines().rev().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        if v.get("phone")?.as_str()? != phone {
            return None;
        }
        let text = v.get("text")?.as_str()?;
        let digits: String = text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)?
            .to_owned();
        Some(digits)
    })
}

/// [`latest_code`] from the `sms.log` at `path`, waiting up to `limit` for it
/// to be written: texts are sent by a worker after the answer to the request
/// (`crate::auth`), so a test or script reading right after the 202 polls.
pub fn wait_for_code(
    path: &std::path::Path,
    phone: &str,
    limit: std::time::Duration,
) -> Option<String> {
    let until = std::time::Instant::now() + limit;
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(code) = latest_code(&log, phone) {
            return Some(code);
        }
        if std::time::Instant::now() >= until {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
