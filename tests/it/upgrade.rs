//! A database made by the release before the session crate — its sessions'
//! table made by the app's own migration 1, recorded in `_sqlx_migrations` —
//! opens under this release with every session intact: the crate adopts the
//! table and records its own step beside the app's history. And a funnel
//! recorded before the practitioner step keeps its meaning (migration 13).

use crate::support;

use rocket::http::Cookie;
use rocket_db_session::SessionId;
use sqlx::migrate::Migrator;
use support::{drop_database, fresh_database, Backend, TestApp};

/// The migrations of that release, byte for byte (the files as it shipped
/// them, so their checksums are the ones its databases recorded).
static RELEASE_SQLITE: Migrator = sqlx::migrate!("tests/it/fixtures/release-0.1/sqlite");
static RELEASE_POSTGRES: Migrator = sqlx::migrate!("tests/it/fixtures/release-0.1/postgres");

/// The app's own migrations, as this release ships them.
static APP_SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static APP_POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

async fn a_database_of_the_previous_release_keeps_its_sessions(db: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, dropped) = fresh_database(&db, dir.path()).await;
    let pool = support::app::sql(&url).await.unwrap();
    match db {
        Backend::Postgres(_) => RELEASE_POSTGRES.run(&pool).await.unwrap(),
        _ => RELEASE_SQLITE.run(&pool).await.unwrap(),
    }
    // A visitor mid-visit, stored as that release stored sessions.
    let id = SessionId::generate();
    let now = support::start().timestamp_millis();
    let insert = "INSERT INTO sessions (id_hash, data, version, created_at, expires_at, absolute_expires_at) \
                  VALUES ($1, $2, 3, $3, $4, $5)";
    sqlx::query(insert)
        .bind(id.storage_key())
        .bind(r#"{"_csrf":"token","lang":"de","theme":"dark"}"#)
        .bind(now - 60_000)
        .bind(now + 1_800_000)
        .bind(now + 86_400_000)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let app = TestApp::on_database(&url, "").await;
    let page = app.client.get("/").private_cookie(Cookie::new("slotwise_session", id.encode())).dispatch().await;
    let body = page.into_string().await.unwrap();
    assert!(body.contains(r#"<html lang="de""#), "the session's language is lost");
    assert!(body.contains("token"), "the session's CSRF token is lost");

    let pool = support::app::sql(&url).await.unwrap();
    let app_history: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version").fetch_all(&pool).await.unwrap();
    assert_eq!(app_history.first(), Some(&1), "the app's history keeps the release's step 1");
    let crate_history: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM sessions_schema").fetch_all(&pool).await.unwrap();
    assert_eq!(crate_history, [1], "the crate records its own step");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(sessions, 1);
    pool.close().await;
    drop(app);
    if let Some((admin, name)) = dropped {
        drop_database(&admin, &name);
    }
}

/// Funnel rows stored by step index before the practitioner step existed
/// (0 service, 1 slot, … 5 done) move up by one past `service`, whatever
/// rows a flow has.
async fn a_funnel_recorded_before_practitioners_keeps_its_steps(db: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, dropped) = fresh_database(&db, dir.path()).await;
    let pool = support::app::sql(&url).await.unwrap();
    let app = match db {
        Backend::Postgres(_) => &APP_POSTGRES,
        _ => &APP_SQLITE,
    };
    let before: Vec<_> = app.migrations.iter().filter(|m| m.version <= 12).cloned().collect();
    let release = Migrator { migrations: before.into(), ignore_missing: true, ..Migrator::DEFAULT };
    release.run(&pool).await.unwrap();
    let stored = [("looked", 0), ("looked", 1), ("booked", 0), ("booked", 1), ("booked", 2), ("booked", 3)];
    let stored = stored.into_iter().chain([("booked", 4), ("booked", 5)]);
    for (flow, step) in stored {
        let insert = "INSERT INTO funnel_steps (flow_hash, step, day) VALUES ($1, $2, '2031-03-03')";
        sqlx::query(insert).bind(flow).bind(step).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let app = TestApp::on_database(&url, "").await;
    let pool = support::app::sql(&url).await.unwrap();
    let steps: Vec<(String, i64)> = sqlx::query_as("SELECT flow_hash, step FROM funnel_steps ORDER BY flow_hash, step")
        .fetch_all(&pool)
        .await
        .unwrap();
    let steps: Vec<(&str, i64)> = steps.iter().map(|(f, s)| (f.as_str(), *s)).collect();
    let names = slotwise::metrics::STEPS;
    let named: Vec<(&str, &str)> = steps.iter().map(|(f, s)| (*f, names[usize::try_from(*s).unwrap()])).collect();
    assert_eq!(
        named,
        [
            ("booked", "service"),
            ("booked", "slot"),
            ("booked", "details"),
            ("booked", "verify"),
            ("booked", "confirm"),
            ("booked", "done"),
            ("looked", "service"),
            ("looked", "slot"),
        ]
    );
    pool.close().await;
    drop(app);
    if let Some((admin, name)) = dropped {
        drop_database(&admin, &name);
    }
}

on_both_backends!(
    a_database_of_the_previous_release_keeps_its_sessions,
    a_funnel_recorded_before_practitioners_keeps_its_steps,
);
