//! Every integration test, in one binary (each extra binary linked the whole
//! app again): one module per area, and the shared kit in `support`.
//!
//! Run one area with `cargo test --test it <module>::`, e.g.
//! `cargo test --test it wizard::`.

#[macro_use]
mod support;

mod abuse;
mod bots;
mod browser;
mod calendar;
mod i18n;
mod instances;
mod launch;
mod layering;
mod logs;
mod mail_smtp;
mod manage;
mod operations;
mod outbox;
mod overview;
mod pages;
mod practice;
mod practitioners;
mod purge;
mod readme;
mod redis;
mod rotation;
mod running;
mod session;
mod tabs;
mod unavailable;
mod upgrade;
mod webhooks;
mod webhooks_real;
mod wizard;
mod zones;
