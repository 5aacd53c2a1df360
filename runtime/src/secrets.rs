//! Secrets at rest: values sealed with AES-256-GCM under the project's sealing key before
//! they reach the database, so a dump or a replica never holds them in plain text.
//!
//! The sealing key is `FERROBASE_SEALING_KEY` (64 hex characters) when set, else derived
//! from the project's JWT secret with a label of its own. Changing either makes sealed
//! values unreadable, so set `FERROBASE_SEALING_KEY` before the secret may ever rotate.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};

const LABEL: &[u8] = b"ferrobase sealing key v1\0";
const PREFIX: &str = "v1:";

/// A 256-bit sealing key.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// `FERROBASE_SEALING_KEY` if set and valid, else derived from `jwt_secret`.
    pub fn for_project(jwt_secret: &[u8]) -> SealingKey {
        if let Ok(hex_key) = std::env::var("FERROBASE_SEALING_KEY")
            && let Ok(bytes) = hex::decode(hex_key.trim())
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return SealingKey(key);
        }
        let mut h = Sha256::new();
        h.update(LABEL);
        h.update(jwt_secret);
        SealingKey(h.finalize().into())
    }

    /// Seals a value: `v1:` and the base64 of nonce and ciphertext.
    pub fn seal(&self, plaintext: &str) -> Result<String, String> {
        let cipher = Aes256Gcm::new((&self.0).into());
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), plaintext.as_bytes())
            .map_err(|_| "sealing failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// Opens a value sealed with this key.
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .filter(|b| b.len() > 12)
            .ok_or("not a sealed value")?;
        let cipher = Aes256Gcm::new((&self.0).into());
        let nonce: [u8; 12] = bytes[..12].try_into().map_err(|_| "not a sealed value")?;
        let plain = cipher
            .decrypt(&Nonce::from(nonce), &bytes[12..])
            .map_err(|_| "the value was sealed with another key, or altered".to_string())?;
        String::from_utf8(plain).map_err(|_| "sealed value is not text".to_string())
    }
}

/// The last four characters of a secret, for showing which one is stored.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let key = SealingKey::for_project(b"a-secret-of-at-least-32-characters!!");
        let sealed = key.seal("sk-live-1234").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("sk-live"));
        assert_ne!(
            sealed,
            key.seal("sk-live-1234").unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(key.open(&sealed).unwrap(), "sk-live-1234");
        let other = SealingKey::for_project(b"another-secret-of-32-characters!!!!!");
        assert!(other.open(&sealed).is_err());
        assert!(key.open("plain").is_err());
        assert_eq!(hint("sk-live-1234"), "1234");
        assert_eq!(hint("ab"), "ab");
    }
}
