//! `[booking]`: services, opening hours, time zone and slot rules, parsed
//! into checked types while the configuration is read.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use chrono::Weekday;
use chrono_tz::Tz;
use serde::Deserialize;

use super::error::ConfigError;

/// One bookable service.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable id, the form value.
    pub id: String,
    /// Name shown to visitors.
    pub name: String,
    /// The name in other languages, by language tag (e.g. `{ de = "Beratung" }`);
    /// a language without an entry shows `name`.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// Length of the appointment.
    pub duration_minutes: u32,
    /// Time kept free after each appointment.
    #[serde(default)]
    pub buffer_after_minutes: u32,
}

impl Service {
    /// The name to show in `lang`.
    pub fn name_in(&self, lang: &str) -> &str {
        self.names.get(lang).map(String::as_str).unwrap_or(&self.name)
    }

    /// Minutes one appointment occupies: duration plus buffer.
    pub fn span_minutes(&self) -> u32 {
        self.duration_minutes + self.buffer_after_minutes
    }
}

/// An opening range of one weekday, in minutes after local midnight;
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
    fn parse(hours: &BTreeMap<String, Vec<String>>) -> Result<Week, ConfigError> {
        let mut week = Week::default();
        for (day, ranges) in hours {
            let key = format!("booking.hours.{day}");
            let Some(index) = DAYS.iter().position(|(name, _)| name == day) else {
                return Err(ConfigError::new(key, "unknown weekday (use mon, tue, wed, thu, fri, sat, sun)"));
            };
            let mut parsed = Vec::new();
            for range in ranges {
                let bad = || ConfigError::new(key.clone(), format!("`{range}` is not a range like \"09:00-17:00\""));
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
            week.0[index] = parsed;
        }
        Ok(week)
    }

    /// Minutes of the longest opening range.
    fn longest(&self) -> u32 {
        self.0.iter().flatten().map(|r| r.end - r.start).max().unwrap_or(0)
    }
}

/// The `[booking]` section, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct BookingConfig {
    /// The practice's time zone.
    pub timezone: Tz,
    /// Bookable local days: today … today + horizon_days − 1 (1 … 1096).
    pub horizon_days: NonZeroU32,
    /// Earliest start, in minutes from now.
    pub min_notice_minutes: u32,
    /// Grid of start times from the start of each opening range.
    pub slot_step_minutes: NonZeroU32,
    /// Appointments (and holds) that may overlap at any moment.
    pub capacity: NonZeroU32,
    /// How long a chosen slot is held; 0 turns holds off.
    pub hold_minutes: u32,
    /// Days after an appointment's end when its contact details are erased; 0 keeps them.
    pub retention_days: u32,
    /// Opening hours per weekday.
    pub hours: Week,
    /// The services offered (at least one).
    pub services: Vec<Service>,
}

/// `[booking]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    timezone: String,
    horizon_days: u64,
    min_notice_minutes: u32,
    slot_step_minutes: u64,
    capacity: u64,
    hold_minutes: u32,
    retention_days: u32,
    hours: BTreeMap<String, Vec<String>>,
    services: Vec<Service>,
}

impl Default for Raw {
    fn default() -> Self {
        let weekday = vec!["09:00-12:00".to_string(), "13:00-17:00".to_string()];
        Raw {
            timezone: "Europe/Berlin".into(),
            horizon_days: 14,
            min_notice_minutes: 60,
            slot_step_minutes: 30,
            capacity: 1,
            hold_minutes: 10,
            retention_days: 0,
            hours: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), weekday.clone())).collect(),
            services: vec![Service {
                id: "consultation".into(),
                name: "Consultation".into(),
                names: BTreeMap::new(),
                duration_minutes: 30,
                buffer_after_minutes: 0,
            }],
        }
    }
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

impl TryFrom<Raw> for BookingConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let timezone: Tz = raw.timezone.parse().map_err(|_| {
            ConfigError::new("booking.timezone", format!("`{}` is not an IANA time zone", raw.timezone))
        })?;
        let horizon_days = ConfigError::non_zero("booking.horizon_days", raw.horizon_days)?;
        if raw.horizon_days > 1096 {
            return Err(ConfigError::new("booking.horizon_days", "must be between 1 and 1096"));
        }
        let config = BookingConfig {
            timezone,
            horizon_days,
            min_notice_minutes: raw.min_notice_minutes,
            slot_step_minutes: ConfigError::non_zero("booking.slot_step_minutes", raw.slot_step_minutes)?,
            capacity: ConfigError::non_zero("booking.capacity", raw.capacity)?,
            hold_minutes: raw.hold_minutes,
            retention_days: raw.retention_days,
            hours: Week::parse(&raw.hours)?,
            services: raw.services,
        };
        config.check_services()?;
        Ok(config)
    }
}

impl Default for BookingConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [booking] is valid")
    }
}

impl BookingConfig {
    /// Every service has a unique id, a name, and fits some opening range.
    fn check_services(&self) -> Result<(), ConfigError> {
        if self.services.is_empty() {
            return Err(ConfigError::new("booking.services", "list at least one service"));
        }
        let longest = self.hours.longest();
        for (i, service) in self.services.iter().enumerate() {
            let key = format!("booking.services[{i}]");
            let id_ok = !service.id.is_empty()
                && service.id.len() <= 64
                && service.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                return Err(ConfigError::new(format!("{key}.id"), "use 1–64 letters, digits, `-` or `_`"));
            }
            if self.services[..i].iter().any(|s| s.id == service.id) {
                return Err(ConfigError::new(format!("{key}.id"), format!("`{}` is used twice", service.id)));
            }
            if service.name.trim().is_empty() {
                return Err(ConfigError::new(format!("{key}.name"), "must not be empty"));
            }
            if let Some((lang, _)) = service.names.iter().find(|(_, name)| name.trim().is_empty()) {
                return Err(ConfigError::new(format!("{key}.names.{lang}"), "must not be empty"));
            }
            if service.duration_minutes == 0 {
                return Err(ConfigError::new(format!("{key}.duration_minutes"), "must be at least 1"));
            }
            if service.span_minutes() > longest {
                return Err(ConfigError::new(
                    format!("{key}.duration_minutes"),
                    "with its buffer, longer than every opening range: it could never be booked",
                ));
            }
        }
        Ok(())
    }

    /// The practice's time zone.
    pub fn tz(&self) -> Tz {
        self.timezone
    }

    /// The opening ranges of `day`.
    pub fn ranges(&self, day: Weekday) -> &[OpeningRange] {
        self.hours.ranges(day)
    }

    /// The service with id `id`.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
}
