//! Request guards that build the feature services from the app's state, so
//! that the services themselves (`booking`, `otp`, `abuse`) know nothing of
//! Rocket: a handler takes a `Bookings<'_>`, `Codes<'_>` or `CodeSender<'_>`
//! like any other guard.

use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;

use crate::abuse::{Client, Limits};
use crate::booking::service::Bookings;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::Notifier;
use crate::metrics::Metrics;
use crate::otp::{CodeSender, Codes};
use crate::outbox::{Letters, Wake};
use crate::secrets::Secrets;
use crate::webhooks::{Hooks, Nudge};

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
        let nudge: &State<Nudge> = try_outcome!(req.guard().await);
        let letters = Letters::new(notifier, secrets, settings, clock);
        let bookings = Bookings::new(&settings.booking, db, clock, secrets)
            .with_hold_limit(settings.abuse.holds_per_client)
            .with_letters(letters, settings.mail.public_base())
            .with_webhooks(Hooks::new(settings, secrets, clock, nudge))
            .telling(wake, metrics);
        Outcome::Success(bookings)
    }
}

/// At liftoff, one warning line per practitioner who left the configuration
/// but keeps future bookings (SPEC §2e): their id and how many.
pub fn departed() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_liftoff("Practitioners who left", |rocket| {
        Box::pin(async move {
            let (Some(settings), Some(db), Some(clock), Some(secrets)) =
                (rocket.state::<Settings>(), rocket.state::<Db>(), rocket.state::<Clock>(), rocket.state::<Secrets>())
            else {
                return;
            };
            match Bookings::new(&settings.booking, db, clock, secrets).departed().await {
                Ok(left) => left.iter().for_each(|(id, n)| {
                    rocket::warn!("booking.practitioners: `{id}` is no longer configured but has {n} future booking(s)")
                }),
                Err(e) => rocket::warn!("counting the bookings of practitioners who left failed: {e}"),
            }
        })
    })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Codes<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let settings: &State<Settings> = try_outcome!(req.guard().await);
        let secrets: &State<Secrets> = try_outcome!(req.guard().await);
        let db: &State<Db> = try_outcome!(req.guard().await);
        let clock: &State<Clock> = try_outcome!(req.guard().await);
        Outcome::Success(Codes { config: &settings.otp, secrets, db, clock })
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CodeSender<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let codes = try_outcome!(req.guard::<Codes<'r>>().await);
        let settings: &State<Settings> = try_outcome!(req.guard().await);
        let db: &State<Db> = try_outcome!(req.guard().await);
        let limits = Limits::new(&settings.abuse, db, codes.clock);
        let client = req.guard::<Client>().await.succeeded().unwrap_or(Client("unknown".into()));
        let notifier: &State<Notifier> = try_outcome!(req.guard().await);
        let metrics: &State<Metrics> = try_outcome!(req.guard().await);
        Outcome::Success(CodeSender { codes, limits, client, notifier, metrics })
    }
}
