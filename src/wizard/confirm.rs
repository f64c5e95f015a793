//! Step 5, `/book/confirm`: the summary, the booking itself, and
//! `/book/done` with its reference.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use rocket_dyn_templates::context;
use serde::Serialize;

use super::admit::{Admitted, AtConfirm};
use super::fields::Empty;
use super::flow::{Errors, Flow, Reply};
use super::slot;
use super::state::{Done, Step, DONE_KEY};
use crate::booking::service::{Bookings, Confirmation, Contact, Request};
use crate::i18n::{format_datetime, t_args};
use crate::outbox::Wake;
use crate::session::CsrfForm;
use crate::web::{Error, View};

#[derive(Serialize, Default)]
struct Summary<'a> {
    service: &'a str,
    when: String,
    duration: String,
    name: &'a str,
    email: &'a str,
    phone: &'a str,
    notes: &'a str,
}

#[derive(Serialize)]
struct ConfirmPage<'a> {
    summary: Summary<'a>,
}

fn summary<'a>(flow: &'a Flow<'_>) -> Summary<'a> {
    let (Some(service), Some(start), Some(details)) = (flow.service(), flow.slot(), flow.state.details.as_ref()) else {
        return Summary::default();
    };
    let lang = &flow.page.lang;
    Summary {
        service: service.name_in(lang),
        when: format_datetime(lang, flow.settings.booking.tz(), start),
        duration: t_args(
            lang,
            "service-duration",
            &[("minutes", FluentValue::from(service.duration_minutes.to_string()))],
        ),
        name: &details.name,
        email: &details.email,
        phone: &details.phone,
        notes: &details.notes,
    }
}

#[rocket::get("/book/confirm")]
fn confirm_get(flow: Admitted<'_, AtConfirm>) -> Reply {
    flow.render(Step::Confirm, Status::Ok, &Errors::new(), None, ConfirmPage { summary: summary(&flow) })
}

#[rocket::post("/book/confirm", data = "<_form>")]
async fn confirm_post(
    mut flow: Admitted<'_, AtConfirm>,
    bookings: Bookings<'_>,
    wake: &State<Wake>,
    _form: CsrfForm<Empty>,
) -> Result<Reply, Error> {
    let (Some(service), Some(start), Some(details)) = (flow.service(), flow.slot(), flow.state.details.as_ref()) else {
        return Ok(flow.first());
    };
    let contact = Contact {
        name: &details.name,
        email: &details.email,
        phone: &details.phone,
        notes: &details.notes,
        lang: &flow.page.lang,
    };
    let request = Request { flow: &flow.state.flow_id, service, start, contact };
    let reference = match bookings.confirm(&request).await? {
        Confirmation::Taken => return slot_taken(&mut flow, &bookings).await,
        Confirmation::Already(reference) => reference,
        Confirmation::Booked { reference, .. } => {
            // NOTE: the confirmation was stored with the booking; the sender
            // delivers it, and the visitor never waits for SMTP.
            flow.booked();
            wake.now();
            reference
        }
    };
    let done =
        Done { reference, service: service.id.clone(), start: start.timestamp_millis(), email: details.email.clone() };
    flow.clear();
    flow.page.session.insert(DONE_KEY, &done)?;
    flow.page.session.cycle_id();
    Ok(Reply::Redirect(Redirect::to(rocket::uri!(done))))
}

/// The time was taken meanwhile: `409` with the slot page and a message; the
/// slot (and its hold) go, everything else stays.
async fn slot_taken(flow: &mut Flow<'_>, bookings: &Bookings<'_>) -> Result<Reply, Error> {
    flow.state.slot = None;
    bookings.release(&flow.state.flow_id).await?;
    flow.save()?;
    let notice = flow.t("err-slot-taken");
    slot::page(flow, bookings, Status::Conflict, None, &Errors::new(), Some(&notice)).await
}

/// What the done page shows: the reference, the service, the local date and
/// time, and the address the confirmation went to.
#[derive(Serialize)]
struct DonePage<'a> {
    reference: &'a str,
    service: &'a str,
    when: String,
    email: &'a str,
}

#[rocket::get("/book/done")]
fn done(flow: Flow<'_>) -> Reply {
    let Some(done) = flow.page.session.get::<Done>(DONE_KEY) else { return flow.first() };
    let lang = &flow.page.lang;
    let booking = &flow.settings.booking;
    let service = booking.service(&done.service).map_or(done.service.as_str(), |s| s.name_in(lang));
    let when = chrono::DateTime::from_timestamp_millis(done.start)
        .map(|start| format_datetime(lang, booking.tz(), start))
        .unwrap_or_default();
    let content = DonePage { reference: &done.reference, service, when, email: &done.email };
    Reply::Page((Status::Ok, View::render("done", context! { page: flow.page.view(), done: content })))
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![confirm_get, confirm_post, done]
}
