//! SQL of the webhook deliveries: storing them inside the caller's
//! transaction and blanking the contact details of an erased address;
//! claiming due ones and recording how an attempt went is the queue's
//! protocol ([`QUEUE`], `db::Queue`), as for the outbox's emails.

use sqlx::{Any, AnyConnection, Transaction};

use crate::db::Queue;

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

/// The deliveries as a delivery queue (claimed, sent, failed: [`Queue`]).
pub const QUEUE: Queue =
    Queue { table: "webhook_deliveries", columns: COLUMNS, blank_when_sent: "sealed = '', contact = ''" };

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
