//! Step 2, `/book/slot`: choose a start time, held for the visitor.

use chrono::{Duration, NaiveDate, Utc};
use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtSlot};
use super::fields::SlotForm;
use super::flow::{error, Errors, Flow, Reply};
use super::state::Step;
use crate::booking::availability;
use crate::booking::service::Bookings;
use crate::i18n::{format_date, zone_abbreviations, zone_name};
use crate::session::CsrfForm;
use crate::web::Error;

/// Days shown on one slot page.
const DAYS_PER_PAGE: i64 = 7;

#[derive(Serialize)]
struct SlotOption {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Serialize)]
struct Day {
    date: String,
    label: String,
    slots: Vec<SlotOption>,
}

#[derive(Serialize)]
struct SlotPage<'a> {
    service: &'a str,
    days: Vec<Day>,
    any: bool,
    prev: Option<String>,
    next: Option<String>,
    /// The zone as the visitor calls it, and its abbreviations on the days shown.
    zone: String,
    zone_abbreviation: String,
}

/// The slot page from `date` (else the held slot's day, else today) on.
pub(super) async fn page(
    flow: &Flow<'_>,
    bookings: &Bookings<'_>,
    status: Status,
    date: Option<NaiveDate>,
    errors: &Errors,
    notice: Option<&str>,
) -> Result<Reply, Error> {
    let Some(service) = flow.service() else { return Ok(flow.first()) };
    let booking = &flow.settings.booking;
    let tz = booking.tz();
    let now = Utc::now();
    let (first_day, last_day) = availability::horizon(booking, now);
    let held = flow.slot();
    let start_day = date
        .or_else(|| held.map(|h| h.with_timezone(&tz).date_naive()))
        .unwrap_or(first_day)
        .clamp(first_day, last_day);
    let end_day = (start_day + Duration::days(DAYS_PER_PAGE - 1)).min(last_day);
    let to = now + Duration::days((end_day - first_day).num_days() + 3);
    let busy = bookings.busy(now, to, &flow.state.flow_id).await?;
    let days: Vec<Day> = start_day
        .iter_days()
        .take_while(|day| *day <= end_day)
        .map(|day| Day {
            date: day.to_string(),
            label: format_date(&flow.page.lang, day),
            slots: availability::day_slots(booking, service, day, now, &busy)
                .into_iter()
                .map(|s| SlotOption { checked: Some(s.start) == held, value: s.value, label: s.label })
                .collect(),
        })
        .collect();
    let content = SlotPage {
        service: service.name_in(&flow.page.lang),
        any: days.iter().any(|d| !d.slots.is_empty()),
        days,
        prev: (start_day > first_day).then(|| (start_day - Duration::days(DAYS_PER_PAGE)).max(first_day).to_string()),
        next: (end_day < last_day).then(|| (end_day + Duration::days(1)).to_string()),
        zone: zone_name(&flow.page.lang, tz),
        zone_abbreviation: zone_abbreviations(&flow.page.lang, tz, &[noon(tz, start_day), noon(tz, end_day)]),
    };
    Ok(flow.render(Step::Slot, status, errors, notice, content))
}

/// Noon of `day` in `tz` (a moment every day has, clock changes or not).
fn noon(tz: chrono_tz::Tz, day: NaiveDate) -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&noon).earliest().map_or_else(|| noon.and_utc(), |t| t.with_timezone(&Utc))
}

#[rocket::get("/book/slot?<date>")]
async fn slot_get(flow: Admitted<'_, AtSlot>, bookings: Bookings<'_>, date: Option<&str>) -> Result<Reply, Error> {
    let date = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    page(&flow, &bookings, Status::Ok, date, &Errors::new(), None).await
}

#[rocket::post("/book/slot", data = "<form>")]
async fn slot_post(
    mut flow: Admitted<'_, AtSlot>,
    bookings: Bookings<'_>,
    form: CsrfForm<SlotForm>,
) -> Result<Reply, Error> {
    let Some(service) = flow.service() else { return Ok(flow.first()) };
    let tz = flow.settings.booking.tz();
    let start = form.value.and_then(|f| availability::parse_slot_value(tz, &f.slot.0));
    let Some(start) = start else {
        let errors = error("slot", flow.t("err-slot-invalid"));
        return page(&flow, &bookings, Status::UnprocessableEntity, None, &errors, None).await;
    };
    if !bookings.hold(flow.id(), service, start).await? {
        let errors = error("slot", flow.t("err-slot-unavailable"));
        let day = start.with_timezone(&tz).date_naive();
        return page(&flow, &bookings, Status::UnprocessableEntity, Some(day), &errors, None).await;
    }
    flow.state.slot = Some(start.timestamp_millis());
    flow.save()?;
    Ok(flow.first())
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![slot_get, slot_post]
}
