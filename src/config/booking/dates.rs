//! `[booking.dates]`: local dates whose opening ranges replace their
//! weekday's hours. A key is one date (`"2026-12-24"`) or an inclusive range
//! of dates (`"2027-08-02..2027-08-13"`); the value lists the day's ranges,
//! `[]` closes it. A single date inside a range wins over the range; two
//! ranges of dates may not overlap.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::hours::{parse_ranges, OpeningRange};
use crate::config::error::ConfigError;

/// The date overrides, checked: single dates, and ranges of dates sorted and
/// not overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dates {
    singles: BTreeMap<NaiveDate, Vec<OpeningRange>>,
    spans: Vec<DateSpan>,
}

/// Every date of `first..=last` opens with `ranges`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DateSpan {
    first: NaiveDate,
    last: NaiveDate,
    ranges: Vec<OpeningRange>,
}

impl Dates {
    /// The opening ranges an override gives `date`, if one does: its own
    /// entry, else the range of dates it lies in.
    pub fn on(&self, date: NaiveDate) -> Option<&[OpeningRange]> {
        if let Some(ranges) = self.singles.get(&date) {
            return Some(ranges);
        }
        // NOTE: the spans are sorted and disjoint, so the first whose last
        // date is not before `date` is the only one that can hold it.
        let at = self.spans.partition_point(|s| s.last < date);
        self.spans.get(at).filter(|s| s.first <= date).map(|s| s.ranges.as_slice())
    }

    /// Every opening range any override gives.
    pub(super) fn ranges(&self) -> impl Iterator<Item = &OpeningRange> {
        self.singles.values().flatten().chain(self.spans.iter().flat_map(|s| &s.ranges))
    }

    /// Parses `[booking.dates]`; errors name the key, e.g.
    /// `booking.dates.2026-12-24`.
    pub(super) fn parse(raw: &BTreeMap<String, Vec<String>>) -> Result<Dates, ConfigError> {
        let mut dates = Dates::default();
        let mut spans: Vec<(&str, DateSpan)> = Vec::new();
        for (text, ranges) in raw {
            let key = format!("booking.dates.{text}");
            let ranges = parse_ranges(&key, ranges)?;
            match text.split_once("..") {
                None => {
                    let date = parse_date(text).ok_or_else(|| malformed(&key, text))?;
                    dates.singles.insert(date, ranges);
                }
                Some((first, last)) => {
                    let (Some(first), Some(last)) = (parse_date(first), parse_date(last)) else {
                        return Err(malformed(&key, text));
                    };
                    if last < first {
                        return Err(ConfigError::new(key, "the range of dates ends before it starts"));
                    }
                    spans.push((text, DateSpan { first, last, ranges }));
                }
            }
        }
        spans.sort_by_key(|(_, span)| span.first);
        if let Some(w) = spans.windows(2).find(|w| w[1].1.first <= w[0].1.last) {
            let message = format!("overlaps the range of dates `{}`", w[0].0);
            return Err(ConfigError::new(format!("booking.dates.{}", w[1].0), message));
        }
        dates.spans = spans.into_iter().map(|(_, span)| span).collect();
        Ok(dates)
    }
}

fn malformed(key: &str, text: &str) -> ConfigError {
    ConfigError::new(
        key,
        format!("`{text}` is neither a date like \"2026-12-24\" nor a range like \"2026-12-24..2026-12-31\""),
    )
}

/// A date written exactly `YYYY-MM-DD` that exists.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}
