//! Shared test kit, one concern per file:
//! - `app`: a [`TestApp`] per test (its figment, a fresh database, an outbox);
//! - `visitor`: the in-process [`Visitor`] and what it reads and sends;
//! - `jar`: the one cookie [`Jar`] of every HTTP-speaking helper;
//! - `mail`: emails read with `mail-parser` ([`Mail`], [`code_in`]);
//! - `smtp`: the one SMTP sink ([`smtp::SmtpServer`]);
//! - `process`: the `slotwise` binary on a free loopback port.
//!
//! `jar`, `mail`, `smtp` and `process` stand alone: the benchmark driver
//! (`examples/bench`) includes them with `#[path]`.

// NOTE: each test file uses a part of the kit; the rest (and its
// re-exports) is unused there.
#![allow(dead_code, unused_imports)]

pub mod app;
pub mod jar;
pub mod mail;
pub mod process;
pub mod smtp;
pub mod visitor;

pub use app::{drop_database, figment, fresh_database, TestApp, SECRET};
pub use jar::Jar;
pub use mail::{code_in, read_outbox, wait_for_mail, Mail};
pub use visitor::{dec, enc, field_value, form, Page, Visitor};

/// The `slotwise` binary Cargo built for these tests.
pub const SLOTWISE_BIN: &str = env!("CARGO_BIN_EXE_slotwise");

/// This checkout (where `Rocket.toml` and `templates/` are).
pub const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The database a test app runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh database created on the server at this admin URL.
    Postgres(String),
}

/// The variable naming a PostgreSQL server for the tests (trust auth or a
/// URL with credentials; the user must be allowed to create databases).
pub const POSTGRES_URL_VAR: &str = "SLOTWISE_TEST_POSTGRES_URL";

impl Backend {
    /// PostgreSQL when `SLOTWISE_TEST_POSTGRES_URL` is set; otherwise `None`
    /// and a note on stderr that `test` was skipped.
    pub fn postgres(test: &str) -> Option<Backend> {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                // NOTE: written to the real stderr, past the test harness's
                // output capture, so the skip shows in every run's log.
                use std::io::Write;
                let note = format!("SKIPPED on PostgreSQL: {test} ({POSTGRES_URL_VAR} is unset)\n");
                let _ = std::io::stderr().write_all(note.as_bytes());
                None
            }
        }
    }
}

/// Runs each listed `async fn name(db: Backend)` as two tests,
/// `sqlite::name` and `postgres::name` (the latter skipped, with a note,
/// when `SLOTWISE_TEST_POSTGRES_URL` is unset).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[rocket::async_test]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[rocket::async_test]
                async fn $name() {
                    if let Some(db) = $crate::support::Backend::postgres(stringify!($name)) {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}
