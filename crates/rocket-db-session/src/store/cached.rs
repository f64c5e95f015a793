//! `session.store = "cached_database"`, Django's `cached_db`: the database
//! is the source of truth (every write goes through [`DatabaseStore`]), and
//! Redis holds a copy of each session that reads use when it is current.
//!
//! # Why a copy in Redis is never stale
//! A copy carries the database row's `version` (`\0ver`), which every update
//! of the row increments in the same statement; ids are never reused, so a
//! (key, version) pair names exactly one content. A read asks Redis for the
//! copy and, at the same time, the database for the row's `version` and
//! deadlines only (a primary-key lookup of three integers, no data): the copy
//! is served only when its version is the row's. Anything else — no copy, an
//! older one, Redis down — reads the row in full and refills Redis.
//!
//! NOTE: so no instance has to remember anything. Instance A writes the
//! database while Redis is down (or unreachable from A alone) and its Redis
//! write fails; when Redis answers again with an old copy, instance B sees
//! that copy's version behind the row's and reads the database. The price is
//! that a read still costs one small database statement; what the copy saves
//! is moving and parsing the data. Redis failures are logged and skipped for
//! [`BACKOFF_MS`], so while Redis is down sessions are served from the
//! database at its own speed, while `/healthz` answers `503` (see
//! [`CachedDatabaseStore::check`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Script;
use serde_json::Map;

use super::database::Stored;
use super::redis::{record, RedisStore, VER};
use super::{parse_data, DatabaseStore, New, Record, SessionStore, StoreError, Update};
use crate::db::{on, Connections, Lane};

/// How long a Redis call of this store may take: the database answers anyway.
const REDIS_WITHIN: Duration = Duration::from_millis(250);
/// After a Redis failure, Redis is left alone this long (ms).
const BACKOFF_MS: u64 = 1000;

/// `refill`: KEYS[1] the copy; ARGV version, absolute deadline, then
/// field/value pairs. Replaces the copy unless it holds the same or a later
/// version (a slower refill never puts an older copy back); the copy lives
/// until the absolute deadline (idle deadlines are the database's).
const REFILL: &str = r#"
local ver = tonumber(redis.call('HGET', KEYS[1], '\0ver'))
if ver and ver >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '\0ver', ARGV[1], '\0exp', ARGV[2], '\0abs', ARGV[2], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
"#;

/// Sessions in the database, with copies in Redis.
pub struct CachedDatabaseStore<C: Connections> {
    database: DatabaseStore<C>,
    head: String,
    redis: RedisStore,
    refill: Script,
    /// Milliseconds after `started` before which Redis is not asked (after a failure).
    redis_pause_until: AtomicU64,
    /// What [`Self::redis_pause_until`] counts from.
    // NOTE: a monotonic measure of how long Redis has been left alone, not
    // the app's clock: the pause is about the network, not about sessions.
    started: Instant,
}

/// The row's version and deadlines.
#[derive(sqlx::FromRow)]
struct Head {
    version: i64,
    expires_at: i64,
    absolute_expires_at: i64,
}

impl<C: Connections> CachedDatabaseStore<C> {
    /// The store on `database`, with copies in `redis`.
    pub fn new(database: DatabaseStore<C>, redis: RedisStore) -> CachedDatabaseStore<C> {
        let head =
            format!("SELECT version, expires_at, absolute_expires_at FROM {} WHERE id_hash = $1", database.table());
        CachedDatabaseStore {
            database,
            head,
            redis,
            refill: Script::new(REFILL),
            redis_pause_until: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs a Redis call unless Redis failed less than [`BACKOFF_MS`] ago;
    /// `None` when skipped or failed (logged).
    async fn try_redis<T>(&self, call: impl std::future::Future<Output = Result<T, StoreError>>) -> Option<T> {
        if self.elapsed_ms() < self.redis_pause_until.load(Ordering::Relaxed) {
            return None;
        }
        match call.await {
            Ok(value) => Some(value),
            Err(e) => {
                rocket::warn!("session copy in Redis skipped: {e}");
                self.redis_pause_until.store(self.elapsed_ms() + BACKOFF_MS, Ordering::Relaxed);
                None
            }
        }
    }

    async fn head(&self, key: &str) -> Result<Option<Head>, StoreError> {
        let query = sqlx::query_as(&self.head).bind(key);
        Ok(on(self.database.connections(), Lane::Read).fetch_optional(query).await?)
    }

    /// Copies `row`, stored under `key`, to Redis.
    async fn copy_row(&self, key: &str, row: &Stored) {
        self.copy(key, row.version, row.absolute_expires_at, &parse_data(&row.data)).await;
    }

    /// Writes the copy of version `version` (best effort).
    async fn copy(&self, key: &str, version: i64, absolute: i64, data: &Map<String, serde_json::Value>) {
        let mut invocation = self.refill.key(self.redis.name(key));
        invocation.arg(version).arg(absolute);
        for (field, value) in data {
            invocation.arg(field).arg(value.to_string());
        }
        let call = self
            .redis
            .run_within(REDIS_WITHIN, |mut conn| async move { invocation.invoke_async::<i64>(&mut conn).await });
        self.try_redis(call).await;
    }

    /// Deletes the copy under `key` (best effort: a copy left behind is
    /// never served, its version being behind or its row gone).
    async fn drop_copy(&self, key: &str) {
        let name = self.redis.name(key);
        let call = self.redis.run_within(REDIS_WITHIN, |mut conn| async move {
            redis::cmd("DEL").arg(name).query_async::<i64>(&mut conn).await
        });
        self.try_redis(call).await;
    }
}

#[rocket::async_trait]
impl<C: Connections> SessionStore for CachedDatabaseStore<C> {
    /// The copy (`HGETALL`) and the row's head, at once; the copy when its
    /// version is the row's, else the row (and a refill).
    async fn load(&self, key: &str, now: i64) -> Result<Option<Record>, StoreError> {
        let (copy, head) = tokio::join!(self.try_redis(self.redis.fields(key, REDIS_WITHIN)), self.head(key));
        let Some(head) = head?.filter(|h| h.expires_at > now) else { return Ok(None) };
        let copied = copy.filter(|fields| fields.get(VER).and_then(|v| v.parse::<i64>().ok()) == Some(head.version));
        if let Some(copy) = copied.and_then(|fields| record(fields, now)) {
            return Ok(Some(Record {
                data: copy.data,
                expires_at: head.expires_at,
                absolute_expires_at: head.absolute_expires_at,
            }));
        }
        let Some(row) = self.database.stored(key).await? else { return Ok(None) };
        self.copy_row(key, &row).await;
        Ok(Some(row).filter(|r| r.expires_at > now).map(|r| Record {
            data: parse_data(&r.data),
            expires_at: r.expires_at,
            absolute_expires_at: r.absolute_expires_at,
        }))
    }

    /// The row (version 1), then its copy.
    async fn create(&self, new: New<'_>) -> Result<(), StoreError> {
        let (key, data, absolute) = (new.key, new.data, new.absolute_expires_at);
        self.database.create(new).await?;
        self.copy(key, 1, absolute, data).await;
        Ok(())
    }

    /// The row's update, which returns the row as it now is, then its copy.
    async fn update(&self, update: Update<'_>) -> Result<bool, StoreError> {
        let (key, new_key) = (update.key, update.new_key);
        let Some(row) = self.database.update_returning(update).await? else { return Ok(false) };
        if let Some(new_key) = new_key {
            self.drop_copy(key).await;
            self.copy_row(new_key, &row).await;
        } else {
            self.copy_row(key, &row).await;
        }
        Ok(true)
    }

    /// The row only: copies do not hold the idle deadline.
    async fn touch(&self, key: &str, expires_at: i64, now: i64) -> Result<(), StoreError> {
        self.database.touch(key, expires_at, now).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.database.delete(key).await?;
        self.drop_copy(key).await;
        Ok(())
    }

    /// The rows, then their copies.
    async fn delete_holding(&self, text: &str) -> Result<u64, StoreError> {
        let keys = self.database.delete_holding_keys(text).await?;
        for key in &keys {
            self.drop_copy(key).await;
        }
        Ok(keys.len() as u64)
    }

    /// The database's purge; copies expire in Redis at their absolute
    /// deadline, and a copy without its row is never served.
    async fn purge(&self, now: i64) -> Result<u64, StoreError> {
        self.database.purge(now).await
    }

    /// Redis (the database is the app's own health check).
    ///
    /// NOTE: an unreachable Redis fails the check on this store too,
    /// although sessions are still served from the database meanwhile: the
    /// operator learns that the copies are off.
    async fn check(&self) -> Result<(), StoreError> {
        self.redis.check().await
    }
}
