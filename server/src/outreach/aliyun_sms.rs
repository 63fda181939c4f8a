//! Alibaba Cloud SMS (阿里云短信服务), `SendSms` (API version 2017-05-25), behind
//! `crate::sms::SmsGateway`.
//!
//! The request is a GET to the endpoint (`https://dysmsapi.aliyuncs.com` by
//! default) whose query carries the common parameters (`AccessKeyId`,
//! `Action`, `Format`, `RegionId`, `SignatureMethod` HMAC-SHA1,
//! `SignatureNonce`, `SignatureVersion` 1.0, `Timestamp` in UTC ISO 8601,
//! `Version`), the message (`PhoneNumbers`, `SignName`, `TemplateCode`,
//! `TemplateParam` as JSON) and `Signature` ([`rpc`]): Base64 of
//! HMAC-SHA1(AccessKeySecret + "&", "GET&%2F&" + percent-encoded sorted
//! query), every name and value percent-encoded as RFC 3986 unreserved
//! characters only — as Alibaba documents in "HTTP 协议及签名"; the unit test
//! reproduces that document's example (`zJDF+Lrzhj/ThnlvIToysFRq6t4=`).
//!
//! The templates' variables are named: the login code template
//! `${code}` and `${minutes}`, the notice template `${kind}` and `${ref}`.
//! Failures come back typed with Alibaba's `Code` (e.g.
//! `isv.BUSINESS_LIMIT_CONTROL`, `SignatureDoesNotMatch`).

use crate::app::SecretText;
use crate::sms::{SmsError, SmsGateway, SmsMessage, SmsTemplate};
use serde::Deserialize;

/// `[sms.aliyun]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AliyunConfig {
    /// Base URL of the API (no path): `https://dysmsapi.aliyuncs.com`.
    pub endpoint: String,
    /// `RegionId`, e.g. `cn-hangzhou`.
    pub region: String,
    pub access_key_id: String,
    /// From `MINQING_SMS_SECRET_KEY` (never a flag).
    pub access_key_secret: Option<SecretText>,
    /// The approved signature (签名名称).
    pub sign_name: String,
    /// `SMS_…` of the login code template (`${code}`, `${minutes}`).
    pub login_template_code: String,
    /// `SMS_…` of the notice template (`${kind}`, `${ref}`).
    pub notice_template_code: String,
    /// Per request (seconds).
    pub timeout_secs: u64,
}

impl Default for AliyunConfig {
    fn default() -> Self {
        AliyunConfig {
            endpoint: "https://dysmsapi.aliyuncs.com".into(),
            region: "cn-hangzhou".into(),
            access_key_id: String::new(),
            access_key_secret: None,
            sign_name: String::new(),
            login_template_code: String::new(),
            notice_template_code: String::new(),
            timeout_secs: 10,
        }
    }
}

/// The RPC signature (v1.0, HMAC-SHA1) as Alibaba documents it.
pub mod rpc {
    use base64::Engine as _;

    /// Percent-encoding of Alibaba's "specialUrlEncode": everything but
    /// `A–Z a–z 0–9 - _ . ~` as `%XX` (upper-case hex) of its UTF-8 bytes.
    pub fn encode(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The sorted, encoded query of `params` (without `Signature`).
    pub fn canonical_query(params: &[(&str, String)]) -> String {
        let mut sorted: Vec<&(&str, String)> = params.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        sorted
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `GET&%2F&` + the encoded canonical query.
    pub fn string_to_sign(canonical_query: &str) -> String {
        format!("GET&{}&{}", encode("/"), encode(canonical_query))
    }

    /// Base64 of HMAC-SHA1 under `secret + "&"`.
    pub fn signature(secret: &str, to_sign: &str) -> String {
        let key = ring::hmac::Key::new(
            ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            format!("{secret}&").as_bytes(),
        );
        base64::engine::general_purpose::STANDARD
            .encode(ring::hmac::sign(&key, to_sign.as_bytes()).as_ref())
    }
}

/// What Alibaba refused, with its own code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AliyunError {
    #[error("aliyun sms: {0}")]
    Transport(String),
    /// `Code` other than `OK` (e.g. `isv.BUSINESS_LIMIT_CONTROL`).
    #[error("aliyun sms {code}: {message}")]
    Refused { code: String, message: String },
    #[error("aliyun sms: not configured: {0}")]
    Config(&'static str),
}

impl From<AliyunError> for SmsError {
    fn from(e: AliyunError) -> Self {
        SmsError(e.to_string())
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
    #[serde(rename = "BizId", default)]
    biz_id: String,
}

/// The gateway.
pub struct AliyunSms {
    config: AliyunConfig,
    secret: String,
    http: std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl AliyunSms {
    /// Errors: a missing field.
    pub fn new(config: AliyunConfig) -> Result<AliyunSms, AliyunError> {
        let secret = config
            .access_key_secret
            .as_ref()
            .map(|s| s.0.clone())
            .filter(|s| !s.is_empty())
            .ok_or(AliyunError::Config(
                "access_key_secret (MINQING_SMS_SECRET_KEY)",
            ))?;
        for (value, name) in [
            (&config.access_key_id, "access_key_id"),
            (&config.sign_name, "sign_name"),
            (&config.login_template_code, "login_template_code"),
            (&config.notice_template_code, "notice_template_code"),
        ] {
            if value.trim().is_empty() {
                return Err(AliyunError::Config(name));
            }
        }
        url::Url::parse(&config.endpoint)
            .map_err(|_| AliyunError::Config("endpoint is not a URL"))?;
        Ok(AliyunSms {
            config,
            secret,
            http: std::sync::OnceLock::new(),
        })
    }

    /// The signed URL of `msg` at `timestamp` (UTC `YYYY-MM-DDTHH:MM:SSZ`)
    /// with `nonce`.
    pub fn url(&self, msg: &SmsMessage, timestamp: &str, nonce: &str) -> String {
        let (template, params) = match &msg.template {
            SmsTemplate::LoginCode { code, minutes } => (
                &self.config.login_template_code,
                serde_json::json!({"code": code, "minutes": minutes.to_string()}),
            ),
            SmsTemplate::Notice { kind_zh, item_ref } => (
                &self.config.notice_template_code,
                serde_json::json!({"kind": kind_zh, "ref": item_ref}),
            ),
        };
        let params: Vec<(&str, String)> = vec![
            ("AccessKeyId", self.config.access_key_id.clone()),
            ("Action", "SendSms".into()),
            ("Format", "JSON".into()),
            ("PhoneNumbers", msg.phone.clone()),
            ("RegionId", self.config.region.clone()),
            ("SignName", self.config.sign_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", nonce.into()),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", template.clone()),
            ("TemplateParam", params.to_string()),
            ("Timestamp", timestamp.into()),
            ("Version", "2017-05-25".into()),
        ];
        let query = rpc::canonical_query(&params);
        let signature = rpc::signature(&self.secret, &rpc::string_to_sign(&query));
        format!(
            "{}/?Signature={}&{query}",
            self.config.endpoint.trim_end_matches('/'),
            rpc::encode(&signature)
        )
    }

    /// Send `msg`; Alibaba's BizId of it. Blocking.
    pub fn send_sms(&self, msg: &SmsMessage, now_ms: i64) -> Result<String, AliyunError> {
        let t = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
            .map_err(|e| AliyunError::Transport(e.to_string()))?;
        let timestamp = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        let url = self.url(msg, &timestamp, &uuid::Uuid::new_v4().to_string());
        let http = super::lazy_client(&self.http, self.config.timeout_secs)
            .map_err(AliyunError::Transport)?;
        let answer = http
            .get(url)
            .send()
            .map_err(|e| AliyunError::Transport(e.without_url().to_string()))?;
        let status = answer.status();
        let parsed: Answer = answer
            .json()
            .map_err(|_| AliyunError::Transport(format!("HTTP {status}: not Alibaba's answer")))?;
        if parsed.code != "OK" {
            return Err(AliyunError::Refused {
                code: parsed.code,
                message: parsed.message,
            });
        }
        Ok(parsed.biz_id)
    }
}

impl SmsGateway for AliyunSms {
    fn deliver(&self, msg: &SmsMessage) -> Result<Option<String>, SmsError> {
        Ok(Some(self.send_sms(msg, crate::store::now_ms())?))
    }
}

#[cfg(test)]
mod tests {
    use super::rpc;

    /// Alibaba's example in "HTTP 协议及签名" (SendSms with AccessKeyId `testId`,
    /// AccessKeySecret `testSecret`): the string to sign and the signature as
    /// the document prints them.
    #[test]
    fn reproduces_alibabas_worked_example() {
        let params: Vec<(&str, String)> = vec![
            ("AccessKeyId", "testId".into()),
            ("Action", "SendSms".into()),
            ("Format", "XML".into()),
            ("OutId", "123".into()),
            ("PhoneNumbers", "15300000001".into()),
            ("RegionId", "cn-hangzhou".into()),
            ("SignName", "阿里云短信测试专用".into()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            (
                "SignatureNonce",
                "45e25e9b-0a6f-4070-8c85-2956eda1b466".into(),
            ),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", "SMS_71390007".into()),
            ("TemplateParam", r#"{"customer":"test"}"#.into()),
            ("Timestamp", "2017-07-12T02:42:19Z".into()),
            ("Version", "2017-05-25".into()),
        ];
        let query = rpc::canonical_query(&params);
        assert_eq!(
            query,
            "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
        );
        let to_sign = rpc::string_to_sign(&query);
        assert_eq!(
            to_sign,
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
        );
        assert_eq!(
            rpc::signature("testSecret", &to_sign),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
        assert_eq!(
            rpc::encode("zJDF+Lrzhj/ThnlvIToysFRq6t4="),
            "zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D"
        );
    }

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(rpc::encode("a b*c~d+e"), "a%20b%2Ac~d%2Be");
    }
}
