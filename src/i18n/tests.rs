//! The catalogs' dates, zones and language negotiation.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::moments::*;
use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339")
}

const BERLIN: Tz = chrono_tz::Europe::Berlin;

#[test]
fn dates_carry_translated_weekday_and_month_names() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    assert_eq!(format_date("en", day), "Mon 23 Nov 2026");
    assert_eq!(format_date("de", day), "Mo., 23. Nov. 2026");
    let may = NaiveDate::from_ymd_opt(2027, 5, 2).expect("date");
    assert_eq!(format_date("en", may), "Sun 2 May 2027");
    assert_eq!(format_date("de", may), "So., 2. Mai 2027");
}

#[test]
fn every_weekday_and_month_has_a_name_in_every_language() {
    for lang in ["en", "de"] {
        for n in 1..=7 {
            assert!(LOCALES.try_lookup(&lang_id(lang), &format!("weekday-{n}")).is_some(), "{lang} weekday-{n}");
        }
        for n in 1..=12 {
            assert!(LOCALES.try_lookup(&lang_id(lang), &format!("month-{n}")).is_some(), "{lang} month-{n}");
        }
    }
}

#[test]
fn winter_times_read_cet_in_english_and_mez_in_german() {
    let at = utc("2026-11-23T08:30:00Z");
    assert_eq!(format_datetime("en", BERLIN, at), "Mon 23 Nov 2026, 09:30 CET");
    assert_eq!(format_datetime("de", BERLIN, at), "Mo., 23. Nov. 2026, 09:30 MEZ");
}

#[test]
fn summer_times_read_cest_in_english_and_mesz_in_german() {
    let at = utc("2026-07-01T12:00:00Z");
    assert_eq!(format_datetime("en", BERLIN, at), "Wed 1 Jul 2026, 14:00 CEST");
    assert_eq!(format_datetime("de", BERLIN, at), "Mi., 1. Juli 2026, 14:00 MESZ");
}

#[test]
fn times_are_shown_in_the_booking_zone_not_utc() {
    // 23:30 UTC on Sunday is already Monday in Berlin.
    let at = utc("2026-11-22T23:30:00Z");
    assert_eq!(format_datetime("de", BERLIN, at), "Mo., 23. Nov. 2026, 00:30 MEZ");
    let new_york: Tz = "America/New_York".parse().expect("zone");
    assert_eq!(format_datetime("en", new_york, at), "Sun 22 Nov 2026, 18:30 EST");
    assert_eq!(format_datetime("de", new_york, at), "So., 22. Nov. 2026, 18:30 EST");
}

#[test]
fn short_form_drops_only_the_year() {
    let at = utc("2026-11-23T08:30:00Z");
    assert_eq!(format_datetime_short("en", BERLIN, at), "Mon 23 Nov, 09:30 CET");
    assert_eq!(format_datetime_short("de", BERLIN, at), "Mo., 23. Nov., 09:30 MEZ");
}

#[test]
fn unknown_or_numeric_zone_abbreviations_stay_as_they_are() {
    assert_eq!(zone_abbreviation("de", "CET"), "MEZ");
    assert_eq!(zone_abbreviation("de", "JST"), "JST");
    assert_eq!(zone_abbreviation("de", "+0530"), "+0530");
    assert_eq!(zone_abbreviation("de", ""), "");
}

#[test]
fn preferences_follow_weights_and_ignore_junk() {
    assert_eq!(preferences("de-AT;q=0.8, en;q=0.9, fr"), ["fr", "en", "de-AT"]);
    assert_eq!(preferences("en;q=0, *;q=0.5, de;q=abc, it;q=NaN, es;q=2, nl"), ["nl"]);
    let langs = vec!["en".to_string(), "de".to_string()];
    assert_eq!(negotiate(Some("fr, de-CH;q=0.9, en;q=0.5"), &langs, "en"), "de");
    assert_eq!(negotiate(Some(""), &langs, "de"), "de");
}

#[test]
fn no_header_makes_negotiation_panic() {
    let langs = vec!["en".to_string(), "de".to_string()];
    let nan: Vec<String> = (0..40).map(|i| format!("en;q={}", ["0.9", "NaN", "0.1", "inf", "-0"][i % 5])).collect();
    assert_eq!(negotiate(Some(&nan.join(",")), &langs, "de"), "en");
    // Fuzzed headers from bytes that matter to the parser.
    let alphabet = b"en-de;q=0.1NaN,* \t";
    for _ in 0..2000 {
        let len = rand::random::<usize>() % 200;
        let header: String = (0..len).map(|_| alphabet[rand::random::<usize>() % alphabet.len()] as char).collect();
        let chosen = negotiate(Some(&header), &langs, "en");
        assert!(langs.contains(&chosen), "{header:?}");
    }
    let long = "de;q=0.5,".repeat(100_000);
    assert_eq!(negotiate(Some(&long), &langs, "en"), "de");
}

#[test]
fn zones_are_named_in_the_visitors_language_with_their_abbreviations() {
    assert_eq!(zone_name("de", BERLIN), "deutscher Zeit");
    assert_eq!(zone_name("en", BERLIN), "German time");
    let new_york: Tz = "America/New_York".parse().expect("zone");
    assert_eq!(zone_name("de", new_york), "America/New_York");
    let (winter, summer) = (utc("2026-11-23T08:30:00Z"), utc("2026-07-01T12:00:00Z"));
    assert_eq!(zone_abbreviations("de", BERLIN, &[winter, winter]), "MEZ");
    assert_eq!(zone_abbreviations("de", BERLIN, &[summer, winter]), "MESZ/MEZ");
    assert_eq!(zone_abbreviations("en", BERLIN, &[winter]), "CET");
}

#[test]
fn an_unknown_language_falls_back_to_english() {
    assert_eq!(format_datetime("xx", BERLIN, utc("2026-11-23T08:30:00Z")), "Mon 23 Nov 2026, 09:30 CET");
}

#[test]
fn a_berlin_slot_on_the_last_sunday_of_october_is_seen_from_new_york_by_its_instant() {
    // 2031-10-26: Berlin left summer time at 03:00; New York keeps it until 2 November.
    let new_york: Tz = "America/New_York".parse().expect("zone");
    let zones = Zones::new(BERLIN, Some(new_york));
    let saturday = utc("2031-10-25T08:00:00Z"); // 10:00 CEST, 04:00 EDT
    let sunday = utc("2031-10-26T09:00:00Z"); // 10:00 CET, 05:00 EDT (not 04:00)
    let next_sunday = utc("2031-11-02T09:00:00Z"); // 10:00 CET, 04:00 EST
    assert_eq!(format_slot_time("en", zones, saturday), "10:00 CEST (04:00 EDT your time)");
    assert_eq!(format_slot_time("en", zones, sunday), "10:00 CET (05:00 EDT your time)");
    assert_eq!(format_slot_time("de", zones, next_sunday), "10:00 MEZ (04:00 EST Ihre Zeit)");
    assert_eq!(format_when("en", zones, sunday), "Sun 26 Oct 2031, 10:00 CET (05:00 EDT your time)");
    assert_eq!(format_when_short("en", zones, sunday), "Sun 26 Oct, 10:00 CET (05:00 EDT your time)");
}

#[test]
fn the_visitors_date_is_given_when_it_is_another_day_and_nothing_when_the_zones_agree() {
    let tokyo: Tz = "Asia/Tokyo".parse().expect("zone");
    let late = utc("2031-10-26T21:00:00Z"); // 22:00 CET, Monday 06:00 JST
    let zones = Zones::new(BERLIN, Some(tokyo));
    assert_eq!(format_slot_time("en", zones, late), "22:00 CET (Mon 27 Oct, 06:00 JST your time)");
    assert_eq!(
        format_when("de", zones, late),
        "So., 26. Okt. 2031, 22:00 MEZ (Mo., 27. Okt. 2031, 06:00 JST Ihre Zeit)"
    );
    let same = Zones::new(BERLIN, Some(BERLIN));
    assert_eq!(same, Zones::practice(BERLIN), "the practice's own zone is no second zone");
    assert_eq!(format_slot_time("en", same, late), "22:00");
    assert_eq!(format_when("en", same, late), format_datetime("en", BERLIN, late));
}

#[test]
fn the_abbreviation_is_the_one_chrono_writes_for_every_zone() {
    for at in ["2031-01-15T12:00:00Z", "2031-07-15T12:00:00Z", "2031-10-26T00:30:00Z"] {
        for tz in chrono_tz::TZ_VARIANTS {
            let local = utc(at).with_timezone(&tz);
            assert_eq!(abbreviation(&local), local.format("%Z").to_string(), "{tz} at {at}");
            assert_eq!(hh_mm(&local), local.format("%H:%M").to_string(), "{tz} at {at}");
        }
    }
}

#[test]
fn a_remembered_message_is_the_one_fluent_formats() {
    let args = |n: &str| [("practice", FluentValue::from(n.to_string())), ("visitor", FluentValue::from("x"))];
    for round in 0..2 {
        for (lang, n) in [("en", "10:00 CET"), ("de", "10:00 MEZ"), ("en", "11:00 CET")] {
            let remembered = t_args(lang, "time-with-visitor", &args(n));
            assert_eq!(remembered, format_args(lang, "time-with-visitor", &args(n)), "round {round}");
            assert!(remembered.contains(n), "{remembered}");
        }
    }
    // A number is remembered by its value, apart from the text of its digits.
    for round in 0..2 {
        for minutes in [1, 30] {
            let args = [("minutes", FluentValue::from(minutes))];
            assert_eq!(
                t_args("en", "service-duration", &args),
                format_args("en", "service-duration", &args),
                "{round}"
            );
        }
    }
    let number = memo_key("en", "service-duration", &[("minutes", FluentValue::from(30))]);
    assert!(number.is_some());
    assert_ne!(number, memo_key("en", "service-duration", &[("minutes", FluentValue::from("30"))]));
    assert_ne!(number, memo_key("en", "service-duration", &[("minutes", FluentValue::from(1))]));
    assert_ne!(
        memo_key("en", "k", &[("a", FluentValue::from("b"))]),
        memo_key("de", "k", &[("a", FluentValue::from("b"))])
    );
}

#[test]
fn a_remembered_moment_is_the_one_its_function_writes_in_its_language_and_zones() {
    let (berlin, new_york) = (chrono_tz::Europe::Berlin, chrono_tz::America::New_York);
    let at = utc("2031-10-27T09:00:00Z");
    let cases = [
        ("en", Zones::practice(berlin)),
        ("de", Zones::practice(berlin)),
        ("en", Zones::new(berlin, Some(new_york))),
        ("en", Zones::practice(new_york)),
    ];
    let written = |lang: &str, zones: Zones| {
        let when = with_visitor(lang, zones, at, format_datetime(lang, zones.practice, at), "date-format");
        let time =
            with_visitor(lang, zones, at, time_with_zone(lang, at.with_timezone(&zones.practice)), "date-format-short");
        (when, time)
    };
    // Twice: the second round reads what the first remembered.
    for round in 0..2 {
        for (lang, zones) in cases {
            let (when, time) = written(lang, zones);
            assert_eq!(format_when(lang, zones, at), when, "{lang} {zones:?} round {round}");
            assert_eq!(format_time(lang, zones, at), time, "{lang} {zones:?} round {round}");
            assert_ne!(format_when_short(lang, zones, at), when, "{lang} {zones:?} round {round}");
        }
    }
    let shown: std::collections::HashSet<_> = cases.iter().map(|(lang, zones)| format_when(lang, *zones, at)).collect();
    assert_eq!(shown.len(), cases.len(), "each language and zones reads its own: {shown:?}");
}
