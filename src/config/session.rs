//! `[session]`: the cookie, the two timeouts, the purge interval and where
//! sessions are kept.

use std::num::NonZeroU64;

use serde::Deserialize;

use super::error::ConfigError;

/// `[session]`, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct SessionConfig {
    /// Name of the cookie carrying the session id (letters, digits, `_`, `-`).
    pub cookie_name: String,
    /// Seconds of inactivity after which a session is dead.
    pub idle_timeout_secs: NonZeroU64,
    /// Seconds after creation after which a session is dead, active or not.
    pub absolute_timeout_secs: NonZeroU64,
    /// Sets the cookie's `Secure` flag (serve over HTTPS when true).
    pub secure: bool,
    /// Seconds between two purges of expired rows by the running app.
    pub purge_interval_secs: NonZeroU64,
    /// Where sessions are kept.
    pub store: StoreKind,
    /// The Redis server of the `redis` and `cached_database` stores.
    pub redis_url: String,
    /// What the names of the sessions' Redis keys start with (our own key).
    pub redis_prefix: String,
}

/// `session.store`: where sessions are kept, like Django's `SESSION_ENGINE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// The app's database (the default).
    Database,
    /// A Redis server only.
    Redis,
    /// Written to the database and to Redis, read from Redis first.
    CachedDatabase,
}

/// `[session]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    cookie_name: String,
    idle_timeout_secs: u64,
    absolute_timeout_secs: u64,
    secure: bool,
    purge_interval_secs: u64,
    store: String,
    redis_url: String,
    redis_prefix: String,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            cookie_name: "slotwise_session".into(),
            idle_timeout_secs: 1800,
            absolute_timeout_secs: 86400,
            secure: false,
            purge_interval_secs: 300,
            store: "database".into(),
            redis_url: "redis://127.0.0.1:6379/0".into(),
            redis_prefix: "slotwise:session:".into(),
        }
    }
}

impl TryFrom<Raw> for SessionConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let name_ok = !raw.cookie_name.is_empty()
            && raw.cookie_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(ConfigError::new(
                "session.cookie_name",
                format!("`{}`: use letters, digits, `_` or `-`", raw.cookie_name),
            ));
        }
        if raw.redis_prefix.is_empty() {
            // NOTE: the purge walks every key under the prefix; an empty one
            // would be the whole Redis database.
            return Err(ConfigError::new("session.redis_prefix", "is empty; e.g. \"slotwise:session:\""));
        }
        Ok(SessionConfig {
            cookie_name: raw.cookie_name,
            idle_timeout_secs: ConfigError::non_zero("session.idle_timeout_secs", raw.idle_timeout_secs)?,
            absolute_timeout_secs: ConfigError::non_zero("session.absolute_timeout_secs", raw.absolute_timeout_secs)?,
            secure: raw.secure,
            purge_interval_secs: ConfigError::non_zero("session.purge_interval_secs", raw.purge_interval_secs)?,
            store: match raw.store.as_str() {
                "database" => StoreKind::Database,
                "redis" => StoreKind::Redis,
                "cached_database" => StoreKind::CachedDatabase,
                other => {
                    return Err(ConfigError::new(
                        "session.store",
                        format!("`{other}`: use \"database\", \"redis\" or \"cached_database\""),
                    ))
                }
            },
            redis_url: raw.redis_url,
            redis_prefix: raw.redis_prefix,
        })
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [session] is valid")
    }
}
