//! The server-side session: the `rocket-db-session` crate
//! (`crates/rocket-db-session`) on the app's database, clock and keys, with
//! the app's translated `503` page when a session cannot be saved.

use std::sync::OnceLock;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::request::Request;
use rocket::{Build, Orbit, Response, Rocket};

use rocket_db_session::SessionStage;
pub use rocket_db_session::{
    clear_expired, store, CsrfForm, FailurePage, PublicEntries, Session, SessionError, SessionToken, SessionlessToken,
    Sessions, StoreError,
};

use crate::clock::Clock;
use crate::config::{self, Settings};
use crate::db::Db;
use crate::secrets::Secrets;

/// The session stage: the crate's fairing, given the app's `[session]`,
/// database, clock, signing key and public origin at ignition.
pub fn stage(failure_page: FailurePage) -> impl Fairing {
    AppSessions { failure_page, stage: OnceLock::new() }
}

struct AppSessions {
    failure_page: FailurePage,
    stage: OnceLock<SessionStage>,
}

#[rocket::async_trait]
impl Fairing for AppSessions {
    fn info(&self) -> Info {
        Info { name: "Sessions", kind: Kind::Ignite | Kind::Response | Kind::Liftoff }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        if config::stopped(&rocket) {
            return Err(rocket);
        }
        let (Some(settings), Some(secrets), Some(db), Some(clock)) =
            (rocket.state::<Settings>(), rocket.state::<Secrets>(), rocket.state::<Db>(), rocket.state::<Clock>())
        else {
            return Err(rocket);
        };
        let clock = clock.clone();
        let mut stage = Sessions::fairing()
            .config(settings.session.clone())
            .database((**db).clone())
            .clock(move || clock.now_ms())
            .trusted_origin(&settings.public_origin())
            .failure_page(self.failure_page);
        // The current key signs; each fallback still verifies (SPEC §3a).
        for key in secrets.keys("session") {
            stage = stage.signing_key(&key);
        }
        let stage = self.stage.get_or_init(|| stage);
        match stage.prepare(rocket).await {
            Ok(rocket) => Ok(rocket),
            Err((rocket, e)) => Err(config::stop(rocket, &e)),
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        if let Some(stage) = self.stage.get() {
            stage.on_liftoff(rocket).await;
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if let Some(stage) = self.stage.get() {
            stage.on_response(req, res).await;
        }
    }
}
