//! Step 1, `/book/service`: choose a service.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use serde::Serialize;

use super::fields::ServiceForm;
use super::flow::{error, Errors, Flow, Reply};
use super::state::{ServiceId, Step};
use crate::abuse::Client;
use crate::booking::service::{Bookings, Held, Whom};
use crate::config::Service;
use crate::i18n::t_args;
use crate::session::CsrfForm;
use crate::web::Error;

#[derive(Serialize)]
struct ServiceOption<'a> {
    id: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    checked: bool,
    duration: String,
}

#[derive(Serialize)]
struct ServicePage<'a> {
    services: Vec<ServiceOption<'a>>,
}

fn page(flow: &Flow<'_>, status: Status, selected: Option<&str>, errors: &Errors) -> Reply {
    let lang = &flow.page.lang;
    let services = flow
        .settings
        .booking
        .bookable_services()
        .map(|s| ServiceOption {
            id: &s.id,
            name: s.name_in(lang),
            description: s.description_in(lang),
            checked: Some(s.id.as_str()) == selected,
            duration: t_args(
                lang,
                "service-duration",
                &[("minutes", FluentValue::from(s.duration_minutes.to_string()))],
            ),
        })
        .collect();
    flow.render(Step::Service, status, errors, None, ServicePage { services })
}

#[rocket::get("/book/service")]
fn service_get(flow: Flow<'_>) -> Reply {
    page(&flow, Status::Ok, flow.state.service.as_ref().map(|id| id.0.as_str()), &Errors::new())
}

#[rocket::post("/book/service", data = "<form>")]
async fn service_post(
    mut flow: Flow<'_>,
    bookings: Bookings<'_>,
    client: Client,
    form: CsrfForm<'_, ServiceForm>,
) -> Result<Reply, Error> {
    let booking = &flow.settings.booking;
    let chosen = form.value.and_then(|f| f.service).and_then(|id| booking.service(&id)).filter(|s| booking.bookable(s));
    let Some(service) = chosen else {
        return Ok(page(&flow, Status::UnprocessableEntity, None, &error("service", flow.t("err-service"))));
    };
    if keep_slot(&mut flow, &bookings, &client, service).await? == Held::TooMany {
        let errors = error("service", flow.t("err-hold-limit"));
        return Ok(page(&flow, Status::TooManyRequests, Some(&service.id), &errors));
    }
    flow.state.service = Some(ServiceId(service.id.clone()));
    flow.save()?;
    Ok(flow.first())
}

/// A new service keeps the flow's slot only if it still fits (held again
/// for it); otherwise the slot and its hold go. A chosen practitioner who
/// does not offer it goes too, with the slot. `TooMany` changes nothing.
async fn keep_slot(
    flow: &mut Flow<'_>,
    bookings: &Bookings<'_>,
    client: &Client,
    service: &Service,
) -> Result<Held, Error> {
    if flow.state.service.as_ref().is_some_and(|id| id.0 == service.id) {
        // Nothing changes: the slot keeps the hold it has.
        return Ok(Held::Placed(None));
    }
    if matches!(flow.whom(), Some(Whom::Named(p)) if !p.offers(service)) {
        flow.state.practitioner = None;
        flow.state.drop_slot();
        bookings.release(flow.id()).await?;
    }
    let whom = flow.whom();
    super::slot::rehold(flow, bookings, client, (service, whom)).await
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![service_get, service_post]
}
