//! Session ids: 256 bits from the OS random source, strict parsing, and the
//! SHA-256 storage key that is all the database ever sees.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

const ID_BYTES: usize = 32;
const ID_CHARS: usize = 43;

/// A session id as carried by the cookie. Never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; ID_BYTES]);

impl SessionId {
    /// A fresh id from the OS random source.
    pub fn generate() -> SessionId {
        let mut bytes = [0u8; ID_BYTES];
        OsRng.fill_bytes(&mut bytes);
        SessionId(bytes)
    }

    /// Parses the cookie form; anything but exactly 43 base64url characters
    /// decoding to 32 bytes is junk and yields `None`.
    pub fn parse(value: &str) -> Option<SessionId> {
        if value.len() != ID_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        Some(SessionId(bytes.try_into().ok()?))
    }

    /// The cookie form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The CSRF token of a session opened under this id but not stored yet:
    /// unguessable without the id, which only the (encrypted) cookie holds.
    pub fn pending_token(&self) -> String {
        URL_SAFE_NO_PAD
            .encode(Sha256::new().chain_update(b"rocket-db-session pending csrf\0").chain_update(self.0).finalize())
    }

    /// The hex SHA-256 under which the session is stored: a leaked table
    /// gives no usable cookie (the fix Rails made for CVE-2019-16782).
    pub fn storage_key(&self) -> String {
        hex::encode(Sha256::digest(self.0))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        let id = SessionId::generate();
        assert_eq!(SessionId::parse(&id.encode()), Some(id.clone()));
        assert_ne!(SessionId::generate(), id);
        assert_eq!(SessionId::parse(""), None);
        assert_eq!(SessionId::parse("abc"), None);
        assert_eq!(SessionId::parse(&"!".repeat(43)), None);
        assert_eq!(SessionId::parse(&format!("{}A", id.encode())), None);
        assert_eq!(id.storage_key().len(), 64);
        assert!(!id.storage_key().contains(&id.encode()));
        assert_eq!(id.pending_token(), id.clone().pending_token());
        assert_ne!(id.pending_token(), SessionId::generate().pending_token());
        assert_ne!(id.pending_token(), id.encode());
    }
}
