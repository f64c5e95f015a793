//! SQL of the webhook deliveries: storing them inside the caller's
//! transaction, claiming due ones, recording how an attempt went, and
//! blanking the contact details of an erased address.

use sqlx::{Any, AnyConnection, Executor, Transaction};

use crate::db::Backend;

/// A delivery to store, already sealed.
pub struct NewDelivery<'a> {
    /// The event's id (the body's `id`, `Slotwise-Event-Id`).
    pub event_id: &'a str,
    /// `booking.created`, `booking.moved` or `booking.cancelled`.
    pub event: &'a str,
    /// The booking it is about.
    pub reference: &'a str,
    /// Where it goes.
    pub url: &'a str,
    /// The body without contact details, sealed.
    pub sealed: &'a str,
    /// The contact details, sealed apart.
    pub contact: &'a str,
}

/// A stored delivery, as the sender and `slotwise outbox` see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    /// Row id.
    pub id: i64,
    /// The event's id.
    pub event_id: String,
    /// The event's name.
    pub event: String,
    /// Booking reference.
    pub reference: String,
    /// Where it goes.
    pub url: String,
    /// The body without contact details, sealed ('' once delivered).
    pub sealed: String,
    /// The contact details, sealed ('' once delivered or erased).
    pub contact: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Unix ms when it was stored.
    pub due_at: i64,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: String,
}

const COLUMNS: &str = "id, event_id, event, reference, url, sealed, contact, status, due_at, attempts, last_error";

/// Stores `delivery` inside `tx` (the transaction of the booking change it
/// reports), due at `now` (unix ms).
pub async fn insert(tx: &mut Transaction<'_, Any>, delivery: &NewDelivery<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (event_id, event, reference, url, sealed, contact, status, due_at, \
         next_attempt_at, attempts, last_error, claimed_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, 0, '', 0, $7)",
    )
    .bind(delivery.event_id)
    .bind(delivery.event)
    .bind(delivery.reference)
    .bind(delivery.url)
    .bind(delivery.sealed)
    .bind(delivery.contact)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims up to `batch` due deliveries until `lease_until`: no other
/// instance takes them before then.
///
/// NOTE: as the emails' claim: `FOR UPDATE SKIP LOCKED` on PostgreSQL lets
/// instances claim side by side; on SQLite the statement runs on the single
/// writer.
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    lease_until: i64,
    batch: i64,
) -> sqlx::Result<Vec<Stored>> {
    let lock = if backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE webhook_deliveries SET claimed_until = $1 WHERE id IN (SELECT id FROM webhook_deliveries \
         WHERE status = 'pending' AND next_attempt_at <= $2 AND claimed_until < $2 \
         ORDER BY next_attempt_at, id LIMIT $3 {lock}) RETURNING {COLUMNS}"
    );
    sqlx::query_as(&sql).bind(lease_until).bind(now).bind(batch).fetch_all(conn).await
}

/// Records a delivery: the body and contact go, the row stays as a record.
pub async fn sent<'e, E: Executor<'e, Database = Any>>(exec: E, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'sent', sent_at = $1, sealed = '', contact = '', claimed_until = 0 \
         WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(exec)
    .await?;
    Ok(())
}

/// Records a failed attempt: another at `next_attempt_at`, or (with `None`)
/// none: the delivery is failed.
pub async fn attempt_failed<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id: i64,
    error: &str,
    next_attempt_at: Option<i64>,
) -> sqlx::Result<()> {
    let status = if next_attempt_at.is_some() { "pending" } else { "failed" };
    sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $1, status = $2, next_attempt_at = $3, \
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

/// Deliveries with `status`, oldest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(exec: E, status: &str) -> sqlx::Result<Vec<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE status = $1 ORDER BY due_at, id");
    sqlx::query_as(&sql).bind(status).fetch_all(exec).await
}

/// Puts failed deliveries back in the queue, due at once; returns how many.
pub async fn retry_failed<'e, E: Executor<'e, Database = Any>>(exec: E, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, due_at = $1, claimed_until = 0 \
         WHERE status = 'failed'",
    )
    .bind(now)
    .execute(exec)
    .await?;
    Ok(done.rows_affected())
}

/// How many deliveries are pending and how many failed, in one statement.
pub async fn backlog<'e, E: Executor<'e, Database = Any>>(exec: E) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM webhook_deliveries \
         WHERE status <> 'sent'",
    )
    .fetch_one(exec)
    .await
}

/// Blanks the name, email, phone and notes in the deliveries not yet made
/// about the bookings of `email` (compared without regard to case); returns
/// how many. `slotwise erase` calls it inside its transaction, before it
/// blanks the bookings themselves (they name the deliveries' bookings).
///
/// NOTE: the contact details are sealed apart from the rest of the body, so
/// blanking needs no key: the delivery still goes, with empty contact fields.
pub async fn blank_contact(conn: &mut AnyConnection, email: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET contact = '' WHERE status <> 'sent' AND contact <> '' AND reference IN \
         (SELECT reference FROM bookings WHERE LOWER(email) = LOWER($1))",
    )
    .bind(email)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Blanks the contact details of the deliveries not yet made about the
/// bookings erased at `erased_at` (unix ms: one retention batch).
pub async fn blank_erased(conn: &mut AnyConnection, erased_at: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET contact = '' WHERE contact <> '' AND reference IN \
         (SELECT reference FROM bookings WHERE erased_at = $1)",
    )
    .bind(erased_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
