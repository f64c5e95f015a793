//! Property tests of the availability rules: random weekly hours, date
//! overrides (single dates, ranges of dates, closed dates), buffers before and
//! after, step, capacity, notice, horizon and daily caps, against random busy
//! spans and day counts, in zones with clock changes (Europe/Berlin, New York)
//! and with 30-minute offsets (Australia/Lord_Howe, whose clock moves by 30
//! minutes, and Asia/Kolkata).
//!
//! The checks are written from the rules, not from the code: a model of the
//! configuration says which ranges a date has, and a start's span is measured
//! against instants found by walking the zone's clock in 5-minute steps (all
//! generated times and every offset lie on that grid, so the walk is exact).

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use proptest::prelude::*;

use super::*;
use crate::config::tests::settings;

const ZONES: [&str; 5] = ["Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "America/New_York", "UTC"];

/// Clock-change days: Berlin (spring, autumn), Lord Howe (30 minutes each way), New York.
const CLOCK_CHANGES: [&str; 7] =
    ["2026-03-29", "2026-10-25", "2027-03-28", "2026-04-05", "2026-10-04", "2026-03-08", "2026-11-01"];

/// Opening ranges of one day, in minutes after local midnight.
pub(super) type Ranges = Vec<(u32, u32)>;

#[derive(Debug, Clone)]
pub(super) struct Svc {
    pub(super) duration: u32,
    pub(super) before: u32,
    pub(super) after: u32,
    pub(super) cap: u32,
}

/// A random `[booking]` section, and the date the properties look at.
#[derive(Debug, Clone)]
pub(super) struct Model {
    pub(super) zone: &'static str,
    pub(super) date: NaiveDate,
    pub(super) week: Vec<Ranges>,
    pub(super) singles: BTreeMap<NaiveDate, Ranges>,
    pub(super) spans: Vec<(NaiveDate, NaiveDate, Ranges)>,
    pub(super) step: u32,
    pub(super) capacity: u32,
    pub(super) notice: u32,
    pub(super) horizon: u32,
    pub(super) max_per_day: u32,
    pub(super) services: Vec<Svc>,
}

impl Model {
    /// The ranges the rules give `date`: its own entry, else its range of dates, else its weekday.
    pub(super) fn ranges(&self, date: NaiveDate) -> &Ranges {
        if let Some(ranges) = self.singles.get(&date) {
            return ranges;
        }
        match self.spans.iter().find(|(first, last, _)| *first <= date && date <= *last) {
            Some((_, _, ranges)) => ranges,
            None => &self.week[date.weekday().num_days_from_monday() as usize],
        }
    }

    pub(super) fn tz(&self) -> Tz {
        self.zone.parse().expect("a known zone")
    }

    /// The configuration as an operator would write it.
    pub(super) fn toml(&self) -> String {
        let list = |r: &Ranges| {
            let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
            let items: Vec<String> = r.iter().map(|(a, b)| format!("\"{}-{}\"", hm(*a), hm(*b))).collect();
            format!("[{}]", items.join(", "))
        };
        let mut toml = format!(
            "[booking]\ntimezone = \"{}\"\nhorizon_days = {}\nmin_notice_minutes = {}\nslot_step_minutes = {}\n\
             capacity = {}\nmax_per_day = {}\n[booking.hours]\n",
            self.zone, self.horizon, self.notice, self.step, self.capacity, self.max_per_day
        );
        for (day, ranges) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().zip(&self.week) {
            toml += &format!("{day} = {}\n", list(ranges));
        }
        // NOTE: a long day far away, so every generated service fits some range.
        toml += "[booking.dates]\n\"2000-01-03\" = [\"00:00-24:00\"]\n";
        for (date, ranges) in &self.singles {
            toml += &format!("\"{date}\" = {}\n", list(ranges));
        }
        for (first, last, ranges) in &self.spans {
            toml += &format!("\"{first}..{last}\" = {}\n", list(ranges));
        }
        for (i, s) in self.services.iter().enumerate() {
            toml += &format!(
                "[[booking.services]]\nid = \"s{i}\"\nname = \"S{i}\"\nduration_minutes = {}\n\
                 buffer_before_minutes = {}\nbuffer_after_minutes = {}\nmax_per_day = {}\n",
                s.duration, s.before, s.after, s.cap
            );
        }
        toml
    }
}

/// 0–3 ranges in order, on a 5-minute grid; a gap of 0 makes two ranges touch.
pub(super) fn ranges() -> impl Strategy<Value = Ranges> {
    prop::collection::vec((0u32..=120, 1u32..=120), 0..=3).prop_map(|parts| {
        let (mut out, mut at) = (Vec::new(), 0);
        for (gap, len) in parts {
            let start = at + gap * 5;
            let end = (start + len * 5).min(1440);
            if start >= end {
                break;
            }
            out.push((start, end));
            at = end;
        }
        out
    })
}

/// A date: a clock-change day or any day of 2026-2027.
fn a_date() -> impl Strategy<Value = NaiveDate> {
    let base = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    prop_oneof![
        prop::sample::select(CLOCK_CHANGES.to_vec()).prop_map(|d| d.parse().expect("a date")),
        (0u64..730).prop_map(move |d| base + Days::new(d)),
    ]
}

pub(super) fn model() -> impl Strategy<Value = Model> {
    let overrides = (
        prop::collection::btree_map(-2i64..=2, prop_oneof![Just(Vec::new()), ranges()], 0..=3),
        prop::option::of((-5i64..=0, 0i64..=4, ranges())),
        prop::option::of((1i64..=3, 0i64..=4, ranges())),
    );
    let rules = (1u32..=18, 1u32..=3, 0u32..=600, 1u32..=5, 0u32..=4);
    let services = prop::collection::vec((1u32..=36, 0u32..=12, 0u32..=12, 0u32..=3), 1..=3);
    (prop::sample::select(ZONES.to_vec()), a_date(), prop::collection::vec(ranges(), 7), overrides, rules, services)
        .prop_map(|(zone, date, week, (singles, first, second), rules, services)| {
            let at = |offset: i64| date + Duration::days(offset);
            let singles = singles.into_iter().map(|(offset, ranges)| (at(offset), ranges)).collect();
            let mut spans = Vec::new();
            if let Some((start, len, ranges)) = first {
                spans.push((at(start), at(start + len), ranges));
            }
            if let Some((gap, len, ranges)) = second {
                let start = spans.last().map_or(0, |(_, last, _)| (*last - date).num_days()) + gap;
                spans.push((at(start), at(start + len), ranges));
            }
            let (step, capacity, notice, horizon, max_per_day) = rules;
            let services = services
                .into_iter()
                .map(|(d, b, a, cap)| Svc { duration: d * 5, before: b * 5, after: a * 5, cap })
                .collect();
            Model { zone, date, week, singles, spans, step: step * 5, capacity, notice, horizon, max_per_day, services }
        })
}

/// Busy spans around the model's date, day counts, and "now" (minutes from the date's first
/// instant: up to three days before, up to one day into it).
pub(super) fn calendar() -> impl Strategy<Value = (Vec<(i64, i64)>, Vec<u32>, u32, i64)> {
    (
        prop::collection::vec((-36i64..=324, 1i64..=60), 0..=10),
        prop::collection::vec(0u32..=3, 3),
        0u32..=2,
        -4320i64..=1440,
    )
}

fn config_of(model: &Model) -> BookingConfig {
    let config = settings(&model.toml()).map(|s| s.booking);
    config.unwrap_or_else(|e| panic!("generated configuration rejected: {e}\n{}", model.toml()))
}

pub(super) fn at(first: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    first + Duration::minutes(minutes)
}

/// The first instant (on the 5-minute grid) whose local wall-clock time is `wall` or later: where a
/// range boundary lies in real time.
pub(super) fn first_at_or_after(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    // Offsets lie within −12 … +14 hours: 15 hours before `wall` read as UTC is early enough.
    let mut t = (wall - Duration::hours(15)).and_utc();
    while t.with_timezone(&tz).naive_local() < wall {
        t += Duration::minutes(5);
    }
    t
}

pub(super) fn wall(date: NaiveDate, minutes: u32) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minutes))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// No offered start breaks a rule: on the grid of one of the date's ranges (overrides
    /// applied), its whole span with both buffers inside that range, notice, horizon, capacity
    /// at every moment, daily caps; and an empty day says why.
    #[test]
    fn no_offered_start_breaks_a_rule(model in model(), (spans, counts, other, now_at) in calendar()) {
        let (config, tz, date) = (config_of(&model), model.tz(), model.date);
        let first = day_bounds(tz, date).0;
        let busy: Vec<Busy> = spans.iter().map(|(s, l)| Busy { start: at(first, s * 5), end: at(first, (s + l) * 5) }).collect();
        let mut starts = DayCounts::default();
        for (i, n) in counts.iter().enumerate() {
            starts.add(date, &format!("s{i}"), *n);
            starts.add(date + Duration::days(1), &format!("s{i}"), 9);
        }
        starts.add(date, "", other);
        let taken = Taken { busy: busy.clone(), starts };
        let now = at(first, now_at);
        let today = now.with_timezone(&tz).date_naive();
        let in_horizon = today <= date && (date - today).num_days() < i64::from(model.horizon);
        let all = taken.starts.all(date);
        for (i, (service, svc)) in config.services.iter().zip(&model.services).enumerate() {
            let got = day(&config, service, date, now, &taken);
            prop_assert_eq!(got.slots.is_empty(), got.empty.is_some());
            if !in_horizon {
                prop_assert_eq!(got.empty, Some(Empty::Outside));
            } else if model.ranges(date).is_empty() {
                prop_assert_eq!(got.empty, Some(Empty::Closed));
            }
            let capped = (model.max_per_day > 0 && all >= model.max_per_day)
                || (svc.cap > 0 && counts[i] >= svc.cap);
            prop_assert!(!capped || got.slots.is_empty(), "a capped date offers {:?}", got.slots);
            prop_assert!(got.slots.windows(2).all(|w| w[0].start < w[1].start));
            for slot in &got.slots {
                let local = slot.start.with_timezone(&tz).naive_local();
                prop_assert_eq!(local.date(), date);
                prop_assert!(slot.start >= now + Duration::minutes(i64::from(model.notice)));
                let minute = local.hour() * 60 + local.minute();
                let (from, to) = (
                    slot.start - Duration::minutes(i64::from(svc.before)),
                    slot.start + Duration::minutes(i64::from(svc.duration + svc.after)),
                );
                let inside = model.ranges(date).iter().any(|&(a, b)| {
                    a <= minute && minute < b && (minute - a) % model.step == 0
                        && first_at_or_after(tz, wall(date, a)) <= from
                        && to <= first_at_or_after(tz, wall(date, b))
                });
                prop_assert!(inside, "{} for s{} lies outside every range of {:?}", slot.value, i, model.ranges(date));
                let mut t = from;
                while t < to {
                    let overlapping = busy.iter().filter(|b| b.start <= t && t < b.end).count();
                    prop_assert!(overlapping < model.capacity as usize, "{} overbooks at {}", slot.value, t);
                    t += Duration::minutes(5);
                }
                prop_assert_eq!(parse_slot_value(tz, &slot.value), Some(slot.start));
                prop_assert!(is_bookable(&config, service, slot.start, now, &taken));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// On a free day without a clock change, exactly the grid starts whose span fits a range are
    /// offered (so the safety property above is not met by offering nothing), and an empty day
    /// is closed or too short for the service.
    #[test]
    fn a_free_day_offers_every_start_that_fits(model in model()) {
        let (mut config, tz, date) = (config_of(&model), model.tz(), model.date);
        let (first, next) = day_bounds(tz, date);
        if next - first != Duration::hours(24) {
            return Ok(());
        }
        config.min_notice_minutes = 0;
        config.horizon_days = std::num::NonZeroU32::new(3).expect("3");
        let now = first - Duration::days(1);
        for (service, svc) in config.services.iter().zip(&model.services) {
            let got = day(&config, service, date, now, &Taken::default());
            let mut want = Vec::new();
            for &(a, b) in model.ranges(date) {
                let fits = |m: &u32| *m >= a + svc.before && m + svc.duration + svc.after <= b;
                want.extend((a..b).step_by(model.step as usize).filter(fits));
            }
            let offered: Vec<u32> = got.slots.iter().map(|s| {
                let local = s.start.with_timezone(&tz);
                local.hour() * 60 + local.minute()
            }).collect();
            prop_assert_eq!(&offered, &want);
            let why = match (want.is_empty(), model.ranges(date).is_empty()) {
                (false, _) => None,
                (true, true) => Some(Empty::Closed),
                (true, false) => Some(Empty::Unfit),
            };
            prop_assert_eq!(got.empty, why);
        }
    }
}
