//! Step 2, `/book/slot`: choose a start time, held for the visitor.

use chrono::NaiveDate;
use rocket::http::Status;
use serde::Serialize;

use super::admit::{Admitted, AtSlot};
use super::fields::SlotForm;
use super::flow::{error, Errors, Flow, Reply};
use super::state::Step;
use crate::abuse::Client;
use crate::booking::availability;
use crate::booking::grid::{grid, Form, Grid};
use crate::booking::service::{Bookings, Held, LiveHold, Whom};
use crate::config::Service;
use crate::session::CsrfForm;
use crate::web::Error;

/// The slot page from `date` (else the held slot's day, else today) on.
pub(super) async fn page(
    flow: &Flow<'_>,
    bookings: &Bookings<'_>,
    status: Status,
    date: Option<NaiveDate>,
    errors: &Errors,
    notice: Option<&str>,
) -> Result<Reply, Error> {
    let Some(service) = flow.service() else { return Ok(flow.first()) };
    let service = (service, flow.whom());
    let flow_id = flow.state.flow_id.as_ref().map_or("", |id| id.as_str());
    let who = (flow_id, flow.page.lang.as_str(), flow.page.zones());
    let grid = grid(bookings, &flow.settings.booking, service, who, date, flow.state.slot).await?;
    let form =
        Form { action: "/book/slot", csrf_token: &flow.page.csrf_token, token: None, invalid: errors.has("slot") };
    let days_html = grid.days_html(&flow.page.lang, &form);
    Ok(flow.render(Step::Slot, status, errors, notice, SlotPage { grid, days_html }))
}

/// The slot step's context: the grid, and its days as HTML.
#[derive(Serialize)]
struct SlotPage<'a> {
    #[serde(flatten)]
    grid: Grid<'a>,
    days_html: String,
}

#[rocket::get("/book/slot?<date>")]
async fn slot_get(flow: Admitted<'_, AtSlot>, bookings: Bookings<'_>, date: Option<&str>) -> Result<Reply, Error> {
    let date = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    page(&flow, &bookings, Status::Ok, date, &Errors::new(), None).await
}

/// Holds the chosen start for the visitor; a start that is not free, or one
/// hold too many for the client, changes nothing.
#[rocket::post("/book/slot", data = "<form>")]
async fn slot_post(
    mut flow: Admitted<'_, AtSlot>,
    bookings: Bookings<'_>,
    client: Client,
    form: CsrfForm<'_, SlotForm>,
) -> Result<Reply, Error> {
    let (asked, tz) = (flow.proof, flow.settings.booking.tz());
    let start = form.value.and_then(|f| availability::parse_slot_value(tz, &f.slot.0));
    let (status, message) = match start {
        None => (Status::UnprocessableEntity, "err-slot-invalid"),
        Some(start) => match bookings.hold_for(flow.id(), &client.0, (asked.service, asked.whom), start).await? {
            Held::Placed(hold) => return chosen(&mut flow, start, hold),
            Held::Taken => (Status::UnprocessableEntity, "err-slot-unavailable"),
            Held::TooMany => (Status::TooManyRequests, "err-hold-limit"),
        },
    };
    let day = start.map(|start| start.with_timezone(&tz).date_naive());
    page(&flow, &bookings, status, day, &error("slot", flow.t(message)), None).await
}

/// `start` is held for the flow (by `hold`, when holds are on): it is the
/// flow's slot now.
fn chosen(flow: &mut Flow<'_>, start: chrono::DateTime<chrono::Utc>, hold: Option<LiveHold>) -> Result<Reply, Error> {
    flow.state.choose_slot(start, hold);
    flow.save()?;
    Ok(flow.first())
}

/// The visitor changed what their slot is for (`asked`: the service and
/// whom): the slot stays only if it is still free for that (held again);
/// otherwise the slot and its hold go. `TooMany` changes nothing.
pub(super) async fn rehold(
    flow: &mut Flow<'_>,
    bookings: &Bookings<'_>,
    client: &Client,
    asked: (&Service, Option<Whom<'_>>),
) -> Result<Held, Error> {
    // No slot: nothing to hold.
    let Some(start) = flow.state.slot else { return Ok(Held::Placed(None)) };
    let held = bookings.hold_for(flow.id(), &client.0, asked, start).await?;
    match &held {
        Held::Placed(hold) => flow.state.choose_slot(start, hold.clone()),
        Held::Taken => {
            flow.state.drop_slot();
            bookings.release(flow.id()).await?;
        }
        Held::TooMany => {}
    }
    Ok(held)
}

/// The step's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![slot_get, slot_post]
}
