//! What the four vendors share: the message handed to one, the answer read
//! from it, `Retry-After`, backoff, and the length limits of the texts.

use super::outbox::{Due, Outcome};
use std::time::Duration;

/// One push to one device, as a vendor client gets it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub token: &'a str,
    /// The iOS bundle id / Android package name.
    pub app_id: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    /// The item: the app syncs and opens it (the data field `ticket`).
    pub ticket_id: &'a str,
    /// The notice's kind (`claimed`, `chased`, …; the data field `kind`).
    pub kind: &'a str,
    /// The delivery (for the vendor's message id where one is given).
    pub delivery_id: i64,
}

impl<'a> From<&'a Due> for Message<'a> {
    fn from(d: &'a Due) -> Self {
        Message {
            token: &d.token,
            app_id: &d.app_id,
            title: &d.title,
            body: &d.body,
            ticket_id: &d.ticket_id,
            kind: &d.kind,
            delivery_id: d.id,
        }
    }
}

/// What a vendor answered, as the outbox records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    pub outcome: Outcome,
    /// The vendor's reason, or the transport error.
    pub detail: Option<String>,
    /// The vendor's `Retry-After`, ms.
    pub retry_after_ms: Option<i64>,
}

impl Answer {
    pub fn sent(status: u16) -> Answer {
        Answer {
            status: Some(status),
            outcome: Outcome::Sent,
            detail: None,
            retry_after_ms: None,
        }
    }

    pub fn dead(status: u16, reason: impl Into<String>) -> Answer {
        Answer {
            status: Some(status),
            outcome: Outcome::Dead,
            detail: Some(reason.into()),
            retry_after_ms: None,
        }
    }

    pub fn failed(status: Option<u16>, reason: impl Into<String>) -> Answer {
        Answer {
            status,
            outcome: Outcome::Failed,
            detail: Some(reason.into()),
            retry_after_ms: None,
        }
    }

    /// Try again: after the vendor's `Retry-After` if it gave one, else after
    /// [`backoff_ms`] for attempt `attempt`.
    pub fn retry(
        status: Option<u16>,
        reason: impl Into<String>,
        retry_after_ms: Option<i64>,
        attempt: u32,
    ) -> Answer {
        Answer {
            status,
            outcome: Outcome::Retry {
                after_ms: retry_after_ms.unwrap_or_else(|| backoff_ms(attempt)),
            },
            detail: Some(reason.into()),
            retry_after_ms,
        }
    }

    /// A request that got no answer (connection refused, timeout): retried.
    pub fn transport(e: &reqwest::Error, attempt: u32) -> Answer {
        Answer::retry(None, format!("transport: {e}"), None, attempt)
    }
}

/// Exponential backoff before try `attempt + 1`: 2 s, 4 s, 8 s, … at most
/// one hour.
pub fn backoff_ms(attempt: u32) -> i64 {
    let exp = attempt.saturating_sub(1).min(20);
    (2_000i64 << exp).min(3_600_000)
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, in ms
/// from `now_ms`; `None` when absent or unreadable.
pub fn retry_after_ms(headers: &reqwest::header::HeaderMap, now_ms: i64) -> Option<i64> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(i64::try_from(secs.min(86_400)).ok()? * 1000);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    Some((i64::try_from(at_ms).ok()? - now_ms).max(0))
}

/// `s` cut to at most `max` characters (an ellipsis marks the cut).
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The HTTP client the vendors use: HTTP/2 when the server offers it (TLS
/// ALPN); `prior_knowledge` speaks HTTP/2 without TLS (a loopback fake).
pub fn http_client(
    prior_knowledge: bool,
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    let b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(600));
    let b = if prior_knowledge {
        b.http2_prior_knowledge()
    } else {
        b
    };
    b.build()
}

/// An OAuth access token (FCM, HMS), kept until a minute before it expires.
#[derive(Default)]
pub struct TokenCache(tokio::sync::Mutex<Option<(String, i64)>>);

impl TokenCache {
    /// The token held, or one from `fetch` (`(token, expires_in seconds)`)
    /// when there is none, it is about to expire, or `fresh` (the vendor
    /// refused the one held).
    pub async fn get<F, Fut>(&self, fresh: bool, fetch: F) -> Result<String, String>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(String, i64), String>>,
    {
        let mut held = self.0.lock().await;
        let now = crate::store::now_ms();
        if let Some((t, until)) = held.as_ref() {
            if !fresh && now < *until {
                return Ok(t.clone());
            }
        }
        let (t, expires_in) = fetch().await?;
        *held = Some((t.clone(), now + (expires_in - 60).max(0) * 1000));
        Ok(t)
    }
}

/// POST an OAuth token request (`application/x-www-form-urlencoded`, RFC
/// 6749 §4.4 / RFC 7523 §2.1) to `url`; the `access_token` and its
/// `expires_in` (seconds; an hour when not given).
pub async fn request_token(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> Result<(String, i64), String> {
    #[derive(serde::Deserialize)]
    struct TokenAnswer {
        access_token: String,
        expires_in: Option<i64>,
    }
    let res = http
        .post(url)
        .form(form)
        .send()
        .await
        .map_err(|e| format!("token: {e}"))?;
    let status = res.status();
    if !status.is_success() {
        let body = res.text().await.unwrap_or_default();
        return Err(format!(
            "token: {status}: {}",
            body.chars().take(200).collect::<String>()
        ));
    }
    let a: TokenAnswer = res.json().await.map_err(|e| format!("token: {e}"))?;
    Ok((a.access_token, a.expires_in.unwrap_or(3600)))
}

/// A vendor's configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("push.{vendor}: {reason}")]
    Invalid {
        vendor: &'static str,
        reason: String,
    },
}

impl ConfigError {
    pub fn new(vendor: &'static str, reason: impl std::fmt::Display) -> ConfigError {
        ConfigError::Invalid {
            vendor,
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after_ms(&h, 0), None);
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().expect("v"));
        assert_eq!(retry_after_ms(&h, 0), Some(7_000));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().expect("v"),
        );
        assert_eq!(retry_after_ms(&h, 784_111_770_000), Some(7_000));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().expect("v"));
        assert_eq!(retry_after_ms(&h, 0), None);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(40), 3_600_000);
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("民情直通车", 5), "民情直通车");
        assert_eq!(cut("民情直通车", 4), "民情直…");
    }
}
