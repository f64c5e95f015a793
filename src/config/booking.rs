//! `[booking]`: services, opening hours, date overrides, time zone, slot
//! rules and daily caps, parsed into checked types while the configuration
//! is read (the hours in `hours.rs`, the date overrides in `dates.rs`).

mod dates;
mod hours;
mod practitioners;

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

use super::error::ConfigError;
pub use dates::Dates;
pub use hours::{OpeningRange, Week};
pub use practitioners::{Practitioner, ANY};

/// A cap on the bookings (and holds) starting on one local date; `0` in the
/// file means no cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "u32")]
pub struct DailyCap(Option<NonZeroU32>);

impl From<u32> for DailyCap {
    fn from(value: u32) -> Self {
        DailyCap(NonZeroU32::new(value))
    }
}

impl DailyCap {
    /// The cap, or `None` when there is none.
    pub fn get(self) -> Option<u32> {
        self.0.map(NonZeroU32::get)
    }

    /// Whether a date on which `count` have started yet takes one more.
    pub fn admits(self, count: u32) -> bool {
        self.get().is_none_or(|cap| count < cap)
    }
}

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
    /// Time kept free before each appointment.
    #[serde(default)]
    pub buffer_before_minutes: u32,
    /// Time kept free after each appointment.
    #[serde(default)]
    pub buffer_after_minutes: u32,
    /// Bookings of this service per local date.
    #[serde(default)]
    pub max_per_day: DailyCap,
    /// Shown under the name at the service step; "" for none.
    #[serde(default)]
    pub description: String,
    /// The description in other languages, by language tag.
    #[serde(default)]
    pub descriptions: BTreeMap<String, String>,
}

impl Service {
    /// The name to show in `lang`.
    pub fn name_in(&self, lang: &str) -> &str {
        self.names.get(lang).map(String::as_str).unwrap_or(&self.name)
    }

    /// The description to show in `lang`, if any.
    pub fn description_in(&self, lang: &str) -> Option<&str> {
        let text = self.descriptions.get(lang).unwrap_or(&self.description).trim();
        (!text.is_empty()).then_some(text)
    }

    /// Minutes one appointment occupies: buffer before, duration, buffer after.
    pub fn span_minutes(&self) -> u32 {
        self.buffer_before_minutes.saturating_add(self.duration_minutes).saturating_add(self.buffer_after_minutes)
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
    /// From this long before the start on, a booking can no longer be
    /// moved or cancelled online.
    pub change_notice_minutes: u32,
    /// Bookings of all services together per local date.
    pub max_per_day: DailyCap,
    /// Days after an appointment's end when its contact details are erased; 0 keeps them.
    pub retention_days: u32,
    /// Opening hours per weekday.
    pub hours: Week,
    /// Dates whose opening hours replace their weekday's.
    pub dates: Dates,
    /// The services offered (at least one).
    pub services: Vec<Service>,
    /// (rev 3) The practitioners, in configuration order; none: one shared
    /// calendar of `capacity`.
    pub practitioners: Vec<Practitioner>,
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
    change_notice_minutes: u32,
    max_per_day: DailyCap,
    retention_days: u32,
    hours: BTreeMap<String, Vec<String>>,
    dates: BTreeMap<String, Vec<String>>,
    services: Vec<Service>,
    practitioners: Vec<practitioners::Raw>,
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
            change_notice_minutes: 0,
            max_per_day: DailyCap::default(),
            retention_days: 0,
            hours: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), weekday.clone())).collect(),
            dates: BTreeMap::new(),
            services: vec![Service {
                id: "consultation".into(),
                name: "Consultation".into(),
                names: BTreeMap::new(),
                duration_minutes: 30,
                buffer_before_minutes: 0,
                buffer_after_minutes: 0,
                max_per_day: DailyCap::default(),
                description: String::new(),
                descriptions: BTreeMap::new(),
            }],
            practitioners: Vec::new(),
        }
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
            return Err(ConfigError::new(
                "booking.horizon_days",
                format!("is {}; must be between 1 and 1096", raw.horizon_days),
            ));
        }
        let config = BookingConfig {
            timezone,
            horizon_days,
            min_notice_minutes: raw.min_notice_minutes,
            slot_step_minutes: ConfigError::non_zero("booking.slot_step_minutes", raw.slot_step_minutes)?,
            capacity: ConfigError::non_zero("booking.capacity", raw.capacity)?,
            hold_minutes: raw.hold_minutes,
            change_notice_minutes: raw.change_notice_minutes,
            max_per_day: raw.max_per_day,
            retention_days: raw.retention_days,
            hours: Week::parse(&raw.hours)?,
            dates: Dates::parse(&raw.dates)?,
            practitioners: practitioners::parse(raw.practitioners, &raw.services)?,
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
    /// Every service has a unique id, a name, and fits some opening range
    /// (of the weekly hours or of a date override).
    fn check_services(&self) -> Result<(), ConfigError> {
        if self.services.is_empty() {
            return Err(ConfigError::new("booking.services", "list at least one service"));
        }
        let own = self
            .practitioners
            .iter()
            .map(|p| p.hours.as_ref().map_or(0, Week::longest).max(hours::longest(p.dates.ranges())));
        let longest = own.fold(self.hours.longest().max(hours::longest(self.dates.ranges())), u32::max);
        for (i, service) in self.services.iter().enumerate() {
            let key = format!("booking.services[{i}]");
            let id_ok = !service.id.is_empty()
                && service.id.len() <= 64
                && service.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                return Err(ConfigError::new(
                    format!("{key}.id"),
                    format!("`{}`: use 1–64 letters, digits, `-` or `_`", service.id),
                ));
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
                    "with its buffers, longer than every opening range: it could never be booked",
                ));
            }
        }
        Ok(())
    }

    /// The practice's time zone.
    pub fn tz(&self) -> Tz {
        self.timezone
    }

    /// The weekly opening ranges of `day` (without date overrides; see
    /// [`BookingConfig::ranges_on`]).
    pub fn ranges(&self, day: Weekday) -> &[OpeningRange] {
        self.hours.ranges(day)
    }

    /// The opening ranges of the local date `date`: its override in
    /// `[booking.dates]` if it has one, else its weekday's hours.
    pub fn ranges_on(&self, date: NaiveDate) -> &[OpeningRange] {
        self.dates.on(date).unwrap_or_else(|| self.hours.ranges(date.weekday()))
    }

    /// Whether any daily cap is set (overall or for a service).
    pub fn has_daily_caps(&self) -> bool {
        self.max_per_day.get().is_some() || self.services.iter().any(|s| s.max_per_day.get().is_some())
    }

    /// The service with id `id`.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The name of the practitioner `id` (the id itself when they left the
    /// configuration); `None` for none.
    pub fn practitioner_name<'a>(&'a self, id: Option<&'a str>) -> Option<&'a str> {
        id.map(|id| self.practitioner(id).map_or(id, |p| p.name.as_str()))
    }

    /// Whether practitioners are configured (SPEC §2e).
    pub fn staffed(&self) -> bool {
        !self.practitioners.is_empty()
    }

    /// The practitioner with id `id`, if still configured.
    pub fn practitioner(&self, id: &str) -> Option<&Practitioner> {
        self.practitioners.iter().find(|p| p.id == id)
    }

    /// The practitioners who offer `service`, in configuration order.
    pub fn offering<'a>(&'a self, service: &'a Service) -> impl Iterator<Item = &'a Practitioner> + 'a {
        self.practitioners.iter().filter(move |p| p.offers(service))
    }

    /// Whether visitors can book `service`: always without practitioners,
    /// else when one offers it.
    pub fn bookable(&self, service: &Service) -> bool {
        !self.staffed() || self.offering(service).next().is_some()
    }

    /// The services visitors can book, in configuration order.
    pub fn bookable_services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| self.bookable(s))
    }

    /// One line per service no practitioner offers (left out of the service
    /// step), for the launch to log.
    pub fn warnings(&self) -> Vec<String> {
        let unoffered = self.services.iter().filter(|s| !self.bookable(s));
        unoffered.map(|s| format!("booking.services: no practitioner offers `{}`; it is not offered", s.id)).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;
