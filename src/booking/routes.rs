//! A booking's own pages, reached from the link in its emails: the booking
//! (`GET /booking/<ref>?token=`), moving it (`…/reschedule`) and cancelling
//! it (`…/cancel`). A wrong token answers `404` and reveals nothing; a
//! booking that can no longer change (cancelled, past, within the notice)
//! answers `409` and changes nothing. GET and HEAD never change a booking.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Redirect, Responder};
use rocket::State;
use rocket_dyn_templates::context;
use serde::Serialize;

use super::availability;
use super::grid::{grid, Grid};
use super::service::{frozen, Bookings, Cancellation, Frozen, Rescheduled, ServiceError};
use super::store::Booking;
use crate::config::Settings;
use crate::i18n::{format_datetime, t};
use crate::metrics::Metrics;
use crate::outbox::Wake;
use crate::session::CsrfForm;
use crate::web::{Error, Page, PageView, View};

/// What a booking route answers.
#[derive(Responder)]
pub enum Reply {
    /// `303` back to the booking.
    Redirect(Redirect),
    /// A page with its status.
    Page((Status, View)),
}

fn service_name(settings: &Settings, booking: &Booking, lang: &str) -> String {
    settings.booking.service(&booking.service_id).map(|s| s.name_in(lang).to_string()).unwrap_or_default()
}

/// The booking's page with `status` and an optional notice.
fn booking_page(page: &Page<'_>, booking: &Booking, token: &str, status: Status, notice: Option<String>) -> Reply {
    let settings = page.settings();
    let frozen = frozen(&settings.booking, booking, Utc::now());
    let state = match frozen {
        Some(Frozen::Cancelled) => "cancelled",
        Some(Frozen::Past) => "past",
        _ => "booked",
    };
    let view = View::render(
        "booking",
        context! {
            page: page.view(), reference: &booking.reference, service: service_name(settings, booking, &page.lang),
            when: format_datetime(&page.lang, settings.booking.tz(), booking.starts_at), name: &booking.name,
            cancelled: booking.cancelled, state, changeable: frozen.is_none(), notice, token,
        },
    );
    Reply::Page((status, view))
}

/// `GET /booking/<reference>?token=`.
#[rocket::get("/booking/<reference>?<token>")]
async fn show(
    mut page: Page<'_>,
    bookings: Bookings<'_>,
    reference: &str,
    token: Option<&str>,
) -> Result<Reply, Error> {
    page.bind();
    let token = token.unwrap_or_default();
    let booking = bookings.find(reference, token).await?.ok_or(Status::NotFound)?;
    let notice = page.take_notice();
    Ok(booking_page(&page, &booking, token, Status::Ok, notice))
}

/// The reschedule page's context: the grid of the booking's service.
#[derive(Serialize)]
struct ReschedulePage<'a> {
    page: PageView<'a>,
    #[serde(flatten)]
    grid: Grid<'a>,
    reference: &'a str,
    token: &'a str,
    when: String,
    errors: BTreeMap<&'static str, String>,
    notice: Option<String>,
}

/// The free times for moving `booking`, from `date` on.
async fn reschedule_page(
    page: &Page<'_>,
    bookings: &Bookings<'_>,
    booking: &Booking,
    (token, date): (&str, Option<NaiveDate>),
    (status, error): (Status, Option<String>),
) -> Result<Reply, Error> {
    let settings = page.settings();
    let config = &settings.booking;
    let service = config.service(&booking.service_id).ok_or(Status::Conflict)?;
    let who = (booking.flow_id.as_str(), page.lang.as_str());
    let grid = grid(bookings, config, service, who, date, Some(booking.starts_at)).await?;
    let context = ReschedulePage {
        page: page.view(),
        grid,
        reference: &booking.reference,
        token,
        when: format_datetime(&page.lang, config.tz(), booking.starts_at),
        errors: error.map(|e| BTreeMap::from([("slot", e)])).unwrap_or_default(),
        notice: None,
    };
    Ok(Reply::Page((status, View::render("reschedule", context))))
}

/// `GET /booking/<reference>/reschedule?token=[&date=]`.
#[rocket::get("/booking/<reference>/reschedule?<token>&<date>")]
async fn reschedule_get(
    mut page: Page<'_>,
    bookings: Bookings<'_>,
    reference: &str,
    token: Option<&str>,
    date: Option<&str>,
) -> Result<Reply, Error> {
    page.bind();
    let token = token.unwrap_or_default();
    let booking = bookings.find(reference, token).await?.ok_or(Status::NotFound)?;
    if frozen(&page.settings().booking, &booking, Utc::now()).is_some() {
        return Ok(booking_page(&page, &booking, token, Status::Conflict, None));
    }
    let date = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    reschedule_page(&page, &bookings, &booking, (token, date), (Status::Ok, None)).await
}

#[derive(FromForm)]
struct RescheduleForm {
    token: Option<String>,
    slot: Option<String>,
}

/// `POST /booking/<reference>/reschedule` with `token` and `slot`.
#[rocket::post("/booking/<reference>/reschedule", data = "<form>")]
async fn reschedule_post(
    page: Page<'_>,
    bookings: Bookings<'_>,
    wake: &State<Wake>,
    metrics: &State<Metrics>,
    reference: &str,
    form: CsrfForm<RescheduleForm>,
) -> Result<Reply, Error> {
    let (token, slot) = form.value.map(|f| (f.token.unwrap_or_default(), f.slot)).unwrap_or_default();
    let booking = bookings.find(reference, &token).await?.ok_or(Status::NotFound)?;
    let tz = page.settings().booking.tz();
    let start = slot.as_deref().and_then(|s| availability::parse_slot_value(tz, s.trim()));
    let outcome = match start {
        Some(start) => bookings.reschedule(&booking, &token, start).await?,
        None => Rescheduled::Invalid,
    };
    let (status, message) = match outcome {
        Rescheduled::Moved => {
            metrics.rescheduled();
            wake.now();
            page.leave_notice("booking-moved")?;
            let back = rocket::uri!(show(reference = &booking.reference, token = Some(&token)));
            return Ok(Reply::Redirect(Redirect::to(back)));
        }
        Rescheduled::Frozen(_) => return Ok(booking_page(&page, &booking, &token, Status::Conflict, None)),
        Rescheduled::Taken => (Status::Conflict, "err-reschedule-taken"),
        Rescheduled::Invalid => (Status::UnprocessableEntity, "err-slot-invalid"),
    };
    let error = Some(t(&page.lang, message));
    reschedule_page(&page, &bookings, &booking, (&token, None), (status, error)).await
}

#[derive(FromForm)]
struct CancelForm {
    token: Option<String>,
}

/// `POST /booking/<reference>/cancel` with field `token`; the cancellation
/// email was stored with the cancellation, and the sender is woken for it.
#[rocket::post("/booking/<reference>/cancel", data = "<form>")]
async fn cancel(
    page: Page<'_>,
    bookings: Bookings<'_>,
    wake: &State<Wake>,
    metrics: &State<Metrics>,
    reference: &str,
    form: CsrfForm<CancelForm>,
) -> Result<Reply, Error> {
    let token = form.value.and_then(|f| f.token).unwrap_or_default();
    let booking = match bookings.cancel(reference, &token).await? {
        Cancellation::Cancelled(booking) => {
            metrics.cancelled();
            booking
        }
        Cancellation::AlreadyCancelled => return Err(Status::Conflict.into()),
        Cancellation::NotFound => return Err(Status::NotFound.into()),
        Cancellation::Frozen(booking, _) => return Ok(booking_page(&page, &booking, &token, Status::Conflict, None)),
    };
    wake.now();
    let back = rocket::uri!(show(reference = &booking.reference, token = Some(&token)));
    Ok(Reply::Redirect(Redirect::to(back)))
}

/// A use case's failure at the edge: logged once, the translated page.
impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Error {
        match e {
            ServiceError::Database(e) => Error::Database(e),
            ServiceError::Mail(e) => Error::Mail(e),
        }
    }
}

/// The booking link's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, reschedule_get, reschedule_post, cancel]
}
