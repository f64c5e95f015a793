//! `[[booking.practitioners]]` (SPEC §2e): each a calendar of their own, with
//! their own services, capacity, daily cap, weekly hours and date overrides,
//! parsed into a checked [`Practitioner`] while the configuration is read.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{DailyCap, Dates, OpeningRange, Service, Week};
use crate::config::error::ConfigError;

/// The radio value of "first available": no practitioner may take it as id.
pub const ANY: &str = "any";

/// One practitioner, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Practitioner {
    /// Stable id (1–32 of `a-z 0-9 _ -`, not `any`): the form value and what bookings store.
    pub id: String,
    /// Name shown to visitors.
    pub name: String,
    /// The ids of the services they offer; `None`: every service.
    pub services: Option<Vec<String>>,
    /// Appointments they run at once.
    pub capacity: NonZeroU32,
    /// Their bookings (and holds) per local date.
    pub max_per_day: DailyCap,
    /// Their own weekly hours; `None`: the practice's.
    pub hours: Option<Week>,
    /// Their own date overrides, before the practice's.
    pub dates: Dates,
}

impl Practitioner {
    /// Whether they offer `service`.
    pub fn offers(&self, service: &Service) -> bool {
        self.services.as_ref().is_none_or(|ids| ids.contains(&service.id))
    }

    /// Their opening ranges on the local date `date`, first match wins: their
    /// own `dates`, the practice's `dates`, their own `hours`, the practice's `hours`.
    pub fn ranges_on<'a>(&'a self, date: NaiveDate, practice: &'a Dates, week: &'a Week) -> &'a [OpeningRange] {
        if let Some(ranges) = self.dates.on(date).or_else(|| practice.on(date)) {
            return ranges;
        }
        self.hours.as_ref().unwrap_or(week).ranges(date.weekday())
    }
}

/// A practitioner as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    id: String,
    name: String,
    services: Option<Vec<String>>,
    capacity: Option<i64>,
    max_per_day: Option<i64>,
    hours: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    dates: BTreeMap<String, Vec<String>>,
}

/// Checks `raw` (the practitioners in file order) against the `services`.
pub(super) fn parse(raw: Vec<Raw>, services: &[Service]) -> Result<Vec<Practitioner>, ConfigError> {
    let mut out: Vec<Practitioner> = Vec::with_capacity(raw.len());
    for (i, p) in raw.into_iter().enumerate() {
        let key = format!("booking.practitioners[{i}]");
        let id_ok = (1..=32).contains(&p.id.len())
            && p.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(ConfigError::new(format!("{key}.id"), format!("`{}`: use 1–32 of a-z, 0-9, `_`, `-`", p.id)));
        }
        if p.id == ANY {
            return Err(ConfigError::new(format!("{key}.id"), "`any` is reserved for \"first available\""));
        }
        if out.iter().any(|o| o.id == p.id) {
            return Err(ConfigError::new(format!("{key}.id"), format!("`{}` is used twice", p.id)));
        }
        if p.name.trim().is_empty() {
            return Err(ConfigError::new(format!("{key}.name"), "must not be empty"));
        }
        if let Some(unknown) = p.services.iter().flatten().find(|id| !services.iter().any(|s| &s.id == *id)) {
            return Err(ConfigError::new(format!("{key}.services"), format!("`{unknown}` is not a service")));
        }
        let capacity = match p.capacity {
            None => NonZeroU32::MIN,
            Some(n) => u32::try_from(n)
                .ok()
                .and_then(NonZeroU32::new)
                .ok_or_else(|| ConfigError::new(format!("{key}.capacity"), format!("is {n}; must be at least 1")))?,
        };
        let max_per_day = match p.max_per_day {
            None => DailyCap::default(),
            Some(n) => DailyCap::from(u32::try_from(n).map_err(|_| {
                ConfigError::new(format!("{key}.max_per_day"), format!("is {n}; must be 0 (no cap) or more"))
            })?),
        };
        let rekey = |from: &'static str, to: String| {
            move |e: ConfigError| ConfigError { key: e.key.replacen(from, &to, 1), ..e }
        };
        let hours =
            p.hours.as_ref().map(Week::parse).transpose().map_err(rekey("booking.hours", format!("{key}.hours")))?;
        let dates = Dates::parse(&p.dates).map_err(rekey("booking.dates", format!("{key}.dates")))?;
        out.push(Practitioner { id: p.id, name: p.name, services: p.services, capacity, max_per_day, hours, dates });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use crate::config::tests::settings;
    use crate::config::{BookingConfig, ConfigError};

    const SERVICES: &str = "[[booking.services]]\nid = \"consultation\"\nname = \"Consultation\"\nduration_minutes = 30\n\
                            [[booking.services]]\nid = \"vaccination\"\nname = \"Vaccination\"\nduration_minutes = 15\n";

    fn staffed(practitioners: &str) -> Result<BookingConfig, ConfigError> {
        settings(&format!("[booking]\n{SERVICES}{practitioners}")).map(|s| s.booking)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn a_practitioner_s_day_is_own_dates_then_practice_dates_then_own_hours_then_practice_hours() {
        let c = settings(&format!(
            "[booking]\n{SERVICES}[booking.hours]\nmon = [\"09:00-17:00\"]\ntue = [\"09:00-17:00\"]\n\
             [booking.dates]\n\"2027-01-05\" = []\n\"2027-01-12\" = [\"10:00-11:00\"]\n\
             [[booking.practitioners]]\nid = \"anna\"\nname = \"Anna\"\n\
             [booking.practitioners.hours]\nmon = [\"08:00-12:00\"]\n\
             [booking.practitioners.dates]\n\"2027-01-12\" = [\"14:00-15:00\"]\n"
        ))
        .expect("valid")
        .booking;
        let anna = c.practitioner("anna").expect("configured");
        let on =
            |d: &str| anna.ranges_on(date(d), &c.dates, &c.hours).iter().map(|r| (r.start, r.end)).collect::<Vec<_>>();
        assert_eq!(on("2027-01-04"), [(480, 720)], "her own Monday");
        assert_eq!(on("2027-01-05"), [], "the practice's closed date");
        assert_eq!(on("2027-01-12"), [(840, 900)], "her own date wins over the practice's");
        assert_eq!(on("2027-01-06"), [], "her week has no Wednesday: closed, not the practice's");
        assert_eq!(anna.capacity.get(), 1, "capacity defaults to 1");
    }

    #[test]
    fn without_hours_a_practitioner_keeps_the_practice_s_week() {
        let c = staffed("[[booking.practitioners]]\nid = \"ben\"\nname = \"Ben\"\nservices = [\"vaccination\"]\n")
            .expect("valid");
        let ben = c.practitioner("ben").expect("configured");
        assert_eq!(ben.ranges_on(date("2027-01-04"), &c.dates, &c.hours), c.ranges_on(date("2027-01-04")));
        assert_eq!(c.bookable_services().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["vaccination"]);
        assert_eq!(c.warnings().len(), 1, "one line for the service nobody offers");
        assert!(c.warnings()[0].contains("consultation"));
    }

    #[test]
    fn bad_practitioners_name_their_key() {
        let p = |body: &str| staffed(&format!("[[booking.practitioners]]\n{body}\n"));
        let cases = [
            (p("id = \"Anna\"\nname = \"A\""), "booking.practitioners[0].id"),
            (p("id = \"any\"\nname = \"A\""), "booking.practitioners[0].id"),
            (p(&format!("id = \"{}\"\nname = \"A\"", "a".repeat(33))), "booking.practitioners[0].id"),
            (p("id = \"a\"\nname = \" \""), "booking.practitioners[0].name"),
            (p("id = \"a\"\nname = \"A\"\nservices = [\"massage\"]"), "booking.practitioners[0].services"),
            (p("id = \"a\"\nname = \"A\"\ncapacity = -1"), "booking.practitioners[0].capacity"),
            (p("id = \"a\"\nname = \"A\"\ncapacity = 0"), "booking.practitioners[0].capacity"),
            (p("id = \"a\"\nname = \"A\"\nmax_per_day = -2"), "booking.practitioners[0].max_per_day"),
            (
                p("id = \"a\"\nname = \"A\"\n[booking.practitioners.hours]\nmon = [\"12:00-09:00\"]"),
                "booking.practitioners[0].hours.mon",
            ),
            (
                p("id = \"a\"\nname = \"A\"\n[booking.practitioners.dates]\n\"2027-02-30\" = []"),
                "booking.practitioners[0].dates.2027-02-30",
            ),
            (
                p("id = \"a\"\nname = \"A\"\n[[booking.practitioners]]\nid = \"a\"\nname = \"B\""),
                "booking.practitioners[1].id",
            ),
        ];
        for (result, key) in cases {
            assert_eq!(result.expect_err(key).key, key);
        }
    }

    #[test]
    fn without_practitioners_every_service_is_bookable_and_nothing_is_warned() {
        let c = staffed("").expect("valid");
        assert!(!c.staffed());
        assert_eq!(c.bookable_services().count(), 2);
        assert!(c.warnings().is_empty());
    }
}
