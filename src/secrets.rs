//! Keys derived from Rocket's `secret_key`: one master, then one HMAC key per
//! purpose, so a token minted for one use can never pass as another; and
//! the same from each of `security.secret_key_fallbacks`, which check what
//! was made before a rotation but never make anything new (SPEC §3a).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use rocket::figment::Figment;
use sha2::{Digest, Sha256};

use crate::config::{self, ConfigError, MAKE_SECRET_KEY};

/// The app's keyed-hash material; in managed state. Every key is derived
/// once, at launch: from `secret_key` for everything new, and from each of
/// `security.secret_key_fallbacks` for checking what exists (a MAC made, a
/// message sealed under an earlier key).
#[derive(Clone)]
pub struct Secrets {
    /// One HMAC state per master, keyed once: the current key first.
    masters: Arc<[Hmac<Sha256>]>,
    /// The ciphers of each sealing purpose, one per master, made on first use.
    ciphers: Arc<Mutex<HashMap<&'static str, Ciphers>>>,
}

/// One sealing purpose's ciphers, one per master (current first).
type Ciphers = Arc<[Aes256Gcm]>;

impl Secrets {
    /// Derives the masters from `secret_key` and
    /// `security.secret_key_fallbacks`. Outside the debug profile a missing
    /// key stops the launch; in debug a random one is used (sessions then
    /// end when the app restarts). A fallback not in `secret_key`'s format
    /// stops the launch naming the key.
    pub fn from_figment(figment: &Figment) -> Result<Secrets, ConfigError> {
        let provided: Option<Vec<u8>> = figment
            .extract_inner::<String>("secret_key")
            .map(String::into_bytes)
            .or_else(|_| figment.extract_inner::<Vec<u8>>("secret_key"))
            .ok()
            // NOTE: Rocket's own defaults hold an all-zero key outside the
            // debug profile; that is no key at all.
            .filter(|k| k.iter().any(|b| *b != 0));
        let current = match provided {
            Some(key) => master_of(&key),
            None if figment.profile() == rocket::Config::DEBUG_PROFILE => match development_key(figment) {
                Some(key) => master_of(key.as_bytes()),
                None => {
                    let mut key = [0u8; 32];
                    OsRng.fill_bytes(&mut key);
                    key
                }
            },
            None => {
                let profile = figment.profile();
                return Err(ConfigError::new(
                    "secret_key",
                    format!("must be set in the `{profile}` profile: {MAKE_SECRET_KEY}"),
                ));
            }
        };
        let mut masters = vec![current];
        for fallback in fallbacks(figment)? {
            let master = master_of(fallback.as_bytes());
            if !masters.contains(&master) {
                masters.push(master);
            }
        }
        Ok(Secrets::with_masters(&masters))
    }

    fn with_masters(masters: &[[u8; 32]]) -> Secrets {
        let keyed =
            masters.iter().map(|m| <Hmac<Sha256> as Mac>::new_from_slice(m).expect("HMAC takes any key length"));
        Secrets { masters: keyed.collect(), ciphers: Arc::default() }
    }

    /// A key of its own for `purpose`, derived from the current key.
    pub fn key(&self, purpose: &str) -> [u8; 32] {
        self.mac(purpose, &[])
    }

    /// [`Secrets::key`] under every key: the current one first, then each
    /// fallback in order.
    pub fn keys(&self, purpose: &str) -> Vec<[u8; 32]> {
        self.macs(purpose, &[])
    }

    /// HMAC-SHA256 of `parts` under the current key for `purpose`.
    pub fn mac(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        mac_under(&self.masters[0], purpose, parts)
    }

    /// [`Secrets::mac`] under every key, the current one first: to check a
    /// MAC that may have been made before a rotation.
    pub fn macs(&self, purpose: &str, parts: &[&[u8]]) -> Vec<[u8; 32]> {
        self.masters.iter().map(|master| mac_under(master, purpose, parts)).collect()
    }
}

/// The development key of a debug build without `secret_key`: kept in a
/// file next to the SQLite database (`<database>.secret-key`, mode 0600),
/// made on first launch and read on every later one, so that what a
/// restart must still open (stored emails, links, sessions) still opens.
/// `None` without an SQLite file to sit beside (a random key then).
fn development_key(figment: &Figment) -> Option<String> {
    let url = figment.extract_inner::<String>("databases.slotwise.url").ok()?;
    let file = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?.split('?').next()?;
    if file.is_empty() || file.contains(":memory:") {
        return None;
    }
    let path = std::path::PathBuf::from(format!("{file}.secret-key"));
    if let Ok(key) = std::fs::read_to_string(&path) {
        let key = key.trim().to_string();
        return (!key.is_empty()).then_some(key);
    }
    let key = random_token(32);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path).and_then(|mut f| std::io::Write::write_all(&mut f, format!("{key}\n").as_bytes())) {
        Ok(()) => {
            rocket::warn!(
                "no secret_key: made a development key in {} (release builds need secret_key)",
                path.display()
            );
            Some(key)
        }
        // Another process made it first: use theirs.
        Err(_) => std::fs::read_to_string(&path).ok().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()),
    }
}

/// The master of one `secret_key` value.
fn master_of(key: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update(b"slotwise master v1\0").chain_update(key).finalize().into()
}

/// HMAC-SHA256 of `parts` under `master` for `purpose`.
fn mac_under(master: &Hmac<Sha256>, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = master.clone();
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `security.secret_key_fallbacks`, each checked to be in `secret_key`'s
/// format: 256 or 512 bits, in base64 or hex.
fn fallbacks(figment: &Figment) -> Result<Vec<String>, ConfigError> {
    const KEY: &str = "security.secret_key_fallbacks";
    let listed = match figment.extract_inner::<Vec<String>>(KEY) {
        Ok(listed) => listed,
        Err(e) if e.missing() => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConfigError::new(KEY, format!("must be a list of earlier secret_key values: {}", e.kind)))
        }
    };
    for (i, key) in listed.iter().enumerate() {
        if !is_key_format(key) {
            let message = format!("entry {i} is not a secret_key: use 256 or 512 bits in base64 or hex, as secret_key");
            return Err(ConfigError::new(KEY, message));
        }
    }
    Ok(listed)
}

/// Whether `key` is 32 or 64 bytes written in hex or base64, like the
/// values `secret_key` takes.
fn is_key_format(key: &str) -> bool {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use base64::Engine;
    let bytes = hex::decode(key).or_else(|_| STANDARD.decode(key)).or_else(|_| URL_SAFE.decode(key));
    bytes.is_ok_and(|b| b.len() == 32 || b.len() == 64)
}

impl Secrets {
    /// The ciphers of `purpose`, one per master (current first), derived on
    /// first use and kept.
    fn ciphers(&self, purpose: &'static str) -> Ciphers {
        let mut cache = self.ciphers.lock().unwrap_or_else(|e| e.into_inner());
        let made = cache.entry(purpose).or_insert_with(|| {
            let keys = self.macs(purpose, &[b"seal"]);
            keys.iter().map(|key| Aes256Gcm::new(key.into())).collect()
        });
        made.clone()
    }

    /// `plain` encrypted and authenticated (AES-256-GCM under the current
    /// key derived for `purpose`), as base64url text: a database dump alone
    /// cannot read it.
    pub fn seal(&self, purpose: &'static str, plain: &[u8]) -> String {
        use aes_gcm::aead::{Aead, AeadCore};
        use base64::Engine;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // NOTE: encrypting into a Vec cannot fail for inputs under 64 GiB.
        let sealed = self.ciphers(purpose)[0].encrypt(&nonce, plain).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    /// What [`seal`](Self::seal) sealed for `purpose` under the current key
    /// or a fallback; `None` when none of them sealed it (a key no longer
    /// listed, or tampered with).
    pub fn unseal(&self, purpose: &'static str, sealed: &str) -> Option<Vec<u8>> {
        use aes_gcm::aead::Aead;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce = aes_gcm::Nonce::from_slice(nonce);
        self.ciphers(purpose).iter().find_map(|cipher| cipher.decrypt(nonce, sealed).ok())
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
    fn a_fallback_opens_and_checks_what_the_earlier_key_made_but_makes_nothing() {
        let old_key = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";
        let new_key = "pXnJ0n7wN1mU5zJ2nqQ2b8fW7lD3cVx3oH9xk1S4t7c=";
        let before = Secrets::from_figment(&rocket::figment::Figment::from(("secret_key", old_key))).unwrap();
        let sealed = before.seal("outbox", b"mail");
        let mac = before.mac("link", &[b"t"]);
        let rotated = rocket::figment::Figment::from(("secret_key", new_key))
            .merge(("security.secret_key_fallbacks", vec![old_key]));
        let after = Secrets::from_figment(&rotated).unwrap();
        assert_eq!(after.unseal("outbox", &sealed).as_deref(), Some(&b"mail"[..]));
        assert_eq!(after.macs("link", &[b"t"])[1], mac, "the fallback's MAC comes second");
        assert_ne!(after.mac("link", &[b"t"]), mac, "new MACs use the current key");
        assert_eq!(before.unseal("outbox", &after.seal("outbox", b"new")), None, "new seals use the current key");
        let alone = Secrets::from_figment(&rocket::figment::Figment::from(("secret_key", new_key))).unwrap();
        assert_eq!(alone.unseal("outbox", &sealed), None, "without the fallback the old seal stays shut");
    }

    #[test]
    fn a_debug_build_without_a_key_keeps_one_beside_its_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("dev.db").display());
        let figment = || {
            rocket::figment::Figment::from(("databases.slotwise.url", url.clone()))
                .select(rocket::Config::DEBUG_PROFILE)
        };
        let first = Secrets::from_figment(&figment()).unwrap();
        let file = dir.path().join("dev.db.secret-key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let sealed = first.seal("outbox", b"kept");
        let second = Secrets::from_figment(&figment()).unwrap();
        assert_eq!(second.unseal("outbox", &sealed).as_deref(), Some(&b"kept"[..]), "the restart reads the same key");
        let release =
            rocket::figment::Figment::from(("databases.slotwise.url", url)).select(rocket::Config::RELEASE_PROFILE);
        assert!(Secrets::from_figment(&release).is_err(), "a release build still needs secret_key");
    }

    #[test]
    fn a_fallback_in_a_bad_format_names_the_key() {
        for bad in ["short", "not base64 at all!", "00ff"] {
            let figment =
                rocket::figment::Figment::from(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="))
                    .merge(("security.secret_key_fallbacks", vec![bad]));
            let error = Secrets::from_figment(&figment).err().expect("refused");
            assert_eq!(error.key, "security.secret_key_fallbacks", "{bad}");
        }
        let hex = "ab".repeat(32);
        let figment =
            rocket::figment::Figment::from(("secret_key", "one")).merge(("security.secret_key_fallbacks", vec![hex]));
        assert!(Secrets::from_figment(&figment).is_ok(), "256 bits in hex");
    }

    #[test]
    fn random_tokens_are_base64url_and_distinct() {
        let (a, b) = (random_token(24), random_token(24));
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
