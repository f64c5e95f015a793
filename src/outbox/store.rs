//! SQL for the outbox: storing emails inside the caller's transaction,
//! claiming due ones for delivery, and recording how a delivery went.

use sqlx::{Any, AnyConnection, Executor, Transaction};

use crate::db::Backend;

/// An email to store, already sealed.
pub struct NewEmail<'a> {
    /// `confirmation`, `cancellation` or `reminder`.
    pub kind: &'a str,
    /// The booking it is about.
    pub reference: &'a str,
    /// Its `Message-ID`, without angle brackets.
    pub message_id: &'a str,
    /// The envelope's address.
    pub recipient: &'a str,
    /// The formatted message, sealed.
    pub sealed: &'a str,
    /// Unix ms when it may go.
    pub due_at: i64,
}

/// A stored email, as the sender and `slotwise outbox` see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    /// Row id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Booking reference.
    pub reference: String,
    /// Envelope address.
    pub recipient: String,
    /// The sealed message ('' once sent).
    pub sealed: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Unix ms when it was due.
    pub due_at: i64,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: String,
}

const COLUMNS: &str = "id, kind, reference, recipient, sealed, status, due_at, attempts, last_error";

/// Stores `email` inside `tx` (the transaction of the change it reports).
pub async fn insert(tx: &mut Transaction<'_, Any>, email: &NewEmail<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (kind, reference, message_id, recipient, sealed, status, due_at, next_attempt_at, \
         attempts, last_error, claimed_until, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, 0, '', 0, $7)",
    )
    .bind(email.kind)
    .bind(email.reference)
    .bind(email.message_id)
    .bind(email.recipient)
    .bind(email.sealed)
    .bind(email.due_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Drops the pending reminders of `reference` inside `tx` (it was cancelled).
pub async fn drop_reminders(tx: &mut Transaction<'_, Any>, reference: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM outbox WHERE reference = $1 AND kind = 'reminder' AND status = 'pending'")
        .bind(reference)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the emails to `address` (without regard to case) not yet sent,
/// and blanks the address (and the last error, which may quote it) of those
/// sent, inside `tx` (its contact details are being erased).
pub async fn forget_recipient(tx: &mut Transaction<'_, Any>, address: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM outbox WHERE LOWER(recipient) = LOWER($1) AND status <> 'sent'")
        .bind(address)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE outbox SET recipient = '', last_error = '' WHERE LOWER(recipient) = LOWER($1)")
        .bind(address)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Blanks the address and last error of the emails about the bookings
/// erased at `erased_at` (unix ms: one retention batch), inside `tx`.
pub async fn forget_erased(tx: &mut Transaction<'_, Any>, erased_at: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET recipient = '', last_error = '' WHERE recipient <> '' AND reference IN \
         (SELECT reference FROM bookings WHERE erased_at = $1)",
    )
    .bind(erased_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Claims up to `batch` due emails until `lease_until`: no other instance
/// takes them before then.
///
/// NOTE: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets instances claim side by
/// side without waiting for each other; on SQLite the statement runs on the
/// single writer, one claim at a time.
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    lease_until: i64,
    batch: i64,
) -> sqlx::Result<Vec<Stored>> {
    let lock = if backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox \
         WHERE status = 'pending' AND next_attempt_at <= $2 AND claimed_until < $2 \
         ORDER BY next_attempt_at LIMIT $3 {lock}) RETURNING {COLUMNS}"
    );
    sqlx::query_as(&sql).bind(lease_until).bind(now).bind(batch).fetch_all(conn).await
}

/// Records a delivery: the body goes, the row stays as a record.
pub async fn sent<'e, E: Executor<'e, Database = Any>>(exec: E, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, sealed = '', claimed_until = 0 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(exec)
        .await?;
    Ok(())
}

/// Records a failed attempt: another at `next_attempt_at`, or (with `None`)
/// none: the email is failed.
pub async fn attempt_failed<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id: i64,
    error: &str,
    next_attempt_at: Option<i64>,
) -> sqlx::Result<()> {
    let status = if next_attempt_at.is_some() { "pending" } else { "failed" };
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, status = $2, next_attempt_at = $3, \
         claimed_until = 0 WHERE id = $4",
    )
    .bind(error)
    .bind(status)
    .bind(next_attempt_at.unwrap_or(0))
    .bind(id)
    .execute(exec)
    .await?;
    Ok(())
}

/// Emails with `status`, oldest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(exec: E, status: &str) -> sqlx::Result<Vec<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE status = $1 ORDER BY due_at, id");
    sqlx::query_as(&sql).bind(status).fetch_all(exec).await
}

/// Puts failed emails back in the queue, due at once; returns how many.
pub async fn retry_failed<'e, E: Executor<'e, Database = Any>>(exec: E, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', next_attempt_at = $1, due_at = $1, claimed_until = 0 \
         WHERE status = 'failed'",
    )
    .bind(now)
    .execute(exec)
    .await?;
    Ok(done.rows_affected())
}

/// How many emails are pending and how many failed, in one statement.
pub async fn backlog<'e, E: Executor<'e, Database = Any>>(exec: E) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM outbox WHERE status <> 'sent'",
    )
    .fetch_one(exec)
    .await
}
