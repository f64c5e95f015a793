//! The leased connections on a real SQLite file: writers queue in order, an
//! interrupted lease is recovered before its connection is reused, and a
//! closed pool refuses leases.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::timeout;

use crate::db::{connect, DbPool, Lane};

async fn sqlite(max_connections: u32) -> (DbPool, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("lease.db").display());
    let db = connect(&url, max_connections, 5).await.unwrap();
    sqlx::query("CREATE TABLE t (n INTEGER NOT NULL)").execute(&db.pool.pool).await.unwrap();
    (db, dir)
}

#[tokio::test]
async fn writers_queue_in_order_behind_the_one_writer() {
    let (db, _dir) = sqlite(4).await;
    let first = db.write_lease().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 0..3 {
        let (db, order) = (db.clone(), order.clone());
        waiters.push(tokio::spawn(async move {
            let mut lease = db.write_lease().await.unwrap();
            order.lock().unwrap().push(i);
            sqlx::query("INSERT INTO t (n) VALUES ($1)").bind(i).execute(&mut *lease).await.unwrap();
            lease.finish();
        }));
        // Each waiter is queued before the next one asks.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(order.lock().unwrap().is_empty(), "a writer ran while another held the writer");
    first.finish();
    for waiter in waiters {
        timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&db.pool.pool).await.unwrap();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn reads_run_beside_each_other_up_to_the_pool_size() {
    let (db, _dir) = sqlite(2).await;
    let a = db.lease().await.unwrap();
    let b = db.lease().await.unwrap();
    assert!(timeout(Duration::from_millis(100), db.lease()).await.is_err(), "a third lease beyond two permits");
    a.finish();
    let c = timeout(Duration::from_secs(5), db.lease()).await.expect("a finished lease frees its permit").unwrap();
    b.finish();
    c.finish();
}

#[tokio::test]
async fn an_interrupted_lease_is_recovered_before_its_connection_is_reused() {
    let (db, _dir) = sqlite(1).await;
    // A statement that takes seconds, cancelled after a few milliseconds.
    let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) \
                SELECT COUNT(*) FROM c";
    let interrupted = timeout(Duration::from_millis(20), async {
        let mut lease = db.lease().await.unwrap();
        let _: i64 = sqlx::query_scalar(long).fetch_one(&mut *lease).await.unwrap();
        lease.finish();
    })
    .await;
    assert!(interrupted.is_err(), "the statement should still have been running");
    // The one permit is held until the connection is recovered; then the
    // next lease gets a connection that answers its own statement.
    let n = timeout(Duration::from_secs(30), async {
        let query = sqlx::query_scalar::<_, i64>("SELECT 41 + 1");
        let mut lease = db.lease().await.unwrap();
        let n = query.fetch_one(&mut *lease).await.unwrap();
        lease.finish();
        n
    })
    .await
    .expect("the interrupted lease's connection came back");
    assert_eq!(n, 42);
}

#[tokio::test]
async fn a_failed_statement_does_not_poison_the_lease() {
    let (db, _dir) = sqlite(1).await;
    let failed = db.on(Lane::Write).execute(sqlx::query("INSERT INTO missing VALUES (1)")).await;
    assert!(failed.is_err());
    let done = timeout(Duration::from_secs(5), db.on(Lane::Write).execute(sqlx::query("INSERT INTO t VALUES (7)")))
        .await
        .expect("the writer came back after the failed statement")
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

#[tokio::test]
async fn a_closed_pool_refuses_leases() {
    let (db, _dir) = sqlite(2).await;
    db.lease().await.unwrap().finish();
    db.lanes.close().await;
    assert!(matches!(db.lease().await, Err(sqlx::Error::PoolClosed)));
}
