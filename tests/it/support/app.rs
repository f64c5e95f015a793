//! A Slotwise app per test: its own figment, a fresh database (a SQLite file
//! in a temporary folder, or a new PostgreSQL database dropped at the end)
//! and its own outbox, served by Rocket's local client.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::figment::Figment;
use rocket::local::asynchronous::Client;
use slotwise::clock::Clock;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use super::visitor::Visitor;
use super::Backend;

/// Everything one test needs: the app, its database and its outbox.
pub struct TestApp {
    /// The app, behind Rocket's asynchronous local client.
    pub client: Client,
    /// The test database's URL.
    pub db_url: String,
    /// The folder the file transport writes emails to.
    pub outbox: PathBuf,
    /// The configuration the app was built from.
    pub figment: Figment,
    /// The app's clock: it stands at [`START`] until the test moves it.
    pub clock: Clock,
    /// Where sessions are, when in Redis (cleaned up when the test ends).
    pub redis: Option<super::redis::RedisSessions>,
    /// The database to drop when the test ends (PostgreSQL only).
    drop_database: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// Open every day, all day, bookable at once: tests must not depend on the
/// weekday or the time. Merge a test's own settings after it with a `---` line.
pub const ALWAYS_OPEN: &str = r#"
[default.booking]
min_notice_minutes = 0
[default.booking.hours]
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]
"#;

/// Where every test app's clock starts: a Monday, 08:50 UTC (09:50 in
/// Berlin), ten minutes before the next half hour, so the first free time
/// lies ahead. Tests move it forward instead of sleeping, and nothing
/// depends on when they run.
pub const START: &str = "2031-03-03T08:50:00Z";

/// [`START`] as an instant.
pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(START).expect("START is RFC 3339").to_utc()
}

/// The secret every test app shares.
pub const SECRET: &str = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";

/// A figment for a test: `Rocket.toml`'s defaults plus `db_url`, a fresh
/// outbox in `dir`, then `overrides` (TOML text whose tables are under
/// `[default]`).
pub fn figment(dir: &std::path::Path, db_url: &str, overrides: &str) -> (Figment, PathBuf) {
    let outbox = dir.join("outbox");
    let figment = rocket::Config::figment()
        .merge(Serialized::default("secret_key", SECRET))
        .merge(Serialized::default("log_level", "off"))
        .merge(Serialized::default("databases.slotwise.url", db_url))
        .merge(Serialized::default("mail.outbox_dir", outbox.display().to_string()))
        // NOTE: a test posts a form the moment it got it; the tests of
        // `abuse.min_fill_secs` set it and move the clock.
        .merge(Serialized::default("abuse.min_fill_secs", 0));
    // NOTE: parts separated by a `---` line merge one after the other, so a
    // test can add to a shared base without redefining TOML tables.
    let figment = overrides.split("\n---\n").fold(figment, |f, part| f.merge(Toml::string(part).nested()));
    (figment, outbox)
}

/// A plain sqlx pool on `url` (not the app's `DbPool`: a test reads and
/// changes the database as an outsider would).
pub async fn sql(url: &str) -> sqlx::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new().max_connections(2).connect(url).await
}

/// A fresh, empty database on `db`: its URL, and for PostgreSQL the admin
/// URL and name to drop it with.
pub async fn fresh_database(db: &Backend, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match db {
        Backend::Sqlite | Backend::Redis(_) => (format!("sqlite://{}?mode=rwc", dir.join("test.db").display()), None),
        Backend::Postgres(admin_url) => {
            let name = format!("slotwise_test_{:016x}", rand::random::<u64>());
            let admin = sql(admin_url).await.expect("PostgreSQL at SLOTWISE_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create test database");
            admin.close().await;
            let (base, _) = admin_url.split('?').next().unwrap_or(admin_url).rsplit_once('/').expect("URL with a path");
            (format!("{base}/{name}"), Some((admin_url.clone(), name)))
        }
    }
}

/// Drops a test database, ending any connection still open to it.
pub fn drop_database(admin_url: &str, name: &str) {
    let (admin_url, owned) = (admin_url.to_string(), name.to_string());
    // NOTE: Drop cannot await, and the test's runtime may be shutting down:
    // a thread with its own small runtime does the work.
    let done = std::thread::spawn(move || {
        let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async {
            let admin = sql(&admin_url).await.ok()?;
            let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS {owned} WITH (FORCE)")).execute(&admin).await;
            admin.close().await;
            dropped.ok()
        })
    });
    if done.join().ok().flatten().is_none() {
        eprintln!("note: test database {name} was not dropped");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_database.take() {
            drop_database(&admin_url, &name);
        }
        if let Some(redis) = self.redis.take() {
            redis.clean_up();
        }
    }
}

impl TestApp {
    /// An app with Rocket.toml's configuration.
    pub async fn new(db: &Backend) -> TestApp {
        TestApp::with_config(db, "").await
    }

    /// An app with `overrides`, e.g. "[default.session]\nidle_timeout_secs = 1".
    pub async fn with_config(db: &Backend, overrides: &str) -> TestApp {
        TestApp::with_routes(db, overrides, vec![]).await
    }

    /// An app on the existing database `db_url` (the test drops it).
    pub async fn on_database(db_url: &str, overrides: &str) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        TestApp::launch(dir, (db_url.to_string(), None), None, overrides, vec![], start()).await
    }

    /// Like `with_config` but mounts extra routes under `/probe`.
    pub async fn with_routes(db: &Backend, overrides: &str, routes: Vec<rocket::Route>) -> TestApp {
        TestApp::with_clock_at(db, overrides, routes, start()).await
    }

    /// Like `with_routes`, with the app's clock standing at `at` from
    /// before launch: nothing the app does at liftoff (the first purge, the
    /// first sender turn) ever sees [`START`].
    pub async fn with_clock_at(
        db: &Backend,
        overrides: &str,
        routes: Vec<rocket::Route>,
        at: DateTime<Utc>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(db, dir.path()).await;
        let redis = match db {
            Backend::Redis(redis) => Some(redis.clone()),
            _ => None,
        };
        // The store's settings come first: a test's own `[default.session]`
        // merges into them.
        let overrides = match &redis {
            Some(redis) => format!("{}\n---\n{overrides}", redis.config()),
            None => overrides.to_string(),
        };
        TestApp::launch(dir, database, redis, &overrides, routes, at).await
    }

    /// The app on `database` (its URL, and what to drop at the end).
    async fn launch(
        dir: tempfile::TempDir,
        (db_url, drop_database): (String, Option<(String, String)>),
        redis: Option<super::redis::RedisSessions>,
        overrides: &str,
        routes: Vec<rocket::Route>,
        at: DateTime<Utc>,
    ) -> TestApp {
        let (figment, outbox) = figment(dir.path(), &db_url, overrides);
        let clock = Clock::starting_at(at);
        let rocket = slotwise::build_with(figment.clone(), clock.clone()).mount("/probe", routes);
        let client = Client::untracked(rocket).await.expect("app launches");
        TestApp { client, db_url, outbox, figment, clock, redis, drop_database, _dir: dir }
    }

    /// Wakes the app's outbox sender, as storing an email does (after the
    /// test moved the clock to when something is due).
    pub fn wake_sender(&self) {
        self.client.rocket().state::<slotwise::outbox::Wake>().expect("the outbox stage").now();
    }

    /// Wakes the app's webhooks sender, as storing a delivery does (after
    /// the test moved the clock to when a retry is due).
    pub fn wake_webhooks(&self) {
        self.client.rocket().state::<slotwise::webhooks::Nudge>().expect("the webhooks stage").now();
    }

    /// Whether this app runs on SQLite.
    pub fn on_sqlite(&self) -> bool {
        self.db_url.starts_with("sqlite:")
    }

    /// A new visitor with an empty cookie jar.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor::new(self)
    }

    /// A plain connection pool on the test database, for what a test reads
    /// or changes behind the app's back.
    pub async fn db(&self) -> AnyPool {
        sql(&self.db_url).await.expect("test database")
    }

    /// Number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let db = self.db().await;
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db).await.expect("count rows");
        db.close().await;
        n
    }
}
