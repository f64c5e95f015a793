//! Translations (Fluent catalogs in `locales/<lang>/*.ftl`, compiled in),
//! dates in the visitor's language, and the choice of that language.
//!
//! A ground-floor module: it imports no other Slotwise module.
//!
//! Templates call `fluent(key="…", lang=page.lang)`; Rust code calls [`t`].
//! Adding a language: a folder `locales/<lang>/` with the same message ids,
//! plus its tag in `i18n.languages`.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

pub mod zones;

// The catalogs under `locales/`, compiled into the binary.

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // NOTE: no Unicode isolation marks around arguments: they would end
        // up inside HTML attributes and plain-text emails.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the app speaks: one of `i18n.languages`, chosen by the
/// visitor or negotiated ([`Lang::pick`]). Reads as the tag it is (`&lang`
/// is a `&str`); templates see the tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Lang(String);

impl Lang {
    /// `chosen` when it is one of `languages`, else the best of them for an
    /// `Accept-Language` header, else `default` (itself one of them).
    pub fn pick(chosen: Option<&str>, accept_language: Option<&str>, languages: &[String], default: &str) -> Lang {
        match chosen.filter(|c| languages.iter().any(|l| l == c)) {
            Some(chosen) => Lang(chosen.to_string()),
            None => Lang(negotiate(accept_language, languages, default)),
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Lang {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Whether `lang` has a catalog under `locales/`.
pub fn has_catalog(lang: &str) -> bool {
    lang.parse::<LanguageIdentifier>().ok().is_some_and(|id| LOCALES.locales().any(|l| *l == id))
}

/// The best of `languages` for an `Accept-Language` header, else `default`.
/// `de-AT` matches `de`.
pub fn negotiate(accept_language: Option<&str>, languages: &[String], default: &str) -> String {
    for wanted in accept_language.map(preferences).unwrap_or_default() {
        let primary = wanted.split('-').next().unwrap_or_default();
        let hit = languages
            .iter()
            .find(|l| l.eq_ignore_ascii_case(wanted))
            .or_else(|| languages.iter().find(|l| l.eq_ignore_ascii_case(primary)));
        if let Some(lang) = hit {
            return lang.clone();
        }
    }
    default.to_string()
}

/// Entries of an `Accept-Language` header read at most.
const MAX_LANGUAGE_ENTRIES: usize = 32;

/// The language tags of an `Accept-Language` header, most wanted first
/// (equal weights keep their order; `q=0`, `*` and malformed entries drop).
///
/// NOTE: written here rather than taken from the `accept-language` crate,
/// which panicked in its sort on `q=NaN` ("comparison does not implement a
/// total order") and answered a `500`. Weights are parsed strictly, sorted
/// with a total order, and only the first entries of a long header count.
pub fn preferences(header: &str) -> Vec<&str> {
    let mut entries: Vec<(&str, f32)> = header
        .split(',')
        .take(MAX_LANGUAGE_ENTRIES)
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let tag = parts.next().filter(|t| !t.is_empty() && *t != "*")?;
            let tag_ok = tag.len() <= 35 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            let q = match parts.next() {
                None => 1.0,
                Some(param) => param.strip_prefix("q=")?.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))?,
            };
            (tag_ok && q > 0.0).then_some((tag, q))
        })
        .collect();
    entries.sort_by(|a, b| b.1.total_cmp(&a.1));
    entries.into_iter().map(|(tag, _)| tag).collect()
}

fn lang_id(lang: &str) -> LanguageIdentifier {
    lang.parse().unwrap_or_else(|_| fluent_templates::langid!("en"))
}

/// The message `key` in `lang`.
pub fn t(lang: &str, key: &str) -> String {
    let cache = MESSAGES.get_or_init(Default::default);
    let cached = cache.read().unwrap_or_else(|e| e.into_inner()).get(lang).and_then(|m| m.get(key)).cloned();
    cached.unwrap_or_else(|| {
        let text = LOCALES.lookup(&lang_id(lang), key);
        let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
        cache.entry(lang.to_string()).or_default().insert(key.to_string(), text.clone());
        text
    })
}

/// Messages without arguments already formatted, by language and id.
///
/// NOTE: formatting a message with Fluent (parsing the language tag, walking
/// the fallback chain, resolving the pattern) cost more than rendering the
/// rest of a page's markup; a message without arguments always formats the
/// same, so each is formatted once. Only ids the app asks for are kept, so
/// the map is bounded by the catalogs.
static MESSAGES: OnceLock<RwLock<HashMap<String, HashMap<String, String>>>> = OnceLock::new();

/// The message `key` in `lang` with named arguments.
pub fn t_args(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
    let Some(memo_key) = memo_key(lang, key, args) else { return format_args(lang, key, args) };
    let memo = FORMATTED.get_or_init(Default::default);
    if let Some(text) = memo.read().unwrap_or_else(|e| e.into_inner()).get(&memo_key) {
        return text.clone();
    }
    let text = format_args(lang, key, args);
    let mut memo = memo.write().unwrap_or_else(|e| e.into_inner());
    if memo.len() >= FORMATTED_MAX {
        memo.clear();
    }
    memo.insert(memo_key, text.clone());
    text
}

fn format_args(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
    let args: HashMap<String, FluentValue<'static>> = args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    LOCALES.lookup_with_args(&lang_id(lang), key, &args)
}

/// Messages with arguments already formatted, by language, id and
/// arguments ([`memo_key`]); emptied whenever it holds [`FORMATTED_MAX`].
///
/// NOTE: a page formats the same few dates, times and durations over and
/// over (each `t_args` cost some 8,000 instructions, a tenth of a wizard
/// page); a message formats the same for the same arguments.
static FORMATTED: OnceLock<RwLock<HashMap<String, String>>> = OnceLock::new();

/// See [`FORMATTED`]: about a megabyte at most.
const FORMATTED_MAX: usize = 4096;

/// `lang`, `key` and `args` as one key of [`FORMATTED`], when every
/// argument is text or a number with Fluent's default options (a number is
/// keyed by its value, and formats the same for the same value and
/// language, plural rules and all).
fn memo_key(lang: &str, key: &str, args: &[(&str, FluentValue<'static>)]) -> Option<String> {
    use std::fmt::Write;
    let mut memo_key = format!("{lang}\u{0}{key}");
    for (name, value) in args {
        // NOTE: `\0` separates; no id, name or shown text holds one. A
        // number is marked `\u{1}` so that it never keys like the text of
        // its digits, which Fluent formats otherwise (no plural rules).
        memo_key.extend(["\u{0}", name, "\u{0}"]);
        match value {
            FluentValue::String(text) => memo_key.push_str(text),
            FluentValue::Number(n) if n.options == Default::default() => {
                let _ = write!(memo_key, "\u{1}{:?}", n.value);
            }
            _ => return None,
        }
    }
    Some(memo_key)
}

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

/// Moments as shown, by function, language, zones and instant; emptied
/// whenever it holds [`FORMATTED_MAX`].
///
/// NOTE: a moment shown with its date and zones is four to six messages
/// ([`t_args`], each remembered on its own, but each looked up under a key
/// built anew) and their names of weekday, month and zone: some 24,000
/// instructions of the details page's 500,000. The same moment always reads
/// the same in the same language and zones, so the whole text is kept.
static SHOWN: OnceLock<RwLock<HashMap<Moment, String>>> = OnceLock::new();

/// A key of [`SHOWN`]: the function, the language, the zones and the instant (ms).
type Moment = (Shown, String, Zones, i64);

/// The text of `moment` as [`SHOWN`] remembers it, else `show`n and kept.
fn remembered(
    (shown, lang, zones, at): (Shown, &str, Zones, chrono::DateTime<chrono::Utc>),
    show: impl FnOnce() -> String,
) -> String {
    let key = (shown, lang.to_string(), zones, at.timestamp_millis());
    let memo = SHOWN.get_or_init(Default::default);
    if let Some(text) = memo.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return text.clone();
    }
    let text = show();
    let mut memo = memo.write().unwrap_or_else(|e| e.into_inner());
    if memo.len() >= FORMATTED_MAX {
        memo.clear();
    }
    memo.insert(key, text.clone());
    text
}

/// `practice` (the practice's text of `at`), followed by the visitor's time
/// when their zone differs.
///
/// NOTE: the visitor's time is `at` (an instant) seen in their zone, never
/// the practice's local time plus an offset: the two zones change their
/// clocks on different dates.
fn with_visitor(lang: &str, zones: Zones, at: chrono::DateTime<chrono::Utc>, practice: String, date: &str) -> String {
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
fn time_with_zone(lang: &str, local: chrono::DateTime<chrono_tz::Tz>) -> String {
    let zone = zone_abbreviation(lang, &abbreviation(&local));
    t_args(lang, "time-with-zone", &[("time", FluentValue::from(hh_mm(&local))), ("zone", FluentValue::from(zone))])
}

/// "09:30".
///
/// NOTE: not chrono's `format("%H:%M")`, which parses its pattern on every
/// call.
fn hh_mm(local: &chrono::DateTime<chrono_tz::Tz>) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// The zone's abbreviation at `local` as chrono's `%Z` writes it ("CET",
/// "+0530"), without parsing a pattern.
fn abbreviation(local: &chrono::DateTime<chrono_tz::Tz>) -> String {
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

fn date_with(lang: &str, format: &str, date: chrono::NaiveDate) -> String {
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

fn datetime_with(lang: &str, date: String, local: chrono::DateTime<chrono_tz::Tz>) -> String {
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

#[cfg(test)]
mod tests;
