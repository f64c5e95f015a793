//! What the guards and the fairing read while the app runs: the settings,
//! the store, the clock and the signing keys, managed by Rocket as one
//! [`Runtime`].

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use sha2::Sha256;

use crate::config::SessionConfig;
use crate::id::SessionId;
use crate::store::Sessions;

/// Renders the page answered when a session cannot be saved: given the
/// request (its session still loaded) and the status, a body and its type
/// (`None`: a plain-text line).
pub type FailurePage = fn(&Request<'_>, Status) -> Option<(ContentType, String)>;

/// The time in unix milliseconds, as the sessions see it.
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// A clock that reads `now_ms`.
    pub(crate) fn from_fn(now_ms: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now_ms))
    }

    pub(crate) fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock(Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        }))
    }
}

/// Signs and checks tokens bound to no session ([`crate::AnonToken`]): the
/// current key first, then each fallback in order.
#[derive(Clone)]
pub(crate) struct Signer {
    keys: Arc<[Hmac<Sha256>]>,
}

impl Signer {
    pub(crate) fn new(keys: &[Vec<u8>]) -> Signer {
        let keys = keys.iter().map(|key| Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"));
        Signer { keys: keys.collect() }
    }

    /// A fresh random key (tokens then last until the app stops).
    pub(crate) fn random() -> Signer {
        let mut key = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        Signer::new(&[key])
    }

    /// The MAC of `message` under the current key.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.keys[0].clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// The session cookie's value for `id`: the id and its MAC,
    /// `<id>.<mac>`, both base64url.
    pub(crate) fn cookie_value(&self, id: &SessionId) -> String {
        let tag = self.sign(&Self::cookie_message(&id.encode()));
        format!("{}.{}", id.encode(), URL_SAFE_NO_PAD.encode(&tag[..16]))
    }

    /// The id of a session cookie's value, when its MAC is one of the keys'.
    pub(crate) fn cookie_id(&self, value: &str) -> Option<SessionId> {
        let (id, tag) = value.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok().filter(|t| t.len() == 16)?;
        let id = SessionId::parse(id)?;
        self.verify(&Self::cookie_message(&id.encode()), &tag).then_some(id)
    }

    fn cookie_message(id: &str) -> Vec<u8> {
        [b"session-cookie\0".as_slice(), id.as_bytes()].concat()
    }

    /// Whether `tag` is a MAC of `message` under one of the keys.
    pub(crate) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        self.keys.iter().any(|key| {
            let mut mac = key.clone();
            mac.update(message);
            mac.verify_truncated_left(tag).is_ok()
        })
    }
}

/// What the guards and the fairing read while the app runs (managed state).
pub(crate) struct Runtime {
    pub(crate) config: SessionConfig,
    pub(crate) store: Sessions,
    pub(crate) clock: Clock,
    pub(crate) signer: Signer,
    pub(crate) origins: Vec<String>,
    pub(crate) failure_page: Option<FailurePage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_verifies_under_its_key_or_a_later_fallback_only() {
        let (old, new) = (Signer::new(&[b"old key".to_vec()]), Signer::new(&[b"new".to_vec(), b"old key".to_vec()]));
        let id = SessionId::generate();
        let value = old.cookie_value(&id);
        assert!(new.cookie_id(&value) == Some(id.clone()), "the fallback verifies");
        assert!(Signer::new(&[b"new".to_vec()]).cookie_id(&value).is_none(), "without it, no");
        let mut forged = value.clone();
        forged.replace_range(..1, if value.starts_with('A') { "B" } else { "A" });
        assert!(old.cookie_id(&forged).is_none(), "another id under the same MAC");
        assert!(old.cookie_id(&id.encode()).is_none(), "an id without its MAC");
    }
}
