//! Availability with practitioners (SPEC §2e): each practitioner is a calendar
//! of their own — their day's ranges ([`Practitioner::ranges_on`]), their
//! `capacity`, their spans plus the spans of no practitioner (bookings and
//! holds made before practitioners were configured block everyone) — under
//! the practice's daily caps and their own. "Anyone" is the union over the
//! practitioners who offer the service, and [`choose`] names the one a time
//! goes to. Pure, like the rest of `availability`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{slot_at, starts_in, under_caps, Busy, Calendar, Day, DayCounts};
use crate::config::{BookingConfig, Practitioner, Service};

/// What is taken, as the caller read it, when practitioners are configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staffed {
    /// Spans of bookings and holds that belong to no practitioner: they
    /// block every practitioner.
    pub shared: Vec<Busy>,
    /// Each practitioner's own spans, by id.
    pub own: BTreeMap<String, Vec<Busy>>,
    /// Starts per local date by service, every practitioner together (the
    /// practice's and the services' daily caps).
    pub starts: DayCounts,
    /// Starts per local date by practitioner id (their own caps, and whom
    /// "anyone" goes to).
    pub by: DayCounts,
}

impl Staffed {
    /// What occupies `practitioner`: the shared spans and their own.
    fn busy_of(&self, practitioner: &Practitioner) -> Vec<Busy> {
        let own = self.own.get(&practitioner.id).map_or(&[][..], Vec::as_slice);
        self.shared.iter().chain(own).copied().collect()
    }
}

/// Whom a visitor asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Whom<'a> {
    /// That practitioner.
    Named(&'a Practitioner),
    /// Anyone who offers the service ("first available").
    Anyone,
}

/// `practitioner`'s bookable start times of one local date for `service`
/// and, when there are none, why.
pub fn practitioner_day(
    config: &BookingConfig,
    practitioner: &Practitioner,
    service: &Service,
    date: NaiveDate,
    now: DateTime<Utc>,
    taken: &Staffed,
) -> Day {
    let (starts, empty) = practitioner_starts(config, practitioner, service, (date, now), taken);
    let tz = config.tz();
    Day { slots: starts.into_iter().map(|start| slot_at(tz, start)).collect(), empty }
}

/// The starts of [`practitioner_day`], not yet formatted.
fn practitioner_starts(
    config: &BookingConfig,
    practitioner: &Practitioner,
    service: &Service,
    (date, now): (NaiveDate, DateTime<Utc>),
    taken: &Staffed,
) -> (Vec<DateTime<Utc>>, Option<super::Empty>) {
    if !practitioner.offers(service) {
        return (Vec::new(), Some(super::Empty::Closed));
    }
    let busy = taken.busy_of(practitioner);
    let calendar = Calendar {
        ranges: practitioner.ranges_on(date, &config.dates, &config.hours),
        capacity: practitioner.capacity.get(),
        under_caps: under_caps(config, service, date, &taken.starts)
            && practitioner.max_per_day.admits(taken.by.of(date, &practitioner.id)),
        busy: &busy,
    };
    starts_in(config, service, date, now, &calendar)
}

/// The start times of one local date for `service` with `whom`: a named
/// practitioner's own, or for anyone the union over those who offer it
/// (when none has any, the most telling reason among theirs).
pub fn day(
    config: &BookingConfig,
    whom: Whom<'_>,
    service: &Service,
    date: NaiveDate,
    now: DateTime<Utc>,
    taken: &Staffed,
) -> Day {
    if let Whom::Named(practitioner) = whom {
        return practitioner_day(config, practitioner, service, date, now, taken);
    }
    // NOTE: the union is taken on instants, and each start is formatted
    // once: formatting every practitioner's starts cost more than the rules.
    let (mut starts, mut reasons) = (Vec::new(), Vec::new());
    for p in config.offering(service) {
        let (own, empty) = practitioner_starts(config, p, service, (date, now), taken);
        starts.extend(own);
        reasons.extend(empty);
    }
    starts.sort_unstable();
    starts.dedup();
    let empty = match starts.is_empty() {
        true => Some(reasons.into_iter().max().unwrap_or(super::Empty::Closed)),
        false => None,
    };
    let tz = config.tz();
    Day { slots: starts.into_iter().map(|start| slot_at(tz, start)).collect(), empty }
}

/// Whether `practitioner` has room for one more appointment occupying
/// `span` beside `own`, their own spans (capacity only: what giving them a
/// booking made before practitioners needs).
pub fn has_room_for(practitioner: &Practitioner, span: Busy, own: &[Busy]) -> bool {
    super::has_room(practitioner.capacity.get(), span.start, span.end, own)
}

/// Whether `practitioner` can take `service` at `start`: exactly one of
/// the start times of their day.
pub fn fits(
    config: &BookingConfig,
    practitioner: &Practitioner,
    service: &Service,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    taken: &Staffed,
) -> bool {
    let date = start.with_timezone(&config.tz()).date_naive();
    practitioner_starts(config, practitioner, service, (date, now), taken).0.binary_search(&start).is_ok()
}

/// The practitioner `service` at `start` goes to for `whom`, or `None` when
/// no one fits: a named one if free; for anyone, `current` when free (a
/// move stays with its practitioner when it can), else the free one with
/// the fewest starts on that local date, ties to the earlier in
/// configuration order.
pub fn choose<'a>(
    config: &'a BookingConfig,
    whom: Whom<'a>,
    current: Option<&str>,
    service: &Service,
    (start, now): (DateTime<Utc>, DateTime<Utc>),
    taken: &Staffed,
) -> Option<&'a Practitioner> {
    let free = |p: &Practitioner| fits(config, p, service, start, now, taken);
    match whom {
        Whom::Named(practitioner) => free(practitioner).then_some(practitioner),
        Whom::Anyone => {
            let date = start.with_timezone(&config.tz()).date_naive();
            let free: Vec<&Practitioner> =
                config.practitioners.iter().filter(|p| p.offers(service) && free(p)).collect();
            let current = free.iter().find(|p| Some(p.id.as_str()) == current);
            // NOTE: `min_by_key` keeps the first of equal keys: configuration order breaks ties.
            current.or_else(|| free.iter().min_by_key(|p| taken.by.of(date, &p.id))).copied()
        }
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
