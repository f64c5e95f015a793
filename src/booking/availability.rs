//! Bookable start times: the opening-hours grid, date overrides, clock changes, notice, horizon,
//! capacity, buffers and daily caps.
//!
//! Pure functions over a prepared [`BookingConfig`] and what is already [`Taken`] (no database, no
//! web: the caller reads the busy spans and the day counts and hands them in). A local date's
//! opening ranges are [`BookingConfig::ranges_on`]: its override in `[booking.dates]`, else its
//! weekday's hours. Start times lie on a grid of `slot_step_minutes` local wall-clock minutes
//! counted from the start of each opening range. A start time is offered when the appointment's
//! occupied span `[start − buffer before, start + duration + buffer after)` lies inside that one
//! range measured in real time, the start is at least `min_notice_minutes` away, its local date is
//! within the horizon and under every daily cap that applies, and at every moment of the span
//! fewer than `capacity` busy spans (bookings and holds) overlap.
//!
//! Clock changes: wall-clock times that do not exist (clock set forward) are skipped; wall-clock
//! times that occur twice (clock set back) yield both instants, each checked on its own. Range
//! boundaries that fall into a gap mean the first instant after the gap; ambiguous boundaries
//! mean the earlier instant.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::config::{BookingConfig, OpeningRange, Service};

/// A span that occupies capacity (a booking or another visitor's hold), half-open
/// `[start, end)` in UTC: see [`busy_span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// First instant occupied.
    pub start: DateTime<Utc>,
    /// First instant free again.
    pub end: DateTime<Utc>,
}

/// Bookings and live holds starting on each local date, by service: what the daily caps count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts(BTreeMap<NaiveDate, BTreeMap<String, u32>>);

impl DayCounts {
    /// Records `count` more starts of `service_id` on `date`.
    pub fn add(&mut self, date: NaiveDate, service_id: &str, count: u32) {
        let day = self.0.entry(date).or_default();
        let n = day.entry(service_id.to_string()).or_default();
        *n = n.saturating_add(count);
    }

    /// Starts on `date`, all services together.
    pub fn all(&self, date: NaiveDate) -> u32 {
        self.0.get(&date).map_or(0, |day| day.values().fold(0, |sum, n| sum.saturating_add(*n)))
    }

    /// Starts of `service_id` on `date`.
    pub fn of(&self, date: NaiveDate, service_id: &str) -> u32 {
        self.0.get(&date).and_then(|day| day.get(service_id)).copied().unwrap_or(0)
    }
}

/// What already occupies the calendar, as the caller read it (another flow's hold included, the
/// asking flow's own excluded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Taken {
    /// Spans occupying capacity around the instants asked about.
    pub busy: Vec<Busy>,
    /// Starts per local date, for the dates asked about (only needed when a cap is set).
    pub starts: DayCounts,
}

/// Why a day offers no start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Empty {
    /// Outside the horizon.
    Outside,
    /// No opening range: closed by its weekday's hours or by a date override.
    Closed,
    /// Open, but the service with its buffers fits none of the day's ranges.
    Unfit,
    /// Every start the day had is sooner than the notice allows: no time left.
    Late,
    /// A daily cap is reached, or capacity is taken at every start left.
    Full,
}

/// One local date's bookable start times for a service, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// The start times, in chronological order.
    pub slots: Vec<Slot>,
    /// Why `slots` is empty (`None` when it is not).
    pub empty: Option<Empty>,
}

/// One bookable start time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Slot {
    /// The start instant.
    pub start: DateTime<Utc>,
    /// The form value, see [`slot_value`].
    pub value: String,
    /// Local wall-clock time, `HH:MM`.
    pub label: String,
}

/// Local dates of the horizon: today (local, in the config's zone) ..= today + horizon_days − 1.
pub fn horizon(config: &BookingConfig, now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let today = now.with_timezone(&config.tz()).date_naive();
    let extra = Days::new(u64::from(config.horizon_days.get() - 1));
    (today, today.checked_add_days(extra).unwrap_or(NaiveDate::MAX))
}

/// Bookable start times of one local date for `service` and, when there are none, why.
pub fn day(config: &BookingConfig, service: &Service, date: NaiveDate, now: DateTime<Utc>, taken: &Taken) -> Day {
    let calendar = Calendar {
        ranges: config.ranges_on(date),
        capacity: config.capacity.get(),
        under_caps: under_caps(config, service, date, &taken.starts),
        busy: &taken.busy,
    };
    day_in(config, service, date, now, &calendar)
}

/// One calendar's side of a day: the practice's shared one, or a practitioner's (`staffed.rs`).
pub(crate) struct Calendar<'a> {
    /// The date's opening ranges.
    pub ranges: &'a [OpeningRange],
    /// Appointments that may overlap at any moment.
    pub capacity: u32,
    /// Whether the date takes one more start under every daily cap that applies.
    pub under_caps: bool,
    /// What occupies this calendar.
    pub busy: &'a [Busy],
}

/// Bookable start times of one local date for `service` in `calendar` and, when there are none, why.
pub(crate) fn day_in(
    config: &BookingConfig,
    service: &Service,
    date: NaiveDate,
    now: DateTime<Utc>,
    calendar: &Calendar<'_>,
) -> Day {
    let (starts, empty) = starts_in(config, service, date, now, calendar);
    let tz = config.tz();
    Day { slots: starts.into_iter().map(|start| slot_at(tz, start)).collect(), empty }
}

/// The slot of the start `start`, as forms and pages show it.
pub(crate) fn slot_at(tz: Tz, start: DateTime<Utc>) -> Slot {
    let local = start.with_timezone(&tz);
    Slot { start, value: slot_value(tz, start), label: format!("{:02}:{:02}", local.hour(), local.minute()) }
}

/// The bookable starts of [`day_in`], in chronological order, not yet
/// formatted (a union over practitioners formats each start once), and why
/// there are none.
pub(crate) fn starts_in(
    config: &BookingConfig,
    service: &Service,
    date: NaiveDate,
    now: DateTime<Utc>,
    calendar: &Calendar<'_>,
) -> (Vec<DateTime<Utc>>, Option<Empty>) {
    let (first, last) = horizon(config, now);
    if !(first..=last).contains(&date) {
        return (Vec::new(), Some(Empty::Outside));
    }
    let ranges = calendar.ranges;
    if ranges.is_empty() {
        return (Vec::new(), Some(Empty::Closed));
    }
    let tz = config.tz();
    let notice = Duration::minutes(i64::from(config.min_notice_minutes));
    let earliest = now.checked_add_signed(notice).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let step = config.slot_step_minutes.get() as usize;
    let under_caps = calendar.under_caps;
    let (mut fits, mut in_time) = (false, false);
    let mut slots = Vec::new();
    for range in ranges {
        let (Some(open), Some(close)) = (boundary(tz, date, range.start), boundary(tz, date, range.end)) else {
            continue;
        };
        // NOTE: every span of this range lies in [open, close]; only busy
        // spans overlapping it can matter, so each slot scans those, not the
        // whole horizon's bookings.
        let near: Vec<Busy> = calendar.busy.iter().filter(|b| b.start < close && b.end > open).copied().collect();
        for minute in (range.start..range.end).step_by(step) {
            let Some(wall) = wall_clock(date, minute) else { continue };
            for start in instants(tz, &wall) {
                let span = busy_span(service, start);
                if span.start < open || span.end > close {
                    continue;
                }
                fits = true;
                if start < earliest {
                    continue;
                }
                in_time = true;
                if under_caps && has_room(calendar.capacity, span.start, span.end, &near) {
                    slots.push(start);
                }
            }
        }
    }
    slots.sort_unstable();
    slots.dedup();
    let empty = match (slots.is_empty(), fits, in_time) {
        (false, _, _) => None,
        (true, false, _) => Some(Empty::Unfit),
        (true, true, false) => Some(Empty::Late),
        (true, true, true) => Some(Empty::Full),
    };
    (slots, empty)
}

/// Bookable start times of one local date for `service`, in chronological order (see [`day`]).
/// Empty outside the horizon.
pub fn day_slots(
    config: &BookingConfig,
    service: &Service,
    date: NaiveDate,
    now: DateTime<Utc>,
    taken: &Taken,
) -> Vec<Slot> {
    day(config, service, date, now, taken).slots
}

/// Whether `date` takes one more start of `service` under `booking.max_per_day` and the
/// service's own `max_per_day`, given the starts `counts` already has.
pub fn under_caps(config: &BookingConfig, service: &Service, date: NaiveDate, counts: &DayCounts) -> bool {
    config.max_per_day.admits(counts.all(date)) && service.max_per_day.admits(counts.of(date, &service.id))
}

/// The instants bounding the local date `date`: its first instant and the next date's first.
/// A start lies on `date` exactly when it lies in `[first, next)`.
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        boundary(tz, date, 0).unwrap_or(DateTime::<Utc>::MIN_UTC),
        boundary(tz, date, 1440).unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// Whether `start` is a bookable start for `service`: exactly one of the start times
/// [`day_slots`] lists for its local date.
pub fn is_bookable(
    config: &BookingConfig,
    service: &Service,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    taken: &Taken,
) -> bool {
    let date = start.with_timezone(&config.tz()).date_naive();
    day_slots(config, service, date, now, taken).iter().any(|slot| slot.start == start)
}

/// The form value of an instant: local `YYYY-MM-DDTHH:MM`; when that local time occurs twice
/// (clock set back), the later occurrence gets its offset appended, e.g.
/// `2026-10-25T02:30+01:00`; the earlier has no suffix.
///
/// NOTE: written field by field, not with chrono's `format`, which parses
/// its pattern again on every call: the slot page writes the value and the
/// label of every time it offers (`bench/profile.py slot`: 9.75 million
/// instructions per request before, see the closing figures in
/// docs/benchmark.md).
pub fn slot_value(tz: Tz, start: DateTime<Utc>) -> String {
    let local = start.with_timezone(&tz);
    let (date, time) = (local.date_naive(), local.time());
    let text = format!("{date}T{:02}:{:02}", time.hour(), time.minute());
    match tz.from_local_datetime(&local.naive_local()) {
        LocalResult::Ambiguous(_, later) if later == local => format!("{text}{}", local.format("%:z")),
        _ => text,
    }
}

/// Parses a form value back to an instant.
///
/// `YYYY-MM-DDTHH:MM` is the local time (the earlier instant if it occurs twice; `None` if it
/// does not exist). With an offset suffix `+HH:MM`/`-HH:MM` it is only valid when the local time
/// occurs twice and the offset is that of one of the two occurrences. Anything else is `None`.
pub fn parse_slot_value(tz: Tz, value: &str) -> Option<DateTime<Utc>> {
    let bytes = value.as_bytes();
    if bytes.len() < 16 {
        return None;
    }
    let (text, suffix) = bytes.split_at(16);
    if text[4] != b'-' || text[7] != b'-' || text[10] != b'T' || text[13] != b':' {
        return None;
    }
    let year = i32::try_from(digits(&text[0..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, digits(&text[5..7])?, digits(&text[8..10])?)?;
    let wall = date.and_hms_opt(digits(&text[11..13])?, digits(&text[14..16])?, 0)?;
    let found = match tz.from_local_datetime(&wall) {
        LocalResult::Single(instant) if suffix.is_empty() => instant,
        LocalResult::Ambiguous(earlier, _) if suffix.is_empty() => earlier,
        LocalResult::Ambiguous(earlier, later) => {
            [earlier, later].into_iter().find(|t| t.format("%:z").to_string().as_bytes() == suffix)?
        }
        _ => return None,
    };
    Some(found.with_timezone(&Utc))
}

/// The busy span of an appointment of `service` starting at `start`:
/// `[start − buffer before, start + duration + buffer after)`.
pub fn busy_span(service: &Service, start: DateTime<Utc>) -> Busy {
    let before = Duration::minutes(i64::from(service.buffer_before_minutes));
    let after = Duration::minutes(i64::from(service.duration_minutes) + i64::from(service.buffer_after_minutes));
    Busy {
        start: start.checked_sub_signed(before).unwrap_or(DateTime::<Utc>::MIN_UTC),
        end: start.checked_add_signed(after).unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

/// A non-empty run of ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

/// Local wall-clock time `minutes` after the local midnight starting `date` (1440 = next midnight).
fn wall_clock(date: NaiveDate, minutes: u32) -> Option<NaiveDateTime> {
    date.and_hms_opt(0, 0, 0)?.checked_add_signed(Duration::minutes(i64::from(minutes)))
}

/// The instants a wall-clock time denotes: none in a gap, two when the clock was set back.
fn instants(tz: Tz, wall: &NaiveDateTime) -> Vec<DateTime<Utc>> {
    match tz.from_local_datetime(wall) {
        LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
        LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
        LocalResult::None => Vec::new(),
    }
}

/// The instant an opening-range boundary denotes: the earlier one if the wall-clock time occurs
/// twice, the first instant after the gap if it does not exist.
fn boundary(tz: Tz, date: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
    let wall = wall_clock(date, minutes)?;
    // The first wall-clock minute that exists again is where the gap ends; gaps last at most a
    // day (Pacific/Apia skipped 2011-12-30).
    (0..=1500)
        .find_map(|skip| tz.from_local_datetime(&wall.checked_add_signed(Duration::minutes(skip))?).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// Whether fewer than `capacity` busy spans overlap at every moment of `[start, end)`.
fn has_room(capacity: u32, start: DateTime<Utc>, end: DateTime<Utc>, busy: &[Busy]) -> bool {
    // Sweep: +1 where a span begins, −1 where it ends; at equal instants ends sort first
    // (half-open spans that merely touch do not overlap).
    let mut events: Vec<(DateTime<Utc>, i64)> = busy
        .iter()
        .filter(|b| b.start < b.end && b.start < end && b.end > start)
        .flat_map(|b| [(b.start.max(start), 1), (b.end.min(end), -1)])
        .collect();
    events.sort_unstable();
    let (mut level, mut peak) = (0i64, 0i64);
    for (_, delta) in events {
        level += delta;
        peak = peak.max(level);
    }
    peak < i64::from(capacity)
}

pub mod staffed;

#[cfg(test)]
mod calendar_tests;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
