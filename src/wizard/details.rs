//! Step 3, `/book/details`: contact details; a valid POST emails a code.

use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtDetails};
use super::code::{self, CodeSend, Sender};
use super::fields::{error_ids, DetailsForm};
use super::flow::{error, Errors, Flow, Reply};
use super::state::Step;
use crate::session::CsrfForm;
use crate::web::Error;

/// The form's values as shown (stored details, or what the visitor typed).
#[derive(Serialize, Default)]
struct Values<'a> {
    name: &'a str,
    email: &'a str,
    phone: &'a str,
    notes: &'a str,
}

#[derive(Serialize)]
struct DetailsPage<'a> {
    values: Values<'a>,
}

fn page(flow: &Flow<'_>, status: Status, values: Values<'_>, errors: &Errors) -> Reply {
    flow.render(Step::Details, status, errors, None, DetailsPage { values })
}

#[rocket::get("/book/details")]
fn details_get(flow: Admitted<'_, AtDetails>) -> Reply {
    let values = flow.state.details.as_ref().map_or_else(Values::default, |d| Values {
        name: &d.name,
        email: &d.email,
        phone: &d.phone,
        notes: &d.notes,
    });
    page(&flow, Status::Ok, values, &Errors::new())
}

#[rocket::post("/book/details", data = "<form>")]
async fn details_post(
    mut flow: Admitted<'_, AtDetails>,
    sender: Sender<'_>,
    form: CsrfForm<DetailsForm>,
) -> Result<Reply, Error> {
    let values =
        Values { name: form.raw("name"), email: form.raw("email"), phone: form.raw("phone"), notes: form.raw("notes") };
    let Some(details) = form.value.as_ref().map(DetailsForm::details) else {
        let errors = error_ids(&form.errors).into_iter().map(|(field, id)| (field, flow.t(&id))).collect();
        return Ok(page(&flow, Status::UnprocessableEntity, values, &errors));
    };
    flow.id();
    let mut next = flow.state.clone();
    next.set_details(details);
    // NOTE: re-posting the same unverified address while its code lives sends nothing new.
    let email = next.details.as_ref().map(|d| d.email.as_str()).unwrap_or_default();
    if !next.is_verified() && !sender.codes.has_live_code(&next.flow_id, email).await? {
        let sent = code::send(&flow, &next, &sender).await?;
        if let Some((status, message)) = sent.refusal(&flow) {
            return Ok(page(&flow, status, values, &error("email", message)));
        }
        debug_assert!(matches!(sent, CodeSend::Sent));
    }
    flow.state = next;
    flow.save()?;
    Ok(flow.first())
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![details_get, details_post]
}
