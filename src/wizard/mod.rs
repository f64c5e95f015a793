//! The booking wizard: `service → slot → details → verify → confirm → done`
//! (with practitioners, `service → practitioner → slot → …`).
//!
//! Owns the session keys `wizard` (one [`WizardState`]), `step` (its current
//! step, for templates), `done` and `_details_shown` (when the flow's details
//! form was first shown, `bots.rs`), and the routes under `/book`: one file
//! per step, each a guard that carries what the step needs ([`admit`]), a
//! form ([`fields`]), one call into the booking service or the code service,
//! and a response.
//!
//! May import: the web shell (pages, errors), the session, `booking`, `otp`,
//! `abuse` (the client), `mail` (a recipient), `metrics`, `clock`, `config`,
//! `i18n`, `secrets` (a flow's id). Nothing imports the wizard.

mod admit;
mod bots;
mod confirm;
mod contact;
mod details;
mod entry;
mod fields;
mod flow;
mod practitioner;
mod refusal;
mod service;
mod slot;
mod state;
mod summary;
mod verify;

pub use contact::{Details, Email, Name, Notes, Phone};
pub use state::{Done, FlowId, ServiceId, Step, WizardState, DONE_KEY, STATE_KEY};

/// Mounts the wizard's routes, every step's and the doors'.
pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Booking wizard", |rocket| async {
        let routes = [
            entry::routes(),
            service::routes(),
            practitioner::routes(),
            slot::routes(),
            details::routes(),
            verify::routes(),
            confirm::routes(),
        ];
        rocket.mount("/", routes.concat())
    })
}
