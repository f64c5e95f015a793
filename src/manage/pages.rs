//! A booking's own pages, reached from the link in its emails: the booking
//! (`GET /booking/<ref>?token=`), moving it (`…/reschedule`) and cancelling
//! it (`…/cancel`, asked to confirm first). A wrong token answers `404` and
//! reveals nothing; a booking that can no longer change (cancelled, past,
//! within the notice) answers `409` and changes nothing, and so does moving
//! a booking whose practitioner left (it stays cancellable). GET and HEAD
//! never change a booking.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Redirect, Responder};
use rocket_dyn_templates::context;
use serde::Serialize;

use super::link::{self, BookingLink};
use crate::booking::availability;
use crate::booking::grid::{grid, Form, Grid};
use crate::booking::service::{frozen, Bookings, Cancellation, Frozen, Rescheduled};
use crate::booking::store::Booking;
use crate::i18n::{format_when, t};
use crate::session::CsrfForm;
use crate::web::{Error, Page, PageView, View};

/// What a booking route answers.
// NOTE: Rocket's `Redirect` is the large variant (272 bytes); a reply is
// built once and moved into the response, so boxing it would only add an
// allocation to every redirect.
#[allow(clippy::large_enum_variant)]
#[derive(Responder)]
pub enum Reply {
    /// `303` back to the booking.
    Redirect(Redirect),
    /// A page with its status.
    Page((Status, View)),
}

/// `303` to the booking's page, `/booking/<reference>?token=<token>`.
fn back(booking: &Booking, token: &str) -> Reply {
    Reply::Redirect(Redirect::to(rocket::uri!(show(_reference = &booking.reference, token = token))))
}

/// The booking's page with `status` and an optional notice.
fn booking_page(page: &Page<'_>, bookings: &Bookings<'_>, link: (&Booking, &str), status: Status) -> Reply {
    let ((booking, token), settings) = (link, page.settings());
    let frozen = frozen(&settings.booking, booking, bookings.now());
    let state = match frozen {
        Some(Frozen::Cancelled) => "cancelled",
        Some(Frozen::Past) => "past",
        _ => "booked",
    };
    let service = settings.booking.service(&booking.service_id).map(|s| s.name_in(&page.lang)).unwrap_or_default();
    let practitioner = settings.booking.practitioner_name(booking.practitioner_id.as_deref());
    let movable = bookings.mover(booking).is_some();
    let view = View::render(
        "booking",
        context! {
            page: page.view(), reference: &booking.reference, service, practitioner,
            when: format_when(&page.lang, page.zones(), booking.starts_at), name: &booking.name,
            cancelled: booking.cancelled, state, changeable: frozen.is_none(), movable,
            notice: page.take_notice(), token,
        },
    );
    Reply::Page((status, view))
}

/// `GET /booking/<reference>?token=`.
#[rocket::get("/booking/<_reference>?<token>")]
fn show(mut page: Page<'_>, bookings: Bookings<'_>, link: BookingLink, _reference: &str, token: &str) -> Reply {
    page.bind();
    booking_page(&page, &bookings, (&link.booking, token), Status::Ok)
}

/// The reschedule page's context: the grid of the booking's service.
#[derive(Serialize)]
struct ReschedulePage<'a> {
    page: PageView<'a>,
    #[serde(flatten)]
    grid: Grid<'a>,
    days_html: String,
    reference: &'a str,
    token: &'a str,
    when: String,
    errors: BTreeMap<&'static str, String>,
}

/// The free times for moving `booking`, from `date` on, with `status` and
/// an optional message at the times.
async fn reschedule_page(
    page: &Page<'_>,
    bookings: &Bookings<'_>,
    (booking, token): (&Booking, &str),
    date: Option<NaiveDate>,
    (status, error): (Status, Option<&str>),
) -> Result<Reply, Error> {
    let config = &page.settings().booking;
    let service = config.service(&booking.service_id).ok_or(Status::Conflict)?;
    let who = (booking.flow_id.as_str(), page.lang.as_str(), page.zones());
    let whom = bookings.mover(booking).flatten();
    let grid = grid(bookings, config, (service, whom), who, date, Some(booking.starts_at)).await?;
    let action = format!("/booking/{}/reschedule", booking.reference);
    let form = Form { action: &action, csrf_token: &page.csrf_token, token: Some(token), invalid: error.is_some() };
    let context = ReschedulePage {
        page: page.view(),
        days_html: grid.days_html(&page.lang, &form),
        grid,
        reference: &booking.reference,
        token,
        when: format_when(&page.lang, page.zones(), booking.starts_at),
        errors: error.map(|id| BTreeMap::from([("slot", t(&page.lang, id))])).unwrap_or_default(),
    };
    Ok(Reply::Page((status, View::render("reschedule", context))))
}

/// `GET /booking/<reference>/reschedule?token=[&date=]`.
#[rocket::get("/booking/<_reference>/reschedule?<date>")]
async fn reschedule_get(
    mut page: Page<'_>,
    bookings: Bookings<'_>,
    link: BookingLink,
    _reference: &str,
    date: Option<&str>,
) -> Result<Reply, Error> {
    page.bind();
    let token = link.token.as_str();
    // NOTE: a booking whose practitioner left moves to nobody (SPEC §2e).
    let stranded = bookings.mover(&link.booking).is_none();
    if stranded || frozen(&page.settings().booking, &link.booking, bookings.now()).is_some() {
        return Ok(booking_page(&page, &bookings, (&link.booking, token), Status::Conflict));
    }
    let date = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    reschedule_page(&page, &bookings, (&link.booking, token), date, (Status::Ok, None)).await
}

/// The reschedule form.
#[derive(FromForm)]
struct RescheduleForm {
    token: String,
    slot: String,
}

/// `POST /booking/<reference>/reschedule` with `token` and `slot`.
#[rocket::post("/booking/<reference>/reschedule", data = "<form>")]
async fn reschedule_post(
    page: Page<'_>,
    bookings: Bookings<'_>,
    reference: &str,
    form: CsrfForm<'_, RescheduleForm>,
) -> Result<Reply, Error> {
    let (token, slot) = form.value.map(|f| (f.token, f.slot)).unwrap_or_default();
    let booking = link::find(&bookings, reference, &token).await?;
    let start = availability::parse_slot_value(page.settings().booking.tz(), slot.trim());
    let moved = bookings.reschedule((&booking, &token), start, page.zones().visitor).await?;
    let (status, message) = match moved {
        Rescheduled::Moved => return moved_notice(&page).map(|()| back(&booking, &token)),
        Rescheduled::Unchanged => return Ok(back(&booking, &token)),
        Rescheduled::Frozen(_) | Rescheduled::Stranded => {
            return Ok(booking_page(&page, &bookings, (&booking, &token), Status::Conflict))
        }
        Rescheduled::Taken => (Status::Conflict, "err-reschedule-taken"),
        Rescheduled::Invalid => (Status::UnprocessableEntity, "err-slot-invalid"),
    };
    reschedule_page(&page, &bookings, (&booking, &token), None, (status, Some(message))).await
}

/// Tells the booking's next page that it moved (once, from the session).
fn moved_notice(page: &Page<'_>) -> Result<(), Error> {
    Ok(page.leave_notice("booking-moved")?)
}

/// `GET /booking/<reference>/cancel?token=`: asks to confirm; the form
/// posts to [`cancel`]. A booking that can no longer change shows its page
/// with `409`, as the reschedule page does.
#[rocket::get("/booking/<_reference>/cancel")]
fn cancel_get(mut page: Page<'_>, bookings: Bookings<'_>, link: BookingLink, _reference: &str) -> Reply {
    page.bind();
    let (booking, token) = (&link.booking, link.token.as_str());
    if frozen(&page.settings().booking, booking, bookings.now()).is_some() {
        return booking_page(&page, &bookings, (booking, token), Status::Conflict);
    }
    let service = page.settings().booking.service(&booking.service_id).map(|s| s.name_in(&page.lang));
    let when = format_when(&page.lang, page.zones(), booking.starts_at);
    let context = context! { page: page.view(), reference: &booking.reference, token, service, when };
    Reply::Page((Status::Ok, View::render("cancel", context)))
}

/// The cancel form.
#[derive(FromForm)]
struct CancelForm {
    token: String,
}

/// `POST /booking/<reference>/cancel` with field `token`: `303` back to the
/// booking, now cancelled; `409` once cancelled or too late.
#[rocket::post("/booking/<reference>/cancel", data = "<form>")]
async fn cancel(
    page: Page<'_>,
    bookings: Bookings<'_>,
    reference: &str,
    form: CsrfForm<'_, CancelForm>,
) -> Result<Reply, Error> {
    let token = form.value.map(|f| f.token).unwrap_or_default();
    match bookings.cancel(reference, &token).await? {
        Cancellation::Cancelled(booking) => Ok(back(&booking, &token)),
        Cancellation::AlreadyCancelled => Err(Status::Conflict.into()),
        Cancellation::NotFound => Err(Status::NotFound.into()),
        Cancellation::Frozen(booking, _) => Ok(booking_page(&page, &bookings, (&booking, &token), Status::Conflict)),
    }
}

/// The booking link's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, reschedule_get, reschedule_post, cancel_get, cancel]
}
