//! The calendar rules by example: date overrides, buffers before, daily caps,
//! and why a day is empty.

use chrono::{Datelike, Weekday};

use super::tests::{date, eve, labels, service, utc, FREE};
use super::*;
use crate::config::tests::settings;

const MONDAY: &str = "2026-06-01";

/// `[booking]` in Berlin, no notice, Monday 09:00-12:00, plus `toml` (keys of `[booking]`, then
/// its tables).
fn calendar(toml: &str) -> BookingConfig {
    let toml = format!("[booking]\nmin_notice_minutes = 0\n{toml}\n[booking.hours]\nmon = [\"09:00-12:00\"]\n");
    settings(&toml).expect("valid [booking]").booking
}

fn monday(c: &BookingConfig, s: &Service, taken: &Taken) -> Day {
    assert_eq!(date(MONDAY).weekday(), Weekday::Mon);
    day(c, s, date(MONDAY), eve(MONDAY), taken)
}

fn with_counts(counts: &[(&str, &str, u32)]) -> Taken {
    let mut starts = DayCounts::default();
    for (day, service, n) in counts {
        starts.add(date(day), service, *n);
    }
    Taken { busy: Vec::new(), starts }
}

#[test]
fn a_closed_date_offers_nothing_and_says_closed() {
    let c = calendar("[booking.dates]\n\"2026-06-01\" = []\n");
    let got = monday(&c, &service(30, 0), &FREE);
    assert_eq!(got, Day { slots: Vec::new(), empty: Some(Empty::Closed) });
    assert!(!is_bookable(&c, &service(30, 0), utc("2026-06-01T07:00:00Z"), eve(MONDAY), &FREE));
    // The next Monday keeps its weekly hours.
    assert_eq!(day_slots(&c, &service(30, 0), date("2026-06-08"), eve(MONDAY), &FREE).len(), 6);
    // A weekday without hours is closed too.
    assert_eq!(day(&c, &service(30, 0), date("2026-06-02"), eve(MONDAY), &FREE).empty, Some(Empty::Closed));
}

#[test]
fn special_hours_replace_the_weekday_and_a_date_wins_over_its_range() {
    let c = calendar(
        "[booking.dates]\n\"2026-06-01\" = [\"14:00-15:00\"]\n\"2026-06-02..2026-06-05\" = [\"08:00-09:00\"]\n\
         \"2026-06-03\" = []\n",
    );
    let s = service(30, 0);
    assert_eq!(labels(&monday(&c, &s, &FREE).slots), ["14:00", "14:30"]);
    let on = |d: &str| day(&c, &s, date(d), eve(MONDAY), &FREE);
    assert_eq!(labels(&on("2026-06-02").slots), ["08:00", "08:30"], "a Tuesday opened by the range");
    assert_eq!(on("2026-06-03").empty, Some(Empty::Closed), "the single date inside the range");
    assert_eq!(labels(&on("2026-06-05").slots), ["08:00", "08:30"], "the range's last date");
    assert_eq!(on("2026-06-06").empty, Some(Empty::Closed), "after the range: Saturday's hours");
}

#[test]
fn a_buffer_before_keeps_the_opening_edge_and_the_neighbour_free() {
    let c = calendar("");
    let mut prep = service(30, 0);
    prep.buffer_before_minutes = 15;
    // 09:00 would occupy 08:45-09:30: before the range opens.
    assert_eq!(labels(&monday(&c, &prep, &FREE).slots), ["09:30", "10:00", "10:30", "11:00", "11:30"]);
    let span = busy_span(&prep, utc("2026-06-01T08:30:00Z"));
    assert_eq!(span, Busy { start: utc("2026-06-01T08:15:00Z"), end: utc("2026-06-01T09:00:00Z") });
    // Booked 10:30 with its buffer: 10:15-11:00. A plain 10:00-10:30 now overlaps it.
    let taken = Taken { busy: vec![span], starts: DayCounts::default() };
    assert_eq!(labels(&monday(&c, &service(30, 0), &taken).slots), ["09:00", "09:30", "11:00", "11:30"]);
    // And a prepared one at 11:00 would need 10:45-11:30.
    assert_eq!(labels(&monday(&c, &prep, &taken).slots), ["09:30", "11:30"]);
}

#[test]
fn a_date_at_its_cap_offers_nothing_and_says_full() {
    let c = calendar("max_per_day = 2\n");
    let s = service(30, 0);
    assert_eq!(monday(&c, &s, &with_counts(&[(MONDAY, "s", 1)])).slots.len(), 6);
    let full = with_counts(&[(MONDAY, "s", 1), (MONDAY, "other", 1), ("2026-06-08", "s", 5)]);
    assert_eq!(monday(&c, &s, &full), Day { slots: Vec::new(), empty: Some(Empty::Full) });
    assert!(!is_bookable(&c, &s, utc("2026-06-01T07:00:00Z"), eve(MONDAY), &full));
    assert!(!under_caps(&c, &s, date(MONDAY), &full.starts));
    assert!(under_caps(&c, &s, date("2026-06-02"), &full.starts), "other dates count on their own");
}

#[test]
fn a_service_cap_closes_that_service_only() {
    let mut c = calendar("");
    let mut capped = service(30, 0);
    capped.id = "capped".into();
    capped.max_per_day = 1.into();
    let counts = with_counts(&[(MONDAY, "capped", 1), (MONDAY, "s", 4)]);
    assert_eq!(monday(&c, &capped, &counts).empty, Some(Empty::Full));
    assert_eq!(monday(&c, &service(30, 0), &counts).slots.len(), 6, "no cap on the other service");
    c.max_per_day = 5.into();
    assert_eq!(monday(&c, &service(30, 0), &counts).empty, Some(Empty::Full), "5 started: the overall cap");
}

#[test]
fn an_empty_day_says_why() {
    let c = calendar("[booking.dates]\n\"2026-06-08\" = [\"09:00-09:20\"]\n");
    let s = service(30, 0);
    let taken = Taken { busy: vec![busy_span(&service(180, 0), utc("2026-06-01T07:00:00Z"))], ..FREE };
    assert_eq!(monday(&c, &s, &taken).empty, Some(Empty::Full), "capacity taken all day");
    assert_eq!(day(&c, &s, date(MONDAY), utc("2026-06-01T09:31:00Z"), &FREE).empty, Some(Empty::Late));
    let mut noticed = c.clone();
    noticed.min_notice_minutes = 180;
    assert_eq!(day(&noticed, &s, date(MONDAY), utc("2026-06-01T06:31:00Z"), &FREE).empty, Some(Empty::Late));
    assert_eq!(day(&noticed, &s, date(MONDAY), utc("2026-06-01T06:30:00Z"), &FREE).slots.len(), 1);
    assert_eq!(day(&c, &s, date("2026-06-08"), eve(MONDAY), &FREE).empty, Some(Empty::Unfit));
    assert_eq!(day(&c, &s, date("2026-07-06"), eve(MONDAY), &FREE).empty, Some(Empty::Outside));
    assert_eq!(monday(&c, &s, &FREE).empty, None);
}

#[test]
fn day_bounds_follow_the_zone_across_clock_changes() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    assert_eq!(day_bounds(berlin, date("2027-03-28")), (utc("2027-03-27T23:00:00Z"), utc("2027-03-28T22:00:00Z")));
    assert_eq!(day_bounds(berlin, date("2026-10-25")), (utc("2026-10-24T22:00:00Z"), utc("2026-10-25T23:00:00Z")));
    let lord_howe: Tz = "Australia/Lord_Howe".parse().unwrap();
    let (first, next) = day_bounds(lord_howe, date("2026-10-04"));
    assert_eq!(next - first, Duration::minutes(23 * 60 + 30));
}
