//! Step 1, `/book/service`: choose a service.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use serde::Serialize;

use super::fields::ServiceForm;
use super::flow::{error, Errors, Flow, Reply};
use super::state::{ServiceId, Step};
use crate::abuse::Client;
use crate::booking::service::{Bookings, Held};
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
        .services
        .iter()
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
    let chosen = form.value.and_then(|f| f.service).and_then(|id| flow.settings.booking.service(&id));
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
/// for it); otherwise the slot and its hold go. `TooMany` changes nothing.
async fn keep_slot(
    flow: &mut Flow<'_>,
    bookings: &Bookings<'_>,
    client: &Client,
    service: &Service,
) -> Result<Held, Error> {
    let changed = flow.state.service.as_ref().is_none_or(|id| id.0 != service.id);
    let Some(start) = flow.state.slot.filter(|_| changed) else { return Ok(Held::Placed) };
    let held = bookings.hold(flow.id(), &client.0, service, start).await?;
    if held == Held::Taken {
        flow.state.slot = None;
        bookings.release(flow.id()).await?;
    }
    Ok(held)
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![service_get, service_post]
}
