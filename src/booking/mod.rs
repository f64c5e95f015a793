//! Bookings: when a time is free (`availability`, pure rules), the use cases
//! that make, find and cancel bookings (`service`), their SQL (`store`) and
//! the booking link's pages (`routes`).
//!
//! Owns the `bookings`, `holds` and `locks` tables. Must not know about the
//! wizard or its session keys: callers hand in plain values.

pub mod availability;
pub mod feed;
pub mod grid;
pub mod routes;
pub mod service;
pub mod store;

/// Mounts the booking link's pages.
pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Booking link", |rocket| async {
        rocket.mount("/", routes::routes()).mount("/", feed::routes())
    })
}
