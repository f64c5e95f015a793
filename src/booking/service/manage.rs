//! The use cases behind a booking's link: find it, move it, cancel it — each
//! in one transaction with the emails it causes, and only while the booking
//! may still change ([`frozen`]).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Connection};

use super::hooks::snapshot;
use super::{manage_url, token_matches, Bookings, Seat, ServiceError, Whom};
use crate::booking::availability;
use crate::booking::store::{self, Booking, NewBooking};
use crate::config::{BookingConfig, Event, Service};
use crate::db::Lane;
use crate::mail::{MailError, Recipient};
use crate::metrics::Metrics;
use crate::outbox::{self, About, Prepared};
use crate::webhooks;

/// Why a booking can no longer be changed online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Frozen {
    /// It was cancelled.
    Cancelled,
    /// Its time has come.
    Past,
    /// It starts within `booking.change_notice_minutes`.
    Late,
}

/// Whether `booking` can no longer be moved or cancelled online at `now`,
/// and why.
pub fn frozen(config: &BookingConfig, booking: &Booking, now: DateTime<Utc>) -> Option<Frozen> {
    let notice = Duration::minutes(config.change_notice_minutes.into());
    if booking.cancelled {
        Some(Frozen::Cancelled)
    } else if booking.starts_at <= now {
        Some(Frozen::Past)
    } else if booking.starts_at - notice <= now {
        Some(Frozen::Late)
    } else {
        None
    }
}

/// What cancelling from the link came to.
#[derive(Debug)]
pub enum Cancellation {
    /// Cancelled now.
    Cancelled(Box<Booking>),
    /// It was cancelled before.
    AlreadyCancelled,
    /// Too late, or past, to cancel online: the booking as it stands.
    Frozen(Box<Booking>, Frozen),
    /// No booking has that reference and token.
    NotFound,
}

/// What moving a booking came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Rescheduled {
    /// Moved (same reference, same link).
    Moved,
    /// The new time is the booking's own: nothing changed, nothing sent.
    Unchanged,
    /// The new time is not free.
    Taken,
    /// The new time breaks a rule whatever is booked (grid, hours, dates,
    /// notice, horizon).
    Invalid,
    /// The booking can no longer be changed online.
    Frozen(Frozen),
    /// Its practitioner left the configuration: it moves to nobody (SPEC
    /// §2e), but stays cancellable.
    Stranded,
}

/// A booking as its emails describe it, with its practitioner's name.
fn about<'a>(booking: &'a Booking, (service, config): (&'a Service, &'a BookingConfig)) -> About<'a> {
    About {
        practitioner: config.practitioner_name(booking.practitioner_id.as_deref()),
        reference: &booking.reference,
        service,
        starts_at: booking.starts_at,
        ends_at: booking.ends_at,
        sequence: u32::try_from(booking.sequence).unwrap_or(u32::MAX),
        visitor: booking.visitor_tz.as_deref().and_then(|zone| zone.parse().ok()),
    }
}

impl Bookings<'_> {
    /// The booking named by `reference` if `token` is its link's token.
    pub async fn find(&self, reference: &str, token: &str) -> sqlx::Result<Option<Booking>> {
        if reference.len() > 16 || token.is_empty() || token.len() > 64 {
            return Ok(None);
        }
        let booking = self.db.leased(Lane::Read, async |conn| store::find(conn, reference).await).await?;
        Ok(booking.filter(|b| token_matches(self.secrets, b, token)))
    }

    /// The bookings starting in `[from, to)`, cancelled ones too, by start.
    pub async fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> sqlx::Result<Vec<Booking>> {
        self.db.leased(Lane::Read, async |conn| store::list(conn, from, to).await).await
    }

    /// Cancels the booking named by `reference` and `token`: in one
    /// transaction its pending reminders go and its cancellation email is
    /// stored.
    pub async fn cancel(&self, reference: &str, token: &str) -> Result<Cancellation, ServiceError> {
        let Some(booking) = self.find(reference, token).await? else { return Ok(Cancellation::NotFound) };
        match frozen(self.config, &booking, self.clock.now()) {
            Some(Frozen::Cancelled) => return Ok(Cancellation::AlreadyCancelled),
            Some(why) => return Ok(Cancellation::Frozen(Box::new(booking), why)),
            None => {}
        }
        let email = self.cancelled_email(&booking)?;
        let hooked = self.deliveries(Event::Cancelled, &snapshot(&NewBooking::of(&booking), true));
        let now = self.clock.now_ms();
        let cancelled = self
            .db
            .durably(async |conn| cancel_on(conn, &booking.reference, (email.as_ref(), &hooked), now).await)
            .await?;
        if !cancelled {
            return Ok(Cancellation::AlreadyCancelled);
        }
        self.tell(Metrics::cancelled);
        self.nudge(&hooked);
        Ok(Cancellation::Cancelled(Box::new(booking)))
    }

    fn cancelled_email(&self, booking: &Booking) -> Result<Option<Prepared>, MailError> {
        let (Some((letters, _)), Some(service)) = (&self.letters, self.config.service(&booking.service_id)) else {
            return Ok(None);
        };
        let to = Recipient { name: &booking.name, email: &booking.email, lang: &booking.lang };
        letters.cancelled(&to, &about(booking, (service, self.config))).map(Some)
    }

    /// Moves `booking` (found by its link's `token`, see [`Bookings::find`])
    /// to `start` (`None`: a value that is no start time), in one
    /// transaction under the booking lock with the same checks as a new
    /// booking (its own span excluded); its pending reminders follow it and
    /// the moved email is stored. `zone`: the mover's own zone, when not the
    /// practice's (the moved email and the reminders give their time too).
    pub async fn reschedule(
        &self,
        (booking, token): (&Booking, &str),
        start: Option<DateTime<Utc>>,
        zone: Option<chrono_tz::Tz>,
    ) -> Result<Rescheduled, ServiceError> {
        let Some(start) = start else { return Ok(Rescheduled::Invalid) };
        let now = self.clock.now();
        if let Some(why) = frozen(self.config, booking, now) {
            return Ok(Rescheduled::Frozen(why));
        }
        if start == booking.starts_at {
            return Ok(Rescheduled::Unchanged);
        }
        let Some(service) = self.config.service(&booking.service_id) else { return Ok(Rescheduled::Invalid) };
        let Some(whom) = self.mover(booking) else { return Ok(Rescheduled::Stranded) };
        if !self.valid_start(service, whom, start) {
            return Ok(Rescheduled::Invalid);
        }
        let span = availability::busy_span(service, start);
        let mut times = NewBooking {
            starts_at: start,
            ends_at: start + Duration::minutes(service.duration_minutes.into()),
            busy_from: span.start,
            busy_until: span.end,
            visitor_tz: zone.map(|zone| zone.name()),
            ..NewBooking::of(booking)
        };
        // NOTE: at most once more: when the lock gives the move to another
        // practitioner than its emails name, they are prepared again for them.
        for _ in 0..2 {
            let emails = self.moved_emails(booking, service, &times, token)?;
            let hooked = self.deliveries(Event::Moved, &snapshot(&times, false));
            let moved = self
                .db
                .durably(async |conn| {
                    self.reschedule_on(conn, (booking, whom), service, &times, (&emails, &hooked)).await
                })
                .await?;
            match moved {
                Ok(Rescheduled::Moved) => {
                    self.tell(Metrics::rescheduled);
                    self.nudge(&hooked);
                }
                Err(seat) => {
                    times.practitioner_id =
                        self.config.practitioner(seat.as_deref().unwrap_or("")).map(|p| p.id.as_str());
                    continue;
                }
                Ok(_) => {}
            }
            return Ok(moved.unwrap_or(Rescheduled::Taken));
        }
        Ok(Rescheduled::Taken)
    }

    fn moved_emails(
        &self,
        booking: &Booking,
        service: &Service,
        times: &NewBooking<'_>,
        token: &str,
    ) -> Result<Vec<Prepared>, MailError> {
        let Some((letters, base)) = &self.letters else { return Ok(Vec::new()) };
        let to = Recipient { name: &booking.name, email: &booking.email, lang: &booking.lang };
        let visitor = times.visitor_tz.and_then(|zone| zone.parse().ok());
        let old = About { visitor, ..about(booking, (service, self.config)) };
        let new = About {
            starts_at: times.starts_at,
            ends_at: times.ends_at,
            sequence: old.sequence + 1,
            ..about(booking, (service, self.config))
        };
        let practitioner = self.config.practitioner_name(times.practitioner_id);
        let new = About { visitor, practitioner, ..new };
        letters.moved(&to, (&old, &new), &manage_url(base, &booking.reference, token))
    }

    /// Moves under the lock; `Err(seat)`: free, but for another
    /// practitioner than `times` names (nothing changed).
    async fn reschedule_on(
        &self,
        conn: &mut AnyConnection,
        (booking, whom): (&Booking, Option<Whom<'_>>),
        service: &Service,
        times: &NewBooking<'_>,
        (emails, hooked): (&[Prepared], &[webhooks::Prepared]),
    ) -> sqlx::Result<Result<Rescheduled, Seat>> {
        let mut tx = conn.begin().await?;
        store::lock(&mut tx).await?;
        let (chosen, current) = ((service, times.starts_at), times.practitioner_id);
        let Some(seat) = self.seat(&mut tx, chosen, &booking.flow_id, (whom, current)).await? else {
            tx.rollback().await?;
            return Ok(Ok(Rescheduled::Taken));
        };
        if seat.as_deref() != current {
            tx.rollback().await?;
            return Ok(Err(seat));
        }
        if !store::move_to(&mut tx, &booking.reference, times).await? {
            tx.rollback().await?;
            return Ok(Ok(Rescheduled::Frozen(Frozen::Cancelled)));
        }
        outbox::store::drop_reminders(&mut tx, &booking.reference).await?;
        let now = self.clock.now_ms();
        outbox::keep(&mut tx, emails, &booking.reference, now).await?;
        webhooks::keep(&mut tx, hooked, now).await?;
        tx.commit().await?;
        Ok(Ok(Rescheduled::Moved))
    }
}

async fn cancel_on(
    conn: &mut AnyConnection,
    reference: &str,
    (email, hooked): (Option<&Prepared>, &[webhooks::Prepared]),
    now: i64,
) -> sqlx::Result<bool> {
    let mut tx = conn.begin().await?;
    if !store::cancel(&mut tx, reference, now).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    outbox::store::drop_reminders(&mut tx, reference).await?;
    outbox::keep(&mut tx, email.map(std::slice::from_ref).unwrap_or_default(), reference, now).await?;
    webhooks::keep(&mut tx, hooked, now).await?;
    tx.commit().await?;
    Ok(true)
}
