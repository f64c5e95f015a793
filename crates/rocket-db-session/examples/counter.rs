//! A visit counter, the first example of Django's session docs: each visitor
//! sees how often they came, kept server-side in SQLite.
//!
//! `cargo run -p rocket-db-session --example counter`, then open
//! <http://127.0.0.1:8000> and reload.

use rocket::figment::{providers::Serialized, Figment};
use rocket::{get, routes, Build, Rocket};
use rocket_db_session::{Session, Sessions};

#[get("/")]
fn count(session: Session<'_>) -> String {
    let visits = session.get::<u64>("visits").unwrap_or(0) + 1;
    session.insert("visits", &visits).expect("a number serializes");
    format!("You have been here {visits} time(s).")
}

/// The app on `figment` (its `session` table, see `SessionConfig`).
pub fn app(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment).mount("/", routes![count]).attach(Sessions::fairing())
}

#[rocket::launch]
fn rocket() -> _ {
    let sqlite = Serialized::default("session.database_url", "sqlite://counter.db?mode=rwc");
    app(rocket::Config::figment().join(sqlite))
}
