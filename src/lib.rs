//! Slotwise: a self-hosted appointment booking wizard on Rocket, built on a
//! server-side, database-backed session.
//!
//! [`build`] assembles the app from a figment so tests can give each instance
//! its own database and mail sink; `main.rs` only parses the command line.

// NOTE: handlers return `Result<_, (Status, View)>` and figment errors are
// large by design; boxing them buys nothing on a request path.
#![allow(clippy::result_large_err)]

/// Limits that span sessions: code emails per address and client, holds per client.
pub mod abuse;
/// Booking rules: availability, the booking service, the booking store.
pub mod booking;
/// The `slotwise` subcommands for staff.
pub mod cli;
/// The app's one clock (settable in tests).
pub mod clock;
/// Typed, validated `Rocket.toml` sections.
pub mod config;
/// The SQLite/PostgreSQL pool and the embedded migrations.
pub mod db;
/// Fluent catalogs and language negotiation.
pub mod i18n;
/// The process's logger (messages capped).
pub mod logging;
/// Outgoing mail over lettre.
pub mod mail;
/// A booking's own pages (from its link) and the staff calendar feed.
pub mod manage;
/// Metrics (`GET /metrics`) and the booking funnel.
pub mod metrics;
/// Emailed one-time codes.
pub mod otp;
/// Mail that is never lost: the stored emails and their sender.
pub mod outbox;
/// Work the running app repeats until shutdown (purges, the outbox's sender).
pub mod periodic;
/// The visitor's language and theme (`POST /prefs`).
pub mod prefs;
/// Retention, erasure and export of personal data.
pub mod privacy;
/// Keys derived from Rocket's `secret_key`.
pub mod secrets;
/// The server-side session (in the database, Redis, or both), its guard and CSRF.
pub mod session;
/// The template engine pages and emails share (MiniJinja, `fluent`, escaping).
pub mod templating;
/// The shell of every page: headers, error pages, landing, health.
pub mod web;
/// Signed webhooks of booking events, stored and delivered like the emails.
pub mod webhooks;
/// The booking wizard's steps.
pub mod wizard;

use rocket::figment::Figment;
use rocket::{Build, Rocket};

use clock::Clock;

/// The app configured from `figment`. Stages attach in this order:
/// config → secrets → database + migrations → templates → session → mail →
/// the web shell → features → metrics (last but one, so it times everything)
/// → the requests-in-flight count. The first stage that finds a problem prints
/// one `Error:` line naming the key; the later ones stay silent
/// ([`config::stop`]).
pub fn build(figment: Figment) -> Rocket<Build> {
    build_with(figment, Clock::system())
}

/// The app configured from `figment`, telling the time by `clock` (tests
/// give one they move forward instead of sleeping).
pub fn build_with(figment: Figment, clock: Clock) -> Rocket<Build> {
    // NOTE: no `Server: Rocket` header: it tells an attacker what to try.
    rocket::custom(figment.merge(("ident", false)))
        .manage(clock)
        .attach(config::stage())
        .attach(secrets::stage())
        .attach(db::stage())
        .attach(web::templates_stage(web::Views::default()))
        .attach(session::stage(web::failure_body))
        .attach(mail::stage())
        .attach(web::stage())
        .attach(abuse::stage())
        .attach(outbox::stage())
        .attach(webhooks::stage())
        .attach(prefs::stage())
        .attach(wizard::stage())
        .attach(manage::stage())
        .attach(privacy::stage())
        .attach(metrics::stage())
        .attach(db::in_flight())
}
