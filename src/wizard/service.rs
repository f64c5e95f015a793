//! Step 1, `/book/service`: choose a service.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use serde::Serialize;

use super::fields::ServiceForm;
use super::flow::{error, Errors, Flow, Reply};
use super::state::{ServiceId, Step};
use crate::abuse::Client;
use crate::booking::service::{Bookings, Held};
use crate::i18n::t_args;
use crate::session::CsrfForm;
use crate::web::Error;

#[derive(Serialize)]
struct ServiceOption<'a> {
    id: &'a str,
    name: &'a str,
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
    let changed = flow.state.service.as_ref().is_none_or(|id| id.0 != service.id);
    let kept = match flow.state.slot.filter(|_| changed) {
        // A new service keeps the slot only if it still fits (and re-holds it).
        Some(start) => bookings.hold(flow.id(), &client.0, service, start).await?,
        None => Held::Placed,
    };
    if kept == Held::TooMany {
        let errors = error("service", flow.t("err-hold-limit"));
        return Ok(page(&flow, Status::TooManyRequests, Some(&service.id), &errors));
    }
    if kept == Held::Taken {
        flow.state.slot = None;
        bookings.release(flow.id()).await?;
    }
    flow.state.service = Some(ServiceId(service.id.clone()));
    flow.save()?;
    Ok(flow.first())
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![service_get, service_post]
}
