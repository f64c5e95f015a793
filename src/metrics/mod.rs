//! Operations: the app's metrics (`GET /metrics`, SPEC §7) and the booking
//! funnel.
//!
//! Owns the `funnel_steps` table and the [`Metrics`] in managed state.
//! Imports `clock`, `config`, `db`, `logging`, `outbox` and `webhooks` (their
//! gauges, and the webhooks' [`Tally`](crate::webhooks::Tally) it registers), and
//! `secrets`: the services (`booking`, `otp`) and the wizard import it to
//! count what they do — a booking, a cancellation, a code email, a flow
//! reaching a step — and it knows nothing of them.

mod atomic;
mod families;
pub mod funnel;
mod http;
mod routes;
mod store;

use rocket::fairing::AdHoc;

pub use families::{CodeOutcome, Metrics, STEPS};
pub use funnel::Telemetry;
pub use routes::Scraper;

/// Manages the [`Metrics`], times every request, records the funnel and
/// mounts `GET /metrics`.
///
/// NOTE: attach it last: response fairings run in the order they were
/// attached, so the time measured includes every other fairing's work
/// (the session's save, the funnel's record).
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Metrics", |rocket| async {
        let metrics = Metrics::new();
        // NOTE: the webhooks' sender counts into these (read at its liftoff).
        let tally = metrics.webhook_deliveries.clone();
        rocket.manage(metrics).manage(tally).attach(funnel::Recorder).attach(http::Timing).mount("/", routes::routes())
    })
}
