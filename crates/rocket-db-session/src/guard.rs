//! Loading the session (the request guard) and saving what a request
//! changed (called by the fairing, [`crate::SessionStage`]).

use std::collections::BTreeMap;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use serde_json::{Map, Value};

use crate::config::SessionConfig;
use crate::id::SessionId;
use crate::runtime::Runtime;
use crate::session::{idle_secs, Inner, Loaded, Session, SessionError, SessionState, EXPIRY_KEY};
use crate::store::{New, Sessions, StoreError, Update};

/// Cookie headers longer than this are refused with `431` before any lookup.
const MAX_COOKIE_HEADER: usize = 8 * 1024;

/// The request-local slot: filled by the first guard that asks.
pub(crate) enum Slot {
    NotLoaded,
    Ready(SessionState),
    Failed,
}

impl SessionState {
    async fn load(req: &Request<'_>, runtime: &Runtime) -> Result<SessionState, StoreError> {
        let mut inner = Inner::default();
        if let Some(id) = cookie_id(req, runtime) {
            let key = id.storage_key();
            match runtime.store.load(&key, runtime.clock.now_ms()).await? {
                Some(record) => {
                    inner.data = record.data;
                    inner.loaded = Some(Loaded {
                        key,
                        expires_at: record.expires_at,
                        absolute_expires_at: record.absolute_expires_at,
                    });
                }
                // A session opened for a page (or one that expired): its
                // cookie still binds the page's token until something is stored.
                None => inner.pending = Some(id),
            }
        }
        Ok(SessionState { inner: std::sync::Mutex::new(inner) })
    }
}

/// The id the request's cookie carries, when its MAC is good; or, from a
/// cookie set before this crate signed its cookies, when Rocket's private
/// cookie decrypts (under the current `secret_key` only).
fn cookie_id(req: &Request<'_>, runtime: &Runtime) -> Option<SessionId> {
    let name = &runtime.config.cookie_name;
    let cookie = req.cookies().get(name)?;
    runtime.signer.cookie_id(cookie.value()).or_else(|| {
        let legacy = req.cookies().get_private(name)?;
        SessionId::parse(legacy.value())
    })
}

impl<'r> Session<'r> {
    /// The session a guard already loaded for `req`, without touching the
    /// store: for code that runs after the guards (responders, error pages).
    pub fn cached(req: &'r Request<'_>) -> Option<Session<'r>> {
        let context = req.rocket().state::<Runtime>()?;
        match req.local_cache(|| Slot::NotLoaded) {
            Slot::Ready(state) => Some(Session { state, cookies: req.cookies(), context }),
            _ => None,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session<'r> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let too_big = req.headers().get("Cookie").map(str::len).sum::<usize>() > MAX_COOKIE_HEADER;
        if too_big {
            return Outcome::Error((Status::RequestHeaderFieldsTooLarge, "cookie header too large"));
        }
        let Some(context) = req.rocket().state::<Runtime>() else {
            return Outcome::Error((Status::InternalServerError, "the sessions' fairing is not attached"));
        };
        let slot = req
            .local_cache_async(async {
                match SessionState::load(req, context).await {
                    Ok(state) => Slot::Ready(state),
                    Err(e) => {
                        rocket::error!("session load failed: {e}");
                        Slot::Failed
                    }
                }
            })
            .await;
        match slot {
            Slot::Ready(state) => Outcome::Success(Session { state, cookies: req.cookies(), context }),
            _ => Outcome::Error((Status::ServiceUnavailable, "session store unavailable")),
        }
    }
}

/// What a request's end asks of the store.
enum Plan {
    /// Nothing changed and the idle deadline is fresh enough.
    Nothing,
    /// Nothing changed: push the idle deadline of `key` to `expires_at`.
    Touch { key: String, expires_at: i64 },
    /// Something changed.
    Write(Box<Write>),
}

/// The changes of one request, taken from its [`Inner`].
struct Write {
    loaded: Option<Loaded>,
    changes: BTreeMap<String, Option<Value>>,
    new_id: Option<SessionId>,
    flushed: bool,
    /// The whole data, when a new session is to be stored.
    data: Option<Map<String, Value>>,
    /// This session's idle timeout, ms.
    idle: i64,
}

impl Plan {
    fn of(inner: &Inner, now: i64, config: &SessionConfig) -> Plan {
        let idle = (idle_secs(&inner.data, config) as i64).saturating_mul(1000);
        if inner.flushed || inner.new_id.is_some() || !inner.changes.is_empty() {
            let creates = inner.flushed || inner.loaded.is_none();
            return Plan::Write(Box::new(Write {
                loaded: inner.loaded.clone(),
                changes: inner.changes.clone(),
                new_id: inner.new_id.clone(),
                flushed: inner.flushed,
                data: (creates && !inner.data.is_empty()).then(|| inner.data.clone()),
                idle,
            }));
        }
        match &inner.loaded {
            Some(old) => old
                .refreshed(now, idle)
                .map_or(Plan::Nothing, |expires_at| Plan::Touch { key: old.key.clone(), expires_at }),
            None => Plan::Nothing,
        }
    }
}

impl Loaded {
    /// The new idle deadline, when a refresh is due: at most every idle/4,
    /// whether or not the session changed.
    fn refreshed(&self, now: i64, idle: i64) -> Option<i64> {
        let expires_at = now.saturating_add(idle).min(self.absolute_expires_at);
        let last_refresh = self.expires_at - idle;
        (expires_at > self.expires_at && now - last_refresh >= idle / 4).then_some(expires_at)
    }
}

/// Saves the changes of one request; see the module docs for the rules.
///
/// NOTE: an unchanged session costs no statement and no copy of its data; a
/// changed one costs one statement (two when it was flushed and refilled).
pub(crate) async fn save(
    state: &SessionState,
    config: &SessionConfig,
    store: &Sessions,
    now: i64,
) -> Result<(), SessionError> {
    let absolute = (config.absolute_timeout_secs.get() as i64).saturating_mul(1000);
    let plan = Plan::of(&state.inner.lock().unwrap_or_else(|e| e.into_inner()), now, config);
    let write = match plan {
        Plan::Nothing => return Ok(()),
        Plan::Touch { key, expires_at } => return Ok(store.touch(&key, expires_at, now).await?),
        Plan::Write(write) => *write,
    };
    let Write { loaded, changes, new_id, flushed, data, idle } = write;
    if flushed {
        if let Some(old) = &loaded {
            store.delete(&old.key).await?;
        }
    }
    match (loaded.filter(|_| !flushed), new_id) {
        (None, Some(id)) => {
            if let Some(data) = &data {
                let deadline = now.saturating_add(absolute);
                let expires_at = now.saturating_add(idle).min(deadline);
                let key = id.storage_key();
                store.create(New { key: &key, data, now, expires_at, absolute_expires_at: deadline }).await?;
            }
        }
        (Some(old), new_id) => {
            let new_key = new_id.map(|id| id.storage_key());
            // A new idle timeout (`set_expiry`) starts counting now.
            let expires_at = if changes.contains_key(EXPIRY_KEY) {
                Some(now.saturating_add(idle).min(old.absolute_expires_at))
            } else {
                old.refreshed(now, idle)
            };
            // `false`: flushed, cycled or expired meanwhile; never resurrected.
            let update = Update { key: &old.key, new_key: new_key.as_deref(), changes: &changes, expires_at, now };
            store.update(update).await?;
        }
        (None, None) => {}
    }
    Ok(())
}
