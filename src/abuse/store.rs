//! SQL for the limits that span sessions: counted events by key, and the
//! key rows whose update serialises the checks of one key.

use sqlx::{Any, Executor, FromRow, Transaction};

/// Takes the lock of `key` inside `tx` (creating its row on first use).
pub async fn lock_key(tx: &mut Transaction<'_, Any>, key: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO abuse_keys (key, touched_at) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET touched_at = $2",
    )
    .bind(key)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many events `key` has after `since`, and the oldest of them.
pub async fn window(tx: &mut Transaction<'_, Any>, key: &str, since: i64) -> sqlx::Result<(i64, Option<i64>)> {
    #[derive(FromRow)]
    struct Window {
        events: i64,
        oldest: Option<i64>,
    }
    let window: Window =
        sqlx::query_as("SELECT COUNT(*) AS events, MIN(at) AS oldest FROM abuse_events WHERE key = $1 AND at > $2")
            .bind(key)
            .bind(since)
            .fetch_one(&mut **tx)
            .await?;
    Ok((window.events, window.oldest))
}

/// Counts one event of `key` at `now`; returns its id.
pub async fn count(tx: &mut Transaction<'_, Any>, key: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO abuse_events (key, at) VALUES ($1, $2) RETURNING id")
        .bind(key)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
}

/// Takes back the events `ids` (a send that did not happen).
pub async fn uncount<'e, E: Executor<'e, Database = Any>>(exec: E, ids: &[i64]) -> sqlx::Result<()> {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    if !list.is_empty() {
        sqlx::query(&format!("DELETE FROM abuse_events WHERE id IN ({list})")).execute(exec).await?;
    }
    Ok(())
}

/// Deletes up to `batch` events older than `before`; returns how many went.
pub async fn purge_events<'e, E: Executor<'e, Database = Any>>(exec: E, before: i64, batch: i64) -> sqlx::Result<u64> {
    let sql = "DELETE FROM abuse_events WHERE id IN (SELECT id FROM abuse_events WHERE at < $1 LIMIT $2)";
    Ok(sqlx::query(sql).bind(before).bind(batch).execute(exec).await?.rows_affected())
}

/// Deletes up to `batch` keys untouched since `before`; returns how many went.
pub async fn purge_keys<'e, E: Executor<'e, Database = Any>>(exec: E, before: i64, batch: i64) -> sqlx::Result<u64> {
    let sql = "DELETE FROM abuse_keys WHERE key IN (SELECT key FROM abuse_keys WHERE touched_at < $1 LIMIT $2)";
    Ok(sqlx::query(sql).bind(before).bind(batch).execute(exec).await?.rows_affected())
}
