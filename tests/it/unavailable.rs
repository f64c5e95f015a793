//! A database that gives no connection (PostgreSQL at its connection limit,
//! or restarting) answers the app's own translated `503` page with
//! `Retry-After`, promptly, and the app recovers by itself once connections
//! are free again.

use crate::support;

use std::time::Instant;

use rocket::http::Status;
use sqlx::{Connection, PgConnection};
use support::{drop_database, offered_slot, Backend, TestApp, ALWAYS_OPEN};

/// The role the app connects as: at most [`LIMIT`] connections, so this
/// test can hold every connection the app may have without starving the
/// other tests of the shared server.
const ROLE: &str = "slotwise_test_limited";
const LIMIT: usize = 10;

/// `admin_url` with `user` and `database` in it.
fn url_as(admin_url: &str, user: &str, database: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("a URL");
    url.set_username(user).expect("a user");
    url.set_path(&format!("/{database}"));
    url.set_query(None);
    url.to_string()
}

#[rocket::async_test]
async fn a_database_that_gives_no_connection_answers_503_with_retry_after() {
    let Some(Backend::Postgres(admin_url)) = Backend::postgres("unavailable::a_database_that_gives_no_connection")
    else {
        return;
    };
    let admin = support::app::sql(&admin_url).await.expect("the PostgreSQL server");
    let create = format!(
        "DO $$ BEGIN CREATE ROLE {ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
         ALTER ROLE {ROLE} CONNECTION LIMIT {LIMIT}"
    );
    sqlx::raw_sql(&create).execute(&admin).await.expect("the limited role");
    let name = format!("slotwise_test_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {ROLE}")).execute(&admin).await.expect("its database");

    let app = TestApp::on_database(&url_as(&admin_url, ROLE, &name), ALWAYS_OPEN).await;
    let v = app.visitor();
    let page = v.get("/book/service").await;
    let chosen = v.submit("/book/service", &page, &[("service", "consultation")]).await;
    assert_eq!(chosen.status, Status::SeeOther, "{}", chosen.body);
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).unwrap_or_else(|| panic!("a slot: {} {}", page.status, page.body));
    v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    let details = v.get("/book/details").await;
    assert_eq!(details.status, Status::Ok);

    // The server restarts under the app (its connections end), then every
    // connection the app's role may have is taken.
    let terminate = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{ROLE}'");
    sqlx::query(&terminate).execute(&admin).await.expect("the app's connections end");
    let mut held = Vec::new();
    while held.len() <= LIMIT {
        match PgConnection::connect(&url_as(&admin_url, ROLE, &name)).await {
            Ok(conn) => held.push(conn),
            Err(_) => break,
        }
    }
    assert_eq!(held.len(), LIMIT, "the test holds every connection the role may have");

    let fields = [("name", "Ann"), ("email", "ann@example.test")];
    for attempt in 1..=3 {
        let started = Instant::now();
        let page = v.submit("/book/details", &details, &fields).await;
        eprintln!("unavailable: attempt {attempt} answered {} in {:?}", page.status, started.elapsed());
        assert_eq!(page.status, Status::ServiceUnavailable, "attempt {attempt}: {}", page.body);
        assert!(page.header("Retry-After").is_some_and(|s| s.parse::<u32>().is_ok()), "attempt {attempt}");
        assert!(page.body.contains("<html lang=\"en\""), "the app's own page: {}", page.body);
        assert!(!page.body.contains("pool") && !page.body.contains("connection"), "no internals: {}", page.body);
    }

    // Connections are free again: the app recovers by itself, as soon as
    // the server has let the closed ones go (it does so after the client
    // leaves; under a loaded test run that takes a moment).
    for conn in held {
        conn.close().await.expect("closed");
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(15);
    let page = loop {
        let page = v.submit("/book/details", &details, &fields).await;
        if page.status != Status::ServiceUnavailable || Instant::now() > deadline {
            break page;
        }
        // NOTE: waits for the PostgreSQL server to end the closed backends.
        rocket::tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!((page.status, page.location()), (Status::SeeOther, "/book/verify"), "{}", page.body);

    drop(v);
    drop(app);
    admin.close().await;
    drop_database(&admin_url, &name);
}
