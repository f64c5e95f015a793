//! The purge of expired sessions in the database store, run by several
//! instances at once: none fails, every expired session goes exactly once,
//! live ones stay.

use crate::support;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

use slotwise::db;
use slotwise::session::store::{DatabaseStore, SessionStore};
use support::{drop_database, fresh_database, Backend};

/// Seeds `expired` sessions dead an hour ago and `live` ones alive for an hour.
async fn seed(pool: &sqlx::AnyPool, expired: i64, live: i64) {
    let now = now_ms();
    for first in (0..expired + live).step_by(500) {
        let rows: Vec<String> = (first..(first + 500).min(expired + live))
            .map(|i| {
                let expires_at = if i < expired { now - 3_600_000 } else { now + 3_600_000 };
                format!("('{i:064x}', '{{}}', 1, 0, {expires_at}, {})", now + 86_400_000)
            })
            .collect();
        let sql = format!(
            "INSERT INTO sessions (id_hash, data, version, created_at, expires_at, absolute_expires_at) VALUES {}",
            rows.join(", ")
        );
        sqlx::query(&sql).execute(pool).await.unwrap();
    }
}

async fn several_instances_purging_at_once_neither_fail_nor_duplicate(db: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, drop) = fresh_database(&db, dir.path()).await;
    let app_pool = db::connect(&url, 2, 10).await.unwrap();
    db::migrate(&app_pool).await.unwrap();
    rocket_db_session::migrate(&app_pool, "sessions").await.unwrap();
    app_pool.close().await;
    let seeder = support::app::sql(&url).await.unwrap();
    seed(&seeder, 6_000, 300).await;
    // Three instances: three pools, three stores, one database.
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(DatabaseStore::new(db::connect(&url, 4, 10).await.unwrap(), "sessions"));
    }
    let now = now_ms();
    let purged = futures::future::join_all(instances.iter().map(|store| store.purge(now))).await;
    let counts: Vec<u64> = purged.into_iter().map(|r| r.expect("a purge failed")).collect();
    assert_eq!(counts.iter().sum::<u64>(), 6_000, "each expired session is counted once: {counts:?}");
    if matches!(db, Backend::Postgres(_)) {
        // Without `SKIP LOCKED` the instances all pick the same first rows;
        // the losers wait for the winner, delete nothing and stop.
        assert!(counts.iter().all(|&n| n > 0), "an instance did no work: {counts:?}");
    }
    let left: Vec<(i64,)> = sqlx::query_as("SELECT expires_at FROM sessions").fetch_all(&seeder).await.unwrap();
    assert_eq!(left.len(), 300, "the live sessions stay");
    assert!(left.iter().all(|(at,)| *at > now));
    seeder.close().await;
    if let Some((admin, name)) = drop {
        drop_database(&admin, &name);
    }
}

on_both_backends!(several_instances_purging_at_once_neither_fail_nor_duplicate);
