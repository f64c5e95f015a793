//! [`Session`]: one request's handle on the visitor's session.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use rocket::http::{Cookie, CookieJar, SameSite};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::SessionConfig;
use crate::id::SessionId;
use crate::runtime::Runtime;
use crate::store::StoreError;
use crate::token::AnonToken;

/// Session key of the CSRF token; keys starting with `_` belong to this crate.
const CSRF_KEY: &str = "_csrf";
/// Session key of this session's own idle timeout in seconds
/// ([`Session::set_expiry`]), when it has one.
pub(crate) const EXPIRY_KEY: &str = "_expiry";

/// What was stored for this session when the request began.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) key: String,
    pub(crate) expires_at: i64,
    pub(crate) absolute_expires_at: i64,
}

/// One request's view of a session; shared by every guard of the request.
#[derive(Debug)]
pub struct SessionState {
    pub(crate) inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// The stored row this request started from, if there was a live one.
    pub(crate) loaded: Option<Loaded>,
    /// Current values.
    pub(crate) data: Map<String, Value>,
    /// This request's changes by key: `Some` set, `None` removed.
    pub(crate) changes: BTreeMap<String, Option<Value>>,
    /// The id to store under at save time, when it is not the loaded one.
    pub(crate) new_id: Option<SessionId>,
    /// The loaded row must be deleted, not updated.
    pub(crate) flushed: bool,
    /// A session opened for a page but never written: the id its cookie
    /// carries while no row exists (see [`Session::open`]).
    pub(crate) pending: Option<SessionId>,
}

impl Inner {
    /// A session exists (or will, once saved) for this visitor.
    pub(crate) fn exists(&self) -> bool {
        (self.loaded.is_some() && !self.flushed) || self.new_id.is_some()
    }
}

/// The request guard and handle for the visitor's session.
///
/// Cheap to copy; every copy in one request sees the same state.
#[derive(Clone, Copy)]
pub struct Session<'r> {
    pub(crate) state: &'r SessionState,
    pub(crate) cookies: &'r CookieJar<'r>,
    pub(crate) context: &'r Runtime,
}

/// Errors of the session API.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A key with characters other than letters, digits, `_`, `-` and `.`.
    #[error("session key `{0}` has characters other than letters, digits, `_`, `-` and `.`")]
    Key(String),
    /// A value could not be turned into JSON.
    #[error("session value does not serialize: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The store failed.
    #[error("session store: {0}")]
    Store(#[from] StoreError),
}

impl<'r> Session<'r> {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // NOTE: nothing panics while holding the lock, but a poisoned lock
        // still holds consistent data: take it rather than fail the request.
        self.state.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value stored under `key`, if any and if it has type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let inner = self.lock();
        inner.data.get(key).and_then(|v| T::deserialize(v).ok())
    }

    /// Whether a value is stored under `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.lock().data.contains_key(key)
    }

    /// The public keys (those not starting with `_`), in order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().data.keys().filter(|k| !k.starts_with('_')).cloned().collect()
    }

    /// The public entries (keys not starting with `_`), like Django's
    /// `request.session.items()`.
    pub fn items(&self) -> Map<String, Value> {
        let inner = self.lock();
        inner.data.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The public entries as a serializable view, for template contexts:
    /// serialized straight from the session, without a copy.
    pub fn public(self) -> PublicEntries<'r> {
        PublicEntries(self)
    }

    /// Stores `value` under `key`; creates the session (and its cookie) on
    /// first use. Writing the value already stored changes nothing.
    ///
    /// Keys are the app's own names: letters, digits, `_`, `-` and `.`
    /// (a store may use them as paths).
    pub fn insert<T: Serialize>(&self, key: &str, value: &T) -> Result<(), SessionError> {
        if !valid_key(key) {
            return Err(SessionError::Key(key.chars().take(64).collect()));
        }
        let value = serde_json::to_value(value)?;
        let mut inner = self.lock();
        if inner.data.get(key) == Some(&value) {
            return Ok(());
        }
        self.ensure_exists(&mut inner);
        inner.data.insert(key.to_string(), value.clone());
        inner.changes.insert(key.to_string(), Some(value));
        Ok(())
    }

    /// Removes `key`; a no-op when it is absent.
    pub fn remove(&self, key: &str) {
        let mut inner = self.lock();
        if inner.data.remove(key).is_some() {
            inner.changes.insert(key.to_string(), None);
        }
    }

    /// Empties the session and gives it a new id; the old id dies at once.
    /// Nothing is stored again until something is inserted.
    pub fn flush(&self) {
        let mut inner = self.lock();
        inner.flushed = inner.loaded.is_some();
        inner.data.clear();
        inner.changes.clear();
        inner.new_id = None;
        inner.pending = None;
        self.cookies.remove(Cookie::build(self.context.config.cookie_name.clone()).path("/"));
    }

    /// Keeps the data under a new id; the old id stops working at once.
    /// Call it before granting privilege (against session fixation).
    pub fn cycle_id(&self) {
        let mut inner = self.lock();
        if inner.exists() {
            let id = SessionId::generate();
            self.set_cookie(&id);
            inner.new_id = Some(id);
        }
    }

    /// Gives this session its own idle timeout of `secs` seconds (Django's
    /// `set_expiry`), from now on and kept with the session; still bounded
    /// by `absolute_timeout_secs`. `0` restores the configured
    /// `idle_timeout_secs`.
    pub fn set_expiry(&self, secs: u64) -> Result<(), SessionError> {
        if secs == 0 {
            self.remove(EXPIRY_KEY);
            Ok(())
        } else {
            self.insert(EXPIRY_KEY, &secs)
        }
    }

    /// This session's idle timeout in seconds: its own ([`Session::set_expiry`])
    /// or the configured one.
    pub fn get_expiry(&self) -> u64 {
        idle_secs(&self.lock().data, &self.context.config)
    }

    /// Whether a session exists for this visitor (stored, or created now).
    pub fn exists(&self) -> bool {
        self.lock().exists()
    }

    /// The session's CSRF token, or `None` while the visitor has no session
    /// (see [`Session::form_token`]).
    pub fn csrf_token(&self) -> Option<String> {
        let inner = self.lock();
        match inner.data.get(CSRF_KEY) {
            Some(Value::String(token)) => Some(token.clone()),
            _ => inner.pending.as_ref().map(SessionId::pending_token),
        }
    }

    /// The token a page's forms carry in `csrf_token`: the session's own, or
    /// while the visitor has none, a signed session-less [`AnonToken`]
    /// (accepted only by forms whose policy is
    /// [`SessionlessToken`](crate::SessionlessToken); see [`Session::open`]
    /// for binding a page's forms to a session that is not stored yet).
    pub fn form_token(&self) -> String {
        self.csrf_token().unwrap_or_else(|| AnonToken::issue(&self.context.signer, self.context.clock.now_ms()))
    }

    /// Gives a visitor without a session a session cookie, so the page's
    /// forms carry a token bound to it, without storing anything yet.
    ///
    /// NOTE: nothing is written for a visitor who only looks: the cookie's
    /// id has no row until something is stored, and the page's token is
    /// derived from that id ([`SessionId::pending_token`]); the first write
    /// stores that token with a fresh id (a planted id is never adopted).
    pub fn open(&self) {
        let mut inner = self.lock();
        if inner.exists() || inner.pending.is_some() {
            return;
        }
        let id = SessionId::generate();
        self.set_cookie(&id);
        inner.pending = Some(id);
    }

    fn ensure_exists(&self, inner: &mut Inner) {
        if inner.exists() {
            return;
        }
        let id = SessionId::generate();
        self.set_cookie(&id);
        inner.new_id = Some(id);
        let token = inner.pending.take().map(|pending| pending.pending_token());
        let token = Value::String(token.unwrap_or_else(|| SessionId::generate().encode()));
        inner.data.insert(CSRF_KEY.into(), token.clone());
        inner.changes.insert(CSRF_KEY.into(), Some(token));
    }

    fn set_cookie(&self, id: &SessionId) {
        // NOTE: an explicit session expiration stops Rocket from adding its
        // default one-week `Expires`: the cookie ends with the browser and
        // the server enforces both timeouts.
        let value = self.context.signer.cookie_value(id);
        let cookie = Cookie::build((self.context.config.cookie_name.clone(), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.context.config.secure)
            .expires(None::<rocket::time::OffsetDateTime>);
        self.cookies.add(cookie);
    }
}

/// See [`Session::public`]: serializes as a map of the public entries.
#[derive(Clone, Copy)]
pub struct PublicEntries<'r>(Session<'r>);

impl Serialize for PublicEntries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let inner = self.0.lock();
        serializer.collect_map(inner.data.iter().filter(|(k, _)| !k.starts_with('_')))
    }
}

/// Whether `key` may name a session value.
pub(crate) fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The idle timeout of a session holding `data`, in seconds.
pub(crate) fn idle_secs(data: &Map<String, Value>, config: &SessionConfig) -> u64 {
    data.get(EXPIRY_KEY).and_then(Value::as_u64).filter(|&s| s > 0).unwrap_or(config.idle_timeout_secs.get())
}
