//! The booking wizard: `service → slot → details → verify → confirm → done`.
//!
//! Owns the session key `wizard` (one [`WizardState`]) and the routes under
//! `/book`. Availability rules live in `booking::availability`, storage in
//! `booking::store`, codes in `otp`; this module only sequences them.

mod routes;
mod state;

pub use routes::routes;
pub use state::{Details, Step, WizardState};

/// Session key of the wizard state.
pub const STATE_KEY: &str = "wizard";
/// Session key of the last booking's reference (for `/book/done`).
pub const DONE_KEY: &str = "done";

/// The current step for templates (`page.session.step`), if a flow is under way.
pub fn current_step(session: &crate::session::Session<'_>) -> Option<&'static str> {
    session.get::<WizardState>(STATE_KEY).map(|s| s.first_incomplete().name())
}
