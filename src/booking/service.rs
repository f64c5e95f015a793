//! The booking use cases: hold a time, release it, confirm a booking, find
//! and cancel one from its link. Each owns its whole transaction — the lock,
//! reading what is taken (busy spans, and the day's counts when a daily cap
//! is set), the check (straight into [`availability`]), the write — so no
//! caller can forget a rule and no rule lives in a handler.
//!
//! Callers get a typed outcome ([`Confirmation`], [`Cancellation`]) and turn
//! it into a response; only database failures are errors.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::{AnyConnection, Connection};

use super::availability::{self, DayCounts, Taken};
use super::store::{self, NewBooking};
use crate::clock::Clock;
use crate::config::{BookingConfig, Event, Service};
use crate::db::{DbPool, Lane};
use crate::mail::{MailError, Recipient};
use crate::metrics::Metrics;
use crate::outbox::{self, About, Letters, Prepared, Wake};
use crate::secrets::{random_token, Secrets};
use crate::webhooks::{self, Hooks};

/// Draws of a fresh reference when the drawn one is taken.
const REFERENCE_DRAWS: usize = 3;

/// The booking service over the app's database and `[booking]` rules, at
/// the app's clock; built by the web layer's guard for each request, or with
/// [`Bookings::new`] outside one.
pub struct Bookings<'a> {
    config: &'a BookingConfig,
    db: &'a DbPool,
    clock: &'a Clock,
    /// Keys the links' tokens.
    secrets: &'a Secrets,
    /// Slots one client may hold at once; 0 = no limit.
    holds_per_client: u32,
    /// Prepares the emails stored with a booking or cancellation (none
    /// without: unit tests of the rules).
    letters: Option<(Letters<'a>, &'a str)>,
    /// Told what happened: the sender woken for stored emails, the counters.
    told: Option<(&'a Wake, &'a Metrics)>,
    /// Prepares the webhook deliveries stored with each change (none without).
    hooks: Option<Hooks<'a>>,
}

/// Why a use case could not complete.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// An email to store could not be rendered.
    #[error("email: {0}")]
    Mail(#[from] MailError),
}

/// What asking to hold a time came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Held {
    /// Held: the hold as placed (none when holds are off and the time is free).
    Placed(Option<LiveHold>),
    /// Not free.
    Taken,
    /// The client already holds `abuse.holds_per_client` other slots.
    TooMany,
}

/// The visitor's contact details, as verified by the wizard.
pub struct Contact<'a> {
    /// Name.
    pub name: &'a str,
    /// Verified address.
    pub email: &'a str,
    /// Phone or "".
    pub phone: &'a str,
    /// Notes or "".
    pub notes: &'a str,
    /// Language of the emails about the booking.
    pub lang: &'a str,
    /// The zone the visitor chose, when not the practice's: the emails give
    /// their time in it too, and it is kept with the booking.
    pub zone: Option<chrono_tz::Tz>,
}

/// A booking to make: one flow's service, start and contact.
pub struct Request<'a> {
    /// (rev 3) With practitioners, whom the visitor chose (`None`: anyone);
    /// ignored without.
    pub whom: Option<Whom<'a>>,
    /// The wizard flow (keys its hold; a second confirm finds its booking).
    pub flow: &'a str,
    /// The service.
    pub service: &'a Service,
    /// The start.
    pub start: DateTime<Utc>,
    /// Who books.
    pub contact: Contact<'a>,
}

/// What confirming came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Booked now: its reference and the token of its link (shown once, in
    /// the confirmation email; only its hash is stored).
    Booked {
        /// The reference.
        reference: String,
        /// The token of the booking's link.
        token: String,
    },
    /// This flow had booked already (a second submit): its reference.
    Already(String),
    /// The time is no longer free.
    Taken,
}

impl<'a> Bookings<'a> {
    /// The service over `db` with `config`'s rules, at `clock`'s time, its
    /// links keyed by `secrets`.
    pub fn new(config: &'a BookingConfig, db: &'a DbPool, clock: &'a Clock, secrets: &'a Secrets) -> Bookings<'a> {
        Bookings { config, db, clock, secrets, holds_per_client: 0, letters: None, told: None, hooks: None }
    }

    /// The same service, letting one client hold at most `limit` slots at
    /// once (0 = no limit).
    pub fn with_hold_limit(self, limit: u32) -> Bookings<'a> {
        Bookings { holds_per_client: limit, ..self }
    }

    /// The same service, storing the emails `letters` prepares (links
    /// under `public_base`) in each booking's and cancellation's transaction.
    pub fn with_letters(self, letters: Letters<'a>, public_base: &'a str) -> Bookings<'a> {
        Bookings { letters: Some((letters, public_base)), ..self }
    }

    /// The same service, waking `wake`'s sender once it stored emails and
    /// counting bookings, moves and cancellations in `metrics`.
    pub fn telling(self, wake: &'a Wake, metrics: &'a Metrics) -> Bookings<'a> {
        Bookings { told: Some((wake, metrics)), ..self }
    }

    /// The same service, storing the webhook deliveries `hooks` prepares in
    /// each booking's, move's and cancellation's transaction.
    pub fn with_webhooks(self, hooks: Hooks<'a>) -> Bookings<'a> {
        Bookings { hooks: Some(hooks), ..self }
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Emails were stored: the sender delivers them now, and `count` counts
    /// what happened.
    fn tell(&self, count: impl FnOnce(&Metrics)) {
        if let Some((wake, metrics)) = self.told {
            wake.now();
            count(metrics);
        }
    }

    fn fits(&self, service: &Service, start: DateTime<Utc>, taken: &Taken) -> bool {
        availability::is_bookable(self.config, service, start, self.clock.now(), taken)
    }

    /// What is taken on the local dates `first..=last` for `flow` (its own
    /// hold excluded): the busy spans overlapping them and, when a daily cap
    /// is set, the starts on each date.
    pub async fn taken(&self, first: NaiveDate, last: NaiveDate, flow: &str) -> sqlx::Result<Taken> {
        let tz = self.config.tz();
        let (from, to) = (availability::day_bounds(tz, first).0, availability::day_bounds(tz, last).1);
        let now = self.clock.now_ms();
        self.db
            .leased(Lane::Read, async |conn| {
                let busy = store::busy(&mut *conn, from, to, flow, now).await?;
                let starts = self.day_counts(conn, first, last, flow).await?;
                Ok(Taken { busy, starts })
            })
            .await
    }

    /// What is taken around an appointment of `service` at `start` for
    /// `flow`: the spans overlapping its busy span, and its date's counts.
    async fn taken_at(
        &self,
        conn: &mut AnyConnection,
        service: &Service,
        start: DateTime<Utc>,
        flow: &str,
    ) -> sqlx::Result<Taken> {
        let span = availability::busy_span(service, start);
        let busy = store::busy(&mut *conn, span.start, span.end, flow, self.clock.now_ms()).await?;
        let date = start.with_timezone(&self.config.tz()).date_naive();
        let starts = self.day_counts(conn, date, date, flow).await?;
        Ok(Taken { busy, starts })
    }

    /// Starts on each local date of `first..=last` (none read when no daily
    /// cap is set: nothing would use them).
    async fn day_counts(
        &self,
        conn: &mut AnyConnection,
        first: NaiveDate,
        last: NaiveDate,
        flow: &str,
    ) -> sqlx::Result<DayCounts> {
        if !self.config.has_daily_caps() {
            return Ok(DayCounts::default());
        }
        let tz = self.config.tz();
        let days: Vec<_> = first
            .iter_days()
            .take_while(|day| *day <= last)
            .map(|day| {
                let (from, to) = availability::day_bounds(tz, day);
                (day, from, to)
            })
            .collect();
        store::day_counts(conn, &days, flow, self.clock.now_ms()).await
    }

    /// Books `request` if its time is still free and its date under every
    /// daily cap, turning the flow's hold into the booking; a flow books at
    /// most once.
    pub async fn confirm(&self, request: &Request<'_>) -> Result<Confirmation, ServiceError> {
        let token = random_token(24);
        let token_hash = link_hash(self.secrets, &token);
        let mut seat = self.expected_seat(request).await?;
        let mut draws = 0;
        while draws < REFERENCE_DRAWS {
            let reference = new_reference();
            let booking = new_booking(request, &reference, &token_hash, seat.as_deref());
            let emails = self.booked_emails(request, &booking, &token)?;
            let hooked = self.deliveries(Event::Created, &hooks::snapshot(&booking, false));
            let outcome = self
                .db
                .durably(async |conn| match self.confirm_on(conn, request, &booking, (&emails, &hooked)).await {
                    // NOTE: a reference collision violates its unique index: draw again.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
                    other => other.map(Some),
                })
                .await?;
            match outcome {
                Some(Stored::New) => {
                    self.tell(Metrics::booked);
                    self.nudge(&hooked);
                    return Ok(Confirmation::Booked { reference, token });
                }
                Some(Stored::Already(existing)) => return Ok(Confirmation::Already(existing)),
                Some(Stored::Taken) => return Ok(Confirmation::Taken),
                // NOTE: the lock chose another practitioner than the emails
                // name (the hold lapsed): prepare them again for that one.
                Some(Stored::Reseat(other)) => seat = other,
                None => draws += 1,
            }
        }
        Err(sqlx::Error::Protocol(format!("no free booking reference after {REFERENCE_DRAWS} draws")).into())
    }

    /// The confirmation and reminders of `booking`, ready to store.
    fn booked_emails(
        &self,
        request: &Request<'_>,
        booking: &NewBooking<'_>,
        token: &str,
    ) -> Result<Vec<Prepared>, MailError> {
        let Some((letters, base)) = &self.letters else { return Ok(Vec::new()) };
        let contact = &request.contact;
        let to = Recipient { name: contact.name, email: contact.email, lang: contact.lang };
        let about = About {
            reference: booking.reference,
            service: request.service,
            starts_at: booking.starts_at,
            ends_at: booking.ends_at,
            sequence: 0,
            visitor: request.contact.zone,
            practitioner: self.config.practitioner_name(booking.practitioner_id),
        };
        letters.booked(&to, &about, &manage_url(base, booking.reference, token))
    }

    async fn confirm_on(
        &self,
        conn: &mut AnyConnection,
        request: &Request<'_>,
        booking: &NewBooking<'_>,
        (emails, hooked): (&[Prepared], &[webhooks::Prepared]),
    ) -> sqlx::Result<Stored> {
        let mut tx = conn.begin().await?;
        store::lock(&mut tx).await?;
        if let Some(existing) = store::reference_of_flow(&mut tx, request.flow).await? {
            tx.rollback().await?;
            return Ok(Stored::Already(existing));
        }
        let (chosen, expected) = ((request.service, request.start), booking.practitioner_id);
        let Some(seat) = self.seat(&mut tx, chosen, request.flow, (request.whom, expected)).await? else {
            tx.rollback().await?;
            return Ok(Stored::Taken);
        };
        if seat.as_deref() != expected {
            tx.rollback().await?;
            return Ok(Stored::Reseat(seat));
        }
        let now = self.clock.now_ms();
        store::insert(&mut tx, booking, now).await?;
        store::release(&mut *tx, request.flow).await?;
        outbox::keep(&mut tx, emails, booking.reference, now).await?;
        webhooks::keep(&mut tx, hooked, now).await?;
        tx.commit().await?;
        Ok(Stored::New)
    }
}

/// What one attempt at storing a booking came to.
enum Stored {
    New,
    Already(String),
    Taken,
    /// Free, but for another practitioner than expected.
    Reseat(Seat),
}

fn new_booking<'a>(
    request: &'a Request<'a>,
    reference: &'a str,
    token_hash: &'a str,
    practitioner_id: Option<&'a str>,
) -> NewBooking<'a> {
    let service = request.service;
    let span = availability::busy_span(service, request.start);
    NewBooking {
        reference,
        flow_id: request.flow,
        service_id: &service.id,
        starts_at: request.start,
        ends_at: request.start + Duration::minutes(service.duration_minutes.into()),
        busy_from: span.start,
        busy_until: span.end,
        name: request.contact.name,
        email: request.contact.email,
        phone: request.contact.phone,
        notes: request.contact.notes,
        lang: request.contact.lang,
        cancel_token_hash: token_hash,
        visitor_tz: request.contact.zone.map(|zone| zone.name()),
        practitioner_id,
        asked_for: matches!(request.whom, Some(Whom::Anyone)).then_some(crate::config::ANY),
    }
}

mod hold;
mod hooks;
mod link;
mod manage;
mod staffed;

#[cfg(test)]
use link::REFERENCE_ALPHABET;
use link::{link_hash, token_matches};
pub use link::{manage_url, new_reference};

pub use crate::booking::availability::staffed::Whom;
pub use hold::LiveHold;
pub use manage::{frozen, Cancellation, Frozen, Rescheduled};
pub use staffed::{Assigned, Seat};

#[cfg(test)]
mod tests;
