//! SQL of the `otp_codes` table: one row per wizard flow, holding the hash of
//! its live code (`''` when none), the attempts on it and the sends so far.
//! Every rule is one conditional statement, so concurrent requests of one
//! visitor cannot exceed the attempts, sends or cooldown.

use sqlx::{AnyConnection, FromRow};

/// The sends of a flow so far.
#[derive(FromRow)]
pub struct Sends {
    /// Unix ms of the last send (0: none).
    pub last_sent_at: i64,
    /// Sends counted.
    pub sends: i64,
}

/// The live code of a flow for an address.
#[derive(FromRow)]
pub struct LiveCode {
    /// The code's keyed hash.
    pub code_hash: String,
    /// Unix ms when it dies.
    pub expires_at: i64,
}

/// A send to grant if the limits allow (see [`grant`]).
pub struct Grant<'a> {
    pub flow: &'a str,
    pub email: &'a str,
    pub hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub max_sends: i64,
    /// The previous send must be at or before this (the cooldown).
    pub sent_before: i64,
    /// The last send as read before: the grant fails if another won since.
    pub previous_sent_at: i64,
    /// A provisional send older than this never went out.
    pub stale_before: i64,
}

/// Whether `flow` has a live, sent code for `email` at `now`.
pub async fn has_live_code(conn: &mut AnyConnection, flow: &str, email: &str, now: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM otp_codes WHERE flow_id = $1 AND email = $2 AND code_hash <> '' AND expires_at > $3 \
         AND sent_ok = 1",
    )
    .bind(flow)
    .bind(email)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// The sends of `flow` (creating its row on first use).
pub async fn sends_of(conn: &mut AnyConnection, flow: &str) -> sqlx::Result<Sends> {
    sqlx::query(
        "INSERT INTO otp_codes (flow_id, email, code_hash, expires_at, attempts, sends, last_sent_at) \
         VALUES ($1, '', '', 0, 0, 0, 0) ON CONFLICT (flow_id) DO NOTHING",
    )
    .bind(flow)
    .execute(&mut *conn)
    .await?;
    sqlx::query_as("SELECT last_sent_at, sends FROM otp_codes WHERE flow_id = $1")
        .bind(flow)
        .fetch_one(&mut *conn)
        .await
}

/// Makes `grant`'s code the flow's only live one if the cooldown and
/// `max_sends` allow and no other send won since the sends were read.
///
/// NOTE: a send stays provisional (`sent_ok = 0`) until [`mark_sent`]; one
/// older than `stale_before` never went out (the app stopped in between): it
/// neither blocks the next send nor counts twice.
pub async fn grant(conn: &mut AnyConnection, grant: &Grant<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE otp_codes SET sends = CASE WHEN sent_ok = 0 AND last_sent_at <= $9 THEN sends ELSE sends + 1 END, \
         last_sent_at = $1, email = $2, code_hash = $3, expires_at = $4, attempts = 0, sent_ok = 0 \
         WHERE flow_id = $5 AND last_sent_at = $8 \
         AND ((sends < $6 AND last_sent_at <= $7) OR (sent_ok = 0 AND last_sent_at <= $9))",
    )
    .bind(grant.now)
    .bind(grant.email)
    .bind(grant.hash)
    .bind(grant.expires_at)
    .bind(grant.flow)
    .bind(grant.max_sends)
    .bind(grant.sent_before)
    .bind(grant.previous_sent_at)
    .bind(grant.stale_before)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The send of the code `hash` went out.
pub async fn mark_sent(conn: &mut AnyConnection, flow: &str, hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE otp_codes SET sent_ok = 1 WHERE flow_id = $1 AND code_hash = $2")
        .bind(flow)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes back the send of the code `hash`: the code dies, the count and the
/// cooldown return to before it.
pub async fn refund(conn: &mut AnyConnection, flow: &str, hash: &str, previous_sent_at: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE otp_codes SET sends = sends - 1, last_sent_at = $1, code_hash = '', sent_ok = 1 \
         WHERE flow_id = $2 AND code_hash = $3",
    )
    .bind(previous_sent_at)
    .bind(flow)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The live code of `flow` for `email`, expired or not.
pub async fn live_code(conn: &mut AnyConnection, flow: &str, email: &str) -> sqlx::Result<Option<LiveCode>> {
    sqlx::query_as("SELECT code_hash, expires_at FROM otp_codes WHERE flow_id = $1 AND email = $2 AND code_hash <> ''")
        .bind(flow)
        .bind(email)
        .fetch_optional(&mut *conn)
        .await
}

/// Uses up the code `hash` if tries are left; false when another request
/// used or killed it first.
pub async fn use_code(conn: &mut AnyConnection, flow: &str, hash: &str, max_attempts: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE otp_codes SET code_hash = '' WHERE flow_id = $1 AND code_hash = $2 AND attempts < $3")
            .bind(flow)
            .bind(hash)
            .bind(max_attempts)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong try on the code `hash`, killing it at `max_attempts`; the
/// attempts now, or `None` when the code was gone.
pub async fn count_wrong(
    conn: &mut AnyConnection,
    flow: &str,
    hash: &str,
    max_attempts: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE otp_codes SET attempts = attempts + 1, \
         code_hash = CASE WHEN attempts + 1 >= $1 THEN '' ELSE code_hash END \
         WHERE flow_id = $2 AND code_hash = $3 AND attempts < $1 RETURNING attempts",
    )
    .bind(max_attempts)
    .bind(flow)
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await
}
