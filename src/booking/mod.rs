//! Bookings: configuration, availability and the booking store.

pub mod availability;
pub mod routes;
pub mod store;
