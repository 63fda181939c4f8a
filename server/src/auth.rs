//! Login and sessions: phone + one-time SMS code for everyone, password (argon2)
//! for staff, and opaque bearer tokens. Only SHA-256 hashes of codes and tokens
//! are stored, so a copy of the database logs nobody in.

use crate::sms::{SmsGateway, SmsMessage};
use crate::store::auth::{CodePolicy, NewSession, RateLimited, Refreshed};
use crate::store::{now_ms, Db, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use minqing_protocol::wire::{Me, SessionTokens};
use minqing_protocol::UserId;
use sha2::{Digest, Sha256};

pub const ACCESS_TTL_MS: i64 = 60 * 60_000;
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 60 * 60_000;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong or expired code")]
    BadCode,
    #[error("wrong phone number or password")]
    BadPassword,
    #[error("too many codes; try again in {0} s")]
    RateLimited(u64),
    #[error("invalid phone number")]
    BadPhone,
    #[error("unknown or expired token")]
    BadToken,
    #[error("{0}")]
    Sms(#[from] crate::sms::SmsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Auth {
    pub policy: CodePolicy,
    gateway: Box<dyn SmsGateway>,
}

/// A caller the server recognised.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: String,
    pub me: Me,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS random source failing is not something to limp on from.
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

fn new_token(prefix: &str) -> String {
    let b = random_bytes::<32>();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

fn new_code() -> String {
    let b = random_bytes::<4>();
    format!("{:06}", u32::from_le_bytes(b) % 1_000_000)
}

fn code_hash(phone: &str, code: &str) -> String {
    sha256_hex(&format!("{phone}:{code}"))
}

/// Mainland mobile numbers: 11 digits starting with 1.
pub fn valid_phone(p: &str) -> bool {
    p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit())
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("argon2 with default parameters")
}

impl Auth {
    pub fn new(gateway: Box<dyn SmsGateway>) -> Self {
        Auth {
            policy: CodePolicy::default(),
            gateway,
        }
    }

    /// Send a code to `phone`. Unknown numbers get the same answer and no SMS,
    /// so the endpoint does not tell who is a user.
    pub fn request_code(&self, db: &Db, phone: &str) -> Result<(), AuthError> {
        if !valid_phone(phone) {
            return Err(AuthError::BadPhone);
        }
        let now = now_ms();
        let code = new_code();
        match db.issue_code(phone, &code_hash(phone, &code), now, &self.policy)? {
            Err(RateLimited { retry_after_ms }) => Err(AuthError::RateLimited(
                (retry_after_ms.max(0) as u64).div_ceil(1000),
            )),
            Ok(()) => {
                if db.account_by_phone(phone)?.is_some() {
                    self.gateway.send(&SmsMessage {
                        phone: phone.to_owned(),
                        text: format!(
                            "【民情直通车】验证码 {code}，{} 分钟内有效。请勿告诉他人。",
                            self.policy.ttl_ms / 60_000
                        ),
                        at: now,
                    })?;
                }
                Ok(())
            }
        }
    }

    pub fn login(
        &self,
        db: &Db,
        phone: &str,
        code: &str,
        device: &str,
    ) -> Result<SessionTokens, AuthError> {
        let now = now_ms();
        if !db.consume_code(phone, &code_hash(phone, code), now, &self.policy)? {
            return Err(AuthError::BadCode);
        }
        let account = db.account_by_phone(phone)?.ok_or(AuthError::BadCode)?;
        self.open_session(db, account.user, device, now)
    }

    pub fn password_login(
        &self,
        db: &Db,
        phone: &str,
        password: &str,
        device: &str,
    ) -> Result<SessionTokens, AuthError> {
        let account = db.account_by_phone(phone)?;
        let ok = account.as_ref().is_some_and(|a| {
            a.role.is_staff()
                && a.password_hash.as_deref().is_some_and(|h| {
                    PasswordHash::new(h).is_ok_and(|parsed| {
                        Argon2::default()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                })
        });
        match account {
            Some(a) if ok => self.open_session(db, a.user, device, now_ms()),
            _ => Err(AuthError::BadPassword),
        }
    }

    fn tokens(
        db: &Db,
        user: UserId,
        access: String,
        refresh: String,
    ) -> Result<SessionTokens, AuthError> {
        let me = db.me(user)?.ok_or(AuthError::BadToken)?;
        Ok(SessionTokens {
            access_token: access,
            access_expires_in_s: (ACCESS_TTL_MS / 1000) as u64,
            refresh_token: refresh,
            refresh_expires_in_s: (REFRESH_TTL_MS / 1000) as u64,
            me,
        })
    }

    fn open_session(
        &self,
        db: &Db,
        user: UserId,
        device: &str,
        now: i64,
    ) -> Result<SessionTokens, AuthError> {
        let access = new_token("mqa_");
        let refresh = new_token("mqr_");
        let device: String = device.chars().take(100).collect();
        db.create_session(
            &NewSession {
                user,
                device: &device,
                access_hash: &sha256_hex(&access),
                access_expires: now + ACCESS_TTL_MS,
                refresh_hash: &sha256_hex(&refresh),
                refresh_expires: now + REFRESH_TTL_MS,
            },
            now,
        )?;
        Self::tokens(db, user, access, refresh)
    }

    pub fn refresh(&self, db: &Db, refresh_token: &str) -> Result<SessionTokens, AuthError> {
        let now = now_ms();
        let access = new_token("mqa_");
        let refresh = new_token("mqr_");
        let outcome = db.rotate_session(
            &sha256_hex(refresh_token),
            &NewSession {
                user: UserId::new(), // unused by rotation
                device: "",
                access_hash: &sha256_hex(&access),
                access_expires: now + ACCESS_TTL_MS,
                refresh_hash: &sha256_hex(&refresh),
                refresh_expires: now + REFRESH_TTL_MS,
            },
            now,
        )?;
        match outcome {
            Refreshed::Rotated { user } => Self::tokens(db, user, access, refresh),
            Refreshed::Unknown | Refreshed::Replayed => Err(AuthError::BadToken),
        }
    }

    /// The caller behind a bearer token, read fresh from the directory.
    pub fn authenticate(&self, db: &Db, access_token: &str) -> Result<Caller, AuthError> {
        let (session, user) = db
            .session_by_access(&sha256_hex(access_token), now_ms())?
            .ok_or(AuthError::BadToken)?;
        let me = db.me(user)?.ok_or(AuthError::BadToken)?;
        Ok(Caller { session, me })
    }
}
