//! The crate's own migrations: the sessions' table, kept apart from an
//! app's migration history.
//!
//! Each step is a file under `migrations/<backend>/`, written for any table
//! name (`{table}`). The steps applied so far are recorded in a table of the
//! crate's own, `<table>_schema` (`version`, `applied_at`), never in the
//! app's `_sqlx_migrations`, so the two histories cannot clash. Every step
//! creates what it makes `IF NOT EXISTS`: a sessions table an app made
//! itself before it used this crate is adopted as it is, its sessions intact.

use sqlx::AnyConnection;

use crate::db::{Backend, Connections, Lane};

/// The steps, in order: (version, SQLite, PostgreSQL).
const STEPS: &[(i64, &str, &str)] =
    &[(1, include_str!("../migrations/sqlite/1_sessions.sql"), include_str!("../migrations/postgres/1_sessions.sql"))];

/// Creates or upgrades the sessions' table `table` on `db`: every step not
/// yet recorded, in one transaction, one instance at a time (an exclusive
/// transaction on SQLite, an advisory lock on PostgreSQL). Safe to call at
/// every launch, from several instances at once.
///
/// [`crate::SessionStage`] calls it for the database stores; call it
/// yourself when you open a [`crate::store::DatabaseStore`] by hand.
pub async fn migrate<C: Connections>(db: &C, table: &str) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire(Lane::Write).await?;
    apply(&mut conn, db.backend(), table).await?;
    C::finished(conn);
    Ok(())
}

/// [`migrate`] on one connection.
///
/// NOTE: `sqlx::query`, not `raw_sql`: the futures of `raw_sql(..).execute`
/// are not `Send` for every lifetime, which rustc 1.95 cannot prove inside
/// the generic [`migrate`] ("implementation of `Executor` is not general
/// enough", rust-lang/rust#102211).
async fn apply(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<(), sqlx::Error> {
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    sqlx::query(begin).execute(&mut *conn).await?;
    match steps(conn, backend, table).await {
        Ok(()) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok(())
        }
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(e)
        }
    }
}

/// Inside [`apply`]'s transaction: every step not yet recorded.
async fn steps(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        let lock = format!("SELECT pg_advisory_xact_lock(hashtext('rocket-db-session:{table}'))::text");
        sqlx::query(&lock).execute(&mut *conn).await?;
    }
    let history = format!("{table}_schema");
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {history} (version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)"
    );
    sqlx::query(&create).execute(&mut *conn).await?;
    let done: Option<i64> =
        sqlx::query_scalar(&format!("SELECT MAX(version) FROM {history}")).fetch_one(&mut *conn).await?;
    for (version, sqlite, postgres) in STEPS.iter().filter(|(v, ..)| *v > done.unwrap_or(0)) {
        let sql = match backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        // One statement at a time: PostgreSQL prepares only one.
        for statement in statements(&sql.replace("{table}", table)) {
            sqlx::query(&statement).execute(&mut *conn).await?;
        }
        let record = format!("INSERT INTO {history} (version, applied_at) VALUES ($1, $2)");
        sqlx::query(&record).bind(*version).bind(unix_ms()).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The statements of a step file: split at each `;` that ends a line,
/// leaving out what holds only comments.
fn statements(sql: &str) -> Vec<String> {
    sql.split(";\n")
        .map(|chunk| chunk.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n"))
        .map(|statement| statement.trim().trim_end_matches(';').to_string())
        .filter(|statement| !statement.is_empty())
        .collect()
}

/// When a step was applied: for the record only.
fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_two_statements_without_comments() {
        for (_, sqlite, postgres) in STEPS {
            for file in [sqlite, postgres] {
                let statements = statements(&file.replace("{table}", "t"));
                assert_eq!(statements.len(), 2, "{statements:?}");
                assert!(statements[0].starts_with("CREATE TABLE IF NOT EXISTS t ("), "{}", statements[0]);
                assert_eq!(statements[1], "CREATE INDEX IF NOT EXISTS t_expires_at ON t (expires_at)");
            }
        }
    }
}
