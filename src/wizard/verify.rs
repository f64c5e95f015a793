//! Step 4, `/book/verify`: the emailed code proves the address; a fresh code
//! can be asked for.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::response::Redirect;
use serde::Serialize;

use super::admit::{Admitted, AtVerify};
use super::fields::{CodeForm, Empty};
use super::flow::{error, Errors, Flow, Reply};
use super::refusal::refusal;
use super::state::{Email, Step};
use super::summary::{self, Choice};
use crate::i18n::t_args;
use crate::mail::Recipient;
use crate::otp::{Check, CodeSender, Codes};
use crate::session::CsrfForm;
use crate::web::Error;

#[derive(Serialize)]
struct VerifyPage<'a> {
    email: &'a str,
    length: u32,
    /// What is being booked (the running summary).
    summary: Choice<'a>,
}

/// The code form with `status` and field `errors`, under the running summary.
fn page(flow: &Admitted<'_, AtVerify>, status: Status, errors: &Errors) -> Reply {
    let summary = summary::recorded(flow, &flow.proof.0);
    let content = VerifyPage { email: &flow.proof.1.email, length: flow.settings.otp.length, summary };
    flow.render(Step::Verify, status, errors, None, content)
}

#[rocket::get("/book/verify")]
fn verify_get(flow: Admitted<'_, AtVerify>) -> Reply {
    if flow.state.is_verified() {
        return flow.first();
    }
    page(&flow, Status::Ok, &Errors::new())
}

/// Checks the code: a right one proves the address and renews the session
/// id; a wrong one says how many tries are left.
#[rocket::post("/book/verify", data = "<form>")]
async fn verify_post(
    mut flow: Admitted<'_, AtVerify>,
    codes: Codes<'_>,
    form: CsrfForm<'_, CodeForm>,
) -> Result<Reply, Error> {
    if flow.state.is_verified() {
        return Ok(flow.first());
    }
    let code: String = form.value.and_then(|f| f.code).unwrap_or_default().split_whitespace().collect();
    let email = flow.proof.1.email.clone();
    let check = codes.check(flow.id(), &email, &code).await?;
    match check_message(&flow, check) {
        None => verified(&mut flow, email),
        Some((status, message)) => Ok(page(&flow, status, &error("code", message))),
    }
}

/// `email` is proven: on to the confirm step, under a new session id.
fn verified(flow: &mut Flow<'_>, email: Email) -> Result<Reply, Error> {
    flow.state.verified_email = Some(email);
    flow.save()?;
    // NOTE: new privilege, new id (against session fixation).
    flow.page.session.cycle_id();
    Ok(Reply::Redirect(Redirect::to(Step::Confirm.path())))
}

/// What a check that did not verify tells the visitor; `None` when it did.
fn check_message(flow: &Flow<'_>, check: Check) -> Option<(Status, String)> {
    Some(match check {
        Check::Verified => return None,
        Check::Wrong(left) => {
            let tries = [("tries", FluentValue::from(left))];
            (Status::UnprocessableEntity, t_args(&flow.page.lang, "err-code-wrong", &tries))
        }
        Check::Exhausted => (Status::TooManyRequests, flow.t("err-code-exhausted")),
        Check::Expired => (Status::UnprocessableEntity, flow.t("err-code-expired")),
        Check::NoCode => (Status::UnprocessableEntity, flow.t("err-code-none")),
    })
}

/// A fresh code to the same address; the previous one stops working.
#[rocket::post("/book/verify/resend", data = "<_form>")]
async fn resend(
    mut flow: Admitted<'_, AtVerify>,
    sender: CodeSender<'_>,
    _form: CsrfForm<'_, Empty>,
) -> Result<Reply, Error> {
    if flow.state.is_verified() {
        return Ok(flow.first());
    }
    let id = flow.id().to_string();
    let ((chosen, details), lang) = (&flow.proof, &flow.page.lang);
    let to = Recipient { name: &details.name, email: &details.email, lang };
    let sent = sender.send(&id, &to, &flow.appointment(chosen.service, chosen.start)).await?;
    match refusal(&flow, sent) {
        None => Ok(Reply::Redirect(Redirect::to(Step::Verify.path()))),
        Some((status, message)) => Ok(page(&flow, status, &error("code", message))),
    }
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![verify_get, verify_post, resend]
}
