//! A table of rows waiting for delivery, and the lease protocol its sender
//! follows: the outbox's emails and the webhooks' deliveries are each one
//! such table (columns `status`, `due_at`, `next_attempt_at`, `attempts`,
//! `last_error`, `claimed_until`, `sent_at`), stored by their own module in
//! the transaction of the change that causes them.
//!
//! A row is `pending` until delivered (`sent`, its body blanked) or given up
//! on (`failed`). A sender claims due rows for a while (`claimed_until`), so
//! two instances never deliver one row at once, and a claim of an instance
//! that died lapses by itself.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, FromRow};

use super::{Backend, DbPool, Lane};

/// One queue table.
pub struct Queue {
    /// The table's name.
    pub table: &'static str,
    /// The columns a stored row is read with.
    pub columns: &'static str,
    /// The assignments that blank what is no longer needed once delivered
    /// (`sealed = ''`, …).
    pub blank_when_sent: &'static str,
}

impl Queue {
    /// Claims up to `batch` due rows until `lease_until`: no other instance
    /// takes them before then.
    ///
    /// NOTE: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets instances claim
    /// side by side without waiting for each other; on SQLite the statement
    /// runs on the single writer, one claim at a time.
    pub async fn claim<T>(
        &self,
        conn: &mut AnyConnection,
        backend: Backend,
        (now, lease_until): (i64, i64),
        batch: i64,
    ) -> sqlx::Result<Vec<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let (table, columns) = (self.table, self.columns);
        let lock = if backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE {table} SET claimed_until = $1 WHERE id IN (SELECT id FROM {table} \
             WHERE status = 'pending' AND next_attempt_at <= $2 AND claimed_until < $2 \
             ORDER BY next_attempt_at, id LIMIT $3 {lock}) RETURNING {columns}"
        );
        sqlx::query_as(&sql).bind(lease_until).bind(now).bind(batch).fetch_all(conn).await
    }

    /// Records a delivery: what is no longer needed goes, the row stays as
    /// a record.
    pub async fn sent<'e, E: Executor<'e, Database = Any>>(&self, exec: E, id: i64, now: i64) -> sqlx::Result<()> {
        let sql = format!(
            "UPDATE {} SET status = 'sent', sent_at = $1, {}, claimed_until = 0 WHERE id = $2",
            self.table, self.blank_when_sent
        );
        sqlx::query(&sql).bind(now).bind(id).execute(exec).await?;
        Ok(())
    }

    /// Records a failed attempt: another at `next_attempt_at`, or (with
    /// `None`) none: the row is failed.
    pub async fn attempt_failed<'e, E: Executor<'e, Database = Any>>(
        &self,
        exec: E,
        id: i64,
        error: &str,
        next_attempt_at: Option<i64>,
    ) -> sqlx::Result<()> {
        let status = if next_attempt_at.is_some() { "pending" } else { "failed" };
        let sql = format!(
            "UPDATE {} SET attempts = attempts + 1, last_error = $1, status = $2, next_attempt_at = $3, \
             claimed_until = 0 WHERE id = $4",
            self.table
        );
        let query = sqlx::query(&sql).bind(error).bind(status).bind(next_attempt_at.unwrap_or(0)).bind(id);
        query.execute(exec).await?;
        Ok(())
    }

    /// The rows with `status`, oldest first (for staff).
    pub async fn list<T>(&self, db: &DbPool, status: &str) -> sqlx::Result<Vec<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = format!("SELECT {} FROM {} WHERE status = $1 ORDER BY due_at, id", self.columns, self.table);
        db.leased(Lane::Read, async |conn| sqlx::query_as(&sql).bind(status).fetch_all(conn).await).await
    }

    /// Puts the failed rows back in the queue, due at `now`; returns how many.
    pub async fn retry_failed(&self, db: &DbPool, now: i64) -> sqlx::Result<u64> {
        let sql = format!(
            "UPDATE {} SET status = 'pending', next_attempt_at = $1, due_at = $1, claimed_until = 0 \
             WHERE status = 'failed'",
            self.table
        );
        db.durably(async |conn| Ok(sqlx::query(&sql).bind(now).execute(conn).await?.rows_affected())).await
    }

    /// How many rows are pending and how many failed, in one statement (the
    /// metrics' gauges).
    pub async fn backlog(&self, db: &DbPool) -> sqlx::Result<(i64, i64)> {
        let sql = format!(
            "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM {} WHERE status <> 'sent'",
            self.table
        );
        db.leased(Lane::Read, async |conn| sqlx::query_as(&sql).fetch_one(conn).await).await
    }
}
