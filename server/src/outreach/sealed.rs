//! Secrets the server must read back (a robot's webhook, which holds its
//! key or access token, and DingTalk's signing secret) are stored sealed:
//! ChaCha20-Poly1305 (`ring`) under a key derived from the server secret
//! (`crate::secret`, kept outside the database), a fresh random 96-bit nonce
//! per value. A copy of the database alone does not give them away
//! (docs/security.md, "Secrets at rest").
//!
//! Format: `ms1:` + base64 (standard, padded) of nonce ‖ ciphertext ‖ tag.

use crate::secret::ServerSecret;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};

const PREFIX: &str = "ms1:";
/// Bound into every sealed value (associated data).
const AAD: &[u8] = b"minqing outreach secret v1";

/// The key, never printed.
#[derive(Clone)]
pub struct Sealer(std::sync::Arc<LessSafeKey>);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// Not a sealed value, or sealed under another key, or altered.
    #[error("a sealed secret cannot be opened (another server secret, or altered)")]
    Unreadable,
}

impl Sealer {
    /// The sealing key of `secret`: HMAC-SHA256 of a fixed label under it.
    pub fn new(secret: &ServerSecret) -> Sealer {
        let bytes = hex::decode(secret.mac_hex(&["seal", "outreach v1"]))
            .unwrap_or_else(|_| unreachable!("mac_hex is hex"));
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 gives the 32 bytes the cipher takes"));
        Sealer(std::sync::Arc::new(LessSafeKey::new(key)))
    }

    /// Seal `plain`.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let mut buf = plain.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut buf,
            )
            .unwrap_or_else(|_| unreachable!("ChaCha20-Poly1305 seals any length we store"));
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    /// Open what [`Sealer::seal`] made. Errors: [`SealError::Unreadable`].
    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .filter(|r| r.len() >= NONCE_LEN)
            .ok_or(SealError::Unreadable)?;
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Unreadable)?;
        let mut buf = rest.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(AAD), &mut buf)
            .map_err(|_| SealError::Unreadable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(b: u8) -> ServerSecret {
        ServerSecret::from_hex(&hex::encode([b; 32])).expect("secret")
    }

    #[test]
    fn sealed_values_open_under_the_same_secret_only() {
        let s = Sealer::new(&secret(1));
        let sealed = s.seal("SECabc");
        assert!(!sealed.contains("SECabc"));
        assert_ne!(sealed, s.seal("SECabc"), "a fresh nonce each time");
        assert_eq!(s.open(&sealed).as_deref(), Ok("SECabc"));
        assert_eq!(
            Sealer::new(&secret(2)).open(&sealed),
            Err(SealError::Unreadable)
        );
        let mut altered = sealed.clone();
        altered.pop();
        altered.push('A');
        assert_eq!(s.open(&altered), Err(SealError::Unreadable));
        assert_eq!(s.open("SECabc"), Err(SealError::Unreadable));
    }
}
