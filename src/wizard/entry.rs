//! The wizard's doors: `GET /book`, `POST /book/cancel`, and the fallbacks
//! that send a visitor who is not admitted to a step to the first
//! incomplete one (rank 20: below every step route).

use rocket::request::FromParam;

use super::fields::Empty;
use super::flow::{Flow, Reply};
use super::state::Step;
use crate::booking::service::Bookings;
use crate::session::CsrfForm;
use crate::web::Error;

impl<'a> FromParam<'a> for Step {
    type Error = &'a str;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        Step::ALL.into_iter().find(|s| s.name() == param).ok_or(param)
    }
}

/// `GET /book`: to the first step not yet completed.
#[rocket::get("/book")]
fn book(flow: Flow<'_>) -> Reply {
    flow.first()
}

/// A step the visitor has not reached (its guard forwarded here).
#[rocket::get("/book/<_step>", rank = 20)]
fn not_yet(flow: Flow<'_>, _step: Step) -> Reply {
    flow.first()
}

/// A POST to a step the visitor has not reached; the token is checked first.
#[rocket::post("/book/<_step>", rank = 20, data = "<_form>")]
fn post_not_yet(flow: Flow<'_>, _step: Step, _form: CsrfForm<'_, Empty>) -> Reply {
    flow.first()
}

/// A resend before the code step.
#[rocket::post("/book/verify/resend", rank = 20, data = "<_form>")]
fn resend_not_yet(flow: Flow<'_>, _form: CsrfForm<'_, Empty>) -> Reply {
    flow.first()
}

/// `POST /book/cancel`: abandons the flow (its hold too); preferences stay.
#[rocket::post("/book/cancel", data = "<_form>")]
async fn cancel(flow: Flow<'_>, bookings: Bookings<'_>, _form: CsrfForm<'_, Empty>) -> Result<Reply, Error> {
    if let Some(id) = &flow.state.flow_id {
        bookings.release(id.as_str()).await?;
    }
    flow.clear();
    flow.page.leave_notice("flow-abandoned")?;
    Ok(Reply::Redirect(rocket::response::Redirect::to("/")))
}

/// The doors' routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![book, not_yet, post_not_yet, resend_not_yet, cancel]
}
