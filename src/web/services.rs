//! Request guards that build the booking service from the app's state, so
//! that `booking/` itself knows nothing of Rocket: a handler takes a
//! `Bookings<'_>` like any other guard.

use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;

use crate::booking::service::Bookings;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::Notifier;
use crate::metrics::Metrics;
use crate::outbox::{Letters, Wake};
use crate::secrets::Secrets;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Bookings<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let settings: &State<Settings> = try_outcome!(req.guard().await);
        let db: &State<Db> = try_outcome!(req.guard().await);
        let clock: &State<Clock> = try_outcome!(req.guard().await);
        let notifier: &State<Notifier> = try_outcome!(req.guard().await);
        let secrets: &State<Secrets> = try_outcome!(req.guard().await);
        let wake: &State<Wake> = try_outcome!(req.guard().await);
        let metrics: &State<Metrics> = try_outcome!(req.guard().await);
        let letters = Letters::new(notifier, secrets, settings, clock);
        let bookings = Bookings::new(&settings.booking, db, clock)
            .with_hold_limit(settings.abuse.holds_per_client)
            .with_letters(letters, settings.mail.public_base())
            .telling(wake, metrics);
        Outcome::Success(bookings)
    }
}
