//! `session.store = "redis"`: sessions in a Redis server, one hash per
//! session under `<session.redis_prefix><id hash>`.
//!
//! Layout: one hash field per session key, its value the JSON text; three
//! metadata fields, `\0exp` and `\0abs`, the idle and absolute deadlines in
//! unix ms, and `\0ver`, a count of writes like the database's `version` (a
//! NUL byte cannot start a session key, see `valid_key`). The
//! hash itself expires (`PEXPIREAT`) at the earlier of the two, so the server
//! enforces both timeouts; reads also treat a passed `\0exp` as absent.
//!
//! Every write that must be atomic is one Lua script, sent as `EVALSHA`
//! (`EVAL` once after a restart); see the scripts below for what each runs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use serde_json::{Map, Value};

use super::{New, Record, SessionStore, StoreError, Update};

/// Hash field of the idle deadline (unix ms).
const EXP: &str = "\0exp";
/// Hash field of the absolute deadline (unix ms).
const ABS: &str = "\0abs";
/// Hash field of the count of writes.
pub(super) const VER: &str = "\0ver";
/// Keys examined per `SCAN` step of a purge.
const SCAN_COUNT: usize = 500;

/// Connecting, and waiting for one reply, each give up after this long.
const IO_TIMEOUT: Duration = Duration::from_millis(500);
/// Bound on a whole operation (a reconnection under way included), so that a
/// session page answers `503` within a second while Redis is unreachable.
const OP_TIMEOUT: Duration = Duration::from_millis(900);

/// `create`: KEYS[1] the hash; ARGV exp, abs, then field/value pairs.
const CREATE: &str = r#"
redis.call('HSET', KEYS[1], '\0ver', 1, '\0exp', ARGV[1], '\0abs', ARGV[2], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], math.min(tonumber(ARGV[1]), tonumber(ARGV[2])))
return 1
"#;

/// `update`: KEYS[1] the hash, KEYS[2] the new name (or KEYS[1]); ARGV now,
/// new idle deadline or '', count of removed fields, the removed fields, then
/// field/value pairs to set. 0 (nothing written) when the session is gone or
/// past its idle deadline; an error, before any write, if KEYS[2] is taken.
const UPDATE: &str = r#"
local exp = tonumber(redis.call('HGET', KEYS[1], '\0exp'))
if not exp or exp <= tonumber(ARGV[1]) then return 0 end
if KEYS[2] ~= KEYS[1] and redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('session key taken')
end
local removed = tonumber(ARGV[3])
if removed > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 4, 3 + removed)) end
if #ARGV > 3 + removed then redis.call('HSET', KEYS[1], unpack(ARGV, 4 + removed)) end
redis.call('HINCRBY', KEYS[1], '\0ver', 1)
if KEYS[2] ~= KEYS[1] then redis.call('RENAME', KEYS[1], KEYS[2]) end
if ARGV[2] ~= '' then
  exp = tonumber(ARGV[2])
  redis.call('HSET', KEYS[2], '\0exp', ARGV[2])
end
local abs = tonumber(redis.call('HGET', KEYS[2], '\0abs')) or exp
redis.call('PEXPIREAT', KEYS[2], math.min(exp, abs))
return 1
"#;

/// `touch`: KEYS[1] the hash; ARGV new idle deadline, now. Only a live
/// session, and only a later deadline.
const TOUCH: &str = r#"
local exp = tonumber(redis.call('HGET', KEYS[1], '\0exp'))
local new = tonumber(ARGV[1])
if not exp or exp <= tonumber(ARGV[2]) or new <= exp then return 0 end
redis.call('HSET', KEYS[1], '\0exp', ARGV[1])
local abs = tonumber(redis.call('HGET', KEYS[1], '\0abs')) or new
redis.call('PEXPIREAT', KEYS[1], math.min(new, abs))
return 1
"#;

/// `purge`: KEYS the keys one `SCAN` step found; ARGV now. Deletes the
/// sessions past a stored deadline and counts them; anything else under the
/// prefix (not a hash, or a hash without a deadline) is left alone.
const PURGE: &str = r#"
local now, n = tonumber(ARGV[1]), 0
for _, key in ipairs(KEYS) do
  if redis.call('TYPE', key).ok == 'hash' then
    local exp = tonumber(redis.call('HGET', key, '\0exp'))
    local abs = tonumber(redis.call('HGET', key, '\0abs'))
    if exp and (exp <= now or (abs and abs <= now)) then
      n = n + redis.call('DEL', key)
    end
  end
end
return n
"#;

/// Sessions in Redis, through one multiplexed connection that reconnects by
/// itself.
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    scripts: Scripts,
}

struct Scripts {
    create: Script,
    update: Script,
    touch: Script,
    purge: Script,
}

impl RedisStore {
    /// The store on the server at `url`, its keys starting with `prefix`.
    ///
    /// NOTE: connects lazily: an unreachable server at launch does not stop
    /// the app, whose session pages answer `503` until Redis answers. Only a
    /// malformed URL is an error.
    pub fn open(url: &str, prefix: &str) -> Result<RedisStore, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(IO_TIMEOUT))
            .set_response_timeout(Some(IO_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        let scripts = Scripts {
            create: Script::new(CREATE),
            update: Script::new(UPDATE),
            touch: Script::new(TOUCH),
            purge: Script::new(PURGE),
        };
        Ok(RedisStore { conn, prefix: prefix.to_string(), scripts })
    }

    /// The Redis key of the session stored under `key`.
    pub(super) fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs one operation bounded by [`OP_TIMEOUT`].
    async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        self.run_within(OP_TIMEOUT, op).await
    }

    /// Runs one operation on a clone of the connection (clones share it),
    /// bounded by `within`.
    pub(super) async fn run_within<T, F, Fut>(&self, within: Duration, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(within, op(self.conn.clone())).await {
            Ok(result) => result.map_err(|e| StoreError::Redis(e.to_string())),
            Err(_) => Err(StoreError::Redis(format!("no answer within {within:?}"))),
        }
    }

    /// The stored hash of `key` as it is: every field, metadata included.
    pub(super) async fn fields(&self, key: &str, within: Duration) -> Result<HashMap<String, String>, StoreError> {
        let name = self.name(key);
        self.run_within(within, |mut conn| async move { redis::cmd("HGETALL").arg(name).query_async(&mut conn).await })
            .await
    }

    /// Purges one `SCAN` step's keys; the next cursor and how many went.
    async fn purge_step(&self, cursor: u64, pattern: &str, now: i64) -> Result<(u64, u64), StoreError> {
        let (next, keys): (u64, Vec<String>) = self
            .run(|mut conn| async move {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        if keys.is_empty() {
            return Ok((next, 0));
        }
        let mut invocation = self.scripts.purge.prepare_invoke();
        invocation.arg(now);
        for key in &keys {
            invocation.key(key);
        }
        let gone: u64 = self.run(|mut conn| async move { invocation.invoke_async(&mut conn).await }).await?;
        Ok((next, gone))
    }
}

/// A stored hash as a live [`Record`]: `None` when empty or past its idle
/// deadline at `now`.
pub(super) fn record(mut fields: HashMap<String, String>, now: i64) -> Option<Record> {
    let deadline = |fields: &mut HashMap<String, String>, field: &str| fields.remove(field)?.parse::<i64>().ok();
    let expires_at = deadline(&mut fields, EXP)?;
    let absolute_expires_at = deadline(&mut fields, ABS).unwrap_or(expires_at);
    if expires_at <= now || absolute_expires_at <= now {
        return None;
    }
    let data: Map<String, Value> = fields
        .into_iter()
        .filter(|(field, _)| !field.starts_with('\0'))
        .filter_map(|(field, text)| Some((field, serde_json::from_str(&text).ok()?)))
        .collect();
    Some(Record { data, expires_at, absolute_expires_at })
}

/// `prefix` as a `SCAN MATCH` pattern of the keys that start with it.
fn match_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('*');
    pattern
}

#[rocket::async_trait]
impl SessionStore for RedisStore {
    /// One `HGETALL`.
    async fn load(&self, key: &str, now: i64) -> Result<Option<Record>, StoreError> {
        Ok(record(self.fields(key, OP_TIMEOUT).await?, now))
    }

    async fn create(&self, new: New<'_>) -> Result<(), StoreError> {
        let mut invocation = self.scripts.create.key(self.name(new.key));
        invocation.arg(new.expires_at).arg(new.absolute_expires_at);
        for (field, value) in new.data {
            invocation.arg(field).arg(value.to_string());
        }
        self.run(|mut conn| async move { invocation.invoke_async::<i64>(&mut conn).await }).await?;
        Ok(())
    }

    async fn update(&self, update: Update<'_>) -> Result<bool, StoreError> {
        let name = self.name(update.key);
        let mut invocation = self.scripts.update.key(&name);
        invocation.key(update.new_key.map_or_else(|| name.clone(), |k| self.name(k)));
        invocation.arg(update.now);
        invocation.arg(update.expires_at.map(|e| e.to_string()).unwrap_or_default());
        let removed: Vec<&String> = update.changes.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k).collect();
        invocation.arg(removed.len());
        for field in removed {
            invocation.arg(field);
        }
        for (field, value) in update.changes.iter().filter_map(|(k, v)| Some((k, v.as_ref()?))) {
            invocation.arg(field).arg(value.to_string());
        }
        let applied: i64 = self.run(|mut conn| async move { invocation.invoke_async(&mut conn).await }).await?;
        Ok(applied == 1)
    }

    async fn touch(&self, key: &str, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let mut invocation = self.scripts.touch.key(self.name(key));
        invocation.arg(expires_at).arg(now);
        self.run(|mut conn| async move { invocation.invoke_async::<i64>(&mut conn).await }).await?;
        Ok(())
    }

    /// One `DEL`.
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let name = self.name(key);
        self.run(|mut conn| async move { redis::cmd("DEL").arg(name).query_async::<i64>(&mut conn).await }).await?;
        Ok(())
    }

    /// Walks the prefix with `SCAN`, reads each hash and deletes those
    /// holding `text`.
    async fn delete_holding(&self, text: &str) -> Result<u64, StoreError> {
        let (pattern, text) = (match_pattern(&self.prefix), text.to_ascii_lowercase());
        let (mut cursor, mut gone) = (0u64, 0u64);
        loop {
            let pattern = &pattern;
            let (next, keys): (u64, Vec<String>) = self
                .run(|mut conn| async move {
                    let scan =
                        redis::cmd("SCAN").arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(SCAN_COUNT).clone();
                    scan.query_async(&mut conn).await
                })
                .await?;
            for name in keys {
                let fields: HashMap<String, String> = self
                    .run(|mut conn| {
                        let name = name.clone();
                        async move { redis::cmd("HGETALL").arg(name).query_async(&mut conn).await }
                    })
                    .await?;
                if fields.values().any(|v| v.to_ascii_lowercase().contains(&text)) {
                    self.run(|mut conn| async move { redis::cmd("DEL").arg(name).query_async::<i64>(&mut conn).await })
                        .await?;
                    gone += 1;
                }
            }
            if next == 0 {
                return Ok(gone);
            }
            cursor = next;
        }
    }

    /// Redis expires sessions itself (`PEXPIREAT`), lazily on access and by
    /// sampling; this walks the prefix with `SCAN … COUNT 500` and deletes, one
    /// script per step, the hashes already past a stored deadline.
    ///
    /// NOTE: paced like the database's purge (`db::paced`), so a
    /// big keyspace never takes more than half of Redis away from requests. Safe on several instances at once: each deletion
    /// re-checks the deadline inside the script.
    async fn purge(&self, now: i64) -> Result<u64, StoreError> {
        let pattern = match_pattern(&self.prefix);
        // The SCAN cursor, carried from one step to the next.
        let cursor = AtomicU64::new(0);
        let (pattern, cursor) = (&pattern, &cursor);
        crate::db::paced(|| async move {
            let (next, gone) = self.purge_step(cursor.load(Ordering::Relaxed), pattern, now).await?;
            cursor.store(next, Ordering::Relaxed);
            Ok((gone, next != 0))
        })
        .await
    }

    /// One `PING`.
    async fn check(&self) -> Result<(), StoreError> {
        self.run(|mut conn| async move { redis::cmd("PING").query_async::<String>(&mut conn).await }).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_becomes_a_record_without_its_metadata() {
        let fields = HashMap::from([
            (EXP.to_string(), "2000".to_string()),
            (ABS.to_string(), "3000".to_string()),
            ("lang".to_string(), "\"de\"".to_string()),
        ]);
        let record = record(fields.clone(), 1000).expect("live");
        assert_eq!((record.expires_at, record.absolute_expires_at), (2000, 3000));
        assert_eq!(record.data, serde_json::json!({"lang": "de"}).as_object().unwrap().clone());
        assert_eq!(super::record(fields, 2000), None, "past its idle deadline");
        assert_eq!(super::record(HashMap::new(), 0), None, "no hash, no session");
    }

    #[test]
    fn the_scan_pattern_matches_the_prefix_literally() {
        assert_eq!(match_pattern("app:session:"), "app:session:*");
        assert_eq!(match_pattern("t[1]*?\\"), "t\\[1\\]\\*\\?\\\\*");
    }
}
