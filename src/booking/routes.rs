//! The visitor's view of one booking and its cancellation, reached from the
//! link in the confirmation email. A wrong token answers `404` and reveals
//! nothing; a second cancellation answers `409` and sends nothing.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use rocket_dyn_templates::context;

use super::service::{Bookings, Cancellation};
use super::store::Booking;
use crate::config::Settings;
use crate::i18n::format_datetime;
use crate::mail::{Appointment, Notifier, Recipient};
use crate::metrics::Metrics;
use crate::session::CsrfForm;
use crate::web::{Error, Page, View};

fn service_name(settings: &Settings, booking: &Booking, lang: &str) -> String {
    settings.booking.service(&booking.service_id).map(|s| s.name_in(lang).to_string()).unwrap_or_default()
}

/// `GET /booking/<reference>?token=`.
#[rocket::get("/booking/<reference>?<token>")]
async fn show(mut page: Page<'_>, bookings: Bookings<'_>, reference: &str, token: Option<&str>) -> Result<View, Error> {
    page.bind();
    let token = token.unwrap_or_default();
    let booking = bookings.find(reference, token).await?.ok_or(Status::NotFound)?;
    let settings = page.settings();
    let service = service_name(settings, &booking, &page.lang);
    let when = format_datetime(&page.lang, settings.booking.tz(), booking.starts_at);
    Ok(View::render(
        "booking",
        context! {
            page: page.view(), reference: &booking.reference, service, when, name: &booking.name,
            email: &booking.email, cancelled: booking.cancelled, token,
        },
    ))
}

#[derive(FromForm)]
struct CancelForm {
    token: Option<String>,
}

/// `POST /booking/<reference>/cancel` with field `token`.
#[rocket::post("/booking/<reference>/cancel", data = "<form>")]
async fn cancel(
    page: Page<'_>,
    bookings: Bookings<'_>,
    notifier: &State<Notifier>,
    metrics: &State<Metrics>,
    reference: &str,
    form: CsrfForm<CancelForm>,
) -> Result<Redirect, Error> {
    let token = form.value.and_then(|f| f.token).unwrap_or_default();
    let booking = match bookings.cancel(reference, &token).await? {
        Cancellation::Cancelled(booking) => {
            metrics.cancelled();
            booking
        }
        Cancellation::AlreadyCancelled => return Err(Status::Conflict.into()),
        Cancellation::NotFound => return Err(Status::NotFound.into()),
    };
    let settings = page.settings();
    let service = service_name(settings, &booking, &page.lang);
    let appointment = Appointment {
        service: &service,
        starts_at: booking.starts_at,
        ends_at: booking.ends_at,
        tz: settings.booking.tz(),
    };
    let to = Recipient { name: &booking.name, email: &booking.email, lang: &booking.lang };
    // NOTE: the cancellation stands whatever happens to its email.
    let _ = notifier.cancellation(&to, &booking.reference, &appointment).await;
    Ok(Redirect::to(rocket::uri!(show(reference = &booking.reference, token = Some(&token)))))
}

/// The booking link's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, cancel]
}
