//! Where sessions live, like Django's `SESSION_ENGINE`: the [`SessionStore`]
//! interface the guard and the fairing use, and one implementation per
//! `session.store`.
//!
//! Every store keys a session by the hash of its id ([`SessionId::storage_key`](super::SessionId::storage_key))
//! and must keep these promises, across requests and instances:
//! - [`SessionStore::update`] applies one request's per-key sets and removals
//!   to the stored session in one atomic step, so concurrent requests that
//!   change different keys both keep their change; it never recreates a
//!   session that is gone (flushed, cycled or expired meanwhile);
//! - a cycled id ([`Update::new_key`]) stops working in the same step;
//! - a session past its idle deadline (`expires_at`) is absent.

#[cfg(feature = "redis")]
mod cached;
mod database;
#[cfg(feature = "redis")]
mod redis;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

#[cfg(feature = "redis")]
pub use cached::CachedDatabaseStore;
pub use database::DatabaseStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

use crate::config::{ConfigError, SessionConfig, StoreKind};
use crate::db::Connections;

/// One stored, live session.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The values by key.
    pub data: Map<String, Value>,
    /// Unix ms: end of the session's life unless refreshed by activity.
    pub expires_at: i64,
    /// Unix ms: end of the session's life, whatever happens.
    pub absolute_expires_at: i64,
}

/// A new session.
#[derive(Debug)]
pub struct New<'a> {
    /// Its storage key.
    pub key: &'a str,
    /// Its values.
    pub data: &'a Map<String, Value>,
    /// Unix ms: now.
    pub now: i64,
    /// Unix ms: the idle deadline.
    pub expires_at: i64,
    /// Unix ms: the absolute deadline.
    pub absolute_expires_at: i64,
}

/// One request's changes to a stored session.
#[derive(Debug)]
pub struct Update<'a> {
    /// The storage key the request loaded.
    pub key: &'a str,
    /// The key to store under from now on (the id was cycled).
    pub new_key: Option<&'a str>,
    /// Values set (`Some`) and keys removed (`None`).
    pub changes: &'a BTreeMap<String, Option<Value>>,
    /// A new idle deadline, when a refresh is due.
    pub expires_at: Option<i64>,
    /// Unix ms: now (a session past its idle deadline is not updated).
    pub now: i64,
}

/// A store failed; session pages answer `503`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Redis failed or did not answer in time.
    #[error("redis: {0}")]
    Redis(String),
}

/// Where sessions are kept.
#[rocket::async_trait]
pub trait SessionStore: Send + Sync {
    /// The live session stored under `key`, if any.
    async fn load(&self, key: &str, now: i64) -> Result<Option<Record>, StoreError>;

    /// Stores a new session.
    async fn create(&self, new: New<'_>) -> Result<(), StoreError>;

    /// Applies one request's changes in one atomic step; `false` (and nothing
    /// written) when the session no longer exists.
    async fn update(&self, update: Update<'_>) -> Result<bool, StoreError>;

    /// Pushes the idle deadline of a live session forward to `expires_at`.
    async fn touch(&self, key: &str, expires_at: i64, now: i64) -> Result<(), StoreError>;

    /// Deletes one session.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Ends every session whose stored values hold `text` (ignoring ASCII
    /// case), e.g. an address being erased; how many ended.
    async fn delete_holding(&self, text: &str) -> Result<u64, StoreError>;

    /// Deletes the sessions expired at `now`; how many went. Safe to run on
    /// several instances at once.
    async fn purge(&self, now: i64) -> Result<u64, StoreError>;

    /// Whether what the store needs beyond the database answers (for an
    /// app's health check, which asks its database itself).
    async fn check(&self) -> Result<(), StoreError>;
}

/// The session store in use, managed by Rocket (see [`crate::SessionStage`]).
#[derive(Clone)]
pub struct Sessions(pub Arc<dyn SessionStore>);

impl std::ops::Deref for Sessions {
    type Target = dyn SessionStore;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// `text` as a `LIKE` pattern that finds it anywhere, lower-cased, its
/// `%`, `_` and `\` escaped (with `ESCAPE '\'`).
pub(crate) fn containing(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The JSON text of a stored session's data; a stored value that is not a
/// JSON object counts as empty rather than failing every request of its
/// visitor.
pub(crate) fn parse_data(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The store `config.store` names, ready for requests: the database ones on
/// `db` (their table created or upgraded first, see [`crate::migrate`]); a
/// problem names the key.
pub async fn open<C: Connections>(config: &SessionConfig, db: Option<C>) -> Result<Sessions, ConfigError> {
    let store: Arc<dyn SessionStore> = match config.store {
        StoreKind::Database => Arc::new(database(config, db).await?),
        #[cfg(feature = "redis")]
        StoreKind::Redis => Arc::new(redis(config)?),
        #[cfg(feature = "redis")]
        StoreKind::CachedDatabase => Arc::new(CachedDatabaseStore::new(database(config, db).await?, redis(config)?)),
        #[cfg(not(feature = "redis"))]
        StoreKind::Redis | StoreKind::CachedDatabase => {
            return Err(ConfigError::new("session.store", "the Redis stores need the crate's `redis` feature"))
        }
    };
    Ok(Sessions(store))
}

/// The database store on `db`, its table prepared.
async fn database<C: Connections>(config: &SessionConfig, db: Option<C>) -> Result<DatabaseStore<C>, ConfigError> {
    let Some(db) = db else {
        let message = "is not set, and the app gives the sessions no database";
        return Err(ConfigError::new("session.database_url", message));
    };
    if let Err(e) = crate::schema::migrate(&db, &config.table).await {
        return Err(ConfigError::new("session.table", format!("`{}` cannot be prepared: {e}", config.table)));
    }
    Ok(DatabaseStore::new(db, &config.table))
}

/// The Redis store `config` names.
#[cfg(feature = "redis")]
fn redis(config: &SessionConfig) -> Result<RedisStore, ConfigError> {
    RedisStore::open(&config.redis_url, &config.redis_prefix)
        .map_err(|e| ConfigError::new("session.redis_url", format!("`{}`: {e}", config.redis_url)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_like_pattern_finds_the_text_literally() {
        assert_eq!(super::containing("Kim_1%@X.test"), "%kim\\_1\\%@x.test%");
    }
}
