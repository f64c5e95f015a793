//! Emailed one-time codes: generation, keyed hashing, send limits and checks.
//!
//! Owns the `otp_codes` table. Must not know about wizard steps or mail
//! transport: the wizard calls [`Codes::reserve`], sends the email, and
//! [`Codes::check`] the visitor's answer.
//!
//! Every rule is one conditional `UPDATE`, so concurrent requests of one
//! visitor cannot exceed the attempts, sends or cooldown.

use sqlx::AnyPool;
use subtle::ConstantTimeEq;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::config::{OtpConfig, Settings};
use crate::db::big_int;
use crate::db::Db;
use crate::secrets::Secrets;
use crate::session::now_ms;

/// How long a counted send may take to go out before it counts as never
/// made: longer than the mailer's SMTP timeout.
pub const STALE_SEND: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a send was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefused {
    /// Too soon after the previous code: seconds to wait.
    Cooldown(u64),
    /// `otp.max_sends` reached for this flow.
    MaxSends,
}

/// The answer to a request for a send.
pub enum Reservation {
    /// Granted: the code to email.
    Granted(Reserved),
    /// Refused by a limit: nothing to send.
    Refused(SendRefused),
}

/// A send that was granted: the code to email, and how to undo it if the
/// email cannot be sent.
pub struct Reserved {
    /// The code, to put in the email and nowhere else.
    pub code: String,
    hash: String,
    previous_sent_at: i64,
}

/// The outcome of checking a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Correct: the code is used up.
    Verified,
    /// Wrong: tries left on this code.
    Wrong(u32),
    /// Wrong, and that was the last try: the code is dead.
    Exhausted,
    /// The code's lifetime is over.
    Expired,
    /// No live code for this flow and address.
    NoCode,
}

/// The code service: configuration, keys and the pool; a request guard.
pub struct Codes<'a> {
    /// `[otp]`.
    pub config: &'a OtpConfig,
    /// For the keyed hash.
    pub secrets: &'a Secrets,
    /// The database.
    pub pool: &'a AnyPool,
}

impl Codes<'_> {
    fn hash(&self, flow: &str, email: &str, code: &str) -> String {
        hex::encode(self.secrets.mac("otp", &[flow.as_bytes(), email.as_bytes(), code.as_bytes()]))
    }

    /// Whether `flow` has a live code for `email`.
    pub async fn has_live_code(&self, flow: &str, email: &str) -> sqlx::Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM otp_codes WHERE flow_id = $1 AND email = $2 AND code_hash <> '' AND expires_at > $3 \
             AND sent_ok = 1",
        )
        .bind(flow)
        .bind(email)
        .bind(now_ms())
        .fetch_one(self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Grants a send for `flow` to `email` if the cooldown and `max_sends`
    /// allow, and makes its fresh code the only live one.
    pub async fn reserve(&self, flow: &str, email: &str) -> sqlx::Result<Reservation> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO otp_codes (flow_id, email, code_hash, expires_at, attempts, sends, last_sent_at) \
             VALUES ($1, '', '', 0, 0, 0, 0) ON CONFLICT (flow_id) DO NOTHING",
        )
        .bind(flow)
        .execute(self.pool)
        .await?;
        let previous =
            sqlx::query("SELECT CAST(last_sent_at AS TEXT), CAST(sends AS TEXT) FROM otp_codes WHERE flow_id = $1")
                .bind(flow)
                .fetch_one(self.pool)
                .await?;
        let (previous_sent_at, sends) = (big_int(&previous, 0)?, big_int(&previous, 1)?);
        let cooldown = (self.config.resend_cooldown_secs as i64) * 1000;
        let digits = self.config.length as usize;
        let code = crate::secrets::random_chars(b"0123456789", digits);
        let hash = self.hash(flow, email, &code);
        // NOTE: a send stays provisional (`sent_ok = 0`) until [`Codes::sent`];
        // one older than [`STALE_SEND`] never went out (the app stopped in
        // between): it neither blocks the next send nor counts twice.
        let granted = sqlx::query(
            "UPDATE otp_codes SET sends = CASE WHEN sent_ok = 0 AND last_sent_at <= $9 THEN sends ELSE sends + 1 END, \
             last_sent_at = $1, email = $2, code_hash = $3, expires_at = $4, attempts = 0, sent_ok = 0 \
             WHERE flow_id = $5 AND last_sent_at = $8 \
             AND ((sends < $6 AND last_sent_at <= $7) OR (sent_ok = 0 AND last_sent_at <= $9))",
        )
        .bind(now)
        .bind(email)
        .bind(&hash)
        .bind(now + (self.config.ttl_secs.get() as i64) * 1000)
        .bind(flow)
        .bind(i64::from(self.config.max_sends.get()))
        .bind(now - cooldown)
        .bind(previous_sent_at)
        .bind(now - STALE_SEND.as_millis() as i64)
        .execute(self.pool)
        .await?
        .rows_affected()
            == 1;
        if granted {
            return Ok(Reservation::Granted(Reserved { code, hash, previous_sent_at }));
        }
        if sends >= i64::from(self.config.max_sends.get()) {
            return Ok(Reservation::Refused(SendRefused::MaxSends));
        }
        // Refused by the cooldown, or by a concurrent send that just won.
        let latest: i64 = big_int(
            &sqlx::query("SELECT CAST(last_sent_at AS TEXT) FROM otp_codes WHERE flow_id = $1")
                .bind(flow)
                .fetch_one(self.pool)
                .await?,
            0,
        )?;
        let wait = ((latest + cooldown - now).max(1000) + 999) / 1000;
        Ok(Reservation::Refused(SendRefused::Cooldown(wait as u64)))
    }

    /// Records that the email of `reserved` went out: the send is no longer
    /// provisional.
    pub async fn sent(&self, flow: &str, reserved: &Reserved) -> sqlx::Result<()> {
        sqlx::query("UPDATE otp_codes SET sent_ok = 1 WHERE flow_id = $1 AND code_hash = $2")
            .bind(flow)
            .bind(&reserved.hash)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// Undoes a send whose email could not be delivered: the code dies and
    /// neither the cooldown nor `max_sends` counts it.
    pub async fn refund(&self, flow: &str, reserved: &Reserved) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE otp_codes SET sends = sends - 1, last_sent_at = $1, code_hash = '', sent_ok = 1 \
             WHERE flow_id = $2 AND code_hash = $3",
        )
        .bind(reserved.previous_sent_at)
        .bind(flow)
        .bind(&reserved.hash)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// Checks `code` for `flow` and `email`; counts a wrong try atomically.
    pub async fn check(&self, flow: &str, email: &str, code: &str) -> sqlx::Result<Check> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT code_hash, CAST(expires_at AS TEXT) FROM otp_codes \
             WHERE flow_id = $1 AND email = $2 AND code_hash <> ''",
        )
        .bind(flow)
        .bind(email)
        .fetch_optional(self.pool)
        .await?;
        let Some(row) = row else { return Ok(Check::NoCode) };
        let stored: String = sqlx::Row::try_get(&row, 0)?;
        if big_int(&row, 1)? <= now {
            return Ok(Check::Expired);
        }
        let max = i64::from(self.config.max_attempts.get());
        let well_formed = code.len() == self.config.length as usize && code.bytes().all(|b| b.is_ascii_digit());
        let given = self.hash(flow, email, code);
        if well_formed && bool::from(given.as_bytes().ct_eq(stored.as_bytes())) {
            let used = sqlx::query(
                "UPDATE otp_codes SET code_hash = '' WHERE flow_id = $1 AND code_hash = $2 AND attempts < $3",
            )
            .bind(flow)
            .bind(&stored)
            .bind(max)
            .execute(self.pool)
            .await?
            .rows_affected();
            return Ok(if used == 1 { Check::Verified } else { Check::NoCode });
        }
        let attempts: Option<String> = sqlx::query_scalar(
            "UPDATE otp_codes SET attempts = attempts + 1, \
             code_hash = CASE WHEN attempts + 1 >= $1 THEN '' ELSE code_hash END \
             WHERE flow_id = $2 AND code_hash = $3 AND attempts < $1 RETURNING CAST(attempts AS TEXT)",
        )
        .bind(max)
        .bind(flow)
        .bind(&stored)
        .fetch_optional(self.pool)
        .await?;
        let Some(attempts) = attempts.and_then(|a| a.parse::<i64>().ok()) else { return Ok(Check::NoCode) };
        Ok(if attempts >= max { Check::Exhausted } else { Check::Wrong((max - attempts) as u32) })
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Codes<'r> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let rocket = req.rocket();
        match (rocket.state::<Settings>(), rocket.state::<Secrets>(), rocket.state::<Db>()) {
            (Some(settings), Some(secrets), Some(db)) => {
                Outcome::Success(Codes { config: &settings.otp, secrets, pool: &db.pool })
            }
            _ => Outcome::Error((Status::InternalServerError, "app not configured")),
        }
    }
}
