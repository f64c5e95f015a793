//! The booking service with practitioners (SPEC §2e): what is taken, read
//! once for every practitioner, and the seat a time goes to — checked and
//! chosen under the booking lock, in the caller's transaction, so that no
//! moment of a practitioner is ever booked beyond their capacity.
//!
//! Without practitioners the seat is the practice's shared calendar
//! (`None`), checked by the rules of revision 2 exactly as before.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, AnyConnection, Connection, Transaction};

use super::{Bookings, Request};
use crate::booking::availability::staffed::{self, Staffed, Whom};
use crate::booking::availability::{self, Taken};
use crate::booking::store::staffed as staff_store;
use crate::booking::store::{self, Booking};
use crate::config::{Practitioner, Service, ANY};
use crate::db::Lane;

/// Whose calendar a hold or booking occupies: a practitioner's id, or
/// `None` (no practitioners: the practice's shared calendar).
pub type Seat = Option<String>;

impl<'a> Bookings<'a> {
    /// What is taken on the local dates `first..=last` for `flow` (its own
    /// hold excluded), by practitioner: one read for all of them.
    pub async fn taken_staffed(&self, first: NaiveDate, last: NaiveDate, flow: &str) -> sqlx::Result<Staffed> {
        let tz = self.config.tz();
        let (from, to) = (availability::day_bounds(tz, first).0, availability::day_bounds(tz, last).1);
        let days = self.days(first, last);
        let now = self.clock.now_ms();
        self.db.leased(Lane::Read, async |conn| staff_store::taken(conn, (from, to), &days, flow, now).await).await
    }

    /// The bounds of each local date of `first..=last`.
    pub(super) fn days(&self, first: NaiveDate, last: NaiveDate) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
        let tz = self.config.tz();
        let dates = first.iter_days().take_while(|day| *day <= last);
        dates
            .map(|day| {
                let (from, to) = availability::day_bounds(tz, day);
                (day, from, to)
            })
            .collect()
    }

    /// The seat `service` at `start` takes for `flow` with `whom` (`None`:
    /// anyone), preferring `current` when free; `None` when no one can take
    /// it. Run inside the transaction that holds the booking lock and writes
    /// the hold or booking.
    pub(super) async fn seat(
        &self,
        conn: &mut AnyConnection,
        (service, start): (&Service, DateTime<Utc>),
        flow: &str,
        (whom, current): (Option<Whom<'_>>, Option<&str>),
    ) -> sqlx::Result<Option<Seat>> {
        if !self.config.staffed() {
            let taken = self.taken_at(conn, service, start, flow).await?;
            return Ok(self.fits(service, start, &taken).then_some(None));
        }
        let span = availability::busy_span(service, start);
        let date = start.with_timezone(&self.config.tz()).date_naive();
        let days = self.days(date, date);
        let taken = staff_store::taken(conn, (span.start, span.end), &days, flow, self.clock.now_ms()).await?;
        let whom = whom.unwrap_or(Whom::Anyone);
        let chosen = staffed::choose(self.config, whom, current, service, (start, self.clock.now()), &taken);
        Ok(chosen.map(|p| Some(p.id.clone())))
    }

    /// Whom a move of `booking` may go to (`None` inside: no practitioners):
    /// its own practitioner when the visitor named them; anyone who offers
    /// the service when they asked for anyone, or when it belongs to no
    /// practitioner. `None`: its practitioner left the configuration, and
    /// nobody can move a booking to them.
    pub fn mover(&self, booking: &Booking) -> Option<Option<Whom<'a>>> {
        if !self.config.staffed() {
            return Some(None);
        }
        match (booking.asked_for.as_deref(), booking.practitioner_id.as_deref()) {
            (Some(ANY), _) | (_, None) => Some(Some(Whom::Anyone)),
            (_, Some(id)) => self.config.practitioner(id).map(|p| Some(Whom::Named(p))),
        }
    }

    /// Whether `start` is a start time for `service` with `whom` by every
    /// rule but what is taken (grid, hours, dates, notice, horizon).
    pub(super) fn valid_start(&self, service: &Service, whom: Option<Whom<'_>>, start: DateTime<Utc>) -> bool {
        let now = self.clock.now();
        if !self.config.staffed() {
            return availability::is_bookable(self.config, service, start, now, &Taken::default());
        }
        let whom = whom.unwrap_or(Whom::Anyone);
        staffed::choose(self.config, whom, None, service, (start, now), &Staffed::default()).is_some()
    }

    /// The seat a confirm expects to book: the named practitioner, or for
    /// anyone the one the flow's live hold names (checked again under the lock).
    pub(super) async fn expected_seat(&self, request: &Request<'_>) -> sqlx::Result<Seat> {
        match request.whom {
            _ if !self.config.staffed() => Ok(None),
            Some(Whom::Named(practitioner)) => Ok(Some(practitioner.id.clone())),
            _ => self.held_by(request.flow).await,
        }
    }

    /// The practitioner `flow`'s live hold names, if any.
    pub async fn held_by(&self, flow: &str) -> sqlx::Result<Option<String>> {
        let now = self.clock.now_ms();
        self.db.leased(Lane::Read, async |conn| staff_store::held_by(&mut *conn, flow, now).await).await
    }

    /// The practitioner of the booking `reference`, if it has one.
    pub async fn practitioner_of(&self, reference: &str) -> sqlx::Result<Option<String>> {
        if !self.config.staffed() {
            return Ok(None);
        }
        let booking = self.db.leased(Lane::Read, async |conn| store::find(conn, reference).await).await?;
        Ok(booking.and_then(|b| b.practitioner_id))
    }

    /// The practitioners who left the configuration but keep standing
    /// bookings from now on: each id with the count (for the launch to warn).
    pub async fn departed(&self) -> sqlx::Result<Vec<(String, i64)>> {
        let now = self.clock.now();
        let all = self.db.leased(Lane::Read, async |conn| staff_store::future_by_practitioner(conn, now).await).await?;
        Ok(all.into_iter().filter(|(id, _)| self.config.practitioner(id).is_none()).collect())
    }

    /// Whether `practitioner` is configured or has bookings (one who left).
    pub async fn knows(&self, practitioner: &str) -> sqlx::Result<bool> {
        if self.config.practitioner(practitioner).is_some() {
            return Ok(true);
        }
        self.db.leased(Lane::Read, async |conn| staff_store::has_bookings(conn, practitioner).await).await
    }

    /// Gives the standing booking `reference` that belongs to no
    /// practitioner to `practitioner` (the move from one shared calendar to
    /// practitioners), under the booking lock: not when it would run them
    /// beyond their capacity alongside their own bookings and holds.
    pub async fn assign(&self, reference: &str, practitioner: &Practitioner) -> sqlx::Result<Assigned> {
        self.db
            .durably(async |conn| {
                let mut tx = conn.begin().await?;
                store::lock(&mut tx).await?;
                let assigned = self.assign_on(&mut tx, reference, practitioner).await?;
                match assigned {
                    Assigned::Given => tx.commit().await?,
                    _ => tx.rollback().await?,
                }
                Ok(assigned)
            })
            .await
    }

    async fn assign_on(
        &self,
        tx: &mut Transaction<'_, Any>,
        reference: &str,
        practitioner: &Practitioner,
    ) -> sqlx::Result<Assigned> {
        let Some(booking) = store::find(tx, reference).await? else { return Ok(Assigned::NotFound) };
        if booking.cancelled || booking.practitioner_id.is_some() {
            return Ok(Assigned::Not(booking.practitioner_id));
        }
        let Some(service) = self.config.service(&booking.service_id) else { return Ok(Assigned::Busy) };
        let span = availability::busy_span(service, booking.starts_at);
        let busy = staff_store::taken(tx, (span.start, span.end), &[], &booking.flow_id, self.clock.now_ms()).await?;
        let own = busy.own.get(&practitioner.id).map_or(&[][..], Vec::as_slice);
        if !staffed::has_room_for(practitioner, span, own) {
            return Ok(Assigned::Busy);
        }
        staff_store::give(tx, reference, &practitioner.id).await?;
        Ok(Assigned::Given)
    }
}

/// What giving a booking to a practitioner came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Assigned {
    /// It is theirs now.
    Given,
    /// No booking has that reference.
    NotFound,
    /// It is cancelled (`None`) or belongs to a practitioner already.
    Not(Option<String>),
    /// They have no room then (or its service left the configuration).
    Busy,
}
