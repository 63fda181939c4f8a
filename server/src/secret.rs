//! The server secret: the key of the HMAC-SHA256 under which login codes and
//! session tokens are stored, so a copy of the database alone logs nobody in
//! (issue 16). It is kept outside the database:
//!
//! - `MINQING_SERVER_SECRET` (or `server_secret` in the config): 64 or more
//!   hex digits (32 bytes or more) — what several server processes sharing one
//!   PostgreSQL must all be given;
//! - otherwise the file `server_secret_file` (default `<data_dir>/server.key`),
//!   created on first start with 32 random bytes (hex), mode 0600.
//!
//! The database remembers a check value of the secret (`meta.secret_check`, an
//! HMAC of a fixed label — it tells nothing of the secret), and a server whose
//! secret differs refuses to start: it would not recognise a token another
//! process issued. To rotate the secret, stop every process, delete that row
//! and the sessions (everyone logs in again), and start with the new one.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::Path;

/// What the database keeps to recognise the secret.
const CHECK_LABEL: &[u8] = b"minqing server secret check v1";

/// The key, never printed.
#[derive(Clone)]
pub struct ServerSecret(Vec<u8>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("server secret: expected at least 64 hex digits (32 bytes)")]
    Malformed,
    #[error("server secret file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Shortest secret accepted, in bytes.
const MIN_LEN: usize = 32;

impl ServerSecret {
    /// From hex text (the environment, a config value, or the file's content).
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SecretError::Malformed)?;
        if bytes.len() < MIN_LEN {
            return Err(SecretError::Malformed);
        }
        Ok(ServerSecret(bytes))
    }

    /// Read the secret file, or create it (32 random bytes as hex, mode 0600,
    /// never overwriting one that appeared meanwhile) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        let io = |source| SecretError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                warn_if_readable_by_others(path);
                return Self::from_hex(&text);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let mut bytes = [0u8; MIN_LEN];
        getrandom::fill(&mut bytes).map_err(|e| io(std::io::Error::other(e.to_string())))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut f) => {
                f.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(io)?;
                tracing::info!(path = %path.display(), "created the server secret");
                Ok(ServerSecret(bytes.to_vec()))
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::from_hex(&std::fs::read_to_string(path).map_err(io)?)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// HMAC-SHA256 of the parts (each length-prefixed, so no two lists of
    /// parts give the same message), as lower-case hex.
    pub fn mac_hex(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The value the database keeps to recognise this secret.
    pub fn check_value(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(CHECK_LABEL);
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path) {
        if m.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", m.permissions().mode() & 0o777),
                "the server secret file is readable by others than its owner; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("server.key");
        let a = ServerSecret::load_or_create(&path).expect("create");
        let b = ServerSecret::load_or_create(&path).expect("read");
        assert_eq!(a.mac_hex(&["x"]), b.mac_hex(&["x"]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn parts_are_separated_and_short_secrets_refused() {
        let s = ServerSecret::from_hex(&"ab".repeat(32)).expect("secret");
        assert_ne!(s.mac_hex(&["ab", "c"]), s.mac_hex(&["a", "bc"]));
        assert!(ServerSecret::from_hex("abcd").is_err());
        assert!(ServerSecret::from_hex("not hex").is_err());
        assert!(format!("{s:?}").contains('…'));
    }
}
