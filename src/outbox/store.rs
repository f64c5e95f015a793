//! SQL for the outbox: storing emails inside the caller's transaction,
//! dropping and forgetting them; claiming due ones and recording how a
//! delivery went is the queue's protocol ([`QUEUE`], `db::Queue`).

use sqlx::{Any, Transaction};

use crate::db::Queue;

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

/// The emails as a delivery queue (claimed, sent, failed: [`Queue`]).
pub const QUEUE: Queue = Queue { table: "outbox", columns: COLUMNS, blank_when_sent: "sealed = ''" };

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
