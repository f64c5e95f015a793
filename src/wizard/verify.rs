//! Step 4, `/book/verify`: the emailed code proves the address; a fresh code
//! can be asked for.

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::response::Redirect;
use serde::Serialize;

use super::admit::{Admitted, AtVerify};
use super::code::{self, Sender};
use super::fields::{CodeForm, Empty};
use super::flow::{error, Errors, Flow, Reply};
use super::state::Step;
use crate::i18n::t_args;
use crate::otp::{Check, Codes};
use crate::session::CsrfForm;
use crate::web::Error;

#[derive(Serialize)]
struct VerifyPage<'a> {
    email: &'a str,
    length: u32,
}

fn page(flow: &Flow<'_>, status: Status, errors: &Errors) -> Reply {
    let email = flow.state.details.as_ref().map(|d| d.email.as_str()).unwrap_or_default();
    flow.render(Step::Verify, status, errors, None, VerifyPage { email, length: flow.settings.otp.length })
}

#[rocket::get("/book/verify")]
fn verify_get(flow: Admitted<'_, AtVerify>) -> Reply {
    if flow.state.is_verified() {
        return flow.first();
    }
    page(&flow, Status::Ok, &Errors::new())
}

#[rocket::post("/book/verify", data = "<form>")]
async fn verify_post(
    mut flow: Admitted<'_, AtVerify>,
    codes: Codes<'_>,
    form: CsrfForm<CodeForm>,
) -> Result<Reply, Error> {
    let Some(email) = flow.state.details.as_ref().map(|d| d.email.clone()) else { return Ok(flow.first()) };
    if flow.state.is_verified() {
        return Ok(flow.first());
    }
    let code: String = form.value.and_then(|f| f.code).unwrap_or_default().split_whitespace().collect();
    let lang = flow.page.lang.clone();
    let (status, message) = match codes.check(&flow.state.flow_id, &email, &code).await? {
        Check::Verified => {
            flow.state.verified_email = Some(email);
            flow.save()?;
            // NOTE: new privilege, new id (against session fixation).
            flow.page.session.cycle_id();
            return Ok(Reply::Redirect(Redirect::to(Step::Confirm.path())));
        }
        Check::Wrong(left) => {
            (Status::UnprocessableEntity, t_args(&lang, "err-code-wrong", &[("tries", FluentValue::from(left))]))
        }
        Check::Exhausted => (Status::TooManyRequests, flow.t("err-code-exhausted")),
        Check::Expired => (Status::UnprocessableEntity, flow.t("err-code-expired")),
        Check::NoCode => (Status::UnprocessableEntity, flow.t("err-code-none")),
    };
    Ok(page(&flow, status, &error("code", message)))
}

#[rocket::post("/book/verify/resend", data = "<_form>")]
async fn resend(flow: Admitted<'_, AtVerify>, sender: Sender<'_>, _form: CsrfForm<Empty>) -> Result<Reply, Error> {
    if flow.state.details.is_none() || flow.state.is_verified() {
        return Ok(flow.first());
    }
    let sent = code::send(&flow, &flow.state, &sender).await?;
    Ok(match sent.refusal(&flow) {
        None => Reply::Redirect(Redirect::to(Step::Verify.path())),
        Some((status, message)) => page(&flow, status, &error("code", message)),
    })
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![verify_get, verify_post, resend]
}
