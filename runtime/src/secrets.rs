//! Secrets at rest: values sealed with AES-256-GCM under the project's sealing key before
//! they reach the database, so a dump or a replica never holds them in plain text.
//!
//! The sealing key is `FERROBASE_SEALING_KEY` (64 hex characters) when set, else derived
//! from the project's JWT secret with a label of its own. Changing either makes sealed
//! values unreadable, so set `FERROBASE_SEALING_KEY` before the secret may ever rotate.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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

/// What a read shows in place of a credential: this, then the last four characters of
/// the plain text when it has at least [`MASK_SHOWS_TAIL_FROM`] characters.
pub const MASK: &str = "••••";

/// The shortest plain text whose mask shows its last four characters; shorter ones show
/// only [`MASK`], so that a read gives away at most a third of a credential.
pub const MASK_SHOWS_TAIL_FROM: usize = 12;

/// The masked form of a plain credential: `••••` and its last four characters, or only
/// `••••` when it is shorter than [`MASK_SHOWS_TAIL_FROM`].
pub fn mask(plain: &str) -> String {
    if plain.chars().count() >= MASK_SHOWS_TAIL_FROM {
        format!("{MASK}{}", hint(plain))
    } else {
        MASK.to_string()
    }
}

/// Why the values of a JSON object could not be sealed; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealObjectError {
    /// The value of this key is not a string.
    NotAString(String),
    /// The value of this key is masked, but not the mask of the value stored there.
    UnknownMask(String),
    /// Sealing failed (no randomness).
    Sealing(String),
}

impl SealingKey {
    /// The masked form of a sealed value: [`mask`] of its plain text, or only [`MASK`]
    /// when it does not open (sealed with another key, altered, or not sealed at all).
    pub fn mask_sealed(&self, sealed: &str) -> String {
        self.open(sealed)
            .map(|plain| mask(&plain))
            .unwrap_or_else(|_| MASK.to_string())
    }

    /// Seals every value of `sent`, a JSON object of plain strings, for storing.
    ///
    /// A value that is exactly the mask a read shows for the value `stored` holds under
    /// the same key keeps that stored sealed value, so that a client may send back what
    /// it read; any other value that starts with [`MASK`] is refused rather than stored
    /// as a credential. Keys absent from `sent` are not carried over from `stored`.
    pub fn seal_object(
        &self,
        sent: &Map<String, Value>,
        stored: Option<&Map<String, Value>>,
    ) -> Result<Map<String, Value>, SealObjectError> {
        let mut out = Map::new();
        for (key, value) in sent {
            let Some(plain) = value.as_str() else {
                return Err(SealObjectError::NotAString(key.clone()));
            };
            if plain.starts_with(MASK) {
                let kept = stored
                    .and_then(|s| s.get(key))
                    .and_then(Value::as_str)
                    .filter(|old| self.mask_sealed(old) == plain);
                match kept {
                    Some(old) => out.insert(key.clone(), Value::String(old.to_string())),
                    None => return Err(SealObjectError::UnknownMask(key.clone())),
                };
                continue;
            }
            let sealed = self.seal(plain).map_err(SealObjectError::Sealing)?;
            out.insert(key.clone(), Value::String(sealed));
        }
        Ok(out)
    }

    /// The masked form of a stored object: each value as [`SealingKey::mask_sealed`]
    /// shows it (a value that is not a string shows as [`MASK`]).
    pub fn mask_object(&self, stored: &Map<String, Value>) -> Map<String, Value> {
        stored
            .iter()
            .map(|(key, value)| {
                let masked = value
                    .as_str()
                    .map(|s| self.mask_sealed(s))
                    .unwrap_or_else(|| MASK.to_string());
                (key.clone(), Value::String(masked))
            })
            .collect()
    }

    /// Opens a stored object of sealed values (an MCP server's or a custom tool's
    /// `headers`) back to the plain values the platform sends. Null or absent is no
    /// headers; anything but an object of values sealed with this key is an error naming
    /// the key, so that a call never goes out with a header silently missing.
    pub fn open_object(&self, stored: &Value) -> Result<BTreeMap<String, String>, String> {
        let object = match stored {
            Value::Null => return Ok(BTreeMap::new()),
            Value::Object(o) => o,
            _ => return Err("not an object of sealed values".into()),
        };
        object
            .iter()
            .map(|(key, value)| {
                let sealed = value
                    .as_str()
                    .ok_or_else(|| format!("{key}: not a sealed value"))?;
                let plain = self.open(sealed).map_err(|e| format!("{key}: {e}"))?;
                Ok((key.clone(), plain))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn key() -> SealingKey {
        SealingKey::for_project(b"a-secret-of-at-least-32-characters!!")
    }

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn masks_show_the_tail_of_long_values_only() {
        assert_eq!(mask("Bearer sk-abcdefgh1234"), "••••1234");
        assert_eq!(mask("123456789012"), "••••9012");
        assert_eq!(mask("12345678901"), "••••");
        assert_eq!(mask(""), "••••");
        let key = key();
        assert_eq!(
            key.mask_sealed(&key.seal("Bearer token-9876").unwrap()),
            "••••9876"
        );
        assert_eq!(key.mask_sealed("v1:not-really"), "••••");
        assert_eq!(key.mask_sealed("plain text value"), "••••");
    }

    #[test]
    fn objects_seal_mask_and_open() {
        let key = key();
        let sent = object(json!({"authorization": "Bearer tok-12345678", "x-short": "abc"}));
        let sealed = key.seal_object(&sent, None).unwrap();
        assert_eq!(sealed.len(), 2);
        for v in sealed.values() {
            let s = v.as_str().unwrap();
            assert!(s.starts_with("v1:") && !s.contains("tok-") && !s.contains("abc"));
        }
        assert_eq!(
            Value::Object(key.mask_object(&sealed)),
            json!({"authorization": "••••5678", "x-short": "••••"})
        );
        let opened = key.open_object(&Value::Object(sealed.clone())).unwrap();
        assert_eq!(
            opened.into_iter().collect::<Vec<_>>(),
            [
                (
                    "authorization".to_string(),
                    "Bearer tok-12345678".to_string()
                ),
                ("x-short".to_string(), "abc".to_string()),
            ]
        );
        assert_eq!(key.open_object(&Value::Null).unwrap(), BTreeMap::new());
        assert!(
            key.open_object(&json!({"a": "plain"}))
                .unwrap_err()
                .starts_with("a: ")
        );
        assert!(key.open_object(&json!(["v1:x"])).is_err());
        let other = SealingKey::for_project(b"another-secret-of-32-characters!!!!!");
        assert!(other.open_object(&Value::Object(sealed)).is_err());
    }

    #[test]
    fn sending_back_a_mask_keeps_the_stored_value() {
        let key = key();
        let stored = key
            .seal_object(
                &object(json!({"authorization": "Bearer tok-12345678", "x-short": "abc", "x-gone": "bye"})),
                None,
            )
            .unwrap();
        // A client read, changed one value, dropped one key and added one.
        let sent = object(json!({
            "authorization": "••••5678",
            "x-short": "xyz",
            "x-new": "fresh-value",
        }));
        let next = key.seal_object(&sent, Some(&stored)).unwrap();
        assert_eq!(
            next["authorization"], stored["authorization"],
            "kept as stored"
        );
        assert_ne!(next["x-short"], stored["x-short"]);
        assert!(next.get("x-gone").is_none(), "a key left out is removed");
        let opened = key.open_object(&Value::Object(next)).unwrap();
        assert_eq!(opened["authorization"], "Bearer tok-12345678");
        assert_eq!(opened["x-short"], "xyz");
        assert_eq!(opened["x-new"], "fresh-value");
        // The short value's mask is the bare mask, which also round-trips.
        let again = key
            .seal_object(&object(json!({"x-short": "••••"})), Some(&stored))
            .unwrap();
        assert_eq!(again["x-short"], stored["x-short"]);
        // A mask that matches nothing stored is refused, not stored as a credential.
        for (sent, stored) in [
            (json!({"authorization": "••••0000"}), Some(&stored)),
            (json!({"x-new": "••••"}), Some(&stored)),
            (json!({"authorization": "••••5678"}), None),
        ] {
            assert_eq!(
                key.seal_object(&object(sent.clone()), stored),
                Err(SealObjectError::UnknownMask(
                    sent.as_object().unwrap().keys().next().unwrap().clone()
                ))
            );
        }
        assert_eq!(
            key.seal_object(&object(json!({"a": 1})), None),
            Err(SealObjectError::NotAString("a".into()))
        );
    }
}
