//! Login and sessions: phone + one-time SMS code for everyone, password (argon2)
//! for staff, and opaque bearer tokens. Codes and tokens are stored only as
//! HMAC-SHA256 under the server secret (`crate::secret`), kept outside the
//! database, so a copy of the database logs nobody in.
//!
//! Whether a number is registered is not told by the answers nor by their
//! timing: a code request does the same database work for every number, and
//! the text is sent by a background worker after the answer (a gateway's
//! latency, or its failure, would tell); a wrong password costs one argon2
//! verification whoever asks — an unknown number, or an account without a
//! password, is checked against a hash of nothing anyone knows.

use crate::secret::ServerSecret;
use crate::sms::{SmsGateway, SmsMessage};
use crate::store::auth::{CodeCheck, CodePolicy, NewSession, RateLimited, Refreshed};
use crate::store::{now_ms, Db, StoreError};
use crate::throttle::{Busy, HashGate};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use minqing_protocol::wire::{Me, SessionTokens};
use minqing_protocol::UserId;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

pub const ACCESS_TTL_MS: i64 = 60 * 60_000;
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 60 * 60_000;

/// Texts waiting for the gateway at most; beyond, new ones are dropped (and
/// logged) rather than held in memory.
const SMS_QUEUE: usize = 1024;

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
    secret: ServerSecret,
    sms: SyncSender<(SmsMessage, tracing::Span)>,
    /// Texts queued and not yet handed to the gateway.
    sms_pending: Arc<AtomicUsize>,
    /// An argon2id hash (default parameters, as every stored one) of a random
    /// password no one knows.
    dummy_hash: String,
}

/// A caller the server recognised.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: String,
    pub me: Me,
}

/// Unkeyed SHA-256 (what codes and tokens were stored as before schema v12;
/// kept for tests that look for it).
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

/// A new Open311 API key: `mqk_` and 32 random bytes (URL-safe base64).
pub fn new_api_key() -> String {
    new_token("mqk_")
}

fn new_code() -> String {
    let b = random_bytes::<4>();
    format!("{:06}", u32::from_le_bytes(b) % 1_000_000)
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

fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// What a session's tokens are stored as.
#[derive(Debug, Clone, Copy)]
enum TokenKind {
    Access,
    Refresh,
}

impl Auth {
    /// Texts go to `gateway` from a worker thread of their own.
    pub fn new(gateway: Box<dyn SmsGateway>, secret: ServerSecret) -> Self {
        let (tx, rx) = sync_channel::<(SmsMessage, tracing::Span)>(SMS_QUEUE);
        let sms_pending = Arc::new(AtomicUsize::new(0));
        let pending = sms_pending.clone();
        let spawned = std::thread::Builder::new()
            .name("sms".into())
            .spawn(move || {
                for (msg, span) in rx {
                    // The request's span: the line names the request it was for.
                    span.in_scope(|| {
                        if let Err(e) = gateway.send(&msg) {
                            tracing::warn!(error = %e, "SMS not sent");
                        }
                    });
                    pending.fetch_sub(1, Ordering::AcqRel);
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the SMS worker: no texts will be sent");
        }
        let hex_pw = hex::encode(random_bytes::<16>());
        Auth {
            policy: CodePolicy::default(),
            secret,
            sms: tx,
            sms_pending,
            dummy_hash: hash_password(&hex_pw),
        }
    }

    /// Texts queued and not yet handed to the gateway (tests wait for 0).
    pub fn sms_pending(&self) -> usize {
        self.sms_pending.load(Ordering::Acquire)
    }

    fn code_hash(&self, phone: &str, code: &str) -> String {
        self.secret.mac_hex(&["code", phone, code])
    }

    fn token_hash(&self, kind: TokenKind, token: &str) -> String {
        let label = match kind {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        };
        self.secret.mac_hex(&[label, token])
    }

    /// What is stored of an Open311 API key (`crate::store::open311`):
    /// HMAC-SHA256 under the server secret, labelled apart from the session
    /// tokens, as lower-case hex.
    pub fn api_key_hash(&self, key: &str) -> String {
        self.secret.mac_hex(&["open311", key])
    }

    /// Send a code to `phone`. Unknown numbers get the same answer, the same
    /// database work, and no SMS, so the endpoint does not tell who is a user.
    pub fn request_code(&self, db: &Db, phone: &str) -> Result<(), AuthError> {
        if !valid_phone(phone) {
            return Err(AuthError::BadPhone);
        }
        let now = now_ms();
        let code = new_code();
        match db.issue_code(phone, &self.code_hash(phone, &code), now, &self.policy)? {
            Err(RateLimited { retry_after_ms }) => Err(AuthError::RateLimited(
                (retry_after_ms.max(0) as u64).div_ceil(1000),
            )),
            Ok(()) => {
                if db.account_by_phone(phone)?.is_some() {
                    let minutes = (self.policy.ttl_ms / 60_000) as u32;
                    let msg = SmsMessage {
                        phone: phone.to_owned(),
                        text: format!(
                            "【民情直通车】验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。"
                        ),
                        at: now,
                        template: crate::sms::SmsTemplate::LoginCode {
                            code: code.clone(),
                            minutes,
                        },
                    };
                    self.sms_pending.fetch_add(1, Ordering::AcqRel);
                    let refused = match self.sms.try_send((msg, tracing::Span::current())) {
                        Ok(()) => false,
                        Err(TrySendError::Full(_)) => {
                            tracing::warn!("SMS queue full: a code was not sent");
                            true
                        }
                        Err(TrySendError::Disconnected(_)) => {
                            tracing::error!("SMS worker gone: a code was not sent");
                            true
                        }
                    };
                    if refused {
                        self.sms_pending.fetch_sub(1, Ordering::AcqRel);
                    }
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
        match db.consume_code(phone, &self.code_hash(phone, code), now, &self.policy)? {
            CodeCheck::Right => {}
            CodeCheck::Wrong | CodeCheck::NoCode | CodeCheck::Exhausted { .. } => {
                return Err(AuthError::BadCode)
            }
        }
        let account = db.account_by_phone(phone)?.ok_or(AuthError::BadCode)?;
        self.open_session(db, account.user, device, now)
    }

    /// The password hash to check `phone`'s password against: a staff
    /// account's own, or none (then [`Auth::verify_password`] checks a dummy).
    pub fn password_hash_of(db: &Db, phone: &str) -> Result<Option<(UserId, String)>, AuthError> {
        Ok(db.account_by_phone(phone)?.and_then(|a| {
            let hash = a.password_hash.filter(|_| a.role.is_staff())?;
            Some((a.user, hash))
        }))
    }

    /// One argon2 verification through `gate`, whatever `stored` is: against
    /// the stored hash, or against the dummy when there is none (false then).
    pub async fn verify_password(
        &self,
        gate: &HashGate,
        stored: Option<String>,
        password: String,
    ) -> Result<bool, Busy> {
        let real = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let ok = gate.run(move || verify(&hash, &password)).await?;
        Ok(real && ok)
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

    pub fn open_session(
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
                access_hash: &self.token_hash(TokenKind::Access, &access),
                access_expires: now + ACCESS_TTL_MS,
                refresh_hash: &self.token_hash(TokenKind::Refresh, &refresh),
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
            &self.token_hash(TokenKind::Refresh, refresh_token),
            &NewSession {
                user: UserId::new(), // unused by rotation
                device: "",
                access_hash: &self.token_hash(TokenKind::Access, &access),
                access_expires: now + ACCESS_TTL_MS,
                refresh_hash: &self.token_hash(TokenKind::Refresh, &refresh),
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
            .session_by_access(&self.token_hash(TokenKind::Access, access_token), now_ms())?
            .ok_or(AuthError::BadToken)?;
        let me = db.me(user)?.ok_or(AuthError::BadToken)?;
        Ok(Caller { session, me })
    }
}
