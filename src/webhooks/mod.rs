//! Signed webhooks that are never lost (SPEC §7): for each `[[webhooks]]`
//! entry that hears a booking event, one delivery is stored in the same
//! transaction as the booking change ([`Hooks`] prepares them, the booking
//! service stores them with [`keep`]); a sender task of the running app POSTs
//! what is due ([`stage`]) with the outbox's lease protocol and the emails'
//! retry schedule (`outbox::next_attempt`, SPEC §2c).
//!
//! Owns the `webhook_deliveries` table and the [`Tally`] of attempts. The
//! body is sealed at rest in two parts, the event and the contact details,
//! so that `slotwise erase` can blank the latter without a key
//! ([`store::blank_contact`]). Each delivery is signed at each attempt under
//! its webhook's current secret (looked up by URL); a delivery whose URL is
//! no longer configured is failed.
//!
//! Must not know about bookings' rules or the web: callers hand in values.
//! May import: `clock`, `config`, `db`, `outbox`, `periodic`, `secrets`.

mod client;
mod payload;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use prometheus_client::metrics::counter::Counter;
use rocket::fairing::AdHoc;

pub use client::{Client, AGENT, TIMEOUT};
pub use payload::{body, signature, Contact, Event, Facts};
pub use store::QUEUE;

use crate::clock::Clock;
use crate::config::{self, MailConfig, Settings, Webhooks};
use crate::db::{Db, DbPool};
use crate::outbox::{self, Wake};
use crate::periodic::{self, Next};
use crate::secrets::{random_token, Secrets};

/// How often the sender looks for due deliveries when nobody wakes it.
const POLL: Duration = Duration::from_secs(1);
/// Deliveries claimed at once: one, as for emails (a lease covers one attempt).
const BATCH: i64 = 1;
/// The sealing purpose of stored bodies.
const SEAL: &str = "webhook";

/// A booking as its webhook events describe it.
pub struct Snapshot<'a> {
    /// The reference.
    pub reference: &'a str,
    /// The service's id.
    pub service: &'a str,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of the appointment (buffers excluded).
    pub ends_at: DateTime<Utc>,
    /// Whether it is cancelled.
    pub cancelled: bool,
    /// The practitioner's id, if it has one.
    pub practitioner: Option<&'a str>,
    /// Name, email, phone, notes.
    pub contact: [&'a str; 4],
}

/// A delivery ready to store: sealed, addressed.
#[derive(Debug, Clone)]
pub struct Prepared {
    event_id: String,
    event: &'static str,
    reference: String,
    url: String,
    sealed: String,
    contact: String,
}

/// Wakes the webhooks' sender at once (after storing deliveries): the
/// outbox's [`Wake`], an instance of its own.
#[derive(Clone, Default)]
pub struct Nudge(Wake);

impl Nudge {
    /// There is something to deliver.
    pub fn now(&self) {
        self.0.now();
    }
}

/// Counts of delivery attempts for `slotwise_webhook_deliveries_total`
/// (the metrics stage registers the counters and manages a clone).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Answered `2xx` in time.
    pub delivered: Counter,
    /// Failed, to be tried again.
    pub failed: Counter,
    /// Failed for the last time: the delivery is marked failed.
    pub given_up: Counter,
}

/// Prepares the deliveries of booking events.
#[derive(Clone, Copy)]
pub struct Hooks<'a> {
    hooks: &'a Webhooks,
    secrets: &'a Secrets,
    clock: &'a Clock,
    tz: Tz,
    nudge: &'a Nudge,
}

impl<'a> Hooks<'a> {
    /// Deliveries to `settings.webhooks`, sealed with `secrets`, stamped by
    /// `clock`; `nudge` wakes the sender.
    pub fn new(settings: &'a Settings, secrets: &'a Secrets, clock: &'a Clock, nudge: &'a Nudge) -> Hooks<'a> {
        Hooks { hooks: &settings.webhooks, secrets, clock, tz: settings.booking.tz(), nudge }
    }

    /// One delivery of `event` about `booking` per webhook that hears it
    /// (none without webhooks).
    pub fn about(&self, event: config::Event, booking: &Snapshot<'_>) -> Vec<Prepared> {
        let mut hearing = self.hooks.hearing(event).peekable();
        if hearing.peek().is_none() {
            return Vec::new();
        }
        let facts = Facts {
            reference: booking.reference.to_string(),
            service: booking.service.to_string(),
            practitioner: booking.practitioner.map(str::to_string),
            start: payload::rfc3339(booking.starts_at, self.tz),
            end: payload::rfc3339(booking.ends_at, self.tz),
            status: if booking.cancelled { "cancelled" } else { "booked" }.to_string(),
        };
        let id = format!("evt_{}", random_token(16));
        let created_at = payload::rfc3339(self.clock.now(), chrono_tz::UTC);
        let stored = Event { id: id.clone(), kind: event.name().to_string(), created_at, booking: facts };
        let [name, email, phone, notes] = booking.contact.map(str::to_string);
        let contact = Contact { name, email, phone, notes };
        let (sealed, contact) = (self.secrets.seal(SEAL, &json(&stored)), self.secrets.seal(SEAL, &json(&contact)));
        hearing
            .map(|hook| Prepared {
                event_id: id.clone(),
                event: event.name(),
                reference: booking.reference.to_string(),
                url: hook.url.to_string(),
                sealed: sealed.clone(),
                contact: contact.clone(),
            })
            .collect()
    }

    /// Deliveries were stored: the sender goes now.
    pub fn nudge(&self) {
        self.nudge.now();
    }
}

/// `value` as JSON text.
fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // NOTE: strings and an optional string only: serialising cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Stores `deliveries` in the transaction of the booking change that causes
/// them, due at `now` (unix ms).
pub async fn keep(tx: &mut sqlx::Transaction<'_, sqlx::Any>, deliveries: &[Prepared], now: i64) -> sqlx::Result<()> {
    for d in deliveries {
        let row = store::NewDelivery {
            event_id: &d.event_id,
            event: d.event,
            reference: &d.reference,
            url: &d.url,
            sealed: &d.sealed,
            contact: &d.contact,
        };
        store::insert(tx, &row, now).await?;
    }
    Ok(())
}

/// The signed headers of one attempt: event id, timestamp, signature.
type Headers = [(&'static str, String); 3];

/// What the sender needs, shared by its turns.
pub struct Sender {
    db: DbPool,
    client: Client,
    secrets: Secrets,
    settings: Settings,
    tally: Tally,
}

impl Sender {
    /// The delivery's body and its headers, signed at `timestamp` (unix s),
    /// or why it cannot go at all.
    fn signed(&self, d: &store::Stored, timestamp: i64) -> Result<(Vec<u8>, Headers), String> {
        let hook = self.settings.webhooks.by_url(&d.url).ok_or("no [[webhooks]] entry has this url any more")?;
        let unsealed = self.secrets.unseal(SEAL, &d.sealed).and_then(|raw| serde_json::from_slice(&raw).ok());
        let event: Event = unsealed.ok_or("the stored body cannot be opened: was secret_key changed?")?;
        let contact: Contact = match d.contact.as_str() {
            "" => Contact::default(),
            sealed => self
                .secrets
                .unseal(SEAL, sealed)
                .and_then(|raw| serde_json::from_slice(&raw).ok())
                .ok_or("the stored contact details cannot be opened: was secret_key changed?")?,
        };
        let body = body(&event, &contact);
        let headers = [
            ("slotwise-event-id", d.event_id.clone()),
            ("slotwise-timestamp", timestamp.to_string()),
            ("slotwise-signature", signature(&hook.secret, timestamp, &body)),
        ];
        Ok((body, headers))
    }

    /// One attempt at `d`: `Ok`, or why not and whether to try again.
    async fn attempt(&self, d: &store::Stored, clock: &Clock) -> Result<(), (String, bool)> {
        let (body, headers) = self.signed(d, clock.now().timestamp()).map_err(|e| (e, false))?;
        self.client.post(&d.url, &headers, body).await.map_err(|e| (e, true))
    }

    fn mail(&self) -> &MailConfig {
        &self.settings.mail
    }
}

/// Delivers what is due once: claims a batch, POSTs each, records how it
/// went. Returns how many were claimed.
pub async fn deliver_due(sender: &Sender, clock: &Clock) -> sqlx::Result<usize> {
    let db = &sender.db;
    let now = clock.now_ms();
    let lease_until = now + i64::try_from(outbox::LEASE.as_millis()).unwrap_or(60_000);
    let claim =
        async |conn: &mut sqlx::AnyConnection| store::QUEUE.claim(conn, db.backend, (now, lease_until), BATCH).await;
    let claimed: Vec<store::Stored> = db.durably(claim).await?;
    for d in &claimed {
        let outcome = sender.attempt(d, clock).await;
        let now = clock.now_ms();
        match outcome {
            Ok(()) => {
                db.durably(async |conn| store::QUEUE.sent(conn, d.id, now).await).await?;
                sender.tally.delivered.inc();
            }
            Err((error, retry)) => {
                let next = retry.then(|| outbox::next_attempt(sender.mail(), d.due_at, d.attempts, now)).flatten();
                let host = url::Url::parse(&d.url).ok().and_then(|u| u.host_str().map(str::to_string));
                rocket::warn!(
                    "{} webhook for {} to {} not delivered (attempt {}): {error}",
                    d.event,
                    d.reference,
                    host.unwrap_or_default(),
                    d.attempts + 1
                );
                db.durably(async |conn| store::QUEUE.attempt_failed(conn, d.id, &error, next).await).await?;
                if next.is_some() { &sender.tally.failed } else { &sender.tally.given_up }.inc();
            }
        }
    }
    Ok(claimed.len())
}

/// The sender: manages a [`Nudge`] and, once the app runs with webhooks
/// configured, delivers due deliveries until shutdown.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Webhooks", |rocket| async {
        rocket.manage(Nudge::default()).attach(AdHoc::on_liftoff("Webhooks sender", |rocket| {
            Box::pin(async move {
                let (Some(settings), Some(db), Some(secrets), Some(nudge), Some(clock)) = (
                    rocket.state::<Settings>(),
                    rocket.state::<Db>(),
                    rocket.state::<Secrets>(),
                    rocket.state::<Nudge>(),
                    rocket.state::<Clock>(),
                ) else {
                    return;
                };
                // NOTE: without webhooks nothing runs, as before they existed.
                if settings.webhooks.0.is_empty() {
                    return;
                }
                let client = match Client::new() {
                    Ok(client) => client,
                    Err(e) => {
                        rocket::error!("webhooks sender cannot start: {e}");
                        return;
                    }
                };
                let tally = rocket.state::<Tally>().cloned().unwrap_or_default();
                let sender = Arc::new(Sender {
                    db: (**db).clone(),
                    client,
                    secrets: secrets.clone(),
                    settings: settings.clone(),
                    tally,
                });
                let clock = clock.clone();
                periodic::repeat(rocket, POLL, Some(nudge.0.notify()), move || {
                    let (sender, clock) = (sender.clone(), clock.clone());
                    async move {
                        let done = deliver_due(&sender, &clock).await;
                        Next::after_delivery(done, BATCH, sender.db.is_closed(), "webhooks")
                    }
                });
            })
        }))
    })
}
