//! The availability rules: grid, hours, notice, horizon, capacity, clock changes.

use chrono::{Datelike, Weekday};

use super::*;

pub(super) fn config(tz: &str, hours: &[(&str, &[&str])]) -> BookingConfig {
    let mut c = crate::config::booking_with_hours(tz, hours).unwrap();
    c.min_notice_minutes = 0;
    c
}

pub(super) fn service(duration: u32, buffer: u32) -> Service {
    Service {
        id: "s".into(),
        name: "S".into(),
        names: Default::default(),
        duration_minutes: duration,
        buffer_before_minutes: 0,
        buffer_after_minutes: buffer,
        max_per_day: Default::default(),
        description: String::new(),
        descriptions: BTreeMap::new(),
    }
}

/// Nothing taken: no busy span, no start counted on any day.
pub(super) const FREE: Taken = Taken { busy: Vec::new(), starts: DayCounts(BTreeMap::new()) };

/// These busy spans and no day counts.
pub(super) fn busy_of(spans: &[Busy]) -> Taken {
    Taken { busy: spans.to_vec(), starts: DayCounts::default() }
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(super) fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Noon UTC of the day before `day`: today in every zone used here, so `day` is in the horizon.
pub(super) fn eve(day: &str) -> DateTime<Utc> {
    date(day).pred_opt().unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc()
}

pub(super) fn labels(slots: &[Slot]) -> Vec<&str> {
    slots.iter().map(|s| s.label.as_str()).collect()
}

fn values(slots: &[Slot]) -> Vec<&str> {
    slots.iter().map(|s| s.value.as_str()).collect()
}

const MONDAY: &str = "2026-06-01";

fn monday(hours: &[&str]) -> BookingConfig {
    assert_eq!(date(MONDAY).weekday(), Weekday::Mon);
    config("Europe/Berlin", &[("mon", hours)])
}

fn monday_labels(c: &BookingConfig, s: &Service, busy: &[Busy]) -> Vec<String> {
    day_slots(c, s, date(MONDAY), eve(MONDAY), &busy_of(busy)).into_iter().map(|s| s.label).collect()
}

#[test]
fn grid_covers_range_while_service_fits() {
    let c = monday(&["09:00-12:00"]);
    let slots = day_slots(&c, &service(30, 0), date(MONDAY), eve(MONDAY), &FREE);
    assert_eq!(labels(&slots), ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]);
    assert_eq!(slots[0].start, utc("2026-06-01T07:00:00Z"));
    assert_eq!(slots[0].value, "2026-06-01T09:00");
    assert!(slots.windows(2).all(|w| w[0].start < w[1].start));
}

#[test]
fn buffer_counts_toward_the_span_and_must_fit() {
    let c = monday(&["09:00-12:00"]);
    let thirty = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];
    assert_eq!(monday_labels(&c, &service(20, 10), &[]), thirty);
    assert_eq!(monday_labels(&c, &service(30, 10), &[]), ["09:00", "09:30", "10:00", "10:30", "11:00"]);
    assert_eq!(monday_labels(&c, &service(30, 0), &[]), thirty);
}

#[test]
fn grid_counts_from_each_range_start() {
    let c = monday(&["09:10-10:30", "13:05-14:00"]);
    assert_eq!(monday_labels(&c, &service(30, 0), &[]), ["09:10", "09:40", "13:05"]);
    let mut fifteen = c;
    fifteen.slot_step_minutes = std::num::NonZeroU32::new(15).unwrap();
    assert_eq!(monday_labels(&fifteen, &service(30, 0), &[]), ["09:10", "09:25", "09:40", "09:55", "13:05", "13:20"]);
}

#[test]
fn adjacent_ranges_do_not_join() {
    let c = monday(&["09:00-12:00", "12:00-14:00"]);
    let got = monday_labels(&c, &service(60, 0), &[]);
    assert_eq!(got, ["09:00", "09:30", "10:00", "10:30", "11:00", "12:00", "12:30", "13:00"]);
}

#[test]
fn range_ending_at_midnight_does_not_join_next_day() {
    let c = config("Europe/Berlin", &[("mon", &["22:00-24:00"]), ("tue", &["00:00-02:00"])]);
    let now = eve(MONDAY);
    let mon = day_slots(&c, &service(60, 0), date(MONDAY), now, &FREE);
    assert_eq!(labels(&mon), ["22:00", "22:30", "23:00"]);
    let tue = day_slots(&c, &service(60, 0), date("2026-06-02"), now, &FREE);
    assert_eq!(labels(&tue), ["00:00", "00:30", "01:00"]);
    assert!(!is_bookable(&c, &service(60, 0), utc("2026-06-01T21:30:00Z"), now, &FREE));
}

#[test]
fn min_notice_is_measured_from_now() {
    let mut c = monday(&["09:00-12:00"]);
    c.min_notice_minutes = 60;
    let s = service(30, 0);
    let at = |now: &str| -> Vec<String> {
        day_slots(&c, &s, date(MONDAY), utc(now), &FREE).into_iter().map(|s| s.label).collect()
    };
    // 09:10 local + 60 min = 10:10: first start 10:30.
    assert_eq!(at("2026-06-01T07:10:00Z"), ["10:30", "11:00", "11:30"]);
    // Exactly the notice is enough.
    assert_eq!(at("2026-06-01T07:00:00Z"), ["10:00", "10:30", "11:00", "11:30"]);
    assert!(at("2026-06-01T10:00:00Z").is_empty());
}

#[test]
fn horizon_spans_local_days_and_its_edges() {
    let all: &[&str] = &["09:00-12:00"];
    let hours: Vec<(&str, &[&str])> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| (d, all)).into();
    let mut c = config("Europe/Berlin", &hours);
    c.horizon_days = std::num::NonZeroU32::new(3).unwrap();
    // 23:30 UTC on May 31 is already June 1 in Berlin.
    let now = utc("2026-05-31T23:30:00Z");
    assert_eq!(horizon(&c, now), (date("2026-06-01"), date("2026-06-03")));
    let s = service(30, 0);
    assert!(day_slots(&c, &s, date("2026-05-31"), now, &FREE).is_empty());
    assert_eq!(day_slots(&c, &s, date("2026-06-01"), now, &FREE).len(), 6);
    assert_eq!(day_slots(&c, &s, date("2026-06-03"), now, &FREE).len(), 6);
    assert!(day_slots(&c, &s, date("2026-06-04"), now, &FREE).is_empty());
    assert!(!is_bookable(&c, &s, utc("2026-06-04T07:00:00Z"), now, &FREE));
    assert!(is_bookable(&c, &s, utc("2026-06-03T07:00:00Z"), now, &FREE));
    let mut one = c;
    one.horizon_days = std::num::NonZeroU32::new(1).unwrap();
    assert_eq!(horizon(&one, now), (date("2026-06-01"), date("2026-06-01")));
}

#[test]
fn capacity_one_is_blocked_by_partial_overlap_only() {
    let c = monday(&["09:00-12:00"]);
    let booking = Busy { start: utc("2026-06-01T07:45:00Z"), end: utc("2026-06-01T08:15:00Z") };
    assert_eq!(monday_labels(&c, &service(30, 0), &[booking]), ["09:00", "10:30", "11:00", "11:30"]);
    // Half-open: a span ending at 09:00 or starting at 12:00 blocks nothing.
    let touching = [
        Busy { start: utc("2026-06-01T06:00:00Z"), end: utc("2026-06-01T07:00:00Z") },
        Busy { start: utc("2026-06-01T10:00:00Z"), end: utc("2026-06-01T11:00:00Z") },
    ];
    assert_eq!(monday_labels(&c, &service(30, 0), &touching).len(), 6);
    // A buffer of the offered service must not run into a booking either.
    let later = Busy { start: utc("2026-06-01T09:40:00Z"), end: utc("2026-06-01T10:00:00Z") };
    assert_eq!(monday_labels(&c, &service(20, 10), &[later]), ["09:00", "09:30", "10:00", "10:30", "11:00"]);
}

#[test]
fn capacity_two_uses_the_peak_overlap() {
    let mut c = monday(&["09:00-12:00"]);
    c.capacity = std::num::NonZeroU32::new(2).unwrap();
    let (short, long) = (service(30, 0), service(60, 0));
    // 09:00-09:30 and 09:30-10:30 (different services): both overlap a 09:00-10:00 window
    // but never each other.
    let a = busy_span(&short, utc("2026-06-01T07:00:00Z"));
    let b = busy_span(&long, utc("2026-06-01T07:30:00Z"));
    assert_eq!(b.end, utc("2026-06-01T08:30:00Z"));
    let all = ["09:00", "09:30", "10:00", "10:30", "11:00"];
    assert_eq!(monday_labels(&c, &long, &[a, b]), all);
    // 09:15-09:45 overlaps both: two at once from 09:15 to 09:45.
    let d = Busy { start: utc("2026-06-01T07:15:00Z"), end: utc("2026-06-01T07:45:00Z") };
    assert_eq!(monday_labels(&c, &long, &[a, b, d]), ["10:00", "10:30", "11:00"]);
    assert_eq!(monday_labels(&c, &short, &[a, b, d]), ["10:00", "10:30", "11:00", "11:30"]);
    // Two spans at the same moment fill capacity 2; a third is not needed.
    let twice = [b, b];
    assert_eq!(monday_labels(&c, &short, &twice), ["09:00", "10:30", "11:00", "11:30"]);
    // Empty or inverted spans occupy nothing.
    let empty = Busy { start: b.end, end: b.start };
    assert_eq!(monday_labels(&c, &long, &[b, empty, empty]), all);
}

#[test]
fn berlin_spring_forward_day_has_23_hours_and_no_0200_slots() {
    let c = config("Europe/Berlin", &[("sun", &["00:00-24:00"])]);
    let day = date("2027-03-28");
    assert_eq!(day.weekday(), Weekday::Sun);
    let tz = c.tz();
    let length = boundary(tz, day, 1440).unwrap() - boundary(tz, day, 0).unwrap();
    assert_eq!(length, Duration::hours(23));
    let slots = day_slots(&c, &service(60, 0), day, eve("2027-03-28"), &FREE);
    assert_eq!(slots.len(), 45);
    assert!(slots.iter().all(|s| !s.label.starts_with("02:")));
    assert_eq!(labels(&slots[2..5]), ["01:00", "01:30", "03:00"]);
    // 01:30 CET + 60 real minutes = 03:30 CEST.
    assert_eq!(slots[3].start, utc("2027-03-28T00:30:00Z"));
    assert_eq!(slots[4].start, utc("2027-03-28T01:00:00Z"));
    let last = slots.last().unwrap();
    assert_eq!((last.label.as_str(), last.start), ("23:00", utc("2027-03-28T21:00:00Z")));
    assert_eq!(day_slots(&c, &service(30, 0), day, eve("2027-03-28"), &FREE).len(), 46);
}

#[test]
fn range_starting_in_a_gap_opens_after_the_gap() {
    let mut c = config("Europe/Berlin", &[("sun", &["02:30-05:00"])]);
    c.slot_step_minutes = std::num::NonZeroU32::new(45).unwrap();
    let day = date("2027-03-28");
    assert_eq!(boundary(c.tz(), day, 150), Some(utc("2027-03-28T01:00:00Z")));
    let slots = day_slots(&c, &service(60, 0), day, eve("2027-03-28"), &FREE);
    // Grid 02:30 (missing), 03:15, 04:00 (04:45 would end after 05:00).
    assert_eq!(labels(&slots), ["03:15", "04:00"]);
}

#[test]
fn berlin_fall_back_day_has_25_hours_and_offers_0200_twice() {
    let c = config("Europe/Berlin", &[("sun", &["00:00-24:00"])]);
    let day = date("2026-10-25");
    let tz = c.tz();
    let length = boundary(tz, day, 1440).unwrap() - boundary(tz, day, 0).unwrap();
    assert_eq!(length, Duration::hours(25));
    let now = eve("2026-10-25");
    let slots = day_slots(&c, &service(30, 0), day, now, &FREE);
    assert_eq!(slots.len(), 50);
    assert_eq!(labels(&slots[3..9]), ["01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]);
    assert_eq!(
        values(&slots[4..8]),
        ["2026-10-25T02:00", "2026-10-25T02:30", "2026-10-25T02:00+01:00", "2026-10-25T02:30+01:00"]
    );
    assert_eq!(slots[5].start, utc("2026-10-25T00:30:00Z"));
    assert_eq!(slots[7].start, utc("2026-10-25T01:30:00Z"));
    assert_eq!(slots.last().unwrap().label, "23:30");
    // Each occurrence is checked on its own.
    let earlier = busy_span(&service(30, 0), slots[5].start);
    let rest = day_slots(&c, &service(30, 0), day, now, &busy_of(&[earlier]));
    assert_eq!(values(&rest[4..7]), ["2026-10-25T02:00", "2026-10-25T02:00+01:00", "2026-10-25T02:30+01:00"]);
    assert!(!is_bookable(&c, &service(30, 0), slots[5].start, now, &busy_of(&[earlier])));
    assert!(is_bookable(&c, &service(30, 0), slots[7].start, now, &busy_of(&[earlier])));
}

#[test]
fn new_york_clock_changes() {
    let c = config("America/New_York", &[("sun", &["00:00-04:00"])]);
    let s = service(30, 0);
    let spring = day_slots(&c, &s, date("2026-03-08"), eve("2026-03-08"), &FREE);
    assert_eq!(labels(&spring), ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]);
    assert_eq!(spring[4].start, utc("2026-03-08T07:00:00Z"));
    let fall = day_slots(&c, &s, date("2026-11-01"), eve("2026-11-01"), &FREE);
    assert_eq!(fall.len(), 10);
    assert_eq!(
        values(&fall[1..6]),
        [
            "2026-11-01T00:30",
            "2026-11-01T01:00",
            "2026-11-01T01:30",
            "2026-11-01T01:00-05:00",
            "2026-11-01T01:30-05:00"
        ]
    );
    assert_eq!(fall[4].start, utc("2026-11-01T06:00:00Z"));
}

#[test]
fn lord_howe_half_hour_shifts() {
    let c = config("Australia/Lord_Howe", &[("sun", &["00:00-24:00"])]);
    let s = service(30, 0);
    // 2026-10-04: 02:00 -> 02:30, a 23.5-hour day.
    let spring = day_slots(&c, &s, date("2026-10-04"), eve("2026-10-04"), &FREE);
    assert_eq!(spring.len(), 47);
    assert_eq!(labels(&spring[3..5]), ["01:30", "02:30"]);
    // 2026-04-05: 02:00 -> 01:30, so 01:30 occurs twice, a 24.5-hour day.
    let autumn = day_slots(&c, &s, date("2026-04-05"), eve("2026-04-05"), &FREE);
    assert_eq!(autumn.len(), 49);
    assert_eq!(values(&autumn[3..5]), ["2026-04-05T01:30", "2026-04-05T01:30+10:30"]);
    assert_eq!(autumn[4].start - autumn[3].start, Duration::minutes(30));
}

#[test]
fn is_bookable_matches_day_slots_exactly() {
    let c = monday(&["09:00-12:00"]);
    let s = service(30, 0);
    let now = eve(MONDAY);
    for slot in day_slots(&c, &s, date(MONDAY), now, &FREE) {
        assert!(is_bookable(&c, &s, slot.start, now, &FREE));
    }
    for off in ["2026-06-01T07:10:00Z", "2026-06-01T07:00:01Z", "2026-06-01T09:45:00Z", "2026-06-01T06:30:00Z"] {
        assert!(!is_bookable(&c, &s, utc(off), now, &FREE), "{off}");
    }
    let taken = busy_span(&s, utc("2026-06-01T07:00:00Z"));
    assert!(!is_bookable(&c, &s, taken.start, now, &busy_of(&[taken])));
}

#[test]
fn slot_values_round_trip() {
    let c = config("Europe/Berlin", &[("sun", &["00:00-24:00"])]);
    for day in ["2026-10-25", "2027-03-28", "2026-11-01"] {
        for slot in day_slots(&c, &service(30, 0), date(day), eve(day), &FREE) {
            assert_eq!(parse_slot_value(c.tz(), &slot.value), Some(slot.start), "{}", slot.value);
            assert_eq!(slot_value(c.tz(), slot.start), slot.value);
        }
    }
    let ny: Tz = "America/New_York".parse().unwrap();
    let later = utc("2026-11-01T06:30:00Z");
    assert_eq!(slot_value(ny, later), "2026-11-01T01:30-05:00");
    assert_eq!(parse_slot_value(ny, "2026-11-01T01:30-05:00"), Some(later));
}

#[test]
fn parse_takes_earlier_occurrence_unless_offset_says_otherwise() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    assert_eq!(parse_slot_value(tz, "2026-10-25T02:30"), Some(utc("2026-10-25T00:30:00Z")));
    assert_eq!(parse_slot_value(tz, "2026-10-25T02:30+02:00"), Some(utc("2026-10-25T00:30:00Z")));
    assert_eq!(parse_slot_value(tz, "2026-10-25T02:30+01:00"), Some(utc("2026-10-25T01:30:00Z")));
    assert_eq!(parse_slot_value(tz, "2026-10-25T02:30+03:00"), None);
    assert_eq!(parse_slot_value(tz, "2026-06-01T09:00"), Some(utc("2026-06-01T07:00:00Z")));
}

#[test]
fn parse_rejects_offset_on_unambiguous_time() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    assert_eq!(parse_slot_value(tz, "2026-06-01T09:00+02:00"), None);
    assert_eq!(parse_slot_value(tz, "2026-10-25T03:30+01:00"), None);
    assert_eq!(parse_slot_value(tz, "2026-10-25T01:30+02:00"), None);
}

#[test]
fn parse_rejects_nonexistent_time() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    assert_eq!(parse_slot_value(tz, "2027-03-28T02:30"), None);
    assert_eq!(parse_slot_value(tz, "2027-03-28T02:30+01:00"), None);
    assert_eq!(parse_slot_value(tz, "2027-03-28T02:30+02:00"), None);
    assert!(parse_slot_value(tz, "2027-03-28T03:00").is_some());
}

#[test]
fn parse_rejects_garbage() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let bad = [
        "",
        "2026-06-01",
        "2026-06-01T09",
        "2026-06-01T09:00:00",
        "2026-06-01 09:00",
        "2026-06-01t09:00",
        "2026-06-01T09:00Z",
        " 2026-06-01T09:00",
        "2026-06-01T09:00 ",
        "2026-06-01T9:00",
        "2026-6-01T09:00",
        "+026-06-01T09:00",
        "2026-13-01T09:00",
        "2026-02-30T09:00",
        "2026-00-10T09:00",
        "2026-06-01T24:00",
        "2026-06-01T09:60",
        "2026-06-01T0a:00",
        "2026/06/01T09:00",
        "2026-10-25T02:30+1:00",
        "2026-10-25T02:30+01:00x",
        "2026-10-25T02:30+0100",
        "2026-10-25T02:30+99:99",
        "2026-10-25T02:30 01:00",
        "2026-10-25T02:30−01:00",
        "２０２６-06-01T09:00",
        "2026-06-01T09:0é",
        "éééééééééééééééé",
        "9999999999999999",
    ];
    for value in bad {
        assert_eq!(parse_slot_value(tz, value), None, "{value:?}");
    }
}

#[test]
fn busy_span_covers_duration_and_buffer() {
    let start = utc("2026-06-01T07:00:00Z");
    assert_eq!(busy_span(&service(45, 15), start), Busy { start, end: utc("2026-06-01T08:00:00Z") });
}
