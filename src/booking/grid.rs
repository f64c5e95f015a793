//! The grid of free start times as pages show it: a week of days from a
//! date, each with its times (or why it has none), and the pager. The
//! wizard's slot step and a booking's reschedule page show the same grid.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

mod html;

pub use html::Form;

use super::availability::{self, staffed};
use super::service::Bookings;
use super::service::Whom;
use crate::config::{BookingConfig, Service};
use crate::i18n::{format_date, format_slot_time, zone_abbreviations, zone_name, Zones};

/// Days shown on one page.
pub const DAYS_PER_PAGE: i64 = 7;

/// One offered start time.
#[derive(Serialize)]
pub struct SlotOption {
    /// The form value.
    pub value: String,
    /// Local `HH:MM`; with the visitor's zone, their time too.
    pub label: String,
    /// The visitor's current choice.
    pub checked: bool,
}

/// One local date of the grid.
#[derive(Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The date in the visitor's language.
    pub label: String,
    /// Its free start times.
    pub slots: Vec<SlotOption>,
    /// Why `slots` is empty: `closed`, `full`, `late`, … (see `availability::Empty`).
    pub why: Option<availability::Empty>,
    /// How many times it offers (the day overview's count).
    pub free: usize,
    /// Whether its times are shown open: the one day of the page that holds
    /// the visitor's choice, else the first that offers a time.
    pub open: bool,
}

/// A page of the grid, as templates read it.
#[derive(Serialize)]
pub struct Grid<'a> {
    /// The service's name in the visitor's language.
    pub service: &'a str,
    /// The days shown (pages show them through [`Grid::days_html`]).
    #[serde(skip)]
    pub days: Vec<Day>,
    /// Whether any day offers a time.
    pub any: bool,
    /// The first date of the previous page, if any.
    pub prev: Option<String>,
    /// The first date of the next page, if any.
    pub next: Option<String>,
    /// The practice's zone as the visitor calls it.
    pub zone: String,
    /// Its abbreviations on the days shown (`MEZ`, `MESZ/MEZ`).
    pub zone_abbreviation: String,
    /// The visitor's own zone when it differs (each time gives theirs too).
    pub visitor_zone: Option<String>,
}

/// Noon of `day` in `tz` (a moment every day has, clock changes or not).
fn noon(tz: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&noon).earliest().map_or_else(|| noon.and_utc(), |t| t.with_timezone(&Utc))
}

/// Which of `days` is shown open: the one holding the checked time, else
/// the first that offers any; none when no day offers a time.
fn open_day(days: &[Day]) -> Option<usize> {
    days.iter()
        .position(|d| d.slots.iter().any(|s| s.checked))
        .or_else(|| days.iter().position(|d| !d.slots.is_empty()))
}

/// The grid of `service` for `flow` (whose own hold or booking does not
/// block it) from `date`, else the day of `chosen`, else today, in `lang`,
/// its times in `zones`. With practitioners, `whom`'s times (`None`:
/// anyone's), from one read of what is taken for all of them.
pub async fn grid<'a>(
    bookings: &Bookings<'_>,
    config: &'a BookingConfig,
    (service, whom): (&'a Service, Option<Whom<'_>>),
    (flow, lang, zones): (&str, &str, Zones),
    date: Option<NaiveDate>,
    chosen: Option<DateTime<Utc>>,
) -> sqlx::Result<Grid<'a>> {
    let tz = config.tz();
    let now = bookings.now();
    let (first_day, last_day) = availability::horizon(config, now);
    let start_day = date
        .or_else(|| chosen.map(|c| c.with_timezone(&tz).date_naive()))
        .unwrap_or(first_day)
        .clamp(first_day, last_day);
    let end_day = (start_day + Duration::days(DAYS_PER_PAGE - 1)).min(last_day);
    let offers: Vec<(NaiveDate, availability::Day)> = if config.staffed() {
        let taken = bookings.taken_staffed(start_day, end_day, flow).await?;
        let whom = whom.unwrap_or(Whom::Anyone);
        let days = start_day.iter_days().take_while(|day| *day <= end_day);
        days.map(|day| (day, staffed::day(config, whom, service, day, now, &taken))).collect()
    } else {
        let taken = bookings.taken(start_day, end_day, flow).await?;
        let days = start_day.iter_days().take_while(|day| *day <= end_day);
        days.map(|day| (day, availability::day(config, service, day, now, &taken))).collect()
    };
    let mut days: Vec<Day> = offers
        .into_iter()
        .map(|(day, offer)| Day {
            date: day.to_string(),
            label: format_date(lang, day),
            free: offer.slots.len(),
            slots: offer
                .slots
                .into_iter()
                .map(|s| SlotOption {
                    checked: Some(s.start) == chosen,
                    label: format_slot_time(lang, zones, s.start),
                    value: s.value,
                })
                .collect(),
            why: offer.empty,
            open: false,
        })
        .collect();
    if let Some(open) = open_day(&days) {
        days[open].open = true;
    }
    Ok(Grid {
        service: service.name_in(lang),
        any: days.iter().any(|d| !d.slots.is_empty()),
        days,
        prev: (start_day > first_day).then(|| (start_day - Duration::days(DAYS_PER_PAGE)).max(first_day).to_string()),
        next: (end_day < last_day).then(|| (end_day + Duration::days(1)).to_string()),
        zone: zone_name(lang, tz),
        zone_abbreviation: zone_abbreviations(lang, tz, &[noon(tz, start_day), noon(tz, end_day)]),
        visitor_zone: zones.visitor.map(|visitor| zone_name(lang, visitor)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(times: &[bool]) -> Day {
        let slots: Vec<SlotOption> =
            times.iter().map(|&checked| SlotOption { value: String::new(), label: String::new(), checked }).collect();
        Day { date: String::new(), label: String::new(), free: slots.len(), slots, why: None, open: false }
    }

    #[test]
    fn the_open_day_holds_the_choice_else_it_is_the_first_with_times() {
        assert_eq!(open_day(&[day(&[]), day(&[false]), day(&[false, true])]), Some(2), "the chosen time's day");
        assert_eq!(open_day(&[day(&[]), day(&[false, false]), day(&[false])]), Some(1), "the first free day");
        assert_eq!(open_day(&[day(&[]), day(&[])]), None, "nothing free, nothing open");
    }
}
