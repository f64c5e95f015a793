//! Server-side sessions for [Rocket](https://rocket.rs) 0.5, in the spirit
//! of Django's `request.session`: per-visitor state kept on the server — in
//! an SQLite or PostgreSQL table, in Redis, or in both — behind an opaque
//! cookie, with expiry, flush, id cycling and CSRF tokens bound to the
//! session.
//!
//! # What it promises
//! - **Ids are secrets, never stored.** The cookie (signed, `HttpOnly`,
//!   `SameSite=Lax`) carries 256 random bits; the store sees only their
//!   SHA-256, so a copy of the table lets nobody in.
//! - **No lost update.** A save applies only the keys this request changed,
//!   inside the store, in one statement: two concurrent requests that change
//!   different keys both keep their change.
//! - **No resurrection.** A session flushed or cycled by one request is
//!   never brought back by a slower request that loaded it before.
//! - **Nothing for lookers.** A visitor who never gets a value stored costs
//!   no row and gets no cookie.
//! - **Expiry on the server**: an idle timeout (per session with
//!   [`Session::set_expiry`]) and an absolute one, enforced at every load,
//!   and a purge of expired sessions while the app runs.
//!
//! # Life cycle
//! 1. Attach the fairing once: [`Sessions::fairing`]. At ignition it reads
//!    the `session` table of Rocket's figment ([`SessionConfig`]), opens the
//!    store `store` names and creates its table if needed ([`migrate`]).
//! 2. A handler takes a [`Session`] guard. The first guard of a request
//!    loads the session named by the cookie (request-local cache: every
//!    other guard of the request shares it). No cookie, a tampered cookie,
//!    an unknown id or an expired session all give an empty session.
//! 3. The handler reads and changes it: [`Session::get`],
//!    [`Session::insert`], [`Session::remove`], [`Session::flush`],
//!    [`Session::cycle_id`] (before granting privilege), [`Session::keys`],
//!    [`Session::items`], [`Session::contains`].
//! 4. After the handler, the fairing saves what changed (nothing when
//!    nothing did, but a throttled refresh of the idle deadline). A save
//!    that fails answers `503` with `Retry-After`.
//! 5. Forms that change state take a [`CsrfForm`] instead of a `Form`: it
//!    refuses cross-site posts and a wrong `csrf_token`, which pages get from
//!    [`Session::form_token`].
//!
//! # Example: a visit counter
//! ```
//! use rocket::{get, routes};
//! use rocket_db_session::{Session, Sessions};
//!
//! #[get("/")]
//! fn count(session: Session<'_>) -> String {
//!     let visits = session.get::<u64>("visits").unwrap_or(0) + 1;
//!     session.insert("visits", &visits).expect("a number serializes");
//!     format!("visit {visits}")
//! }
//!
//! let dir = tempfile::tempdir().unwrap();
//! let url = format!("sqlite://{}?mode=rwc", dir.path().join("sessions.db").display());
//! let figment = rocket::Config::figment().merge(("session.database_url", url));
//! let rocket = rocket::custom(figment).mount("/", routes![count]).attach(Sessions::fairing());
//!
//! let client = rocket::local::blocking::Client::tracked(rocket).unwrap();
//! assert_eq!(client.get("/").dispatch().into_string().unwrap(), "visit 1");
//! assert_eq!(client.get("/").dispatch().into_string().unwrap(), "visit 2");
//! ```
//!
//! # Stores
//! `store = "database"` (the default) keeps one row per session in `table`;
//! `"redis"` one hash per session (feature `redis`); `"cached_database"`
//! writes the database and keeps a copy in Redis that reads use while it
//! holds the database's current version. Implement [`SessionStore`] for a
//! store of your own. An app with its own database pool shares it through
//! [`SessionStage::database`] and [`Connections`].

#![deny(missing_docs)]

mod config;
mod csrf;
mod db;
mod guard;
mod id;
mod runtime;
mod schema;
mod session;
mod stage;
pub mod store;
mod token;

pub use config::{ConfigError, SessionConfig, StoreKind};
pub use csrf::{CsrfError, CsrfForm, SessionToken, SessionlessToken, TokenPolicy};
pub use db::{Backend, Connections, Lane};
pub use id::SessionId;
pub use runtime::FailurePage;
pub use schema::migrate;
pub use session::{PublicEntries, Session, SessionError, SessionState};
pub use stage::{clear_expired, SessionStage};
pub use store::{SessionStore, Sessions, StoreError};
pub use token::AnonToken;
