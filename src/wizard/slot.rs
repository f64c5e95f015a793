//! Step 2, `/book/slot`: choose a start time, held for the visitor.

use chrono::{Duration, NaiveDate, Utc};
use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtSlot};
use super::fields::SlotForm;
use super::flow::{error, Errors, Flow, Reply};
use super::state::Step;
use crate::abuse::Client;
use crate::booking::availability;
use crate::booking::service::{Bookings, Held};
use crate::i18n::format_date;
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
    /// Why `slots` is empty: `closed`, `full`, `late`, … (see `availability::Empty`).
    why: Option<availability::Empty>,
}

#[derive(Serialize)]
struct SlotPage<'a> {
    service: &'a str,
    days: Vec<Day>,
    any: bool,
    prev: Option<String>,
    next: Option<String>,
    zone: &'static str,
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
    let taken = bookings.taken(start_day, end_day, &flow.state.flow_id).await?;
    let days: Vec<Day> = start_day
        .iter_days()
        .take_while(|day| *day <= end_day)
        .map(|day| {
            let offer = availability::day(booking, service, day, now, &taken);
            Day {
                date: day.to_string(),
                label: format_date(&flow.page.lang, day),
                slots: offer
                    .slots
                    .into_iter()
                    .map(|s| SlotOption { checked: Some(s.start) == held, value: s.value, label: s.label })
                    .collect(),
                why: offer.empty,
            }
        })
        .collect();
    let content = SlotPage {
        service: service.name_in(&flow.page.lang),
        any: days.iter().any(|d| !d.slots.is_empty()),
        days,
        prev: (start_day > first_day).then(|| (start_day - Duration::days(DAYS_PER_PAGE)).max(first_day).to_string()),
        next: (end_day < last_day).then(|| (end_day + Duration::days(1)).to_string()),
        zone: tz.name(),
    };
    Ok(flow.render(Step::Slot, status, errors, notice, content))
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
    client: Client,
    form: CsrfForm<SlotForm>,
) -> Result<Reply, Error> {
    let Some(service) = flow.service() else { return Ok(flow.first()) };
    let tz = flow.settings.booking.tz();
    let start = form.value.and_then(|f| availability::parse_slot_value(tz, &f.slot.0));
    let Some(start) = start else {
        let errors = error("slot", flow.t("err-slot-invalid"));
        return page(&flow, &bookings, Status::UnprocessableEntity, None, &errors, None).await;
    };
    let (status, message) = match bookings.hold(flow.id(), &client.0, service, start).await? {
        Held::Placed => (None, ""),
        Held::Taken => (Some(Status::UnprocessableEntity), "err-slot-unavailable"),
        Held::TooMany => (Some(Status::TooManyRequests), "err-hold-limit"),
    };
    if let Some(status) = status {
        let day = start.with_timezone(&tz).date_naive();
        return page(&flow, &bookings, status, Some(day), &error("slot", flow.t(message)), None).await;
    }
    flow.state.slot = Some(start.timestamp_millis());
    flow.save()?;
    Ok(flow.first())
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![slot_get, slot_post]
}
