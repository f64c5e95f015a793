//! `[booking]` parsed: weekly hours, date overrides, buffers and caps, and
//! each bad value named by its key.

use chrono::{NaiveDate, Weekday};

use super::*;
use crate::config::tests::settings;

/// `[booking]` with these weekly hours (and the default service) in `tz`.
pub(crate) fn with_hours(tz: &str, hours: &[(&str, &[&str])]) -> Result<BookingConfig, ConfigError> {
    let hours: Vec<String> = hours
        .iter()
        .map(|(d, r)| format!("{d} = [{}]", r.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")))
        .collect();
    settings(&format!("[booking]\ntimezone = \"{tz}\"\n[booking.hours]\n{}", hours.join("\n"))).map(|s| s.booking)
}

fn config(hours: &[(&str, &[&str])]) -> Result<BookingConfig, ConfigError> {
    with_hours("Europe/Berlin", hours)
}

#[test]
fn parses_hours_including_midnight_end() {
    let c = config(&[("mon", &["13:00-17:00", "09:00-12:00"]), ("sat", &["20:00-24:00"])]).unwrap();
    assert_eq!(
        c.ranges(Weekday::Mon),
        &[OpeningRange { start: 540, end: 720 }, OpeningRange { start: 780, end: 1020 }]
    );
    assert_eq!(c.ranges(Weekday::Sat), &[OpeningRange { start: 1200, end: 1440 }]);
    assert!(c.ranges(Weekday::Sun).is_empty());
}

#[test]
fn the_horizon_reaches_three_years() {
    assert_eq!(settings("[booking]\nhorizon_days = 1096").expect("valid").booking.horizon_days.get(), 1096);
}

#[test]
fn bad_values_name_their_key() {
    let cases: Vec<(Result<BookingConfig, ConfigError>, &str)> = vec![
        (config(&[("moon", &["09:00-10:00"])]), "booking.hours.moon"),
        (config(&[("mon", &["9-10"])]), "booking.hours.mon"),
        (config(&[("mon", &["10:00-09:00"])]), "booking.hours.mon"),
        (config(&[("mon", &["09:00-12:00", "11:00-13:00"])]), "booking.hours.mon"),
        (config(&[("mon", &["00:00-24:01"])]), "booking.hours.mon"),
        (with_hours("Mars/Olympus", &[("mon", &["09:00-10:00"])]), "booking.timezone"),
        (settings("[booking]\ncapacity = 0").map(|s| s.booking), "booking.capacity"),
        (settings("[booking]\nhorizon_days = 1097").map(|s| s.booking), "booking.horizon_days"),
        (settings("[booking]\nhorizon_days = 0").map(|s| s.booking), "booking.horizon_days"),
        (config(&[("mon", &["09:00-09:15"])]), "booking.services[0].duration_minutes"),
    ];
    for (c, key) in cases {
        assert_eq!(c.unwrap_err().key, key);
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// `[booking]` with `[booking.dates]` from `dates` (TOML lines) on top of Monday-to-Friday hours.
fn with_dates(dates: &str) -> Result<BookingConfig, ConfigError> {
    settings(&format!("[booking.dates]\n{dates}")).map(|s| s.booking)
}

#[test]
fn a_date_replaces_its_weekday_hours_and_wins_over_its_range() {
    let c = with_dates(
        r#"
        "2026-12-24" = []
        "2026-12-31" = ["13:00-17:00", "09:00-12:00"]
        "2027-08-02..2027-08-13" = []
        "2027-08-05" = ["10:00-11:00"]
        "2027-09-01..2027-09-01" = ["08:00-24:00"]
        "#,
    )
    .unwrap();
    let weekday = [OpeningRange { start: 540, end: 720 }, OpeningRange { start: 780, end: 1020 }];
    assert_eq!(date("2026-12-23").weekday(), Weekday::Wed);
    assert_eq!(c.ranges_on(date("2026-12-23")), weekday);
    assert!(c.ranges_on(date("2026-12-24")).is_empty());
    assert_eq!(c.ranges_on(date("2026-12-31")), weekday, "sorted like weekly hours");
    for closed in ["2027-08-02", "2027-08-04", "2027-08-06", "2027-08-13"] {
        assert!(c.ranges_on(date(closed)).is_empty(), "{closed}");
    }
    assert_eq!(c.ranges_on(date("2027-08-05")), [OpeningRange { start: 600, end: 660 }]);
    assert_eq!(c.ranges_on(date("2027-08-16")), weekday, "the Monday after the range");
    assert_eq!(c.ranges_on(date("2027-09-01")), [OpeningRange { start: 480, end: 1440 }]);
    assert_eq!(date("2027-08-01").weekday(), Weekday::Sun);
    assert!(c.ranges_on(date("2027-08-01")).is_empty(), "a Sunday before the range stays closed");
}

#[test]
fn bad_dates_stop_the_launch_naming_their_key() {
    let cases = [
        (r#""2026-13-01" = []"#, "booking.dates.2026-13-01"),
        (r#""2026-02-30" = []"#, "booking.dates.2026-02-30"),
        (r#""2026-1-05" = []"#, "booking.dates.2026-1-05"),
        (r#""christmas" = []"#, "booking.dates.christmas"),
        (r#""2026-12-24.." = []"#, "booking.dates.2026-12-24.."),
        (r#""2026-12-24...2026-12-26" = []"#, "booking.dates.2026-12-24...2026-12-26"),
        (r#""2026-12-31..2026-12-24" = []"#, "booking.dates.2026-12-31..2026-12-24"),
        (r#""2026-12-24" = ["09:00-12:00", "11:00-13:00"]"#, "booking.dates.2026-12-24"),
        (r#""2026-12-24" = ["9-12"]"#, "booking.dates.2026-12-24"),
        (r#""2026-12-24" = ["12:00-09:00"]"#, "booking.dates.2026-12-24"),
        (r#""2026-12-20..2026-12-27" = ["09:00-24:01"]"#, "booking.dates.2026-12-20..2026-12-27"),
        ("\"2026-12-20..2026-12-27\" = []\n\"2026-12-27..2027-01-03\" = []", "booking.dates.2026-12-27..2027-01-03"),
        ("\"2026-12-27..2027-01-03\" = []\n\"2026-12-01..2027-12-31\" = []", "booking.dates.2026-12-27..2027-01-03"),
    ];
    for (dates, key) in cases {
        assert_eq!(with_dates(dates).expect_err(dates).key, key, "{dates}");
    }
    // Ranges of dates that touch without sharing a date are fine.
    with_dates("\"2026-12-20..2026-12-26\" = []\n\"2026-12-27..2027-01-03\" = []").expect("adjacent ranges");
}

#[test]
fn buffers_and_caps_parse_with_defaults() {
    let c = settings(
        "[booking]\nmax_per_day = 8\n[[booking.services]]\nid = \"a\"\nname = \"A\"\nduration_minutes = 30\n\
         [[booking.services]]\nid = \"b\"\nname = \"B\"\nduration_minutes = 30\nbuffer_before_minutes = 15\n\
         buffer_after_minutes = 5\nmax_per_day = 2",
    )
    .unwrap()
    .booking;
    assert_eq!(c.max_per_day.get(), Some(8));
    let (a, b) = (&c.services[0], &c.services[1]);
    assert_eq!((a.buffer_before_minutes, a.max_per_day.get(), a.span_minutes()), (0, None, 30));
    assert_eq!((b.buffer_before_minutes, b.max_per_day.get(), b.span_minutes()), (15, Some(2), 50));
    assert!(c.has_daily_caps());
    let plain = settings("[booking]\nmax_per_day = 0").unwrap().booking;
    assert_eq!(plain.max_per_day.get(), None);
    assert!(!plain.has_daily_caps() && !BookingConfig::default().has_daily_caps());
    assert!(DailyCap::from(2).admits(1) && !DailyCap::from(2).admits(2) && DailyCap::from(0).admits(u32::MAX));
    let err = settings("[booking]\nmax_per_day = -1").unwrap_err();
    assert_eq!(err.key, "booking.max_per_day");
}

#[test]
fn a_service_must_fit_some_range_with_both_buffers() {
    let service = |before: u32| {
        format!(
            "[booking.hours]\nmon = [\"09:00-10:00\"]\n[[booking.services]]\nid = \"a\"\nname = \"A\"\n\
             duration_minutes = 30\nbuffer_after_minutes = 15\nbuffer_before_minutes = {before}\n"
        )
    };
    settings(&service(15)).expect("15 + 30 + 15 fits an hour");
    let err = settings(&service(16)).unwrap_err();
    assert_eq!(err.key, "booking.services[0].duration_minutes");
    // A range of a date override counts too.
    settings(&format!("{}[booking.dates]\n\"2027-01-04\" = [\"08:00-12:00\"]\n", service(60)))
        .expect("fits the date's range");
}

#[test]
fn the_commented_example_in_rocket_toml_is_valid() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Rocket.toml")).expect("Rocket.toml");
    let example: Vec<String> = text
        .lines()
        .skip_while(|line| !line.starts_with("# [default.booking.dates]"))
        .take_while(|line| line.starts_with("# "))
        .map(|line| line.trim_start_matches("# ").replace("[default.", "["))
        .collect();
    assert!(example.len() > 2, "Rocket.toml shows an example of [booking.dates]");
    let c = settings(&example.join("\n")).expect("the example parses").booking;
    assert!(c.ranges_on(date("2026-12-24")).is_empty());
    assert_eq!(c.ranges_on(date("2027-08-09")), [OpeningRange { start: 600, end: 720 }]);
}
