//! Step 2 with practitioners (rev 3, SPEC §2e), `/book/practitioner`: choose
//! one of the practitioners who offer the chosen service, or anyone. Without
//! practitioners the guard never admits a visitor here, and the fallbacks of
//! `entry.rs` answer `303` to the first incomplete step.

use std::iter::once;

use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtPractitioner};
use super::fields::PractitionerForm;
use super::flow::{error, whom, Errors, Flow, Reply};
use super::state::{PractitionerId, Step};
use crate::abuse::Client;
use crate::booking::service::{Bookings, Held, Whom};
use crate::config::{Service, ANY};
use crate::session::CsrfForm;
use crate::web::Error;

#[derive(Serialize)]
struct Choice<'a> {
    id: &'a str,
    name: String,
    hint: Option<String>,
    checked: bool,
}

#[derive(Serialize)]
struct PractitionerPage<'a> {
    practitioners: Vec<Choice<'a>>,
}

/// The practitioners who offer `service`, in configuration order, then anyone.
fn page(flow: &Flow<'_>, service: &Service, status: Status, selected: Option<&str>, errors: &Errors) -> Reply {
    let checked = |id: &str| selected == Some(id);
    let named = flow.settings.booking.offering(service).map(|p| Choice {
        id: &p.id,
        name: p.name.clone(),
        hint: None,
        checked: checked(&p.id),
    });
    let hint = Some(flow.t("practitioner-any-hint"));
    let any = Choice { id: ANY, name: flow.t("practitioner-any"), hint, checked: checked(ANY) };
    let content = PractitionerPage { practitioners: named.chain(once(any)).collect() };
    flow.render(Step::Practitioner, status, errors, None, content)
}

#[rocket::get("/book/practitioner")]
fn practitioner_get(flow: Admitted<'_, AtPractitioner>) -> Reply {
    let selected = flow.state.practitioner.as_ref().map(|id| id.0.as_str());
    page(&flow, flow.proof, Status::Ok, selected, &Errors::new())
}

/// Stores whom the visitor chose; a held slot stays only if it is free for
/// them (held again), and one hold too many for the client changes nothing.
#[rocket::post("/book/practitioner", data = "<form>")]
async fn practitioner_post(
    mut flow: Admitted<'_, AtPractitioner>,
    bookings: Bookings<'_>,
    client: Client,
    form: CsrfForm<'_, PractitionerForm>,
) -> Result<Reply, Error> {
    let service = flow.proof;
    let posted = form.value.and_then(|f| f.practitioner);
    let Some((id, chosen)) = posted.and_then(|id| offered(&flow, service, &id).map(|w| (id, w))) else {
        return Ok(page(
            &flow,
            service,
            Status::UnprocessableEntity,
            None,
            &error("practitioner", flow.t("err-practitioner")),
        ));
    };
    if keep_slot(&mut flow, &bookings, &client, (service, chosen), &id).await? == Held::TooMany {
        return Ok(page(
            &flow,
            service,
            Status::TooManyRequests,
            Some(&id),
            &error("practitioner", flow.t("err-hold-limit")),
        ));
    }
    flow.state.practitioner = Some(PractitionerId(id));
    flow.save()?;
    Ok(flow.first())
}

/// Whom `id` names, when it is anyone or a practitioner who offers `service`.
fn offered<'r>(flow: &Flow<'r>, service: &Service, id: &str) -> Option<Whom<'r>> {
    whom(flow.settings, id).filter(|w| !matches!(w, Whom::Named(p) if !p.offers(service)))
}

/// A new practitioner keeps the flow's slot only if they can take it.
async fn keep_slot(
    flow: &mut Flow<'_>,
    bookings: &Bookings<'_>,
    client: &Client,
    asked: (&Service, Whom<'_>),
    id: &str,
) -> Result<Held, Error> {
    if flow.state.practitioner.as_ref().is_some_and(|old| old.0 == id) {
        // Nothing changes: the slot keeps the hold it has.
        return Ok(Held::Placed(None));
    }
    super::slot::rehold(flow, bookings, client, (asked.0, Some(asked.1))).await
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![practitioner_get, practitioner_post]
}
