//! Opening hours: `"HH:MM-HH:MM"` ranges parsed into [`OpeningRange`]s, and
//! the weekly hours of `[booking.hours]` as a [`Week`].

use std::collections::BTreeMap;

use chrono::Weekday;

use crate::config::error::ConfigError;

/// An opening range of one day, in minutes after local midnight;
/// `end` may be 1440 (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningRange {
    /// First minute.
    pub start: u32,
    /// Minute after the last.
    pub end: u32,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// The opening ranges of each weekday, sorted, not overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Week([Vec<OpeningRange>; 7]);

impl Week {
    /// The opening ranges of `day`.
    pub fn ranges(&self, day: Weekday) -> &[OpeningRange] {
        &self.0[day.num_days_from_monday() as usize]
    }

    /// Parses `[booking.hours]`: `"HH:MM-HH:MM"` ranges by weekday name.
    pub(super) fn parse(hours: &BTreeMap<String, Vec<String>>) -> Result<Week, ConfigError> {
        let mut week = Week::default();
        for (day, ranges) in hours {
            let key = format!("booking.hours.{day}");
            let Some(index) = DAYS.iter().position(|(name, _)| name == day) else {
                return Err(ConfigError::new(key, "unknown weekday (use mon, tue, wed, thu, fri, sat, sun)"));
            };
            week.0[index] = parse_ranges(&key, ranges)?;
        }
        Ok(week)
    }

    /// Minutes of the longest opening range.
    pub(super) fn longest(&self) -> u32 {
        longest(self.0.iter().flatten())
    }
}

/// Minutes of the longest of `ranges` (0 when there is none).
pub(super) fn longest<'a>(ranges: impl IntoIterator<Item = &'a OpeningRange>) -> u32 {
    ranges.into_iter().map(|r| r.end - r.start).max().unwrap_or(0)
}

/// Parses one day's `"HH:MM-HH:MM"` ranges: sorted, each non-empty, none
/// overlapping another; errors name `key`.
pub(super) fn parse_ranges(key: &str, ranges: &[String]) -> Result<Vec<OpeningRange>, ConfigError> {
    let mut parsed = Vec::new();
    for range in ranges {
        let bad = || ConfigError::new(key, format!("`{range}` is not a range like \"09:00-17:00\""));
        let (start, end) = range.split_once('-').ok_or_else(bad)?;
        let start = parse_time(start, false).ok_or_else(bad)?;
        let end = parse_time(end, true).ok_or_else(bad)?;
        if start >= end {
            return Err(ConfigError::new(key, format!("`{range}` ends before it starts")));
        }
        parsed.push(OpeningRange { start, end });
    }
    parsed.sort_by_key(|r| r.start);
    if parsed.windows(2).any(|w| w[1].start < w[0].end) {
        return Err(ConfigError::new(key, "ranges overlap"));
    }
    Ok(parsed)
}

/// Parses `HH:MM` (and `24:00` when `allow_24`) into minutes.
fn parse_time(value: &str, allow_24: bool) -> Option<u32> {
    let (h, m) = value.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if allow_24 => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}
