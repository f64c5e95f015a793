//! Bookings: configuration, availability and the booking store.

pub mod availability;
pub mod config;
pub mod routes;
pub mod store;
