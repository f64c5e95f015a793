//! Shared test kit, one concern per file:
//! - `app`: a [`TestApp`] per test (its figment, a fresh database, an outbox);
//! - `visitor`: the in-process [`Visitor`] and what it reads and sends;
//! - `jar`: the one cookie [`Jar`] of every HTTP-speaking helper;
//! - `mail`: emails read with `mail-parser` ([`Mail`], [`code_in`]);
//! - `smtp`: the one SMTP sink ([`smtp::SmtpServer`]);
//! - `process`: the `slotwise` binary on a free loopback port;
//! - `skip`: a test that cannot run here says so ([`skip::skip`]);
//! - `redis`: a test's sessions in Redis ([`redis::RedisSessions`]) and a
//!   `redis-server` of a test's own;
//! - `sessions`: what the app's session store holds, whichever it is;
//! - `receiver`: a real HTTP receiver of webhooks on loopback ([`receiver::Receiver`]).
//!
//! `jar`, `mail`, `smtp`, `process` and `skip` stand alone: the benchmark driver
//! (`examples/bench`) includes them with `#[path]`.

// NOTE: each test file uses a part of the kit; the rest (and its
// re-exports) is unused there.
#![allow(dead_code, unused_imports)]

pub mod app;
pub mod browser;
pub mod jar;
pub mod mail;
pub mod process;
pub mod receiver;
pub mod redis;
pub mod sessions;
pub mod skip;
pub mod smtp;
pub mod visitor;

pub use app::{drop_database, figment, fresh_database, start, TestApp, ALWAYS_OPEN, SECRET, START};
pub use jar::Jar;
pub use mail::{code_in, code_sent_to, read_outbox, wait_for_mail, Mail};
pub use visitor::{dec, enc, field_value, form, offered_slot, process_slot, Page, Visitor};

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
    /// A fresh SQLite file, and sessions in Redis (`session.store = "redis"`
    /// or `"cached_database"`) under a prefix of the test's own.
    Redis(redis::RedisSessions),
}

/// The variable naming a PostgreSQL server for the tests (trust auth or a
/// URL with credentials; the user must be allowed to create databases).
pub const POSTGRES_URL_VAR: &str = "SLOTWISE_TEST_POSTGRES_URL";

impl Backend {
    /// PostgreSQL when `SLOTWISE_TEST_POSTGRES_URL` is set; otherwise `None`
    /// after reporting `test` as skipped (a failure under `CI=true`).
    pub fn postgres(test: &str) -> Option<Backend> {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                let enable =
                    "set it to a server where you may CREATE DATABASE, e.g. postgres://postgres@127.0.0.1:5432/test";
                skip::skip(test, &format!("{POSTGRES_URL_VAR} is unset"), enable);
                None
            }
        }
    }
}

impl Backend {
    /// SQLite plus sessions in Redis (`cached`: `cached_database`) when
    /// `SLOTWISE_TEST_REDIS_URL` is set; otherwise `None` after reporting
    /// `test` as skipped (a failure under `CI=true`).
    pub async fn redis(test: &str, cached: bool) -> Option<Backend> {
        match std::env::var(redis::REDIS_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(Backend::Redis(redis::RedisSessions::create(&url, cached).await)),
            _ => {
                let var = redis::REDIS_URL_VAR;
                skip::skip(test, &format!("{var} is unset"), "set it to a Redis server, e.g. redis://127.0.0.1:6379");
                None
            }
        }
    }
}

/// Runs each listed `async fn name(db: Backend)` as two tests,
/// `sqlite::name` and `postgres::name` (the latter skipped, with a
/// `SKIPPED:` line, when `SLOTWISE_TEST_POSTGRES_URL` is unset).
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
                    if let Some(db) = $crate::support::Backend::postgres(concat!(module_path!(), "::", stringify!($name))) {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}

/// [`on_both_backends!`] plus, on SQLite, two session stores in Redis:
/// `redis::name` (`session.store = "redis"`) and `cached_database::name`,
/// each under a key prefix of its own (skipped, with a `SKIPPED:` line,
/// when `SLOTWISE_TEST_REDIS_URL` is unset).
#[macro_export]
macro_rules! on_all_stores {
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!($($name),*);
        mod redis {
            $(
                #[rocket::async_test]
                async fn $name() {
                    if let Some(db) = $crate::support::Backend::redis(concat!(module_path!(), "::", stringify!($name)), false).await {
                        super::$name(db).await
                    }
                }
            )*
        }
        mod cached_database {
            $(
                #[rocket::async_test]
                async fn $name() {
                    if let Some(db) = $crate::support::Backend::redis(concat!(module_path!(), "::", stringify!($name)), true).await {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}
