//! Moments and dates as a visitor reads them: in their language, in the
//! practice's zone and, when they chose another, in theirs too ([`Zones`]);
//! each whole text remembered ([`SHOWN`]).

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::Loader;

use super::{lang_id, t, t_args, Memo, LOCALES};

/// A local date like "Mon 23 Nov 2026" / "Mo., 23. Nov. 2026".
pub fn format_date(lang: &str, date: chrono::NaiveDate) -> String {
    date_with(lang, "date-format", date)
}

/// A moment in `tz` like "Mon 23 Nov 2026, 09:30 CET" / "Mo., 23. Nov. 2026, 09:30 MEZ".
pub fn format_datetime(lang: &str, tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&tz);
    datetime_with(lang, format_date(lang, local.date_naive()), local)
}

/// Like [`format_datetime`] without the year ("Mon 23 Nov, 09:30 CET"), for
/// texts where the only long run of digits must be something else (the
/// emailed code).
pub fn format_datetime_short(lang: &str, tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&tz);
    datetime_with(lang, date_with(lang, "date-format-short", local.date_naive()), local)
}

/// The zones a visitor sees times in: the practice's, and their own when
/// they chose one that differs (SPEC §3, "The visitor's time zone").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zones {
    /// The practice's zone (`booking.timezone`): every time is given in it.
    pub practice: chrono_tz::Tz,
    /// The visitor's zone, only when it is not the practice's.
    pub visitor: Option<chrono_tz::Tz>,
}

impl Zones {
    /// The practice's zone and the visitor's `chosen` one (dropped when it
    /// is the practice's).
    pub fn new(practice: chrono_tz::Tz, chosen: Option<chrono_tz::Tz>) -> Zones {
        Zones { practice, visitor: chosen.filter(|z| *z != practice) }
    }

    /// The practice's zone alone.
    pub fn practice(practice: chrono_tz::Tz) -> Zones {
        Zones { practice, visitor: None }
    }
}

/// A moment as a visitor is shown it: the practice's date and time with its
/// zone and, when the visitor's zone differs, their time with theirs ("Mon
/// 27 Oct 2031, 10:00 CET (05:00 EDT your time)"; their date too when it
/// is another day).
pub fn format_when(lang: &str, zones: Zones, at: chrono::DateTime<chrono::Utc>) -> String {
    remembered((Shown::When, lang, zones, at), || {
        with_visitor(lang, zones, at, format_datetime(lang, zones.practice, at), "date-format")
    })
}

/// Like [`format_when`] without years (the emailed code's text).
pub fn format_when_short(lang: &str, zones: Zones, at: chrono::DateTime<chrono::Utc>) -> String {
    remembered((Shown::WhenShort, lang, zones, at), || {
        with_visitor(lang, zones, at, format_datetime_short(lang, zones.practice, at), "date-format-short")
    })
}

/// A start time among others of one practice day (a slot's label): `HH:MM`
/// alone, or with the visitor's zone "10:00 CET (05:00 EDT your time)".
pub fn format_slot_time(lang: &str, zones: Zones, at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    let local = at.with_timezone(&zones.practice);
    match zones.visitor {
        // NOTE: not chrono's `format("%H:%M")`, which parses its pattern on
        // every call; the slot page writes one label per time it offers.
        None => format!("{:02}:{:02}", local.hour(), local.minute()),
        Some(_) => remembered((Shown::SlotTime, lang, zones, at), || {
            with_visitor(lang, zones, at, time_with_zone(lang, local), "date-format-short")
        }),
    }
}

/// A time of day with its zone, "10:42 CET"; with the visitor's zone, theirs
/// too: "10:42 CET (04:42 EST your time)".
pub fn format_time(lang: &str, zones: Zones, at: chrono::DateTime<chrono::Utc>) -> String {
    remembered((Shown::Time, lang, zones, at), || {
        let practice = time_with_zone(lang, at.with_timezone(&zones.practice));
        with_visitor(lang, zones, at, practice, "date-format-short")
    })
}

/// Which of the functions above wrote a remembered text ([`SHOWN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shown {
    When,
    WhenShort,
    SlotTime,
    Time,
}

/// Moments as shown, by function, language, zones and instant.
///
/// NOTE: a moment shown with its date and zones is four to six messages
/// ([`t_args`], each remembered on its own, but each looked up under a key
/// built anew) and their names of weekday, month and zone: some 24,000
/// instructions of the details page's 500,000. The same moment always reads
/// the same in the same language and zones, so the whole text is kept.
static SHOWN: Memo<Moment> = Memo::new();

/// A key of [`SHOWN`]: the function, the language, the zones and the instant (ms).
type Moment = (Shown, String, Zones, i64);

/// The text of `moment` as [`SHOWN`] remembers it, else `show`n and kept.
fn remembered(
    (shown, lang, zones, at): (Shown, &str, Zones, chrono::DateTime<chrono::Utc>),
    show: impl FnOnce() -> String,
) -> String {
    SHOWN.get_or((shown, lang.to_string(), zones, at.timestamp_millis()), show)
}

/// `practice` (the practice's text of `at`), followed by the visitor's time
/// when their zone differs.
///
/// NOTE: the visitor's time is `at` (an instant) seen in their zone, never
/// the practice's local time plus an offset: the two zones change their
/// clocks on different dates.
pub(super) fn with_visitor(
    lang: &str,
    zones: Zones,
    at: chrono::DateTime<chrono::Utc>,
    practice: String,
    date: &str,
) -> String {
    let Some(visitor) = zones.visitor else { return practice };
    let (here, there) = (at.with_timezone(&zones.practice), at.with_timezone(&visitor));
    let theirs = if here.date_naive() == there.date_naive() {
        time_with_zone(lang, there)
    } else {
        datetime_with(lang, date_with(lang, date, there.date_naive()), there)
    };
    t_args(
        lang,
        "time-with-visitor",
        &[("practice", FluentValue::from(practice)), ("visitor", FluentValue::from(theirs))],
    )
}

/// "05:00 EDT": a local time with its zone's abbreviation.
pub(super) fn time_with_zone(lang: &str, local: chrono::DateTime<chrono_tz::Tz>) -> String {
    let zone = zone_abbreviation(lang, &abbreviation(&local));
    t_args(lang, "time-with-zone", &[("time", FluentValue::from(hh_mm(&local))), ("zone", FluentValue::from(zone))])
}

/// "09:30".
///
/// NOTE: not chrono's `format("%H:%M")`, which parses its pattern on every
/// call.
pub(super) fn hh_mm(local: &chrono::DateTime<chrono_tz::Tz>) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// The zone's abbreviation at `local` as chrono's `%Z` writes it ("CET",
/// "+0530"), without parsing a pattern.
pub(super) fn abbreviation(local: &chrono::DateTime<chrono_tz::Tz>) -> String {
    use chrono_tz::OffsetName;
    match local.offset().abbreviation() {
        Some(abbr) => abbr.to_string(),
        None => local.format("%Z").to_string(),
    }
}

/// The zone abbreviation `abbr` as chrono-tz writes it (`CET`, `CEST`) in
/// `lang`: a catalog may name it `zone-<abbr>` (German: MEZ, MESZ); any
/// other abbreviation is shown as it is.
pub fn zone_abbreviation(lang: &str, abbr: &str) -> String {
    // NOTE: only well-formed abbreviations can be message ids; chrono-tz
    // also writes numeric ones like `+0530`.
    let is_id = !abbr.is_empty() && abbr.bytes().all(|b| b.is_ascii_alphabetic());
    is_id.then(|| LOCALES.try_lookup(&lang_id(lang), &format!("zone-{abbr}"))).flatten().unwrap_or_else(|| abbr.into())
}

/// The zone `tz` as a visitor in `lang` calls it ("German time", "deutscher
/// Zeit"): the catalog's `tz-<IANA id with / and _ as ->` message, else the
/// IANA id itself.
pub fn zone_name(lang: &str, tz: chrono_tz::Tz) -> String {
    let id = format!("tz-{}", tz.name().replace(['/', '_'], "-"));
    LOCALES.try_lookup(&lang_id(lang), &id).unwrap_or_else(|| tz.name().to_string())
}

/// The abbreviations `tz` uses at `moments`, in `lang`, each once and in
/// order, joined by `/`: "CET", "MEZ/MESZ" across a clock change.
pub fn zone_abbreviations(lang: &str, tz: chrono_tz::Tz, moments: &[chrono::DateTime<chrono::Utc>]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for at in moments {
        let abbr = zone_abbreviation(lang, &at.with_timezone(&tz).format("%Z").to_string());
        if !seen.contains(&abbr) {
            seen.push(abbr);
        }
    }
    seen.join("/")
}

pub(super) fn date_with(lang: &str, format: &str, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    t_args(
        lang,
        format,
        &[
            ("weekday", FluentValue::from(t(lang, &format!("weekday-{}", date.weekday().number_from_monday())))),
            ("day", FluentValue::from(date.day().to_string())),
            ("month", FluentValue::from(t(lang, &format!("month-{}", date.month())))),
            ("year", FluentValue::from(date.year().to_string())),
        ],
    )
}

pub(super) fn datetime_with(lang: &str, date: String, local: chrono::DateTime<chrono_tz::Tz>) -> String {
    t_args(
        lang,
        "datetime-format",
        &[
            ("date", FluentValue::from(date)),
            ("time", FluentValue::from(hh_mm(&local))),
            ("zone", FluentValue::from(zone_abbreviation(lang, &abbreviation(&local)))),
        ],
    )
}
