//! A Slotwise app per test: its own figment, a fresh database (a SQLite file
//! in a temporary folder, or a new PostgreSQL database dropped at the end)
//! and its own outbox, served by Rocket's local client.

use std::path::PathBuf;

use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::figment::Figment;
use rocket::local::asynchronous::Client;
use slotwise::db::{self, DbPool};

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
        .merge(Serialized::default("mail.outbox_dir", outbox.display().to_string()));
    // NOTE: parts separated by a `---` line merge one after the other, so a
    // test can add to a shared base without redefining TOML tables.
    let figment = overrides.split("\n---\n").fold(figment, |f, part| f.merge(Toml::string(part).nested()));
    (figment, outbox)
}

/// A fresh, empty database on `db`: its URL, and for PostgreSQL the admin
/// URL and name to drop it with.
pub async fn fresh_database(db: &Backend, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match db {
        Backend::Sqlite | Backend::Redis(_) => (format!("sqlite://{}?mode=rwc", dir.join("test.db").display()), None),
        Backend::Postgres(admin_url) => {
            let name = format!("slotwise_test_{:016x}", rand::random::<u64>());
            let admin = db::connect(admin_url, 1, 10).await.expect("PostgreSQL at SLOTWISE_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin.pool).await.expect("create test database");
            admin.pool.close().await;
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
            let admin = db::connect(&admin_url, 1, 10).await.ok()?;
            let dropped =
                sqlx::query(&format!("DROP DATABASE IF EXISTS {owned} WITH (FORCE)")).execute(&admin.pool).await;
            admin.pool.close().await;
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

    /// Like `with_config` but mounts extra routes under `/probe`.
    pub async fn with_routes(db: &Backend, overrides: &str, routes: Vec<rocket::Route>) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db_url, drop_database) = fresh_database(db, dir.path()).await;
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
        let (figment, outbox) = figment(dir.path(), &db_url, &overrides);
        let rocket = slotwise::build(figment.clone()).mount("/probe", routes);
        let client = Client::untracked(rocket).await.expect("app launches");
        TestApp { client, db_url, outbox, figment, redis, drop_database, _dir: dir }
    }

    /// Whether this app runs on SQLite.
    pub fn on_sqlite(&self) -> bool {
        self.db_url.starts_with("sqlite:")
    }

    /// A new visitor with an empty cookie jar.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor::new(self)
    }

    /// A direct connection to the test database.
    pub async fn db(&self) -> DbPool {
        db::connect(&self.db_url, 2, 5).await.expect("test database")
    }

    /// Number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let db = self.db().await;
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db.pool).await.expect("count rows");
        db.pool.close().await;
        n
    }
}
