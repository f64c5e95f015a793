//! SQL of erasure and export. Blanking personal data is the one write this
//! module makes to other modules' tables (`bookings`, `otp_codes`); it never
//! changes what a booking is — reference, service and times stay.

use sqlx::{Any, AnyConnection, FromRow, Transaction};

/// Takes the erasure lock inside `tx`: erasures of every instance queue one
/// behind the other instead of updating the same rows in different orders.
pub async fn lock(tx: &mut Transaction<'_, Any>) -> sqlx::Result<()> {
    sqlx::query("UPDATE locks SET counter = counter + 1 WHERE name = 'erasure'").execute(&mut **tx).await?;
    Ok(())
}

/// Blanks the contact details of at most `batch` bookings whose appointment
/// ended before `cutoff` (unix ms), oldest first; returns how many.
pub async fn erase_ended_before(conn: &mut AnyConnection, cutoff: i64, now: i64, batch: i64) -> sqlx::Result<u64> {
    // NOTE: `erased_at IS NULL` is checked again on the row itself: on
    // PostgreSQL a row another transaction erased meanwhile is skipped.
    let done = sqlx::query(
        "UPDATE bookings SET name = '', email = '', phone = '', notes = '', visitor_tz = NULL, erased_at = $1 \
         WHERE erased_at IS NULL AND id IN \
         (SELECT id FROM bookings WHERE erased_at IS NULL AND ends_at < $2 ORDER BY ends_at LIMIT $3)",
    )
    .bind(now)
    .bind(cutoff)
    .bind(batch)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes at most `batch` code rows (each holds an address) last sent
/// before `cutoff` (unix ms); returns how many.
pub async fn forget_codes_sent_before(conn: &mut AnyConnection, cutoff: i64, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM otp_codes WHERE flow_id IN \
         (SELECT flow_id FROM otp_codes WHERE last_sent_at < $1 ORDER BY last_sent_at LIMIT $2)",
    )
    .bind(cutoff)
    .bind(batch)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Blanks the contact details of every booking of `email` (compared
/// without regard to case); returns how many.
pub async fn erase_address(tx: &mut Transaction<'_, Any>, email: &str, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE bookings SET name = '', email = '', phone = '', notes = '', visitor_tz = NULL, erased_at = $1 \
         WHERE LOWER(email) = LOWER($2)",
    )
    .bind(now)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes the code rows of `email` (compared without regard to case).
pub async fn forget_codes_of(tx: &mut Transaction<'_, Any>, email: &str) -> sqlx::Result<u64> {
    let done =
        sqlx::query("DELETE FROM otp_codes WHERE LOWER(email) = LOWER($1)").bind(email).execute(&mut **tx).await?;
    Ok(done.rows_affected())
}

/// One booking as exported.
#[derive(FromRow)]
pub struct Stored {
    /// Reference.
    pub reference: String,
    /// Service id.
    pub service_id: String,
    /// Start, unix ms.
    pub starts_at: i64,
    /// End of the appointment, unix ms.
    pub ends_at: i64,
    /// When it was cancelled, unix ms.
    pub cancelled_at: Option<i64>,
    /// Contact details as stored.
    pub name: String,
    /// Address as stored.
    pub email: String,
    /// Phone or "".
    pub phone: String,
    /// Notes or "".
    pub notes: String,
    /// Language of its emails.
    pub lang: String,
    /// (rev 3) Its practitioner's id, if any.
    pub practitioner_id: Option<String>,
}

/// Every booking of `email` (compared without regard to case), by start.
pub async fn bookings_of(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Vec<Stored>> {
    sqlx::query_as(
        "SELECT reference, service_id, starts_at, ends_at, cancelled_at, name, email, phone, notes, lang, \
         practitioner_id FROM bookings WHERE LOWER(email) = LOWER($1) ORDER BY starts_at, reference",
    )
    .bind(email)
    .fetch_all(conn)
    .await
}
