//! Bookable start times: the opening-hours grid, clock changes, notice, horizon and capacity.
//!
//! Pure functions over a prepared [`BookingConfig`] (no database, no web). Start times lie on a
//! grid of `slot_step_minutes` local wall-clock minutes counted from the start of each opening
//! range. A start time is offered when the appointment's whole span (duration plus buffer) lies
//! inside that one range measured in real time, it is at least `min_notice_minutes` away, its
//! local date is within the horizon, and at every moment of the span fewer than `capacity` busy
//! spans (bookings and holds) overlap.
//!
//! Clock changes: wall-clock times that do not exist (clock set forward) are skipped; wall-clock
//! times that occur twice (clock set back) yield both instants, each checked on its own. Range
//! boundaries that fall into a gap mean the first instant after the gap; ambiguous boundaries
//! mean the earlier instant.

use chrono::{DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::{BookingConfig, Service};

/// A span that occupies capacity (a booking or another visitor's hold), half-open
/// `[start, end)` in UTC; `end = start + duration + buffer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// First instant occupied.
    pub start: DateTime<Utc>,
    /// First instant free again.
    pub end: DateTime<Utc>,
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

/// Bookable start times of one local date for `service`, in chronological order.
/// Empty outside the horizon.
pub fn day_slots(
    config: &BookingConfig,
    service: &Service,
    date: NaiveDate,
    now: DateTime<Utc>,
    busy: &[Busy],
) -> Vec<Slot> {
    let (first, last) = horizon(config, now);
    if !(first..=last).contains(&date) {
        return Vec::new();
    }
    let tz = config.tz();
    let span = Duration::minutes(i64::from(service.span_minutes()));
    let notice = Duration::minutes(i64::from(config.min_notice_minutes));
    let earliest = now.checked_add_signed(notice).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let step = config.slot_step_minutes.get() as usize;
    let mut slots = Vec::new();
    for range in config.ranges(date.weekday()) {
        let (Some(open), Some(close)) = (boundary(tz, date, range.start), boundary(tz, date, range.end)) else {
            continue;
        };
        // NOTE: every start of this range lies in [open, close]; only spans
        // overlapping it can matter, so each slot scans those, not the
        // whole horizon's bookings.
        let near: Vec<Busy> = busy.iter().filter(|b| b.start < close && b.end > open).copied().collect();
        for minute in (range.start..range.end).step_by(step) {
            let Some(wall) = wall_clock(date, minute) else { continue };
            for start in instants(tz, &wall) {
                let Some(end) = start.checked_add_signed(span) else { continue };
                if start >= open
                    && end <= close
                    && start >= earliest
                    && has_room(config.capacity.get(), start, end, &near)
                {
                    slots.push(Slot {
                        start,
                        value: slot_value(tz, start),
                        label: start.with_timezone(&tz).format("%H:%M").to_string(),
                    });
                }
            }
        }
    }
    slots.sort_by_key(|slot| slot.start);
    slots.dedup_by_key(|slot| slot.start);
    slots
}

/// Whether `start` is a bookable start for `service`: exactly one of the start times
/// [`day_slots`] lists for its local date.
pub fn is_bookable(
    config: &BookingConfig,
    service: &Service,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    busy: &[Busy],
) -> bool {
    let date = start.with_timezone(&config.tz()).date_naive();
    day_slots(config, service, date, now, busy).iter().any(|slot| slot.start == start)
}

/// The form value of an instant: local `YYYY-MM-DDTHH:MM`; when that local time occurs twice
/// (clock set back), the later occurrence gets its offset appended, e.g.
/// `2026-10-25T02:30+01:00`; the earlier has no suffix.
pub fn slot_value(tz: Tz, start: DateTime<Utc>) -> String {
    let local = start.with_timezone(&tz);
    let text = local.format("%Y-%m-%dT%H:%M").to_string();
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

/// The busy span of an appointment of `service` starting at `start`.
pub fn busy_span(service: &Service, start: DateTime<Utc>) -> Busy {
    let span = Duration::minutes(i64::from(service.span_minutes()));
    Busy { start, end: start.checked_add_signed(span).unwrap_or(DateTime::<Utc>::MAX_UTC) }
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

#[cfg(test)]
mod tests;
