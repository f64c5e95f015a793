//! [`SessionConfig`]: the cookie, the two timeouts, the purge interval,
//! where sessions are kept and under which names. Read from the `session`
//! table of Rocket's figment (`[default.session]` in `Rocket.toml`,
//! `ROCKET_SESSION={...}`), or built in code from [`SessionConfig::default`].

use std::num::NonZeroU64;

use serde::Deserialize;

/// The session settings, checked: every value here is usable.
///
/// ```
/// use rocket_db_session::SessionConfig;
///
/// let config: SessionConfig = rocket::figment::Figment::new()
///     .merge(("session.idle_timeout_secs", 600))
///     .extract_inner("session")
///     .unwrap();
/// assert_eq!(config.idle_timeout_secs.get(), 600);
/// assert_eq!(config.cookie_name, "session");
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct SessionConfig {
    /// `cookie_name`: the cookie carrying the session id (letters, digits,
    /// `_`, `-`); default `session`.
    pub cookie_name: String,
    /// `idle_timeout_secs`: a session unused this long is dead; default 1800.
    pub idle_timeout_secs: NonZeroU64,
    /// `absolute_timeout_secs`: a session this old is dead, however active;
    /// default 86400.
    pub absolute_timeout_secs: NonZeroU64,
    /// `secure`: sets the cookie's `Secure` flag (serve over HTTPS when
    /// true); default false.
    pub secure: bool,
    /// `purge_interval_secs`: seconds between two purges of expired
    /// sessions by the running app; default 300.
    pub purge_interval_secs: NonZeroU64,
    /// `store`: where sessions are kept; default `database`.
    pub store: StoreKind,
    /// `database_url`: the database of the database stores when the app
    /// gives none of its own ([`crate::SessionStage::database`]), e.g.
    /// `sqlite://sessions.db?mode=rwc`.
    pub database_url: Option<String>,
    /// `table`: the sessions' table (letters, digits, `_`); default
    /// `sessions`.
    pub table: String,
    /// `redis_url`: the Redis server of the `redis` and `cached_database`
    /// stores; default `redis://127.0.0.1:6379/0`.
    pub redis_url: String,
    /// `redis_prefix`: what the names of the sessions' Redis keys start
    /// with (the purge walks every key under it); default `session:`.
    pub redis_prefix: String,
}

/// `store`: where sessions are kept, like Django's `SESSION_ENGINE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// A table in the database (the default).
    Database,
    /// A Redis server only.
    Redis,
    /// Written to the database and to Redis, read from Redis first (when
    /// Redis holds the database's current version).
    CachedDatabase,
}

/// A bad setting, named by its key under the `session` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration `{key}`: {message}")]
pub struct ConfigError {
    /// The dotted key, e.g. `session.idle_timeout_secs`.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { key: key.into(), message: message.into() }
    }
}

/// The `session` table as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    cookie_name: String,
    idle_timeout_secs: u64,
    absolute_timeout_secs: u64,
    secure: bool,
    purge_interval_secs: u64,
    store: String,
    database_url: Option<String>,
    table: String,
    redis_url: String,
    redis_prefix: String,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            cookie_name: "session".into(),
            idle_timeout_secs: 1800,
            absolute_timeout_secs: 86400,
            secure: false,
            purge_interval_secs: 300,
            store: "database".into(),
            database_url: None,
            table: "sessions".into(),
            redis_url: "redis://127.0.0.1:6379/0".into(),
            redis_prefix: "session:".into(),
        }
    }
}

fn non_zero(key: &str, value: u64) -> Result<NonZeroU64, ConfigError> {
    NonZeroU64::new(value).ok_or_else(|| ConfigError::new(key, format!("is {value}; must be at least 1")))
}

impl TryFrom<Raw> for SessionConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let name_ok = !raw.cookie_name.is_empty()
            && raw.cookie_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            let message = format!("`{}`: use letters, digits, `_` or `-`", raw.cookie_name);
            return Err(ConfigError::new("session.cookie_name", message));
        }
        // NOTE: the table's name is written into SQL; only a plain
        // identifier can be.
        let table_ok = raw.table.len() <= 48
            && raw.table.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && raw.table.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !table_ok {
            let message = format!("`{}`: use a letter, then letters, digits or `_` (at most 48)", raw.table);
            return Err(ConfigError::new("session.table", message));
        }
        if raw.redis_prefix.is_empty() {
            // NOTE: the purge walks every key under the prefix; an empty one
            // would be the whole Redis database.
            return Err(ConfigError::new("session.redis_prefix", "is empty; e.g. \"myapp:session:\""));
        }
        let store = match raw.store.as_str() {
            "database" => StoreKind::Database,
            "redis" => StoreKind::Redis,
            "cached_database" => StoreKind::CachedDatabase,
            other => {
                let message = format!("`{other}`: use \"database\", \"redis\" or \"cached_database\"");
                return Err(ConfigError::new("session.store", message));
            }
        };
        Ok(SessionConfig {
            cookie_name: raw.cookie_name,
            idle_timeout_secs: non_zero("session.idle_timeout_secs", raw.idle_timeout_secs)?,
            absolute_timeout_secs: non_zero("session.absolute_timeout_secs", raw.absolute_timeout_secs)?,
            secure: raw.secure,
            purge_interval_secs: non_zero("session.purge_interval_secs", raw.purge_interval_secs)?,
            store,
            database_url: raw.database_url.filter(|url| !url.is_empty()),
            table: raw.table,
            redis_url: raw.redis_url,
            redis_prefix: raw.redis_prefix,
        })
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default session settings are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::figment::Figment;

    fn read(pairs: &[(&str, &str)]) -> Result<SessionConfig, String> {
        let figment = pairs.iter().fold(Figment::new(), |f, (k, v)| f.merge((format!("session.{k}"), *v)));
        figment.extract_inner::<SessionConfig>("session").map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_usable() {
        let config = SessionConfig::default();
        assert_eq!((config.cookie_name.as_str(), config.table.as_str()), ("session", "sessions"));
        assert_eq!(config.store, StoreKind::Database);
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            ("cookie_name", "a b", "session.cookie_name"),
            ("table", "sessions; drop", "session.table"),
            ("table", "1sessions", "session.table"),
            ("redis_prefix", "", "session.redis_prefix"),
            ("store", "memcached", "session.store"),
        ];
        for (key, value, named) in cases {
            let error = read(&[(key, value)]).unwrap_err();
            assert!(error.contains(&format!("`{named}`")), "{key}={value}: {error}");
        }
        let error = Figment::new().merge(("session.idle_timeout_secs", 0)).extract_inner::<SessionConfig>("session");
        assert!(error.unwrap_err().to_string().contains("session.idle_timeout_secs"));
    }

    #[test]
    fn an_unknown_key_is_refused() {
        assert!(read(&[("cookie", "x")]).is_err());
    }
}
