//! Step 3, `/book/details`: contact details; a valid POST emails a code.

use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtDetails};
use super::contact::Details;
use super::fields::{error_ids, DetailsForm};
use super::flow::{error, Errors, Flow, Reply};
use super::refusal::refusal;
use super::state::{Step, WizardState};
use crate::otp::CodeSender;
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

impl<'a> Values<'a> {
    /// What the visitor typed into `form`.
    fn typed(form: &'a CsrfForm<'_, DetailsForm>) -> Values<'a> {
        Values { name: form.raw("name"), email: form.raw("email"), phone: form.raw("phone"), notes: form.raw("notes") }
    }
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

/// Stores the details and emails a code to the address, unless it is proven
/// already or its code still lives; a refused or failed send saves nothing.
#[rocket::post("/book/details", data = "<form>")]
async fn details_post(
    mut flow: Admitted<'_, AtDetails>,
    sender: CodeSender<'_>,
    form: CsrfForm<'_, DetailsForm>,
) -> Result<Reply, Error> {
    let Some(details) = form.value.as_ref().map(|f| f.details()) else {
        let errors = error_ids(form.context.errors()).into_iter().map(|(field, id)| (field, flow.t(&id))).collect();
        return Ok(page(&flow, Status::UnprocessableEntity, Values::typed(&form), &errors));
    };
    let mut next = flow.state.clone();
    next.set_details(details.clone());
    if let Some((status, message)) = send_code(&mut flow, &sender, &next, &details).await? {
        return Ok(page(&flow, status, Values::typed(&form), &error("email", message)));
    }
    flow.state = next;
    flow.save()?;
    Ok(flow.first())
}

/// Emails a code to the address of `details` (to be the flow's `next`
/// state) unless it is proven or its code still lives; what to tell the
/// visitor when none could go out.
async fn send_code(
    flow: &mut Admitted<'_, AtDetails>,
    sender: &CodeSender<'_>,
    next: &WizardState,
    details: &Details,
) -> Result<Option<(Status, String)>, Error> {
    if next.is_verified() {
        return Ok(None);
    }
    let (id, chosen) = (flow.id().to_string(), flow.proof);
    let appointment = flow.appointment(chosen.service, chosen.start);
    let sent = sender.send_unless_live(&id, &flow.recipient(details), &appointment).await?;
    Ok(refusal(flow, sent))
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![details_get, details_post]
}
