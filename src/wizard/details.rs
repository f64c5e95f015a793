//! Step 3, `/book/details`: contact details; a valid POST emails a code.

use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtDetails};
use super::bots::{self, Verdict};
use super::contact::Details;
use super::fields::{error_ids, DetailsForm};
use super::flow::{error, Errors, Flow, Reply};
use super::refusal::refusal;
use super::state::{Step, WizardState};
use super::summary::{self, Choice};
use crate::metrics::CodeOutcome;
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
    /// What is being booked (the running summary).
    summary: Choice<'a>,
}

/// The form with `values`, field `errors` and an optional notice, under the
/// running summary.
fn page(
    flow: &Admitted<'_, AtDetails>,
    (status, values): (Status, Values<'_>),
    errors: &Errors,
    notice: Option<&str>,
) -> Result<Reply, Error> {
    let summary = summary::recorded(flow, &flow.proof);
    Ok(flow.render(Step::Details, status, errors, notice, DetailsPage { values, summary }))
}

/// The flow's id as stored ("" before it has one): what the time the form
/// was first shown is kept under.
fn flow_key<'a>(flow: &'a Flow<'_>) -> &'a str {
    flow.state.flow_id.as_ref().map_or("", |id| id.as_str())
}

/// Shows the form, remembering when this flow first showed it.
#[rocket::get("/book/details")]
fn details_get(flow: Admitted<'_, AtDetails>) -> Result<Reply, Error> {
    if flow.settings.abuse.min_fill_secs > 0 {
        bots::shown(&flow.page.session, flow_key(&flow), flow.clock.now_ms())?;
    }
    let values = flow.state.details.as_ref().map_or_else(Values::default, |d| Values {
        name: &d.name,
        email: &d.email,
        phone: &d.phone,
        notes: &d.notes,
    });
    page(&flow, (Status::Ok, values), &Errors::new(), None)
}

/// Stores the details and emails a code to the address, unless it is proven
/// already or its code still lives; a refused or failed send saves nothing.
#[rocket::post("/book/details", data = "<form>")]
async fn details_post(
    mut flow: Admitted<'_, AtDetails>,
    sender: CodeSender<'_>,
    form: CsrfForm<'_, DetailsForm>,
) -> Result<Reply, Error> {
    if !screen(&flow, &sender, &form)? {
        let notice = flow.t("err-check-and-send-again");
        let typed = (Status::UnprocessableEntity, Values::typed(&form));
        return page(&flow, typed, &Errors::new(), Some(&notice));
    }
    let Some(details) = form.value.as_ref().map(|f| f.details()) else {
        let errors = error_ids(form.context.errors()).into_iter().map(|(field, id)| (field, flow.t(&id))).collect();
        return page(&flow, (Status::UnprocessableEntity, Values::typed(&form)), &errors, None);
    };
    let mut next = flow.state.clone();
    next.set_details(details.clone());
    if let Some((status, message)) = send_code(&mut flow, &sender, &next, &details).await? {
        return page(&flow, (status, Values::typed(&form)), &error("email", message), None);
    }
    flow.state = next;
    flow.save()?;
    Ok(flow.first())
}

/// Whether the POST came from a person (see `bots.rs`). What form bots get
/// instead — a filled honeypot, or a POST sooner than `abuse.min_fill_secs`
/// after the form was first shown — is `422` with the input kept and
/// "please check your entries and send again"; nothing is saved or sent,
/// and it counts as a refused code email.
fn screen(flow: &Flow<'_>, sender: &CodeSender<'_>, form: &CsrfForm<'_, DetailsForm>) -> Result<bool, Error> {
    let (session, id, now) = (&flow.page.session, flow_key(flow), flow.clock.now_ms());
    let min_fill_secs = flow.settings.abuse.min_fill_secs;
    match bots::judge(form.raw(bots::HONEYPOT), bots::shown_at(session, id), now, min_fill_secs) {
        Verdict::Person => return Ok(true),
        // NOTE: a form posted without being shown counts as shown now, so the
        // next POST after the delay is judged normally.
        Verdict::TooSoon => bots::shown(session, id, now)?,
        Verdict::Honeypot => {}
    }
    sender.metrics.code_email(CodeOutcome::Refused);
    Ok(false)
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
