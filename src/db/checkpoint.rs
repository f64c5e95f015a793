//! SQLite's write-ahead log, checkpointed by a task of the running app
//! instead of by the commit that crosses SQLite's threshold.

use std::time::Duration;

use super::DbPool;

/// How often the running app checkpoints the SQLite write-ahead log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// Pages in the SQLite log beyond which a checkpoint also starts it over.
const RESTART_FRAMES: i64 = 4096;

/// Checkpoints the SQLite log every [`CHECKPOINT_EVERY`] until the pool
/// closes.
///
/// NOTE: a `PASSIVE` checkpoint never waits for (nor blocks) readers or
/// writers, but the log only starts over once no reader uses it — and under
/// steady reads some reader always does: during a large purge the log grew
/// by gigabytes and every read slowed down searching it. So when the log
/// holds more than [`RESTART_FRAMES`] pages, a `RESTART` checkpoint on the
/// writer waits (briefly: reads are short) until readers have left it, and
/// the next write starts it over.
pub(super) fn spawn_checkpointer(db: DbPool) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if db.is_closed() {
                return;
            }
            if let Err(e) = checkpoint(&db).await {
                if db.is_closed() {
                    return;
                }
                rocket::warn!("checkpointing the SQLite log failed: {e}");
            }
        }
    });
}

/// See [`DbPool::truncate_log`]: a `TRUNCATE` checkpoint on the writer.
pub(super) async fn truncate(db: &DbPool) -> sqlx::Result<()> {
    if db.backend != super::Backend::Sqlite {
        return Ok(());
    }
    let mut conn = db.write_lease().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await?;
    conn.finish();
    Ok(())
}

async fn checkpoint(db: &DbPool) -> sqlx::Result<()> {
    /// `PRAGMA wal_checkpoint`'s answer (-1s when not in WAL mode).
    #[derive(sqlx::FromRow)]
    struct Checkpoint {
        /// Pages in the log.
        log: i64,
    }
    let done: Checkpoint = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&db.pool.pool).await?;
    if done.log > RESTART_FRAMES {
        let mut conn = db.write_lease().await?;
        sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&mut *conn).await?;
        conn.finish();
    }
    Ok(())
}
