//! Loading the session (request guard), saving it (response fairing) and
//! purging expired rows (a task of the running app).

use std::time::Duration;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Orbit, Response, Rocket};
use serde_json::{Map, Value};
use sqlx::AnyPool;

use super::{now_ms, store, Inner, Loaded, Session, SessionError, SessionId, SessionState};
use crate::config::{SessionConfig, Settings};
use crate::db::Db;

/// Cookie headers longer than this are refused with `431` before any lookup.
const MAX_COOKIE_HEADER: usize = 8 * 1024;
/// Rows deleted per purge statement: small enough never to hold the write
/// lock for long.
const PURGE_BATCH: i64 = 500;
/// Rounds of re-applying this request's changes before giving up.
const SAVE_RETRIES: usize = 16;

/// The request-local slot: filled by the first guard that asks.
enum Slot {
    NotLoaded,
    Ready(SessionState),
    Failed,
}

impl SessionState {
    async fn load(req: &Request<'_>, config: &SessionConfig, pool: &AnyPool) -> Result<SessionState, sqlx::Error> {
        let mut inner = Inner::default();
        let id = req.cookies().get_private(&config.cookie_name).and_then(|cookie| SessionId::parse(cookie.value()));
        if let Some(id) = id {
            let key = id.storage_key();
            if let Some(record) = store::load(pool, &key, now_ms()).await? {
                // NOTE: a row that is not a JSON object is treated as empty
                // rather than failing every request of its visitor.
                inner.data = serde_json::from_str::<Map<String, Value>>(&record.data).unwrap_or_default();
                inner.loaded = Some(Loaded {
                    key,
                    version: record.version,
                    expires_at: record.expires_at,
                    absolute_expires_at: record.absolute_expires_at,
                });
            }
        }
        Ok(SessionState { inner: std::sync::Mutex::new(inner) })
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
        let (Some(settings), Some(db)) = (req.rocket().state::<Settings>(), req.rocket().state::<Db>()) else {
            return Outcome::Error((Status::InternalServerError, "app not configured"));
        };
        let slot = req
            .local_cache_async(async {
                match SessionState::load(req, &settings.session, &db.pool).await {
                    Ok(state) => Slot::Ready(state),
                    Err(e) => {
                        rocket::error!("session load failed: {e}");
                        Slot::Failed
                    }
                }
            })
            .await;
        match slot {
            Slot::Ready(state) => {
                Outcome::Success(Session { state, cookies: req.cookies(), config: &settings.session })
            }
            _ => Outcome::Error((Status::ServiceUnavailable, "session store unavailable")),
        }
    }
}

/// Saves the changes of one request; see the module docs for the rules.
async fn save(state: &SessionState, config: &SessionConfig, pool: &AnyPool) -> Result<(), SessionError> {
    let (loaded, mut data, changes, new_id, flushed) = {
        let inner = state.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.loaded.clone(), inner.data.clone(), inner.changes.clone(), inner.new_id.clone(), inner.flushed)
    };
    let now = now_ms();
    let idle = (config.idle_timeout_secs as i64).saturating_mul(1000);
    let absolute = (config.absolute_timeout_secs as i64).saturating_mul(1000);

    if flushed {
        if let Some(old) = &loaded {
            store::delete(pool, &old.key).await?;
        }
    }
    let loaded = loaded.filter(|_| !flushed);

    match (loaded, new_id) {
        (None, Some(id)) => {
            if !data.is_empty() {
                let json = serde_json::to_string(&data)?;
                let deadline = now.saturating_add(absolute);
                store::insert(pool, &id.storage_key(), &json, now, now.saturating_add(idle).min(deadline), deadline)
                    .await?;
            }
        }
        (Some(old), new_id) if new_id.is_some() || !changes.is_empty() => {
            let new_key = new_id.map(|id| id.storage_key()).unwrap_or_else(|| old.key.clone());
            let expires_at = now.saturating_add(idle).min(old.absolute_expires_at);
            let mut version = old.version;
            for _ in 0..SAVE_RETRIES {
                let json = serde_json::to_string(&data)?;
                if store::update_if_version(pool, &old.key, &new_key, &json, version, expires_at).await? {
                    return Ok(());
                }
                // Someone wrote in between: start again from their version.
                let Some(current) = store::load(pool, &old.key, now).await? else {
                    // Flushed, cycled or expired meanwhile: never resurrect.
                    return Ok(());
                };
                data = serde_json::from_str(&current.data).unwrap_or_default();
                for (key, change) in &changes {
                    match change {
                        Some(value) => data.insert(key.clone(), value.clone()),
                        None => data.remove(key),
                    };
                }
                version = current.version;
            }
            rocket::warn!("session save gave up after {SAVE_RETRIES} concurrent writes");
        }
        (Some(old), _) => {
            // Unchanged: refresh the idle deadline at most every idle/4.
            let expires_at = now.saturating_add(idle).min(old.absolute_expires_at);
            let last_refresh = old.expires_at - idle;
            if expires_at > old.expires_at && now - last_refresh >= idle / 4 {
                store::touch(pool, &old.key, expires_at, now).await?;
            }
        }
        (None, None) => {}
    }
    Ok(())
}

/// Deletes every expired session in small batches; returns how many went.
pub async fn clear_expired(pool: &AnyPool) -> sqlx::Result<u64> {
    let now = now_ms();
    let mut total = 0;
    loop {
        let n = store::purge_batch(pool, now, PURGE_BATCH).await?;
        total += n;
        if n < PURGE_BATCH as u64 {
            return Ok(total);
        }
        // NOTE: yield between batches so requests queue behind at most one.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The session stage: saves sessions after each request and purges expired
/// rows every `session.purge_interval_secs` while the app runs.
pub fn stage() -> impl Fairing {
    SessionFairing
}

struct SessionFairing;

#[rocket::async_trait]
impl Fairing for SessionFairing {
    fn info(&self) -> Info {
        Info { name: "Sessions", kind: Kind::Response | Kind::Liftoff }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let (Some(settings), Some(db)) = (rocket.state::<Settings>(), rocket.state::<Db>()) else { return };
        let pool = db.pool.clone();
        let every = Duration::from_secs(settings.session.purge_interval_secs);
        let mut shutdown = rocket.shutdown();
        rocket::tokio::spawn(async move {
            loop {
                rocket::tokio::select! {
                    _ = &mut shutdown => return,
                    _ = rocket::tokio::time::sleep(every) => {}
                }
                match clear_expired(&pool).await {
                    Ok(0) => {}
                    Ok(n) => rocket::info!("purged {n} expired sessions"),
                    Err(e) => rocket::warn!("session purge failed: {e}"),
                }
            }
        });
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Slot::Ready(state) = req.local_cache(|| Slot::NotLoaded) else { return };
        let (Some(settings), Some(db)) = (req.rocket().state::<Settings>(), req.rocket().state::<Db>()) else {
            return;
        };
        if res.status().code >= 500 {
            return;
        }
        if let Err(e) = save(state, &settings.session, &db.pool).await {
            rocket::error!("session save failed: {e}");
            res.set_status(Status::ServiceUnavailable);
            res.remove_header("Set-Cookie");
            res.set_header(Header::new("Content-Type", "text/plain; charset=utf-8"));
            res.set_sized_body(None, std::io::Cursor::new("Service unavailable, please try again."));
        }
    }
}
