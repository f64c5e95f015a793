//! Loading the session (request guard), saving it (response fairing) and
//! purging expired rows (a task of the running app).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Orbit, Response, Rocket};
use serde_json::{Map, Value};
use sqlx::AnyPool;

use super::{now_ms, store, Inner, Loaded, Session, SessionError, SessionId, SessionState};
use crate::config::{SessionConfig, Settings};
use crate::db::{Db, DbPool};

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
    async fn load(req: &Request<'_>, config: &SessionConfig, db: &DbPool) -> Result<SessionState, sqlx::Error> {
        let mut inner = Inner::default();
        let id = req.cookies().get_private(&config.cookie_name).and_then(|cookie| SessionId::parse(cookie.value()));
        if let Some(id) = id {
            let key = id.storage_key();
            let mut conn = db.lease().await?;
            let record = store::load(&mut *conn, &key, now_ms()).await?;
            conn.finish();
            if let Some(record) = record {
                // NOTE: a row that is not a JSON object is treated as empty
                // rather than failing every request of its visitor.
                inner.data = serde_json::from_str::<Map<String, Value>>(&record.data).unwrap_or_default();
                inner.loaded = Some(Loaded {
                    key,
                    version: record.version,
                    expires_at: record.expires_at,
                    absolute_expires_at: record.absolute_expires_at,
                });
            } else {
                // A session opened for a page (or one that expired): its
                // cookie still binds the page's token until something is stored.
                inner.pending = Some(id);
            }
        }
        Ok(SessionState { inner: std::sync::Mutex::new(inner) })
    }
}

impl<'r> Session<'r> {
    /// The session a guard already loaded for `req`, without touching the
    /// store: for code that runs after the guards (responders, error pages).
    pub fn cached(req: &'r Request<'_>) -> Option<Session<'r>> {
        let settings = req.rocket().state::<Settings>()?;
        match req.local_cache(|| Slot::NotLoaded) {
            Slot::Ready(state) => Some(Session { state, cookies: req.cookies(), config: &settings.session }),
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
        let (Some(settings), Some(db)) = (req.rocket().state::<Settings>(), req.rocket().state::<Db>()) else {
            return Outcome::Error((Status::InternalServerError, "app not configured"));
        };
        let slot = req
            .local_cache_async(async {
                match SessionState::load(req, &settings.session, db).await {
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
    /// The request's view of the data, serialized.
    json: String,
    empty: bool,
}

impl Plan {
    fn of(inner: &Inner, now: i64, idle: i64) -> Result<Plan, SessionError> {
        if inner.flushed || inner.new_id.is_some() || !inner.changes.is_empty() {
            return Ok(Plan::Write(Box::new(Write {
                loaded: inner.loaded.clone(),
                changes: inner.changes.clone(),
                new_id: inner.new_id.clone(),
                flushed: inner.flushed,
                json: serde_json::to_string(&inner.data)?,
                empty: inner.data.is_empty(),
            })));
        }
        match &inner.loaded {
            Some(old) => Ok(old
                .refreshed(now, idle)
                .map_or(Plan::Nothing, |expires_at| Plan::Touch { key: old.key.clone(), expires_at })),
            None => Ok(Plan::Nothing),
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
/// NOTE: an unchanged session costs no statement and no copy of its data;
/// each statement runs on a leased connection (writes on the writer).
async fn save(state: &SessionState, config: &SessionConfig, db: &DbPool) -> Result<(), SessionError> {
    let now = now_ms();
    let idle = (config.idle_timeout_secs.get() as i64).saturating_mul(1000);
    let absolute = (config.absolute_timeout_secs.get() as i64).saturating_mul(1000);
    let plan = Plan::of(&state.inner.lock().unwrap_or_else(|e| e.into_inner()), now, idle)?;
    let write = match plan {
        Plan::Nothing => return Ok(()),
        Plan::Touch { key, expires_at } => {
            let mut conn = db.write_lease().await?;
            store::touch(&mut *conn, &key, expires_at, now).await?;
            conn.finish();
            return Ok(());
        }
        Plan::Write(write) => *write,
    };
    let Write { loaded, changes, new_id, flushed, json, empty } = write;

    if flushed {
        if let Some(old) = &loaded {
            let mut conn = db.write_lease().await?;
            store::delete(&mut *conn, &old.key).await?;
            conn.finish();
        }
    }
    let loaded = loaded.filter(|_| !flushed);

    match (loaded, new_id) {
        (None, Some(id)) => {
            if !empty {
                let deadline = now.saturating_add(absolute);
                let expires_at = now.saturating_add(idle).min(deadline);
                let mut conn = db.write_lease().await?;
                store::insert(&mut *conn, &id.storage_key(), &json, now, expires_at, deadline).await?;
                conn.finish();
            }
        }
        (Some(old), new_id) => {
            let new_key = new_id.map(|id| id.storage_key());
            let expires_at = old.refreshed(now, idle);
            let mut version = old.version;
            let mut json = json;
            for _ in 0..SAVE_RETRIES {
                let mut conn = db.write_lease().await?;
                let written =
                    store::update_if_version(&mut *conn, &old.key, new_key.as_deref(), &json, version, expires_at)
                        .await?;
                conn.finish();
                if written {
                    return Ok(());
                }
                // Someone wrote in between: start again from their version.
                let mut conn = db.lease().await?;
                let current = store::load(&mut *conn, &old.key, now).await?;
                conn.finish();
                let Some(current) = current else {
                    // Flushed, cycled or expired meanwhile: never resurrect.
                    return Ok(());
                };
                let mut data: Map<String, Value> = serde_json::from_str(&current.data).unwrap_or_default();
                for (key, change) in &changes {
                    match change {
                        Some(value) => data.insert(key.clone(), value.clone()),
                        None => data.remove(key),
                    };
                }
                json = serde_json::to_string(&data)?;
                version = current.version;
            }
            rocket::warn!("session save gave up after {SAVE_RETRIES} concurrent writes");
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

/// [`clear_expired`] for the running app: each batch takes its turn on the
/// writer like any session write, so on SQLite a request's write waits for
/// at most one batch, in order, instead of sleeping in the busy handler.
///
/// NOTE: after each batch it pauses as long as the batch took, so a big
/// backlog (a million expired rows) never takes more than half of one
/// connection — and of one core on a small machine — away from requests.
async fn purge(db: &DbPool) -> sqlx::Result<u64> {
    let now = now_ms();
    let mut total = 0;
    loop {
        let started = Instant::now();
        let mut conn = db.write_lease().await?;
        let n = store::purge_batch(&mut *conn, now, PURGE_BATCH).await?;
        conn.finish();
        total += n;
        if n < PURGE_BATCH as u64 {
            return Ok(total);
        }
        tokio::time::sleep(started.elapsed().max(Duration::from_millis(2))).await;
    }
}

/// Renders the page answered when a session cannot be saved: given the
/// request (its session still loaded) and the status, a body and its type.
pub type FailurePage = fn(&Request<'_>, Status) -> Option<(ContentType, String)>;

/// The session stage: saves sessions after each request and purges expired
/// rows every `session.purge_interval_secs` while the app runs. A save that
/// fails answers `503` with `failure_page`'s body (the app's own page; this
/// module knows nothing of how pages look).
pub fn stage(failure_page: FailurePage) -> impl Fairing {
    SessionFairing { failure_page }
}

struct SessionFairing {
    failure_page: FailurePage,
}

#[rocket::async_trait]
impl Fairing for SessionFairing {
    fn info(&self) -> Info {
        Info { name: "Sessions", kind: Kind::Response | Kind::Liftoff }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let (Some(settings), Some(db)) = (rocket.state::<Settings>(), rocket.state::<Db>()) else { return };
        let db: DbPool = (**db).clone();
        let every = Duration::from_secs(settings.session.purge_interval_secs.get());
        let mut shutdown = rocket.shutdown();
        rocket::tokio::spawn(async move {
            loop {
                rocket::tokio::select! {
                    _ = &mut shutdown => return,
                    _ = rocket::tokio::time::sleep(every) => {}
                }
                match purge(&db).await {
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
        if let Err(e) = save(state, &settings.session, db).await {
            rocket::error!("session save failed: {e}");
            res.set_status(Status::ServiceUnavailable);
            res.remove_header("Set-Cookie");
            // NOTE: the app's translated error page, in the language of
            // the session loaded for this request; plain text only if the
            // templates cannot render.
            let (content_type, body) = (self.failure_page)(req, Status::ServiceUnavailable)
                .unwrap_or((ContentType::Plain, "Service unavailable, please try again.".to_string()));
            res.set_header(content_type);
            res.set_sized_body(body.len(), std::io::Cursor::new(body));
        }
    }
}
