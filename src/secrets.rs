//! Keys derived from Rocket's `secret_key`: one master, then one HMAC key per
//! purpose, so a token minted for one use can never pass as another.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use rocket::figment::Figment;
use sha2::{Digest, Sha256};

use crate::config::{self, ConfigError, MAKE_SECRET_KEY};

/// The app's keyed-hash material; in managed state.
#[derive(Clone)]
pub struct Secrets {
    master: [u8; 32],
}

impl Secrets {
    /// Derives the master from `secret_key`. Outside the debug profile a
    /// missing key stops the launch; in debug a random one is used (sessions
    /// then end when the app restarts).
    pub fn from_figment(figment: &Figment) -> Result<Secrets, ConfigError> {
        let provided: Option<Vec<u8>> = figment
            .extract_inner::<String>("secret_key")
            .map(String::into_bytes)
            .or_else(|_| figment.extract_inner::<Vec<u8>>("secret_key"))
            .ok()
            // NOTE: Rocket's own defaults hold an all-zero key outside the
            // debug profile; that is no key at all.
            .filter(|k| k.iter().any(|b| *b != 0));
        let master = match provided {
            Some(key) => Sha256::new().chain_update(b"slotwise master v1\0").chain_update(&key).finalize().into(),
            None if figment.profile() == rocket::Config::DEBUG_PROFILE => {
                let mut key = [0u8; 32];
                OsRng.fill_bytes(&mut key);
                key
            }
            None => {
                let profile = figment.profile();
                return Err(ConfigError::new(
                    "secret_key",
                    format!("must be set in the `{profile}` profile: {MAKE_SECRET_KEY}"),
                ));
            }
        };
        Ok(Secrets { master })
    }

    /// A key of its own for `purpose`, derived from the master key.
    pub fn key(&self, purpose: &str) -> [u8; 32] {
        self.mac(purpose, &[])
    }

    /// HMAC-SHA256 of `parts` under the key for `purpose`.
    pub fn mac(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.master).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl Secrets {
    /// `plain` encrypted and authenticated (AES-256-GCM under a key derived
    /// for `purpose`), as base64url text: a database dump alone cannot read it.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> String {
        use aes_gcm::aead::{Aead, AeadCore, KeyInit};
        use base64::Engine;
        let cipher = aes_gcm::Aes256Gcm::new(&self.mac(purpose, &[b"seal"]).into());
        let nonce = aes_gcm::Aes256Gcm::generate_nonce(&mut OsRng);
        // NOTE: encrypting into a Vec cannot fail for inputs under 64 GiB.
        let sealed = cipher.encrypt(&nonce, plain).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    /// What [`seal`](Self::seal) sealed for `purpose`; `None` when `sealed`
    /// was not sealed by this key (another secret, or tampered with).
    pub fn unseal(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        use aes_gcm::aead::{Aead, KeyInit};
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = aes_gcm::Aes256Gcm::new(&self.mac(purpose, &[b"seal"]).into());
        cipher.decrypt(aes_gcm::Nonce::from_slice(nonce), sealed).ok()
    }
}

/// `len` random bytes from the OS, base64url without padding: the one source
/// of opaque tokens (flow ids, booking links).
pub fn random_token(len: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `len` characters drawn uniformly from `alphabet` with the OS random
/// source (codes, references). `alphabet` must not be empty.
///
/// NOTE: `gen_range` rejects out-of-range draws instead of taking a byte
/// modulo the alphabet's size, which favoured its first letters.
pub fn random_chars(alphabet: &[u8], len: usize) -> String {
    use rand::Rng;
    (0..len).map(|_| char::from(alphabet[OsRng.gen_range(0..alphabet.len())])).collect()
}

/// Hex SHA-256 of a token, as stored in place of the token itself.
pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Derives the [`Secrets`] from `secret_key` and puts them in managed state,
/// or stops the launch naming the key.
pub fn stage() -> impl rocket::fairing::Fairing {
    rocket::fairing::AdHoc::try_on_ignite("Secrets", |rocket| async move {
        if config::stopped(&rocket) {
            return Err(rocket);
        }
        match Secrets::from_figment(rocket.figment()) {
            Ok(secrets) => Ok(rocket.manage(secrets)),
            Err(e) => Err(config::stop(rocket, &e)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_chars_use_the_whole_alphabet_evenly() {
        let alphabet = b"ABC";
        let drawn = random_chars(alphabet, 30_000);
        for letter in ['A', 'B', 'C'] {
            let n = drawn.chars().filter(|c| *c == letter).count();
            // Each letter expects 10,000; six standard deviations either side.
            assert!((9_500..=10_500).contains(&n), "{letter}: {n}");
        }
        assert!(drawn.chars().all(|c| "ABC".contains(c)));
    }

    #[test]
    fn sealed_text_opens_only_with_its_key_and_purpose() {
        let figment = |key: &str| rocket::figment::Figment::from(("secret_key", key.to_string()));
        let secrets = Secrets::from_figment(&figment("one")).expect("secrets");
        let sealed = secrets.seal("outbox", b"https://x.test/booking/R?token=t");
        assert!(!sealed.contains("token"));
        assert_eq!(secrets.unseal("outbox", &sealed).as_deref(), Some(&b"https://x.test/booking/R?token=t"[..]));
        assert_eq!(secrets.unseal("other", &sealed), None);
        let other = Secrets::from_figment(&figment("two")).expect("secrets");
        assert_eq!(other.unseal("outbox", &sealed), None);
        assert_eq!(secrets.unseal("outbox", "junk"), None);
    }

    #[test]
    fn random_tokens_are_base64url_and_distinct() {
        let (a, b) = (random_token(24), random_token(24));
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
