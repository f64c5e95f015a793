//! The migrations under `migrations/<backend>/`, compiled into the binary by
//! `sqlx::migrate!`.

use sqlx::migrate::Migrator;
use sqlx::AnyPool;

use super::backend::Backend;

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// Applies the migrations of `backend` that `pool` lacks.
pub(super) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), sqlx::migrate::MigrateError> {
    match backend {
        Backend::Sqlite => SQLITE.run(pool).await,
        Backend::Postgres => POSTGRES.run(pool).await,
    }
}
