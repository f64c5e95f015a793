//! SQL for bookings and holds; the booking service (`service.rs`) owns the
//! transactions and the rules, this file only the statements.
//!
//! Every transaction that can add to a time's occupancy (placing a hold,
//! confirming a booking) first updates the `locks` row named `booking`. On
//! SQLite that statement takes the database write lock before anything is
//! read (no stale read can precede it); on PostgreSQL the row lock queues the
//! transactions of every app instance, and under READ COMMITTED each
//! statement after it sees everything committed before the lock was granted.
//! Either way the capacity check, the daily caps' counts and the insert that
//! follows them are atomic with respect to every other booker.
//!
//! A booking or hold occupies `[busy_from, busy_until)` (its start minus the
//! buffer before, to its end plus the buffer after); the daily caps count its
//! `starts_at`.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::{Any, AnyConnection, FromRow, Transaction};

use super::availability::Busy;

mod counts;
pub mod staffed;

use counts::count_starts;
pub use counts::day_counts;

/// A booking to store.
pub struct NewBooking<'a> {
    /// The visitor-facing reference.
    pub reference: &'a str,
    /// The wizard flow that made it.
    pub flow_id: &'a str,
    /// The service's id.
    pub service_id: &'a str,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of the appointment.
    pub ends_at: DateTime<Utc>,
    /// Start minus the buffer before.
    pub busy_from: DateTime<Utc>,
    /// End plus the buffer after.
    pub busy_until: DateTime<Utc>,
    /// Contact details.
    pub name: &'a str,
    /// Verified address.
    pub email: &'a str,
    /// Optional phone ("" when none).
    pub phone: &'a str,
    /// Optional notes ("" when none).
    pub notes: &'a str,
    /// Language of the emails.
    pub lang: &'a str,
    /// SHA-256 hex of the cancellation token.
    pub cancel_token_hash: &'a str,
    /// The IANA zone the visitor chose, when not the practice's.
    pub visitor_tz: Option<&'a str>,
    /// (rev 3) The practitioner's id; `None`: no practitioner (SPEC §2e).
    pub practitioner_id: Option<&'a str>,
    /// (rev 3) `any` when the visitor asked for anyone; `None` otherwise.
    pub asked_for: Option<&'a str>,
}

impl<'a> NewBooking<'a> {
    /// `booking` as it stands, to change a field or two of (a move).
    pub fn of(booking: &'a Booking) -> NewBooking<'a> {
        NewBooking {
            reference: &booking.reference,
            flow_id: &booking.flow_id,
            service_id: &booking.service_id,
            starts_at: booking.starts_at,
            ends_at: booking.ends_at,
            busy_from: booking.starts_at,
            busy_until: booking.ends_at,
            name: &booking.name,
            email: &booking.email,
            phone: &booking.phone,
            notes: &booking.notes,
            lang: &booking.lang,
            cancel_token_hash: &booking.cancel_token_hash,
            visitor_tz: booking.visitor_tz.as_deref(),
            practitioner_id: booking.practitioner_id.as_deref(),
            asked_for: booking.asked_for.as_deref(),
        }
    }
}

/// A stored booking.
#[derive(Debug, Clone)]
pub struct Booking {
    /// Reference.
    pub reference: String,
    /// Service id.
    pub service_id: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of the appointment.
    pub ends_at: DateTime<Utc>,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone or "".
    pub phone: String,
    /// Notes or "".
    pub notes: String,
    /// Language of the emails.
    pub lang: String,
    /// SHA-256 hex of the cancellation token.
    pub cancel_token_hash: String,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// The wizard flow that made it (its own span never blocks a move).
    pub flow_id: String,
    /// Moves so far: the `SEQUENCE` of its calendar event.
    pub sequence: i64,
    /// The IANA zone the visitor chose when they made or last moved it, when
    /// not the practice's.
    pub visitor_tz: Option<String>,
    /// (rev 3) The practitioner's id; `None`: no practitioner.
    pub practitioner_id: Option<String>,
    /// (rev 3) `any` when the visitor asked for anyone.
    pub asked_for: Option<String>,
}

pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(super) fn utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Takes the booking lock inside `tx` (see the module docs).
pub async fn lock(tx: &mut Transaction<'_, Any>) -> sqlx::Result<()> {
    sqlx::query("UPDATE locks SET counter = counter + 1 WHERE name = 'booking'").execute(&mut **tx).await?;
    Ok(())
}

/// Spans occupying capacity between `from` and `to`: standing bookings and
/// live holds of other flows.
pub async fn busy<'e, E>(
    exec: E,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except_flow: &str,
    now: i64,
) -> sqlx::Result<Vec<Busy>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    #[derive(FromRow)]
    struct Span {
        busy_from: i64,
        busy_until: i64,
    }
    let rows: Vec<Span> = sqlx::query_as(
        "SELECT busy_from, busy_until FROM bookings \
         WHERE cancelled_at IS NULL AND flow_id <> $3 AND busy_from < $1 AND busy_until > $2 \
         UNION ALL \
         SELECT busy_from, busy_until FROM holds \
         WHERE flow_id <> $3 AND expires_at > $4 AND busy_from < $1 AND busy_until > $2",
    )
    .bind(ms(to))
    .bind(ms(from))
    .bind(except_flow)
    .bind(now)
    .fetch_all(exec)
    .await?;
    Ok(rows.into_iter().map(|r| Busy { start: utc(r.busy_from), end: utc(r.busy_until) }).collect())
}

/// Holds `service_id` at `starts_at`, occupying `span`, for `flow` of
/// `client` until `expires_at` (replacing its earlier hold), for the
/// practitioner `practitioner` (none without practitioners).
pub async fn put_hold(
    tx: &mut Transaction<'_, Any>,
    (flow, client, practitioner): (&str, &str, Option<&str>),
    service_id: &str,
    starts_at: DateTime<Utc>,
    span: Busy,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO holds (flow_id, service_id, starts_at, busy_from, busy_until, expires_at, client, practitioner_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (flow_id) DO UPDATE SET service_id = $2, starts_at = $3, busy_from = $4, busy_until = $5, \
         expires_at = $6, client = $7, practitioner_id = $8",
    )
    .bind(flow)
    .bind(service_id)
    .bind(ms(starts_at))
    .bind(ms(span.start))
    .bind(ms(span.end))
    .bind(ms(expires_at))
    .bind(client)
    .bind(practitioner)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Live holds of `client` other than `flow`'s.
pub async fn client_holds(tx: &mut Transaction<'_, Any>, client: &str, flow: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM holds WHERE client = $1 AND flow_id <> $2 AND expires_at > $3")
        .bind(client)
        .bind(flow)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
}

/// `flow`'s live hold at `now` (ms): its start, when it lapses (ms) and
/// the practitioner it names.
pub async fn live_hold<'e, E: sqlx::Executor<'e, Database = Any>>(
    exec: E,
    flow: &str,
    now: i64,
) -> sqlx::Result<Option<(DateTime<Utc>, DateTime<Utc>, Option<String>)>> {
    let row: Option<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT starts_at, expires_at, practitioner_id FROM holds WHERE flow_id = $1 AND expires_at > $2",
    )
    .bind(flow)
    .bind(now)
    .fetch_optional(exec)
    .await?;
    Ok(row.map(|(start, until, practitioner)| (utc(start), utc(until), practitioner)))
}

/// Releases the hold of `flow`, if any.
pub async fn release<'e, E: sqlx::Executor<'e, Database = Any>>(exec: E, flow: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM holds WHERE flow_id = $1").bind(flow).execute(exec).await?;
    Ok(())
}

/// The reference of the booking `flow` already made, if any.
pub async fn reference_of_flow(tx: &mut Transaction<'_, Any>, flow: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT reference FROM bookings WHERE flow_id = $1").bind(flow).fetch_optional(&mut **tx).await
}

/// Stores `booking`, made at `now`; a taken reference fails with a unique
/// violation.
pub async fn insert(tx: &mut Transaction<'_, Any>, booking: &NewBooking<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO bookings (reference, flow_id, service_id, starts_at, ends_at, busy_from, busy_until, name, email, \
         phone, notes, lang, cancel_token_hash, created_at, visitor_tz, practitioner_id, asked_for) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(booking.reference)
    .bind(booking.flow_id)
    .bind(booking.service_id)
    .bind(ms(booking.starts_at))
    .bind(ms(booking.ends_at))
    .bind(ms(booking.busy_from))
    .bind(ms(booking.busy_until))
    .bind(booking.name)
    .bind(booking.email)
    .bind(booking.phone)
    .bind(booking.notes)
    .bind(booking.lang)
    .bind(booking.cancel_token_hash)
    .bind(now)
    .bind(booking.visitor_tz)
    .bind(booking.practitioner_id)
    .bind(booking.asked_for)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const COLUMNS: &str = "reference, service_id, starts_at, ends_at, name, email, phone, notes, lang, \
                       cancel_token_hash, cancelled_at, flow_id, sequence, visitor_tz, practitioner_id, asked_for";

/// A `bookings` row as [`COLUMNS`] selects it.
#[derive(FromRow)]
struct Row {
    reference: String,
    service_id: String,
    starts_at: i64,
    ends_at: i64,
    name: String,
    email: String,
    phone: String,
    notes: String,
    lang: String,
    cancel_token_hash: String,
    cancelled_at: Option<i64>,
    flow_id: String,
    sequence: i64,
    visitor_tz: Option<String>,
    practitioner_id: Option<String>,
    asked_for: Option<String>,
}

impl From<Row> for Booking {
    fn from(r: Row) -> Booking {
        Booking {
            reference: r.reference,
            service_id: r.service_id,
            starts_at: utc(r.starts_at),
            ends_at: utc(r.ends_at),
            name: r.name,
            email: r.email,
            phone: r.phone,
            notes: r.notes,
            lang: r.lang,
            cancel_token_hash: r.cancel_token_hash,
            cancelled: r.cancelled_at.is_some(),
            flow_id: r.flow_id,
            sequence: r.sequence,
            visitor_tz: r.visitor_tz,
            practitioner_id: r.practitioner_id,
            asked_for: r.asked_for,
        }
    }
}

/// The booking with `reference`.
pub async fn find(conn: &mut AnyConnection, reference: &str) -> sqlx::Result<Option<Booking>> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM bookings WHERE reference = $1"))
        .bind(reference)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Booking::from))
}

/// Cancels a standing booking at `now`; false when it was already cancelled.
pub async fn cancel(tx: &mut Transaction<'_, Any>, reference: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE bookings SET cancelled_at = $1 WHERE reference = $2 AND cancelled_at IS NULL")
        .bind(now)
        .bind(reference)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the standing booking `reference` to `times` (and the mover's
/// zone, and its practitioner), raising its sequence; false when it was cancelled meanwhile.
pub async fn move_to(tx: &mut Transaction<'_, Any>, reference: &str, times: &NewBooking<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE bookings SET starts_at = $1, ends_at = $2, busy_from = $3, busy_until = $4, sequence = sequence + 1, \
         visitor_tz = $6, practitioner_id = $7 WHERE reference = $5 AND cancelled_at IS NULL",
    )
    .bind(ms(times.starts_at))
    .bind(ms(times.ends_at))
    .bind(ms(times.busy_from))
    .bind(ms(times.busy_until))
    .bind(reference)
    .bind(times.visitor_tz)
    .bind(times.practitioner_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Bookings starting in `[from, to)`, by start.
pub async fn list(conn: &mut AnyConnection, from: DateTime<Utc>, to: DateTime<Utc>) -> sqlx::Result<Vec<Booking>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM bookings WHERE starts_at >= $1 AND starts_at < $2 ORDER BY starts_at, reference"
    ))
    .bind(ms(from))
    .bind(ms(to))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Booking::from).collect())
}
