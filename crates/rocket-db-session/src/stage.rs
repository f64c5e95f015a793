//! [`SessionStage`]: the fairing a Rocket app attaches. It opens the store
//! at ignition, saves each request's session after its handler, and purges
//! expired sessions while the app runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::{Build, Orbit, Response, Rocket};

use crate::config::{ConfigError, SessionConfig};
use crate::db::Connections;
use crate::guard::{save, Slot};
use crate::runtime::{Clock, FailurePage, Runtime, Signer};
use crate::store::{self, Sessions};

/// Opens the store for a configuration.
type Open =
    Arc<dyn Fn(SessionConfig) -> Pin<Box<dyn Future<Output = Result<Sessions, ConfigError>> + Send>> + Send + Sync>;

/// The sessions' fairing; see the crate docs for the life cycle. Built by
/// [`Sessions::fairing`] and attached once:
///
/// ```no_run
/// # use rocket_db_session::Sessions;
/// let rocket = rocket::build().attach(Sessions::fairing());
/// ```
pub struct SessionStage {
    config: Option<SessionConfig>,
    open: Option<Open>,
    clock: Clock,
    keys: Vec<Vec<u8>>,
    origins: Vec<String>,
    failure_page: Option<FailurePage>,
}

impl Sessions {
    /// The fairing, reading its settings from the `session` table of
    /// Rocket's figment at ignition (see [`SessionConfig`]).
    pub fn fairing() -> SessionStage {
        SessionStage {
            config: None,
            open: None,
            clock: Clock::default(),
            keys: Vec::new(),
            origins: Vec::new(),
            failure_page: None,
        }
    }
}

impl SessionStage {
    /// Uses `config` instead of the figment's `session` table.
    pub fn config(mut self, config: SessionConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Keeps the database stores' sessions on `db` (the app's own pool)
    /// instead of a pool of their own on `session.database_url`.
    pub fn database<C: Connections>(mut self, db: C) -> Self {
        self.open = Some(Arc::new(move |config: SessionConfig| {
            let db = db.clone();
            Box::pin(async move { store::open(&config, Some(db)).await })
        }));
        self
    }

    /// Tells the time by `now_ms` (unix milliseconds) instead of the system
    /// clock: tests move a clock of their own instead of sleeping.
    pub fn clock(mut self, now_ms: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Clock::from_fn(now_ms);
        self
    }

    /// Signs the session cookie and the tokens of visitors without a
    /// session with `key` (any length; 32 random bytes or more). The first
    /// key given signs; any later one is a fallback that still verifies
    /// (rotate by putting the new key first: cookies and open forms made
    /// under the old one keep working until it is dropped). Without a key,
    /// one derived from Rocket's `secret_key`, or a random one per launch.
    pub fn signing_key(mut self, key: &[u8]) -> Self {
        self.keys.push(key.to_vec());
        self
    }

    /// Also accepts forms posted from `origin` (`scheme://host[:port]`),
    /// besides the request's own `Host`: the public address behind a proxy.
    pub fn trusted_origin(mut self, origin: &str) -> Self {
        self.origins.push(origin.trim_end_matches('/').to_ascii_lowercase());
        self
    }

    /// Answers a session that cannot be saved with `page`'s body (status
    /// `503`, `Retry-After: 2`) instead of a plain-text line.
    pub fn failure_page(mut self, page: FailurePage) -> Self {
        self.failure_page = Some(page);
        self
    }

    /// Opens the store and manages what the guards need: what the fairing
    /// does at ignition, for an app that reports problems its own way.
    pub async fn prepare(&self, rocket: Rocket<Build>) -> Result<Rocket<Build>, (Rocket<Build>, ConfigError)> {
        let config = match &self.config {
            Some(config) => config.clone(),
            None => match rocket.figment().extract_inner::<SessionConfig>("session") {
                Ok(config) => config,
                Err(e) if e.missing() => SessionConfig::default(),
                Err(e) => return Err((rocket, ConfigError::new("session", e.to_string()))),
            },
        };
        let store = match &self.open {
            Some(open) => open(config.clone()).await,
            None => open_own(&config).await,
        };
        let store = match store {
            Ok(store) => store,
            Err(e) => return Err((rocket, e)),
        };
        let signer = match (self.keys.is_empty(), rocket.figment().extract_inner::<String>("secret_key")) {
            (false, _) => Signer::new(&self.keys),
            // Rocket's own `secret_key`, when set: cookies outlive a restart.
            (true, Ok(secret)) if !secret.is_empty() => {
                Signer::new(&[[b"rocket-db-session\0".as_slice(), secret.as_bytes()].concat()])
            }
            (true, _) => Signer::random(),
        };
        let context = Runtime {
            config,
            store: store.clone(),
            clock: self.clock.clone(),
            signer,
            origins: self.origins.clone(),
            failure_page: self.failure_page,
        };
        Ok(rocket.manage(store).manage(context))
    }
}

/// The store on a pool of its own (`session.database_url`), or none.
async fn open_own(config: &SessionConfig) -> Result<Sessions, ConfigError> {
    let Some(url) = &config.database_url else { return store::open::<sqlx::AnyPool>(config, None).await };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .map_err(|e| ConfigError::new("session.database_url", format!("`{url}`: {e}")))?;
    store::open(config, Some(pool)).await
}

#[rocket::async_trait]
impl Fairing for SessionStage {
    fn info(&self) -> Info {
        Info { name: "Sessions", kind: Kind::Ignite | Kind::Response | Kind::Liftoff }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        self.prepare(rocket).await.map_err(|(rocket, e)| {
            rocket::error!("{e}");
            rocket
        })
    }

    /// Purges expired sessions every `purge_interval_secs` until shutdown.
    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let Some(context) = rocket.state::<Runtime>() else { return };
        let (store, clock) = (context.store.clone(), context.clock.clone());
        let every = Duration::from_secs(context.config.purge_interval_secs.get());
        let mut shutdown = rocket.shutdown();
        rocket::tokio::spawn(async move {
            loop {
                match store.purge(clock.now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => rocket::info!("purged {n} expired sessions"),
                    Err(e) => rocket::warn!("session purge failed: {e}"),
                }
                rocket::tokio::select! {
                    _ = &mut shutdown => return,
                    _ = rocket::tokio::time::sleep(every) => {}
                }
            }
        });
    }

    /// Saves what the request changed; a save that fails answers `503`.
    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Slot::Ready(state) = req.local_cache(|| Slot::NotLoaded) else { return };
        let Some(context) = req.rocket().state::<Runtime>() else { return };
        if res.status().code >= 500 {
            return;
        }
        if let Err(e) = save(state, &context.config, &context.store, context.clock.now_ms()).await {
            rocket::error!("session save failed: {e}");
            res.set_status(Status::ServiceUnavailable);
            res.set_header(Header::new("Retry-After", "2"));
            res.remove_header("Set-Cookie");
            let page = context.failure_page.and_then(|page| page(req, Status::ServiceUnavailable));
            let (content_type, body) =
                page.unwrap_or((ContentType::Plain, "Service unavailable, please try again.".to_string()));
            res.set_header(content_type);
            res.set_sized_body(body.len(), std::io::Cursor::new(body));
        }
    }
}

/// Deletes every session expired at `now` (unix ms); returns how many went.
pub async fn clear_expired(store: &Sessions, now: i64) -> Result<u64, crate::StoreError> {
    store.purge(now).await
}
