//! The limits across sessions, on a real SQLite file.

use super::*;
use crate::db::{self, Lane};

async fn setup() -> (tempfile::TempDir, DbPool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let pool = db::connect(&url, 4, 5).await.expect("open SQLite");
    db::migrate(&pool).await.expect("migrate");
    (dir, pool)
}

fn config(per_address: u32, per_client: u32) -> AbuseConfig {
    AbuseConfig {
        sends_per_address_per_day: per_address,
        sends_per_client_per_hour: per_client,
        ..AbuseConfig::default()
    }
}

fn client(ip: &str) -> Client {
    Client(ip.to_string())
}

#[rocket::async_test]
async fn an_address_gets_its_daily_limit_whoever_asks() {
    let (_dir, pool) = setup().await;
    let clock = Clock::starting_at(chrono::DateTime::from_timestamp(2_000_000_000, 0).expect("valid"));
    let config = config(3, 0);
    let limits = Limits::new(&config, &pool, &clock);
    for i in 0..3 {
        let counted = limits.count_send(&client(&format!("10.0.0.{i}")), "Victim@Example.test").await.unwrap();
        assert!(matches!(counted, Counted::Counted(_)), "send {i}");
    }
    let refused = limits.count_send(&client("10.0.0.9"), "victim@example.test").await.unwrap();
    let Counted::Refused { limit: Limit::Address, retry_after_secs } = refused else { panic!("refused: {refused:?}") };
    assert!((86_000..=86_400).contains(&retry_after_secs), "{retry_after_secs}");
    assert!(matches!(limits.count_send(&client("10.0.0.9"), "other@example.test").await.unwrap(), Counted::Counted(_)));
}

#[rocket::async_test]
async fn a_refunded_send_does_not_count() {
    let (_dir, pool) = setup().await;
    let clock = Clock::starting_at(chrono::DateTime::from_timestamp(2_000_000_000, 0).expect("valid"));
    let config = config(0, 1);
    let limits = Limits::new(&config, &pool, &clock);
    let Counted::Counted(ticket) = limits.count_send(&client("10.0.0.1"), "a@example.test").await.unwrap() else {
        panic!("first send counts");
    };
    assert!(matches!(limits.count_send(&client("10.0.0.1"), "b@example.test").await.unwrap(), Counted::Refused { .. }));
    limits.refund(ticket).await.unwrap();
    assert!(matches!(limits.count_send(&client("10.0.0.1"), "b@example.test").await.unwrap(), Counted::Counted(_)));
}

#[rocket::async_test]
async fn parallel_sends_at_the_edge_never_pass_the_limit() {
    let (_dir, pool) = setup().await;
    let clock = Clock::starting_at(chrono::DateTime::from_timestamp(2_000_000_000, 0).expect("valid"));
    let config = config(10, 0);
    let limits = Limits::new(&config, &pool, &clock);
    let clients: Vec<Client> = (0..30).map(|i| client(&format!("10.1.0.{i}"))).collect();
    let sends = clients.iter().map(|c| limits.count_send(c, "victim@example.test"));
    let results = futures::future::join_all(sends).await;
    let counted = results.iter().filter(|r| matches!(r, Ok(Counted::Counted(_)))).count();
    assert_eq!(counted, 10, "{results:?}");
}

#[rocket::async_test]
async fn old_counters_are_purged() {
    let (_dir, pool) = setup().await;
    let clock = Clock::starting_at(chrono::DateTime::from_timestamp(2_000_000_000, 0).expect("valid"));
    let config = config(1, 0);
    let limits = Limits::new(&config, &pool, &clock);
    assert!(matches!(limits.count_send(&client("10.0.0.1"), "a@example.test").await.unwrap(), Counted::Counted(_)));
    clock.advance(chrono::Duration::milliseconds(DAY_MS + 1));
    assert_eq!(purge(&pool, clock.now_ms()).await.unwrap(), 1);
    let count = "SELECT COUNT(*) FROM abuse_keys";
    let keys: i64 = pool.leased(Lane::Read, async |c| sqlx::query_scalar(count).fetch_one(c).await).await.unwrap();
    assert_eq!(keys, 0);
    assert!(matches!(limits.count_send(&client("10.0.0.1"), "a@example.test").await.unwrap(), Counted::Counted(_)));
}
