//! Tencent Cloud SMS, API 3.0 `SendSms` (version 2021-01-11), behind
//! `crate::sms::SmsGateway`.
//!
//! The request is a JSON POST to the endpoint (`https://sms.tencentcloudapi.com`
//! by default) with the common headers `X-TC-Action`, `X-TC-Version`,
//! `X-TC-Timestamp`, `X-TC-Region` and an `Authorization` signed with
//! TC3-HMAC-SHA256 ([`tc3`]), as Tencent documents in "Signature v3"
//! (签名方法 v3); the unit tests reproduce that document's worked example to the
//! byte. The number goes as E.164 (`+86…`); the text is an approved template
//! (`TemplateId`) with its variables (`TemplateParamSet`) and the approved
//! signature (`SignName`) of the application (`SmsSdkAppId`).
//!
//! Failures come back typed ([`TencentError`]): the whole request refused
//! (`Response.Error.Code`, e.g. `AuthFailure.SignatureFailure`), or this
//! number refused (`SendStatusSet[0].Code` other than `Ok`, e.g.
//! `LimitExceeded.PhoneNumberDailyLimit`); either is an `SmsError` naming
//! Tencent's code.

use crate::app::SecretText;
use crate::sms::{SmsError, SmsGateway, SmsMessage, SmsTemplate};
use serde::Deserialize;

/// `[sms.tencent]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TencentConfig {
    /// Base URL of the API (no path): `https://sms.tencentcloudapi.com`.
    pub endpoint: String,
    /// `X-TC-Region`, e.g. `ap-guangzhou`.
    pub region: String,
    /// The API key's SecretId.
    pub secret_id: String,
    /// The API key's SecretKey; from `MINQING_SMS_SECRET_KEY` (never a flag).
    pub secret_key: Option<SecretText>,
    /// The SMS application's SdkAppId (`1400…`).
    pub sdk_app_id: String,
    /// The approved signature's name (签名内容, e.g. `民情直通车`).
    pub sign_name: String,
    /// Template of login codes: `{1}` the code, `{2}` minutes valid.
    pub login_template_id: String,
    /// Template of the fallback: `{1}` the kind of notice, `{2}` the item's
    /// short reference.
    pub notice_template_id: String,
    /// Per request (seconds).
    pub timeout_secs: u64,
}

impl Default for TencentConfig {
    fn default() -> Self {
        TencentConfig {
            endpoint: "https://sms.tencentcloudapi.com".into(),
            region: "ap-guangzhou".into(),
            secret_id: String::new(),
            secret_key: None,
            sdk_app_id: String::new(),
            sign_name: String::new(),
            login_template_id: String::new(),
            notice_template_id: String::new(),
            timeout_secs: 10,
        }
    }
}

/// TC3-HMAC-SHA256, step by step as in Tencent's "Signature v3".
pub mod tc3 {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
    /// Headers signed: the two the document requires.
    pub const SIGNED_HEADERS: &str = "content-type;host";

    fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(msg.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Lower-case hex SHA-256.
    pub fn sha256_hex(s: &str) -> String {
        hex::encode(Sha256::digest(s.as_bytes()))
    }

    /// The UTC date (`YYYY-MM-DD`) of a Unix time in seconds.
    pub fn utc_date(timestamp: i64) -> String {
        let date = time::OffsetDateTime::from_unix_timestamp(timestamp)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .date();
        format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }

    /// Step 1, a POST with an empty query: method, `/`, the empty query,
    /// `content-type` and `host` (lower-cased, trimmed), the signed headers,
    /// the payload's hash.
    pub fn canonical_request(content_type: &str, host: &str, payload: &str) -> String {
        format!(
            "POST\n/\n\ncontent-type:{}\nhost:{}\n\n{SIGNED_HEADERS}\n{}",
            content_type.trim().to_ascii_lowercase(),
            host.trim().to_ascii_lowercase(),
            sha256_hex(payload)
        )
    }

    /// The credential scope: `date/service/tc3_request`.
    pub fn scope(timestamp: i64, service: &str) -> String {
        format!("{}/{service}/tc3_request", utc_date(timestamp))
    }

    /// Step 2.
    pub fn string_to_sign(timestamp: i64, service: &str, canonical_request: &str) -> String {
        format!(
            "{ALGORITHM}\n{timestamp}\n{}\n{}",
            scope(timestamp, service),
            sha256_hex(canonical_request)
        )
    }

    /// Step 3: the derived key's HMAC of the string to sign, lower-case hex.
    pub fn signature(secret_key: &str, timestamp: i64, service: &str, to_sign: &str) -> String {
        let date = hmac(format!("TC3{secret_key}").as_bytes(), &utc_date(timestamp));
        let service = hmac(&date, service);
        let signing = hmac(&service, "tc3_request");
        hex::encode(hmac(&signing, to_sign))
    }

    /// Step 4: the `Authorization` header of a POST of `payload`.
    pub fn authorization(
        secret_id: &str,
        secret_key: &str,
        service: &str,
        host: &str,
        content_type: &str,
        payload: &str,
        timestamp: i64,
    ) -> String {
        let canonical = canonical_request(content_type, host, payload);
        let to_sign = string_to_sign(timestamp, service, &canonical);
        format!(
            "{ALGORITHM} Credential={secret_id}/{}, SignedHeaders={SIGNED_HEADERS}, Signature={}",
            scope(timestamp, service),
            signature(secret_key, timestamp, service, &to_sign)
        )
    }
}

/// What Tencent refused, with its own code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TencentError {
    /// No answer, or not one that parses.
    #[error("tencent sms: {0}")]
    Transport(String),
    /// The request refused (`Response.Error`).
    #[error("tencent sms {code}: {message}")]
    Api { code: String, message: String },
    /// The number refused (`SendStatusSet[0].Code`).
    #[error("tencent sms {code}: {message}")]
    Number { code: String, message: String },
    #[error("tencent sms: not configured: {0}")]
    Config(&'static str),
}

impl From<TencentError> for SmsError {
    fn from(e: TencentError) -> Self {
        SmsError(e.to_string())
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Answer,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Error")]
    error: Option<ApiError>,
    #[serde(rename = "SendStatusSet", default)]
    statuses: Vec<SendStatus>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

#[derive(Deserialize)]
struct SendStatus {
    #[serde(rename = "SerialNo", default)]
    serial_no: String,
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// The service name in the credential scope (the product's domain prefix).
const SERVICE: &str = "sms";
const VERSION: &str = "2021-01-11";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The gateway.
pub struct TencentSms {
    config: TencentConfig,
    secret_key: String,
    url: url::Url,
    host: String,
    /// Built on first use, off the async runtime (the SMS worker, a pass).
    http: std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl TencentSms {
    /// Errors: a missing field, or an endpoint that is not a URL.
    pub fn new(config: TencentConfig) -> Result<TencentSms, TencentError> {
        let secret_key = config
            .secret_key
            .as_ref()
            .map(|s| s.0.clone())
            .filter(|s| !s.is_empty())
            .ok_or(TencentError::Config("secret_key (MINQING_SMS_SECRET_KEY)"))?;
        for (value, name) in [
            (&config.secret_id, "secret_id"),
            (&config.sdk_app_id, "sdk_app_id"),
            (&config.sign_name, "sign_name"),
            (&config.login_template_id, "login_template_id"),
            (&config.notice_template_id, "notice_template_id"),
        ] {
            if value.trim().is_empty() {
                return Err(TencentError::Config(name));
            }
        }
        let url = url::Url::parse(&config.endpoint)
            .map_err(|_| TencentError::Config("endpoint is not a URL"))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(TencentError::Config("endpoint has no host")),
        };
        Ok(TencentSms {
            config,
            secret_key,
            url,
            host,
            http: std::sync::OnceLock::new(),
        })
    }

    /// The JSON body of `SendSms` for `msg`.
    pub fn body(&self, msg: &SmsMessage) -> serde_json::Value {
        let template = match msg.template {
            SmsTemplate::LoginCode { .. } => &self.config.login_template_id,
            SmsTemplate::Notice { .. } => &self.config.notice_template_id,
        };
        serde_json::json!({
            "PhoneNumberSet": [format!("+86{}", msg.phone)],
            "SmsSdkAppId": self.config.sdk_app_id,
            "SignName": self.config.sign_name,
            "TemplateId": template,
            "TemplateParamSet": msg.template.params(),
        })
    }

    /// Send `msg`; Tencent's serial number of it. Blocking.
    pub fn send_sms(&self, msg: &SmsMessage, now_secs: i64) -> Result<String, TencentError> {
        let payload = self.body(msg).to_string();
        let authorization = tc3::authorization(
            &self.config.secret_id,
            &self.secret_key,
            SERVICE,
            &self.host,
            CONTENT_TYPE,
            &payload,
            now_secs,
        );
        let http = super::lazy_client(&self.http, self.config.timeout_secs)
            .map_err(TencentError::Transport)?;
        let answer = http
            .post(self.url.clone())
            .header("Authorization", authorization)
            .header("Content-Type", CONTENT_TYPE)
            .header("X-TC-Action", "SendSms")
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", now_secs.to_string())
            .header("X-TC-Region", &self.config.region)
            .body(payload)
            .send()
            .map_err(|e| TencentError::Transport(e.to_string()))?;
        let status = answer.status();
        let text = answer
            .text()
            .map_err(|e| TencentError::Transport(e.to_string()))?;
        let parsed: Envelope = serde_json::from_str(&text)
            .map_err(|_| TencentError::Transport(format!("HTTP {status}: not a Tencent answer")))?;
        if let Some(e) = parsed.response.error {
            return Err(TencentError::Api {
                code: e.code,
                message: e.message,
            });
        }
        let first = parsed
            .response
            .statuses
            .into_iter()
            .next()
            .ok_or_else(|| TencentError::Transport("no SendStatusSet in the answer".into()))?;
        if first.code != "Ok" {
            return Err(TencentError::Number {
                code: first.code,
                message: first.message,
            });
        }
        Ok(first.serial_no)
    }
}

impl SmsGateway for TencentSms {
    fn deliver(&self, msg: &SmsMessage) -> Result<Option<String>, SmsError> {
        let now = crate::store::now_ms().div_euclid(1000);
        Ok(Some(self.send_sms(msg, now)?))
    }
}

#[cfg(test)]
mod tests {
    use super::tc3;

    /// Tencent's worked example in "Signature v3" (签名方法 v3): DescribeInstances
    /// on cvm.tencentcloudapi.com at 1551113065 with SecretKey
    /// `Gu5t9xGARNpq86cd98joQYCN3EXAMPLE`; every intermediate value and the
    /// signature as the document prints them.
    #[test]
    fn reproduces_tencents_worked_example() {
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let ct = "application/json; charset=utf-8";
        let host = "cvm.tencentcloudapi.com";
        assert_eq!(
            tc3::sha256_hex(payload),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let canonical = tc3::canonical_request(ct, host, payload);
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let to_sign = tc3::string_to_sign(1551113065, "cvm", &canonical);
        assert_eq!(
            to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            tc3::signature(
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                1551113065,
                "cvm",
                &to_sign
            ),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(
            tc3::authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                "cvm",
                host,
                ct,
                payload,
                1551113065
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    /// The date is UTC's: at 1551113065 it is already 26 February in China.
    #[test]
    fn the_scope_date_is_utc() {
        assert_eq!(tc3::utc_date(1551113065), "2019-02-25");
        assert_eq!(tc3::utc_date(1551113065 + 8 * 3600), "2019-02-26");
    }
}
