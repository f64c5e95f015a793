//! What the guards and the fairing read while the app runs: the settings,
//! the store, the clock and the signing keys, managed by Rocket as one
//! [`Runtime`].

use std::sync::Arc;

use hmac::{Hmac, Mac};
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use sha2::Sha256;

use crate::config::SessionConfig;
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
