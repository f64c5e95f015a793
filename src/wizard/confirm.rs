//! Step 5, `/book/confirm`: the summary, the booking itself, and
//! `/book/done` with its reference.

use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use rocket_dyn_templates::context;
use serde::Serialize;

use super::admit::{Admitted, AtConfirm};
use super::fields::ConfirmForm;
use super::flow::{Errors, Flow, Reply};
use super::slot;
use super::state::{Done, Step, DONE_KEY};
use super::summary::{self, Choice};
use crate::booking::service::{Bookings, Confirmation};
use crate::i18n::format_when;
use crate::secrets::Secrets;
use crate::session::CsrfForm;
use crate::web::{Error, View};

/// What the confirm page shows: the running summary and the contact details.
#[derive(Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    choice: Choice<'a>,
    name: &'a str,
    email: &'a str,
    phone: &'a str,
    notes: &'a str,
}

#[derive(Serialize)]
struct ConfirmPage<'a> {
    summary: Summary<'a>,
    /// The hidden field `summary`: what this page shows, as an opaque value.
    seen: String,
}

/// The confirm page with `status` and an optional notice; with anyone, it
/// names the practitioner the flow's hold names.
async fn page(
    flow: &Admitted<'_, AtConfirm>,
    (bookings, secrets): (&Bookings<'_>, &Secrets),
    status: Status,
    notice: Option<&str>,
) -> Result<Reply, Error> {
    let details = &flow.proof.details;
    let summary = Summary {
        choice: summary::running(flow, bookings, &flow.proof.chosen).await?,
        name: &details.name,
        email: &details.email,
        phone: &details.phone,
        notes: &details.notes,
    };
    let page = ConfirmPage { summary, seen: summary::of(secrets, &flow.state) };
    Ok(flow.render(Step::Confirm, status, &Errors::new(), notice, page))
}

#[rocket::get("/book/confirm")]
async fn confirm_get(
    flow: Admitted<'_, AtConfirm>,
    bookings: Bookings<'_>,
    secrets: &State<Secrets>,
) -> Result<Reply, Error> {
    page(&flow, (&bookings, secrets), Status::Ok, None).await
}

/// Books what the visitor confirmed (once, however often they submit): the
/// booking service stores it with its emails and wakes the sender. A page
/// that showed other choices than the flow's current ones (another tab
/// changed them) books nothing: `409` with the current ones.
#[rocket::post("/book/confirm", data = "<form>")]
async fn confirm_post(
    mut flow: Admitted<'_, AtConfirm>,
    bookings: Bookings<'_>,
    secrets: &State<Secrets>,
    form: CsrfForm<'_, ConfirmForm>,
) -> Result<Reply, Error> {
    let posted = form.value.as_ref().and_then(|f| f.summary.as_deref());
    if !summary::seen(posted, &summary::of(secrets, &flow.state)) {
        let notice = flow.t("err-summary-changed");
        return page(&flow, (&bookings, secrets), Status::Conflict, Some(&notice)).await;
    }
    let confirmed = bookings.confirm(&flow.proof.booking(&flow.page.lang, flow.page.zones().visitor)).await?;
    let (Confirmation::Booked { reference, .. } | Confirmation::Already(reference)) = confirmed else {
        return slot_taken(&mut flow, &bookings).await;
    };
    let practitioner = bookings.practitioner_of(&reference).await?;
    let done = flow.proof.done(reference, practitioner);
    flow.finish(&done)?;
    Ok(Reply::Redirect(Redirect::to(rocket::uri!(done))))
}

/// The time was taken meanwhile: `409` with the slot page and a message; the
/// slot (and its hold) go, everything else stays.
async fn slot_taken(flow: &mut Flow<'_>, bookings: &Bookings<'_>) -> Result<Reply, Error> {
    flow.state.drop_slot();
    bookings.release(flow.id()).await?;
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
    practitioner: Option<&'a str>,
    when: String,
    email: &'a str,
}

#[rocket::get("/book/done")]
fn done(flow: Flow<'_>) -> Reply {
    let Some(done) = flow.page.session.get::<Done>(DONE_KEY) else { return flow.first() };
    let (lang, booking) = (&flow.page.lang, &flow.settings.booking);
    let service = booking.service(&done.service.0).map_or(done.service.0.as_str(), |s| s.name_in(lang));
    let when = format_when(lang, flow.page.zones(), done.start);
    let practitioner = booking.practitioner_name(done.practitioner.as_deref());
    let content = DonePage { reference: &done.reference, service, practitioner, when, email: &done.email };
    Reply::Page((Status::Ok, View::render("done", context! { page: flow.page.view(), done: content })))
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![confirm_get, confirm_post, done]
}
