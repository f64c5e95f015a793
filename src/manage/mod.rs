//! Managing bookings on the web: a booking's own pages, reached from the
//! link in its emails (`pages`, with the [`link`] lookup they share), and the
//! staff calendar feed (`feed`).
//!
//! Owns no table and no rule: what may change, and how, is the booking
//! service's (`booking::service`); this module turns its outcomes into
//! pages. May import: the web shell, the session, `booking`, `config`,
//! `i18n`. Nothing imports it.

mod feed;
mod link;
mod pages;

/// Mounts the booking link's pages and the staff feed.
pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Booking link and staff feed", |rocket| async {
        rocket.mount("/", pages::routes()).mount("/", feed::routes())
    })
}
