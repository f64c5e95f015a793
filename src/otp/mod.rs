//! Emailed one-time codes: generation, keyed hashing, send limits and checks,
//! and sending the code email ([`CodeSender`]).
//!
//! Owns the `otp_codes` table. Must not know about wizard steps: the wizard
//! asks [`CodeSender::send`] for a code email and [`Codes::check`]s the
//! visitor's answer. May import `abuse`, `clock`, `config`, `db`, `mail`,
//! `metrics`, `secrets`.
//!
//! Every rule is one conditional `UPDATE`, so concurrent requests of one
//! visitor cannot exceed the attempts, sends or cooldown.

mod send;
mod store;

pub use send::{CodeSend, CodeSender};

use subtle::ConstantTimeEq;

use crate::clock::Clock;
use crate::config::OtpConfig;
use crate::db::{DbPool, Lane};
use crate::secrets::Secrets;

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

/// The code service: configuration, keys, the database and the clock; a
/// request guard.
pub struct Codes<'a> {
    /// `[otp]`.
    pub config: &'a OtpConfig,
    /// For the keyed hash.
    pub secrets: &'a Secrets,
    /// The database.
    pub db: &'a DbPool,
    /// The time.
    pub clock: &'a Clock,
}

impl Codes<'_> {
    fn hash(&self, flow: &str, email: &str, code: &str) -> String {
        hex::encode(self.secrets.mac("otp", &[flow.as_bytes(), email.as_bytes(), code.as_bytes()]))
    }

    /// Whether `stored` is the hash of `code` under the current key or a
    /// fallback (a code mailed just before a key rotation), in constant time.
    fn is_hash_of(&self, stored: &str, flow: &str, email: &str, code: &str) -> bool {
        let macs = self.secrets.macs("otp", &[flow.as_bytes(), email.as_bytes(), code.as_bytes()]);
        macs.iter().any(|mac| bool::from(hex::encode(mac).as_bytes().ct_eq(stored.as_bytes())))
    }

    /// Whether `flow` has a live code for `email`.
    pub async fn has_live_code(&self, flow: &str, email: &str) -> sqlx::Result<bool> {
        let now = self.clock.now_ms();
        self.db.leased(Lane::Read, async |conn| store::has_live_code(conn, flow, email, now).await).await
    }

    /// Grants a send for `flow` to `email` if the cooldown and `max_sends`
    /// allow, and makes its fresh code the only live one.
    pub async fn reserve(&self, flow: &str, email: &str) -> sqlx::Result<Reservation> {
        let now = self.clock.now_ms();
        let previous = self.db.durably(async |conn| store::sends_of(conn, flow).await).await?;
        let cooldown = (self.config.resend_cooldown_secs as i64) * 1000;
        let code = crate::secrets::random_chars(b"0123456789", self.config.length as usize);
        let hash = self.hash(flow, email, &code);
        let grant = store::Grant {
            flow,
            email,
            hash: &hash,
            now,
            expires_at: now + (self.config.ttl_secs.get() as i64) * 1000,
            max_sends: i64::from(self.config.max_sends.get()),
            sent_before: now - cooldown,
            previous_sent_at: previous.last_sent_at,
            stale_before: now - STALE_SEND.as_millis() as i64,
        };
        if self.db.durably(async |conn| store::grant(conn, &grant).await).await? {
            return Ok(Reservation::Granted(Reserved { code, hash, previous_sent_at: previous.last_sent_at }));
        }
        if previous.sends >= i64::from(self.config.max_sends.get()) {
            return Ok(Reservation::Refused(SendRefused::MaxSends));
        }
        // Refused by the cooldown, or by a concurrent send that just won.
        let latest = self.db.durably(async |conn| store::sends_of(conn, flow).await).await?.last_sent_at;
        let wait = ((latest + cooldown - now).max(1000) + 999) / 1000;
        Ok(Reservation::Refused(SendRefused::Cooldown(wait as u64)))
    }

    /// Records that the email of `reserved` went out: the send is no longer
    /// provisional.
    pub async fn sent(&self, flow: &str, reserved: &Reserved) -> sqlx::Result<()> {
        self.db.durably(async |conn| store::mark_sent(conn, flow, &reserved.hash).await).await
    }

    /// Undoes a send whose email could not be delivered: the code dies and
    /// neither the cooldown nor `max_sends` counts it.
    pub async fn refund(&self, flow: &str, reserved: &Reserved) -> sqlx::Result<()> {
        let previous = reserved.previous_sent_at;
        self.db.durably(async |conn| store::refund(conn, flow, &reserved.hash, previous).await).await
    }

    /// Checks `code` for `flow` and `email`; counts a wrong try atomically.
    pub async fn check(&self, flow: &str, email: &str, code: &str) -> sqlx::Result<Check> {
        let live = self.db.leased(Lane::Read, async |conn| store::live_code(conn, flow, email).await).await?;
        let Some(live) = live else { return Ok(Check::NoCode) };
        if live.expires_at <= self.clock.now_ms() {
            return Ok(Check::Expired);
        }
        let max = i64::from(self.config.max_attempts.get());
        let well_formed = code.len() == self.config.length as usize && code.bytes().all(|b| b.is_ascii_digit());
        if well_formed && self.is_hash_of(&live.code_hash, flow, email, code) {
            let used = self.db.durably(async |conn| store::use_code(conn, flow, &live.code_hash, max).await).await?;
            return Ok(if used { Check::Verified } else { Check::NoCode });
        }
        let wrong = self.db.durably(async |conn| store::count_wrong(conn, flow, &live.code_hash, max).await).await?;
        let Some(attempts) = wrong else {
            return Ok(Check::NoCode);
        };
        Ok(if attempts >= max { Check::Exhausted } else { Check::Wrong((max - attempts) as u32) })
    }
}
