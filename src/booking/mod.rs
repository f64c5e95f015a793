//! Bookings: configuration, availability and the booking store.

pub mod config;
