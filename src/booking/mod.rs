//! Bookings: when a time is free (`availability`, pure rules), the grid of
//! free times pages show (`grid`), the use cases that hold, make, find, move
//! and cancel bookings (`service`) and their SQL (`store`).
//!
//! Owns the `bookings`, `holds` and `locks` tables. Knows nothing of the web
//! (no Rocket: `web` builds the service for a request, `wizard` and `manage`
//! render its outcomes) nor of the wizard and its session keys: callers hand
//! in plain values. May import: `clock`, `config`, `db`, `i18n`, `mail`,
//! `metrics`, `outbox`, `secrets`, `webhooks`.

pub mod availability;
pub mod grid;
pub mod service;
pub mod store;
