//! The database: one `sqlx` pool on SQLite or PostgreSQL, chosen at launch by
//! the scheme of `databases.slotwise.url`, plus the embedded migrations.
//!
//! The pool is private: every statement runs on a connection [`DbPool`]
//! hands out for the length of one piece of work ([`DbPool::on`],
//! [`DbPool::leased`], [`DbPool::durably`]), each taken in bounded time
//! (`acquire.rs`). Queries are written in SQL both backends accept where
//! they can (`$1` placeholders, `ON CONFLICT`, `RETURNING`, `BIGINT`
//! unix-millisecond times); the store files hold the few statements that
//! differ, picked by [`Backend`], and this module the migrations' DDL and the
//! per-connection SQLite pragmas.

mod acquire;
mod backend;
mod checkpoint;
mod in_flight;
mod lease;
mod migrations;
mod paced;
mod queue;
mod sessions;

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::figment::providers::Serialized;
use rocket::figment::Figment;
use rocket::{Build, Orbit, Rocket};
use rocket_db_pools::{Database, Pool};
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Executor};

pub use acquire::{unavailable, CONNECT_WAIT};
pub use backend::Backend;
pub use paced::paced;
pub use queue::Queue;

use crate::config::{self, redact_url, ConfigError};
use acquire::Acquirer;
use checkpoint::spawn_checkpointer;
pub use in_flight::in_flight;
use in_flight::InFlight;
use lease::Lanes;
pub use lease::{Lane, Lease, OnLease};

/// The pool behind [`Db`]: an `AnyPool` and the backend it talks to.
/// Clones share the pool and the leased connections.
#[derive(Clone)]
pub struct DbPool {
    /// The connection pool.
    pool: Acquirer,
    /// Its backend.
    pub backend: Backend,
    lanes: Arc<Lanes>,
    in_flight: Arc<InFlight>,
}

impl DbPool {
    /// Whether the pool was closed (the app is shutting down).
    pub fn is_closed(&self) -> bool {
        self.pool.pool.is_closed()
    }

    /// Closes the pool (the CLI and tests, when done with it; the app's is
    /// closed at shutdown).
    pub async fn close(&self) {
        self.lanes.close().await;
        self.pool.pool.close().await;
    }

    /// On SQLite, copies the write-ahead log into the database file and
    /// empties it, so no earlier version of a page stays on disk (after an
    /// erasure); nothing on PostgreSQL.
    pub async fn truncate_log(&self) -> sqlx::Result<()> {
        checkpoint::truncate(self).await
    }

    /// Whether the database answers a statement (`/healthz`).
    pub async fn ping(&self) -> sqlx::Result<()> {
        self.on(Lane::Read).execute(sqlx::query("SELECT 1")).await.map(|_| ())
    }

    /// A connection for one short read on the request path, without the
    /// pool's ping on release (see [`Lease`]). For session statements only:
    /// on PostgreSQL its commits do not wait for the log flush.
    pub async fn lease(&self) -> sqlx::Result<Lease> {
        self.lanes.lease(&self.pool).await
    }

    /// One short statement on the request path, on a leased connection of
    /// `lane`.
    pub fn on(&self, lane: Lane) -> OnLease<'_> {
        OnLease { lanes: &self.lanes, pool: &self.pool, lane }
    }

    /// A connection for one short write on the request path; on SQLite the
    /// single writer, so writers queue in order instead of sleeping in
    /// SQLite's busy handler.
    pub async fn write_lease(&self) -> sqlx::Result<Lease> {
        self.lanes.write_lease(&self.pool).await
    }

    /// Runs `work` on a connection for a write that must be durable (see
    /// [`DbPool::durable_writer`]) and gives the connection back when it
    /// completes; a `work` that fails or is cancelled leaves it to be
    /// recovered (see [`Lease`]).
    pub async fn durably<T, E: From<sqlx::Error>>(
        &self,
        work: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut writer = self.durable_writer().await?;
        let out = work(&mut writer).await?;
        writer.finish();
        Ok(out)
    }

    /// Runs `work` on a leased connection of `lane` (several statements; see
    /// [`DbPool::on`] for one) and gives it back when it completes.
    pub async fn leased<T>(
        &self,
        lane: Lane,
        work: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> sqlx::Result<T>,
    ) -> sqlx::Result<T> {
        let mut lease = match lane {
            Lane::Read => self.lease().await?,
            Lane::Write => self.write_lease().await?,
        };
        let out = work(&mut lease).await?;
        lease.finish();
        Ok(out)
    }

    /// A connection for a write that must be durable (holds, bookings): on
    /// SQLite the single writer, so these writes too queue in order instead
    /// of sleeping in SQLite's busy handler (SQLite commits every connection
    /// alike); on PostgreSQL a pool connection, since leased ones commit
    /// asynchronously. Call [`Writer::finish`] once the work is done, or use
    /// [`DbPool::durably`], which does.
    async fn durable_writer(&self) -> sqlx::Result<Writer> {
        Ok(match self.backend {
            Backend::Sqlite => Writer::Queued(self.write_lease().await?),
            Backend::Postgres => Writer::Pooled(self.pool.acquire().await?),
        })
    }
}

/// See [`DbPool::durable_writer`]; use it as `&mut *writer`.
pub enum Writer {
    /// SQLite's writer.
    Queued(Lease),
    /// A PostgreSQL pool connection.
    Pooled(PoolConnection<Any>),
}

impl Writer {
    /// The work completed: the connection goes back for the next writer.
    pub fn finish(self) {
        if let Writer::Queued(lease) = self {
            lease.finish();
        }
    }
}

impl std::ops::Deref for Writer {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        match self {
            Writer::Queued(lease) => lease,
            Writer::Pooled(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Writer {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match self {
            Writer::Queued(lease) => &mut *lease,
            Writer::Pooled(conn) => &mut *conn,
        }
    }
}

/// The Slotwise database, configured under `databases.slotwise`.
#[derive(Database)]
#[database("slotwise")]
pub struct Db(DbPool);

/// Why the pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DbInitError {
    /// `databases.slotwise` is missing or malformed.
    #[error("databases.slotwise: {0}")]
    Config(#[from] rocket::figment::Error),
    /// The URL names no supported backend.
    #[error("is neither a sqlite:// nor a postgres:// URL")]
    Scheme,
    /// The server or file could not be opened.
    #[error("cannot connect: {0}")]
    Connect(#[from] sqlx::Error),
}

#[rocket::async_trait]
impl Pool for DbPool {
    type Connection = PoolConnection<Any>;
    type Error = DbInitError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: rocket_db_pools::Config = figment.extract()?;
        let db = open(&config.url, config.max_connections as u32, config.connect_timeout, true).await?;
        if db.backend == Backend::Sqlite {
            spawn_checkpointer(db.clone());
        }
        Ok(db)
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        Ok(self.pool.acquire().await?)
    }

    async fn close(&self) {
        // NOTE: Rocket runs shutdown fairings (rocket_db_pools closes the
        // pool in one) as soon as shutdown is asked for, while requests are
        // still being answered; closing at once answered them with errors.
        self.in_flight.drained().await;
        DbPool::close(self).await;
    }
}

/// Opens a pool on `url` (used by the CLI and by tests).
pub async fn connect(url: &str, max_connections: u32, timeout_secs: u64) -> Result<DbPool, DbInitError> {
    open(url, max_connections, timeout_secs, false).await
}

/// Opens a pool; `app` leaves SQLite's checkpoints to [`spawn_checkpointer`].
async fn open(url: &str, max_connections: u32, timeout_secs: u64, app: bool) -> Result<DbPool, DbInitError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url).ok_or(DbInitError::Scheme)?;
    // NOTE: no ping before each acquire (sqlx's default): on SQLite it is a
    // round trip to the connection's worker thread, on PostgreSQL one to the
    // server, for every request that touches the database. A connection that
    // died fails its statement instead, and sqlx then closes it.
    let mut options = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(timeout_secs.max(1)))
        .test_before_acquire(false);
    if backend == Backend::Sqlite {
        // NOTE: WAL lets readers run beside the one writer; `synchronous=NORMAL`
        // is durable in WAL mode up to the last checkpointed commit and saves
        // an fsync per write; the busy timeout queues writers instead of
        // failing them with SQLITE_BUSY.
        //
        // In the running app no request checkpoints the log (copies it into
        // the database file and syncs both): a commit that crossed the
        // 1000-page threshold used to do that before answering, and every
        // writer queued behind it. A background task does it instead.
        options = options.after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                // NOTE: deleted and overwritten content is zeroed in the
                // file, so an erased address leaves no byte behind (SPEC §5).
                conn.execute("PRAGMA secure_delete = ON").await?;
                if app {
                    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                }
                Ok(())
            })
        });
    }
    let pool = options.connect(url).await?;
    let lanes = Arc::new(Lanes::new(max_connections as usize, backend));
    let pool = Acquirer::new(pool, max_connections.max(1), Duration::from_secs(timeout_secs.max(1)));
    Ok(DbPool { pool, backend, lanes, in_flight: Arc::default() })
}

/// Applies the embedded migrations of the pool's backend.
pub async fn migrate(db: &DbPool) -> Result<(), sqlx::migrate::MigrateError> {
    migrations::run(&db.pool.pool, db.backend).await
}

/// The database URL when `databases.slotwise.url` is not set.
pub const DEFAULT_URL: &str = "sqlite://slotwise.db?mode=rwc";

/// The database stage: opens the pool on `databases.slotwise.url` (the
/// SQLite file [`DEFAULT_URL`] when unset), applies the migrations, and
/// closes the pool at shutdown. A problem stops the launch with one line
/// naming the key and the (redacted) URL.
///
/// NOTE: not `Db::init()` plus a migrations fairing: a fairing attached from
/// another runs after every stage, and rocket_db_pools' own failure left the
/// migrations fairing to add "Attempted to fetch unattached database".
pub fn stage() -> impl Fairing {
    DbStage
}

struct DbStage;

#[rocket::async_trait]
impl Fairing for DbStage {
    fn info(&self) -> Info {
        Info { name: "Database", kind: Kind::Ignite | Kind::Shutdown }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        if config::stopped(&rocket) {
            return Err(rocket);
        }
        match open_app(rocket.figment()).await {
            Ok(db) => Ok(rocket.manage(Db(db))),
            Err(e) => Err(config::stop(rocket, &e)),
        }
    }

    async fn on_shutdown(&self, rocket: &Rocket<Orbit>) {
        if let Some(db) = rocket.state::<Db>() {
            Pool::close(&db.0).await;
        }
    }
}

/// How to create the PostgreSQL database `url` names.
fn createdb_hint(url: &str) -> String {
    let Ok(url) = url::Url::parse(url) else { return String::new() };
    let mut command = String::from("createdb");
    if let Some(host) = url.host_str() {
        command.push_str(&format!(" -h {host}"));
    }
    if let Some(port) = url.port() {
        command.push_str(&format!(" -p {port}"));
    }
    if !url.username().is_empty() {
        command.push_str(&format!(" -U {}", url.username()));
    }
    format!(" (create it first: `{command} {}`)", url.path().trim_start_matches('/'))
}

/// The app's pool on `databases.slotwise`, migrated.
async fn open_app(figment: &Figment) -> Result<DbPool, ConfigError> {
    const KEY: &str = "databases.slotwise.url";
    let workers: usize =
        figment.extract_inner(rocket::Config::WORKERS).unwrap_or_else(|_| rocket::Config::default().workers);
    let figment = figment
        .focus("databases.slotwise")
        .join(Serialized::default("url", DEFAULT_URL))
        .join(Serialized::default("max_connections", workers * 4))
        .join(Serialized::default("connect_timeout", 5));
    let config: rocket_db_pools::Config = figment.extract().map_err(|e| {
        let key = std::iter::once("databases.slotwise".to_string()).chain(e.path.iter().cloned()).collect::<Vec<_>>();
        ConfigError::new(key.join("."), e.kind.to_string())
    })?;
    let shown = redact_url(&config.url);
    let db = match open(&config.url, config.max_connections as u32, config.connect_timeout, true).await {
        Ok(db) => db,
        Err(DbInitError::Connect(e)) => {
            let hint =
                if e.to_string().contains("does not exist") { createdb_hint(&config.url) } else { String::new() };
            return Err(ConfigError::new(KEY, format!("cannot connect to `{shown}`: {e}{hint}")));
        }
        Err(e) => return Err(ConfigError::new(KEY, format!("`{shown}` {e}"))),
    };
    if let Err(e) = migrate(&db).await {
        Pool::close(&db).await;
        return Err(ConfigError::new(KEY, format!("cannot migrate `{shown}`: {e}")));
    }
    if db.backend == Backend::Sqlite {
        spawn_checkpointer(db.clone());
    }
    Ok(db)
}
