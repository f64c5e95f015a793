//! The migrations under `migrations/<backend>/`, compiled into the binary by
//! `sqlx::migrate!`.

use sqlx::migrate::Migrator;
use sqlx::AnyPool;

use super::backend::Backend;

// NOTE: version 1 made the sessions' table, which the session crate now
// makes and records itself (`rocket_db_session::migrate`, adopting a table
// that exists). A database made before keeps version 1 in its history, so
// an applied version missing here is not an error.
static SQLITE: Migrator = Migrator { ignore_missing: true, ..sqlx::migrate!("migrations/sqlite") };
static POSTGRES: Migrator = Migrator { ignore_missing: true, ..sqlx::migrate!("migrations/postgres") };

/// Applies the migrations of `backend` that `pool` lacks.
pub(super) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), sqlx::migrate::MigrateError> {
    match backend {
        Backend::Sqlite => SQLITE.run(pool).await,
        Backend::Postgres => POSTGRES.run(pool).await,
    }
}
