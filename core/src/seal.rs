//! Sealing personal data at rest: the constituent's contact (PIPL) and the
//! session tokens are encrypted in the device database with a key the shell
//! supplies from the platform keystore ([`KeyProvider`]; on Android a random
//! key wrapped by an Android Keystore key, on iOS a Keychain item).
//!
//! # Design
//! ChaCha20-Poly1305 (`ring`, already linked for TLS, so no new code in the
//! phone library), a fresh random 96-bit nonce per value, a fixed associated
//! string naming the format. A sealed value is text: `mq1:` + base64 of nonce ‖
//! ciphertext ‖ tag. The connection gets two SQL functions, `seal(text)` and
//! `unseal(text)`, so every statement that writes or reads a sealed column
//! says so in its SQL and no caller handles the key.
//!
//! What is sealed: `meta` values `access_token`, `refresh_token`; the
//! `drafts.constituent` column; the contact of a stored ticket
//! (`tickets.sealed`, cut out of `tickets.body`) and of a queued submission
//! (`outbox.sealed`, cut out of `outbox.payload`). [`seal_plaintext`] moves
//! rows written before sealing existed, once, at open; `secure_delete` and a
//! checkpoint leave no old plaintext in the file or its WAL.
//!
//! A database opened with another key cannot read its sealed values: tokens
//! read as logged out (log in again), a contact as absent; nothing else is lost.

use crate::error::{Error, Result};
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

/// Bytes of a store key.
pub const KEY_LEN: usize = 32;
/// Prefix of every sealed value.
pub const PREFIX: &str = "mq1:";
const AAD: &[u8] = b"minqing-device-store-v1";

/// Why the shell could not give the store key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum KeyError {
    /// The keystore is locked or broken; the store cannot be opened now.
    #[error("{reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyError::Unavailable { reason: e.reason }
    }
}

/// Implemented by the shell: the store's 32-byte key, the same on every call
/// for this installation. Android: generate 32 random bytes once, keep them
/// wrapped (AES-GCM) by a non-exportable Android Keystore key, unwrap here.
#[uniffi::export(with_foreign)]
pub trait KeyProvider: Send + Sync {
    fn store_key(&self) -> std::result::Result<Vec<u8>, KeyError>;
}

/// The desktop fallback (the CLI, tests): a random key in `device.key` beside
/// the store, readable by the owner only. It keeps the same code path as the
/// phones; it protects nothing from someone who has the folder.
pub struct FileKey {
    path: std::path::PathBuf,
}

impl FileKey {
    pub fn in_dir(dir: &Path) -> FileKey {
        FileKey {
            path: dir.join("device.key"),
        }
    }
}

impl KeyProvider for FileKey {
    fn store_key(&self) -> std::result::Result<Vec<u8>, KeyError> {
        let unavailable = |e: std::io::Error| KeyError::Unavailable {
            reason: format!("{}: {e}", self.path.display()),
        };
        match std::fs::read(&self.path) {
            Ok(k) => return Ok(k),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(unavailable(e)),
            Err(_) => {}
        }
        let mut key = vec![0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| KeyError::Unavailable {
                reason: "no randomness".into(),
            })?;
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(unavailable)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&self.path).map_err(unavailable)?;
        std::io::Write::write_all(&mut f, &key).map_err(unavailable)?;
        f.sync_all().map_err(unavailable)?;
        Ok(key)
    }
}

/// Encrypts and decrypts values with the store key.
pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl Sealer {
    /// `key` must be [`KEY_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<Sealer> {
        if key.len() != KEY_LEN {
            return Err(Error::Invalid {
                field: "store key",
                reason: format!("{} bytes, expected {KEY_LEN}", key.len()),
            });
        }
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| Error::Invalid {
            field: "store key",
            reason: "rejected by the cipher".into(),
        })?;
        Ok(Sealer {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    /// `mq1:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| Error::Task("no randomness for a nonce".into()))?;
        let mut buf = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut buf,
            )
            .map_err(|_| Error::Task("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// The plaintext of a sealed value; `None` when it is not one of ours or
    /// was sealed with another key (or damaged).
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(sealed.strip_prefix(PREFIX)?)
            .ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(AAD), &mut buf)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// Give `conn` the SQL functions `seal(text)` (NULL stays NULL) and
/// `unseal(text)` (NULL for NULL, for a value that does not open, and for
/// plaintext).
pub fn install(conn: &Connection, sealer: Arc<Sealer>) -> Result<()> {
    let s = sealer.clone();
    conn.create_scalar_function("seal", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        let v: Option<String> = ctx.get(0)?;
        v.map(|p| s.seal(&p))
            .transpose()
            .map_err(|e| rusqlite::Error::UserFunctionError(e.to_string().into()))
    })?;
    conn.create_scalar_function(
        "unseal",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let v: Option<String> = ctx.get(0)?;
            Ok(v.and_then(|c| sealer.open(&c)))
        },
    )?;
    Ok(())
}

/// Seal what an older build wrote in the clear (tokens, contacts), in one
/// transaction. Returns how many values it sealed; 0 once done.
pub fn seal_plaintext(tx: &rusqlite::Transaction<'_>) -> Result<usize> {
    let like = format!("{PREFIX}%");
    let mut n = tx.execute(
        "UPDATE meta SET value = seal(value)
         WHERE key IN ('access_token', 'refresh_token') AND value NOT LIKE ?1",
        [&like],
    )?;
    n += tx.execute(
        "UPDATE drafts SET constituent = seal(constituent)
         WHERE constituent IS NOT NULL AND constituent NOT LIKE ?1",
        [&like],
    )?;
    n += tx.execute(
        "UPDATE tickets SET sealed = seal(json_extract(body, '$.constituent')),
                            body = json_set(body, '$.constituent', json('null'))
         WHERE json_type(body, '$.constituent') = 'object'",
        [],
    )?;
    n += tx.execute(
        "UPDATE outbox SET sealed = seal(json_extract(payload, '$.ticket.constituent')),
                           payload = json_set(payload, '$.ticket.constituent', json('null'))
         WHERE kind = 'create_ticket' AND json_type(payload, '$.ticket.constituent') = 'object'",
        [],
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let a = Sealer::new(&[7u8; KEY_LEN]).expect("key");
        let b = Sealer::new(&[8u8; KEY_LEN]).expect("key");
        let sealed = a.seal("13800570001").expect("seal");
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("13800570001"));
        assert_ne!(sealed, a.seal("13800570001").expect("seal"), "fresh nonce");
        assert_eq!(a.open(&sealed).as_deref(), Some("13800570001"));
        assert_eq!(b.open(&sealed), None);
        assert_eq!(a.open("13800570001"), None);
        assert_eq!(a.open("mq1:!!"), None);
        assert!(Sealer::new(&[1u8; 16]).is_err());
    }
}
