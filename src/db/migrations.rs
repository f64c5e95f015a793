//! The migrations under `migrations/<backend>/`, compiled into the binary.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::AnyPool;

use super::backend::Backend;

type Embedded_ = &'static [(i64, &'static str, &'static str)];

/// Migrations compiled into the binary, for one backend.
#[derive(Debug)]
struct Embedded(Embedded_);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> futures_core::future::BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(*version, Cow::Borrowed(*name), MigrationType::Simple, Cow::Borrowed(*sql))
                })
                .collect())
        })
    }
}

/// The one list of migrations, read from both backends' folders.
macro_rules! migrations {
    ($($version:literal $name:literal),* $(,)?) => {
        const SQLITE: Embedded_ =
            &[$(($version, $name, include_str!(concat!("../../migrations/sqlite/", $version, "_", $name, ".sql")))),*];
        const POSTGRES: Embedded_ =
            &[$(($version, $name, include_str!(concat!("../../migrations/postgres/", $version, "_", $name, ".sql")))),*];
    };
}

migrations!(
    1 "sessions", 2 "bookings", 3 "otp", 4 "calendar", 5 "abuse", 6 "operations", 7 "outbox", 8 "code_sends",
    9 "reschedule",
);

/// Applies the migrations of `backend` that `pool` lacks.
pub(super) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), sqlx::migrate::MigrateError> {
    let source = match backend {
        Backend::Sqlite => Embedded(SQLITE),
        Backend::Postgres => Embedded(POSTGRES),
    };
    Migrator::new(source).await?.run(pool).await
}
