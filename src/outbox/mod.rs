//! Mail that is never lost (SPEC §2c): the confirmation, moved, cancellation
//! and reminder emails are rendered, sealed and stored in the same transaction
//! as the change that causes them ([`Letters`] prepares them, the booking
//! service stores them with [`store::insert`]); a sender task of the running
//! app delivers what is due ([`stage`]).
//!
//! Owns the `outbox` table. Every email keeps one `Message-ID` across
//! attempts. A failed attempt is retried after `mail.retry_secs`, doubling up
//! to an hour, until `mail.give_up_hours` after it was due; then it is
//! failed, and `slotwise outbox --failed` lists it. With several instances
//! each email is claimed by one of them for a lease ([`LEASE`], 30 s); an instance
//! that dies mid-delivery leaves it to another once the lease ends. Stored
//! bodies are sealed with a key derived from `secret_key`: they carry the
//! booking link, which a database dump alone must not yield.
//!
//! Must not know about bookings' rules or the wizard: callers hand in values.

pub mod store;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::Message;
use rocket::fairing::AdHoc;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::{MailConfig, Service, Settings};
pub use store::QUEUE;

use crate::db::{Db, DbPool};
use crate::mail::{Appointment, MailError, Mailer, Notifier, Recipient};
use crate::periodic::{self, Next};
use crate::secrets::Secrets;

/// How long an instance may take to deliver a claimed email before another
/// may claim it: three times the mailer's SMTP timeout.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often the sender looks for due emails when nobody wakes it.
const POLL: Duration = Duration::from_secs(1);
/// Emails claimed at once.
///
/// NOTE: one: a claim's lease covers one delivery, so a slow server cannot
/// make the later emails of a batch outlive their lease (and go out twice).
const BATCH: i64 = 1;
/// The sealing purpose of stored emails.
const SEAL: &str = "outbox";
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// An email ready to store: rendered, sealed, addressed.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `confirmation`, `moved`, `cancellation` or `reminder`.
    pub kind: &'static str,
    /// Its `Message-ID`.
    pub message_id: String,
    /// The envelope's address.
    pub recipient: String,
    /// The formatted message, sealed.
    pub sealed: String,
    /// Unix ms when it may go.
    pub due_at: i64,
}

impl Prepared {
    /// The row to store for booking `reference`.
    pub fn row<'a>(&'a self, reference: &'a str) -> store::NewEmail<'a> {
        store::NewEmail {
            kind: self.kind,
            reference,
            message_id: &self.message_id,
            recipient: &self.recipient,
            sealed: &self.sealed,
            due_at: self.due_at,
        }
    }
}

/// A booking as its emails describe it.
pub struct About<'a> {
    /// The reference.
    pub reference: &'a str,
    /// The service booked.
    pub service: &'a Service,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of the appointment (without buffers).
    pub ends_at: DateTime<Utc>,
    /// Its moves so far (the calendar event's `SEQUENCE`).
    pub sequence: u32,
    /// The visitor's own zone, when not the practice's.
    pub visitor: Option<chrono_tz::Tz>,
    /// (rev 3) The practitioner's name, with practitioners.
    pub practitioner: Option<&'a str>,
}

/// Prepares the emails of bookings for the outbox.
#[derive(Clone, Copy)]
pub struct Letters<'a> {
    notifier: &'a Notifier,
    secrets: &'a Secrets,
    settings: &'a Settings,
    clock: &'a Clock,
}

impl<'a> Letters<'a> {
    /// Letters rendered by `notifier`, sealed with `secrets`, due by `clock`.
    pub fn new(notifier: &'a Notifier, secrets: &'a Secrets, settings: &'a Settings, clock: &'a Clock) -> Letters<'a> {
        Letters { notifier, secrets, settings, clock }
    }

    fn appointment(&self, about: &About<'a>, lang: &str) -> Appointment<'a> {
        Appointment {
            service: about.service.name_in(lang),
            starts_at: about.starts_at,
            ends_at: about.ends_at,
            tz: self.settings.booking.tz(),
            visitor: about.visitor,
            practitioner: about.practitioner,
        }
    }

    fn prepare(&self, kind: &'static str, to: &Recipient<'_>, message: Message, due_at: i64) -> Prepared {
        let message_id = message.headers().get_raw("Message-ID").unwrap_or_default().to_string();
        let sealed = seal(self.secrets, &message.formatted());
        Prepared { kind, message_id, recipient: to.email.to_string(), sealed, due_at }
    }

    /// The confirmation of a new booking with its `manage_url`, and one
    /// reminder per lead time of `mail.reminders_minutes` still ahead.
    pub fn booked(&self, to: &Recipient<'_>, about: &About<'a>, manage_url: &str) -> Result<Vec<Prepared>, MailError> {
        let now = self.clock.now_ms();
        let appointment = self.appointment(about, to.lang);
        let confirmation = self.notifier.confirmation_message(to, about.reference, &appointment, manage_url)?;
        let mut emails = vec![self.prepare("confirmation", to, confirmation, now)];
        emails.extend(self.reminders(to, about, manage_url)?);
        Ok(emails)
    }

    /// One reminder per lead time of `mail.reminders_minutes` still ahead.
    fn reminders(&self, to: &Recipient<'_>, about: &About<'a>, manage_url: &str) -> Result<Vec<Prepared>, MailError> {
        let (now, appointment) = (self.clock.now_ms(), self.appointment(about, to.lang));
        let mut reminders = Vec::new();
        for lead in &self.settings.mail.reminders_minutes {
            let due = about.starts_at.timestamp_millis() - i64::from(*lead) * 60_000;
            if due > now {
                let reminder = self.notifier.reminder_message(to, about.reference, &appointment, manage_url)?;
                reminders.push(self.prepare("reminder", to, reminder, due));
            }
        }
        Ok(reminders)
    }

    /// The notice that a booking moved from `old` to `new` (with the new
    /// calendar revision), and the reminders of its new time.
    pub fn moved(
        &self,
        to: &Recipient<'_>,
        (old, new): (&About<'a>, &About<'a>),
        manage_url: &str,
    ) -> Result<Vec<Prepared>, MailError> {
        let (was, now) = (self.appointment(old, to.lang), self.appointment(new, to.lang));
        let message = self.notifier.moved_message(to, new.reference, (&was, &now), manage_url, new.sequence)?;
        let mut emails = vec![self.prepare("moved", to, message, self.clock.now_ms())];
        emails.extend(self.reminders(to, new, manage_url)?);
        Ok(emails)
    }

    /// The notice that a booking was cancelled.
    pub fn cancelled(&self, to: &Recipient<'_>, about: &About<'a>) -> Result<Prepared, MailError> {
        let appointment = self.appointment(about, to.lang);
        let message = self.notifier.cancellation_message(to, about.reference, &appointment, about.sequence)?;
        Ok(self.prepare("cancellation", to, message, self.clock.now_ms()))
    }
}

/// Stores `emails` about booking `reference` in the transaction of the
/// change that causes them, due from `now` (unix ms) on.
pub async fn keep(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    emails: &[Prepared],
    reference: &str,
    now: i64,
) -> sqlx::Result<()> {
    for email in emails {
        store::insert(tx, &email.row(reference), now).await?;
    }
    Ok(())
}

/// A formatted message sealed for storing in the outbox.
pub fn seal(secrets: &Secrets, raw: &[u8]) -> String {
    secrets.seal(SEAL, raw)
}

/// When a failed attempt is tried again: `retry_secs` after the first
/// failure, doubling up to an hour; `None` once `give_up_hours` have passed
/// since the email was due.
pub fn next_attempt(config: &MailConfig, due_at: i64, failures_before: i64, now: i64) -> Option<i64> {
    let give_up_at = due_at.saturating_add(i64::from(config.give_up_hours) * 3_600_000);
    if now >= give_up_at {
        return None;
    }
    let first = i64::try_from(config.retry_secs.get()).unwrap_or(i64::MAX).saturating_mul(1000);
    let wait = first.saturating_mul(1_i64 << failures_before.clamp(0, 20)).min(MAX_BACKOFF_MS.max(first));
    Some(now.saturating_add(wait))
}

/// Wakes the sender at once (after storing an email) instead of at its next poll.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    /// There is something to deliver.
    pub fn now(&self) {
        self.0.notify_one();
    }

    /// What a sender's loop waits on ([`periodic::repeat`]'s `wake`): the
    /// webhooks' sender runs on a `Wake` of its own.
    pub fn notify(&self) -> Arc<Notify> {
        self.0.clone()
    }
}

/// Delivers what is due once: claims a batch, sends each, records how it
/// went. Returns how many were claimed.
pub async fn deliver_due(
    db: &DbPool,
    mailer: &Mailer,
    secrets: &Secrets,
    config: &MailConfig,
    clock: &Clock,
) -> sqlx::Result<usize> {
    let now = clock.now_ms();
    let lease_until = now + i64::try_from(LEASE.as_millis()).unwrap_or(60_000);
    let claim =
        async |conn: &mut sqlx::AnyConnection| store::QUEUE.claim(conn, db.backend, (now, lease_until), BATCH).await;
    let claimed: Vec<store::Stored> = db.durably(claim).await?;
    for email in &claimed {
        let outcome = match secrets.unseal(SEAL, &email.sealed) {
            Some(raw) => mailer.send_stored(&email.recipient, &raw).await.map_err(|e| e.to_string()),
            None => Err("the stored email cannot be opened: was secret_key changed?".to_string()),
        };
        let now = clock.now_ms();
        match outcome {
            Ok(()) => db.durably(async |conn| store::QUEUE.sent(conn, email.id, now).await).await?,
            Err(error) => {
                let next = next_attempt(config, email.due_at, email.attempts, now);
                rocket::warn!(
                    "{} email for {} not delivered (attempt {}): {error}",
                    email.kind,
                    email.reference,
                    email.attempts + 1
                );
                db.durably(async |conn| store::QUEUE.attempt_failed(conn, email.id, &error, next).await).await?;
            }
        }
    }
    Ok(claimed.len())
}

/// The sender: manages a [`Wake`] and, once the app runs, delivers due
/// emails until shutdown.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Outbox", |rocket| async {
        rocket.manage(Wake::default()).attach(AdHoc::on_liftoff("Outbox sender", |rocket| {
            Box::pin(async move {
                let (Some(settings), Some(db), Some(notifier), Some(secrets), Some(wake), Some(clock)) = (
                    rocket.state::<Settings>(),
                    rocket.state::<Db>(),
                    rocket.state::<Notifier>(),
                    rocket.state::<Secrets>(),
                    rocket.state::<Wake>(),
                    rocket.state::<Clock>(),
                ) else {
                    return;
                };
                let sender =
                    Arc::new(((**db).clone(), notifier.mailer().clone(), secrets.clone(), settings.mail.clone()));
                let clock = clock.clone();
                periodic::repeat(rocket, POLL, Some(wake.0.clone()), move || {
                    let (sender, clock) = (sender.clone(), clock.clone());
                    async move {
                        let (db, mailer, secrets, config) = &*sender;
                        let done = deliver_due(db, mailer, secrets, config, &clock).await;
                        Next::after_delivery(done, BATCH, db.is_closed(), "outbox")
                    }
                });
            })
        }))
    })
}

#[cfg(test)]
mod tests;
