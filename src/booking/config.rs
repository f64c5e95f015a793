//! `[booking]`: services, opening hours, time zone and slot rules, parsed and
//! checked at launch.

use std::collections::BTreeMap;

use chrono::Weekday;
use chrono_tz::Tz;
use serde::Deserialize;

use crate::config::ConfigError;

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

/// The `[booking]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingConfig {
    /// IANA zone name of the practice.
    pub timezone: String,
    /// Bookable local days: today … today + horizon_days − 1.
    pub horizon_days: u32,
    /// Earliest start, in minutes from now.
    pub min_notice_minutes: u32,
    /// Grid of start times from the start of each opening range.
    pub slot_step_minutes: u32,
    /// Appointments (and holds) that may overlap at any moment.
    pub capacity: u32,
    /// How long a chosen slot is held; 0 turns holds off.
    pub hold_minutes: u32,
    /// Opening hours per weekday (`mon` … `sun`), `"HH:MM-HH:MM"` local.
    pub hours: BTreeMap<String, Vec<String>>,
    /// The services offered.
    pub services: Vec<Service>,
    #[serde(skip)]
    tz: Option<Tz>,
    #[serde(skip)]
    week: [Vec<OpeningRange>; 7],
}

impl Default for BookingConfig {
    fn default() -> Self {
        let weekday = vec!["09:00-12:00".to_string(), "13:00-17:00".to_string()];
        BookingConfig {
            timezone: "Europe/Berlin".into(),
            horizon_days: 14,
            min_notice_minutes: 60,
            slot_step_minutes: 30,
            capacity: 1,
            hold_minutes: 10,
            hours: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), weekday.clone())).collect(),
            services: vec![Service {
                id: "consultation".into(),
                name: "Consultation".into(),
                names: BTreeMap::new(),
                duration_minutes: 30,
                buffer_after_minutes: 0,
            }],
            tz: None,
            week: Default::default(),
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

impl BookingConfig {
    /// Checks every key and prepares the parsed zone and week.
    pub fn prepare(&mut self) -> Result<(), ConfigError> {
        let tz: Tz = self.timezone.parse().map_err(|_| {
            ConfigError::new("booking.timezone", format!("`{}` is not an IANA time zone", self.timezone))
        })?;
        self.tz = Some(tz);
        for (key, value) in [
            ("booking.horizon_days", self.horizon_days),
            ("booking.slot_step_minutes", self.slot_step_minutes),
            ("booking.capacity", self.capacity),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        if self.horizon_days > 366 {
            return Err(ConfigError::new("booking.horizon_days", "must be at most 366"));
        }
        let mut week: [Vec<OpeningRange>; 7] = Default::default();
        for (day, ranges) in &self.hours {
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
            week[index] = parsed;
        }
        self.week = week;
        if self.services.is_empty() {
            return Err(ConfigError::new("booking.services", "list at least one service"));
        }
        let longest = self.week.iter().flatten().map(|r| r.end - r.start).max().unwrap_or(0);
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
        self.tz.unwrap_or(chrono_tz::UTC)
    }

    /// The opening ranges of `day`.
    pub fn ranges(&self, day: Weekday) -> &[OpeningRange] {
        &self.week[day.num_days_from_monday() as usize]
    }

    /// The service with id `id`.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hours: &[(&str, &[&str])]) -> BookingConfig {
        BookingConfig {
            hours: hours.iter().map(|(d, r)| (d.to_string(), r.iter().map(|s| s.to_string()).collect())).collect(),
            ..BookingConfig::default()
        }
    }

    #[test]
    fn parses_hours_including_midnight_end() {
        let mut c = config(&[("mon", &["13:00-17:00", "09:00-12:00"]), ("sat", &["20:00-24:00"])]);
        c.prepare().unwrap();
        assert_eq!(
            c.ranges(Weekday::Mon),
            &[OpeningRange { start: 540, end: 720 }, OpeningRange { start: 780, end: 1020 }]
        );
        assert_eq!(c.ranges(Weekday::Sat), &[OpeningRange { start: 1200, end: 1440 }]);
        assert!(c.ranges(Weekday::Sun).is_empty());
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases: Vec<(BookingConfig, &str)> = vec![
            (config(&[("moon", &["09:00-10:00"])]), "booking.hours.moon"),
            (config(&[("mon", &["9-10"])]), "booking.hours.mon"),
            (config(&[("mon", &["10:00-09:00"])]), "booking.hours.mon"),
            (config(&[("mon", &["09:00-12:00", "11:00-13:00"])]), "booking.hours.mon"),
            (config(&[("mon", &["00:00-24:01"])]), "booking.hours.mon"),
            (BookingConfig { timezone: "Mars/Olympus".into(), ..BookingConfig::default() }, "booking.timezone"),
            (BookingConfig { capacity: 0, ..BookingConfig::default() }, "booking.capacity"),
            (config(&[("mon", &["09:00-09:15"])]), "booking.services[0].duration_minutes"),
        ];
        for (mut c, key) in cases {
            assert_eq!(c.prepare().unwrap_err().key, key);
        }
    }
}
