//! A database made by the release before the session crate — its sessions'
//! table made by the app's own migration 1, recorded in `_sqlx_migrations` —
//! opens under this release with every session intact: the crate adopts the
//! table and records its own step beside the app's history.

use crate::support;

use rocket::http::Cookie;
use rocket_db_session::SessionId;
use sqlx::migrate::Migrator;
use support::{drop_database, fresh_database, Backend, TestApp};

/// The migrations of that release, byte for byte (the files as it shipped
/// them, so their checksums are the ones its databases recorded).
static RELEASE_SQLITE: Migrator = sqlx::migrate!("tests/it/fixtures/release-0.1/sqlite");
static RELEASE_POSTGRES: Migrator = sqlx::migrate!("tests/it/fixtures/release-0.1/postgres");

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

on_both_backends!(a_database_of_the_previous_release_keeps_its_sessions);
