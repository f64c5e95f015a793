//! SQL for sessions. Rows are keyed by the id's hash and carry a version that
//! every write bumps, so a save can tell whether someone wrote in between.
//! Each function runs one statement on any executor: a leased connection on
//! the request path, the pool elsewhere.

use sqlx::{Any, Executor, Row};

use crate::db::big_int;

/// One stored session.
#[derive(Debug, Clone)]
pub struct Record {
    /// The JSON object of values.
    pub data: String,
    /// Bumped by each write.
    pub version: i64,
    /// Unix ms: end of the session's life unless refreshed by activity.
    pub expires_at: i64,
    /// Unix ms: end of the session's life, whatever happens.
    pub absolute_expires_at: i64,
}

/// Loads the live session stored under `key`, if any.
///
/// NOTE: the deadline is checked here, not in SQL. With `expires_at > $2` in
/// the query, PostgreSQL planned every lookup afresh and, to estimate that
/// range, probed the end of the `expires_at` index — which, while a purge
/// deletes from that very end, means walking dead entries: 15–40 ms per
/// lookup during the purge of a million sessions. A bare primary-key lookup
/// has one cached plan.
pub async fn load<'e, E: Executor<'e, Database = Any>>(exec: E, key: &str, now: i64) -> sqlx::Result<Option<Record>> {
    let row = sqlx::query(
        "SELECT data, CAST(version AS TEXT), CAST(expires_at AS TEXT), CAST(absolute_expires_at AS TEXT) FROM sessions \
         WHERE id_hash = $1",
    )
    .bind(key)
    .fetch_optional(exec)
    .await?;
    let record = row
        .map(|r| {
            Ok::<_, sqlx::Error>(Record {
                data: r.try_get(0)?,
                version: big_int(&r, 1)?,
                expires_at: big_int(&r, 2)?,
                absolute_expires_at: big_int(&r, 3)?,
            })
        })
        .transpose()?;
    Ok(record.filter(|r| r.expires_at > now))
}

/// Stores a new session.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    key: &str,
    data: &str,
    now: i64,
    expires_at: i64,
    absolute: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, data, version, created_at, expires_at, absolute_expires_at) \
         VALUES ($1, $2, 1, $3, $4, $5)",
    )
    .bind(key)
    .bind(data)
    .bind(now)
    .bind(expires_at)
    .bind(absolute)
    .execute(exec)
    .await?;
    Ok(())
}

/// Writes `data` if the row still has `version`, and with it a new key (when
/// the id was cycled) and a new idle deadline (when one is due). Returns false
/// when another request wrote first or the row is gone.
///
/// NOTE: the key and the deadline are only assigned when they change: an
/// assigned primary key makes SQLite delete and re-insert the row, and an
/// assigned indexed column costs an index update on both backends (and
/// rules out PostgreSQL's in-page "HOT" update).
pub async fn update_if_version<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    key: &str,
    new_key: Option<&str>,
    data: &str,
    version: i64,
    expires_at: Option<i64>,
) -> sqlx::Result<bool> {
    let mut set = String::from("data = $1, version = version + 1");
    let mut n = 1;
    if new_key.is_some() {
        n += 1;
        set.push_str(&format!(", id_hash = ${n}"));
    }
    if expires_at.is_some() {
        n += 1;
        set.push_str(&format!(", expires_at = ${n}"));
    }
    let sql = format!("UPDATE sessions SET {set} WHERE id_hash = ${} AND version = ${}", n + 1, n + 2);
    let mut query = sqlx::query(&sql).bind(data);
    if let Some(new_key) = new_key {
        query = query.bind(new_key);
    }
    if let Some(expires_at) = expires_at {
        query = query.bind(expires_at);
    }
    let done = query.bind(key).bind(version).execute(exec).await?;
    Ok(done.rows_affected() == 1)
}

/// Pushes the idle deadline of a live session forward.
pub async fn touch<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    key: &str,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<()> {
    // NOTE: the bounds are written as differences so that PostgreSQL does
    // not probe the `expires_at` index to plan them (see `load`).
    sqlx::query(
        "UPDATE sessions SET expires_at = $1 WHERE id_hash = $2 AND expires_at - $3 > 0 AND $1 - expires_at > 0",
    )
    .bind(expires_at)
    .bind(key)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

/// Deletes one session.
pub async fn delete<'e, E: Executor<'e, Database = Any>>(exec: E, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(key).execute(exec).await?;
    Ok(())
}

/// Deletes up to `batch` expired sessions; returns how many went.
pub async fn purge_batch<'e, E: Executor<'e, Database = Any>>(exec: E, now: i64, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE id_hash IN \
         (SELECT id_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
    )
    .bind(now)
    .bind(batch)
    .execute(exec)
    .await?;
    Ok(done.rows_affected())
}
