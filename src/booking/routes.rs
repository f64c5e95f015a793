//! The visitor's view of one booking and its cancellation, reached from the
//! link in the confirmation email. A wrong token answers `404` and reveals
//! nothing; a second cancellation answers `409` and sends nothing.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket_dyn_templates::context;
use subtle::ConstantTimeEq;

use super::store::{self, Booking};
use crate::config::Settings;
use crate::db::Db;
use crate::i18n::format_datetime;
use crate::mail::{Appointment, Notifier, Recipient};
use crate::session::CsrfForm;
use crate::web::{error_page, Page, View};

type Reply = Result<View, (Status, View)>;

/// The booking named by `reference` if `token` is its cancellation token.
async fn authorised(db: &Db, reference: &str, token: &str) -> Result<Option<Booking>, sqlx::Error> {
    if reference.len() > 16 || token.is_empty() || token.len() > 64 {
        return Ok(None);
    }
    let Some(booking) = store::find(&db.pool, reference).await? else { return Ok(None) };
    let given = crate::secrets::sha256_hex(token);
    Ok(bool::from(given.as_bytes().ct_eq(booking.cancel_token_hash.as_bytes())).then_some(booking))
}

fn view(page: &Page<'_>, settings: &Settings, booking: &Booking, token: &str) -> View {
    let service =
        settings.booking.service(&booking.service_id).map(|s| s.name_in(&page.lang).to_string()).unwrap_or_default();
    let when = format_datetime(&page.lang, settings.booking.tz(), booking.starts_at);
    View::render(
        "booking",
        context! {
            page: page.view(), reference: &booking.reference, service, when, name: &booking.name,
            email: &booking.email, cancelled: booking.cancelled, token,
        },
    )
}

/// `GET /booking/<reference>?token=`.
#[rocket::get("/booking/<reference>?<token>")]
async fn show(page: Page<'_>, db: &Db, reference: &str, token: Option<&str>) -> Reply {
    let not_found = || error_page(&page, Status::NotFound, None);
    match authorised(db, reference, token.unwrap_or_default()).await {
        Ok(Some(booking)) => Ok(view(&page, page.settings(), &booking, token.unwrap_or_default())),
        Ok(None) => Err(not_found()),
        Err(e) => {
            rocket::error!("loading booking: {e}");
            Err(error_page(&page, Status::InternalServerError, None))
        }
    }
}

#[derive(FromForm)]
struct CancelForm {
    token: Option<String>,
}

/// `POST /booking/<reference>/cancel` with field `token`.
#[rocket::post("/booking/<reference>/cancel", data = "<form>")]
async fn cancel(
    page: Page<'_>,
    db: &Db,
    notifier: &rocket::State<Notifier>,
    reference: &str,
    form: CsrfForm<CancelForm>,
) -> Result<Redirect, (Status, View)> {
    let token = form.value.and_then(|f| f.token).unwrap_or_default();
    let fail = |status| error_page(&page, status, None);
    let booking = match authorised(db, reference, &token).await {
        Ok(Some(booking)) => booking,
        Ok(None) => return Err(fail(Status::NotFound)),
        Err(e) => {
            rocket::error!("loading booking: {e}");
            return Err(fail(Status::InternalServerError));
        }
    };
    let cancelled = async {
        let mut writer = db.durable_writer().await?;
        let cancelled = store::cancel(&mut writer, &booking.reference).await?;
        writer.finish();
        Ok::<_, sqlx::Error>(cancelled)
    };
    match cancelled.await {
        Ok(true) => {}
        Ok(false) => return Err(fail(Status::Conflict)),
        Err(e) => {
            rocket::error!("cancelling booking: {e}");
            return Err(fail(Status::InternalServerError));
        }
    }
    let settings = page.settings();
    let service =
        settings.booking.service(&booking.service_id).map(|s| s.name_in(&page.lang).to_string()).unwrap_or_default();
    let appointment = Appointment {
        service: &service,
        starts_at: booking.starts_at,
        ends_at: booking.ends_at,
        tz: settings.booking.tz(),
    };
    let to = Recipient { name: &booking.name, email: &booking.email, lang: &booking.lang };
    // NOTE: a failure is logged by the notifier; the cancellation stands.
    let _ = notifier.cancellation(&to, &booking.reference, &appointment).await;
    Ok(Redirect::to(format!("/booking/{}?token={}", booking.reference, token)))
}

/// The booking link's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, cancel]
}
