//! The crate's test kit: a Rocket app with probe routes on one store of a
//! test's own (an SQLite file, a table of its own on the PostgreSQL server
//! of `SLOTWISE_TEST_POSTGRES_URL`, or a key prefix of its own on the Redis
//! server of `SLOTWISE_TEST_REDIS_URL`), a clock the test moves, and
//! visitors that keep their cookie like a browser.

#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rocket::figment::Figment;
use rocket::http::{ContentType, Cookie, Header, RawStr, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{Build, Rocket, Route};
use rocket_db_session::Sessions;
use sqlx::AnyPool;

/// Where a test's sessions live.
#[derive(Debug, Clone)]
pub enum Store {
    /// `store = "database"` on a fresh SQLite file.
    Sqlite,
    /// `store = "database"` on the PostgreSQL server at this URL.
    Postgres(String),
    /// `store = "redis"` (or `"cached_database"` on a fresh SQLite file).
    Redis { url: String, cached: bool },
}

/// The variables naming the servers.
pub const POSTGRES_URL_VAR: &str = "SLOTWISE_TEST_POSTGRES_URL";
pub const REDIS_URL_VAR: &str = "SLOTWISE_TEST_REDIS_URL";

/// The server at `var`, or `None` after saying that `test` is skipped (a
/// failure under `CI=true`, where every test must run).
pub fn server(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED: {test} ({var} is unset)");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{test} skipped under CI: set {var}");
            None
        }
    }
}

/// A name no other test of this run uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}_{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    nanos % 1_000_000
}

/// A start time for the tests' clocks (unix ms).
pub const START: i64 = 1_900_000_000_000;

/// One app under test.
pub struct App {
    pub client: Client,
    pub clock: Arc<AtomicI64>,
    pub store: Store,
    pub table: String,
    pub prefix: String,
    pub db_url: Option<String>,
    pub dir: tempfile::TempDir,
}

impl App {
    /// The app on `store` with probe `routes`, the session settings
    /// `settings` (pairs under `session.`) over the test's own.
    pub async fn new(store: &Store, routes: Vec<Route>, settings: &[(&str, toml_value::V)]) -> App {
        let dir = tempfile::tempdir().unwrap();
        let table = unique("sessions_t");
        let prefix = format!("{}:", unique("rds"));
        let db_url = match store {
            Store::Sqlite | Store::Redis { cached: true, .. } => {
                Some(format!("sqlite://{}?mode=rwc", dir.path().join("sessions.db").display()))
            }
            Store::Postgres(url) => Some(url.clone()),
            Store::Redis { cached: false, .. } => None,
        };
        let kind = match store {
            Store::Sqlite | Store::Postgres(_) => "database",
            Store::Redis { cached: false, .. } => "redis",
            Store::Redis { cached: true, .. } => "cached_database",
        };
        let mut figment = Figment::from(rocket::Config::debug_default())
            .merge(("log_level", "off"))
            .merge(("session.store", kind))
            .merge(("session.table", &table))
            .merge(("session.redis_prefix", &prefix));
        if let Some(url) = &db_url {
            figment = figment.merge(("session.database_url", url));
        }
        if let Store::Redis { url, .. } = store {
            figment = figment.merge(("session.redis_url", url));
        }
        for (key, value) in settings {
            figment = value.merge_into(figment, &format!("session.{key}"));
        }
        let clock = Arc::new(AtomicI64::new(START));
        let now = clock.clone();
        let rocket = rocket::custom(figment)
            .mount("/probe", routes)
            .attach(Sessions::fairing().clock(move || now.load(Ordering::SeqCst)));
        let client = Client::untracked(rocket).await.expect("the app launches");
        App { client, clock, store: store.clone(), table, prefix, db_url, dir }
    }

    /// A visitor without a cookie.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor { app: self, cookie: Mutex::new(None) }
    }

    /// Moves the clock forward `secs` seconds.
    pub fn pass(&self, secs: i64) {
        self.clock.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    /// A pool on the database (database stores only).
    pub async fn db(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(self.db_url.as_deref().expect("a database store")).await.unwrap()
    }

    fn in_redis(&self) -> bool {
        matches!(self.store, Store::Redis { cached: false, .. })
    }

    /// The storage keys of the stored sessions.
    pub async fn hashes(&self) -> Vec<String> {
        if self.in_redis() {
            let keys: Vec<String> = self.redis(redis::cmd("KEYS").arg(format!("{}*", self.prefix))).await;
            return keys.into_iter().map(|k| k[self.prefix.len()..].to_string()).collect();
        }
        let db = self.db().await;
        let sql = format!("SELECT id_hash FROM {}", self.table);
        let rows = sqlx::query_scalar(&sql).fetch_all(&db).await.unwrap();
        db.close().await;
        rows
    }

    /// How many sessions are stored.
    pub async fn count(&self) -> usize {
        self.hashes().await.len()
    }

    /// Everything stored, as text.
    pub async fn stored_text(&self) -> String {
        if self.in_redis() {
            let mut all = String::new();
            for hash in self.hashes().await {
                let key = format!("{}{hash}", self.prefix);
                let fields: Vec<String> = self.redis(redis::cmd("HGETALL").arg(&key)).await;
                all.push_str(&fields.join("\n"));
            }
            return all;
        }
        let db = self.db().await;
        let sql = format!("SELECT data FROM {}", self.table);
        let rows: Vec<String> = sqlx::query_scalar(&sql).fetch_all(&db).await.unwrap();
        db.close().await;
        rows.join("\n")
    }

    /// The write count of the one stored session.
    pub async fn version(&self) -> i64 {
        let hashes = self.hashes().await;
        assert_eq!(hashes.len(), 1, "one session");
        if self.in_redis() {
            let key = format!("{}{}", self.prefix, hashes[0]);
            let ver: String = self.redis(redis::cmd("HGET").arg(&key).arg("\0ver")).await;
            return ver.parse().unwrap();
        }
        let db = self.db().await;
        let version = sqlx::query_scalar(&format!("SELECT version FROM {}", self.table)).fetch_one(&db).await.unwrap();
        db.close().await;
        version
    }

    /// Forgets every stored session, as if the store had lost them.
    pub async fn forget(&self) {
        for hash in self.hashes().await {
            let key = format!("{}{hash}", self.prefix);
            if matches!(self.store, Store::Redis { .. }) {
                let _: i64 = self.redis(redis::cmd("DEL").arg(&key)).await;
            }
        }
        if !self.in_redis() {
            let db = self.db().await;
            sqlx::query(&format!("DELETE FROM {}", self.table)).execute(&db).await.unwrap();
            db.close().await;
        }
    }

    /// Runs one Redis command.
    async fn redis<T: redis::FromRedisValue>(&self, command: &mut redis::Cmd) -> T {
        let url = std::env::var(REDIS_URL_VAR).expect("a Redis test");
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        command.query_async(&mut conn).await.unwrap()
    }

    /// Removes what the test left on the servers.
    pub async fn clean(self) {
        if let Store::Postgres(_) = self.store {
            let db = self.db().await;
            for table in [self.table.clone(), format!("{}_schema", self.table)] {
                sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(&db).await.unwrap();
            }
            db.close().await;
        }
        if let Store::Redis { .. } = self.store {
            for hash in self.hashes().await {
                let key = format!("{}{hash}", self.prefix);
                let _: i64 = self.redis(redis::cmd("DEL").arg(&key)).await;
            }
        }
    }
}

/// A visitor: one cookie, kept like a browser keeps it.
pub struct Visitor<'a> {
    app: &'a App,
    cookie: Mutex<Option<String>>,
}

/// What a request answered.
pub struct Answer {
    pub status: Status,
    pub body: String,
    pub set_cookies: Vec<String>,
}

impl Visitor<'_> {
    /// `GET uri`.
    pub async fn get(&self, uri: &str) -> Answer {
        let mut request = self.app.client.get(uri.to_string());
        if let Some(cookie) = self.cookie() {
            // NOTE: the local client reads cookies from its own list, not
            // from a `Cookie` header added by hand; the value as the
            // browser would send it, percent-decoded as Rocket would.
            let value = RawStr::new(&cookie).percent_decode_lossy().into_owned();
            request = request.cookie(Cookie::new(self.cookie_name(), value));
        }
        self.keep(request.dispatch().await).await
    }

    /// `POST uri` with a form body and extra headers.
    pub async fn post(&self, uri: &str, body: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.app.client.post(uri.to_string()).header(ContentType::Form).body(body);
        if let Some(cookie) = self.cookie() {
            // NOTE: the local client reads cookies from its own list, not
            // from a `Cookie` header added by hand; the value as the
            // browser would send it, percent-decoded as Rocket would.
            let value = RawStr::new(&cookie).percent_decode_lossy().into_owned();
            request = request.cookie(Cookie::new(self.cookie_name(), value));
        }
        for (name, value) in headers {
            request = request.header(Header::new(name.to_string(), value.to_string()));
        }
        self.keep(request.dispatch().await).await
    }

    /// The cookie's value, as the browser holds it.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// Sets (or with `None` removes) the cookie by hand.
    pub fn set_cookie(&self, value: Option<&str>) {
        *self.cookie.lock().unwrap() = value.map(str::to_string);
    }

    fn cookie_name(&self) -> String {
        let figment = self.app.client.rocket().figment();
        figment.extract_inner::<String>("session.cookie_name").unwrap_or_else(|_| "session".into())
    }

    async fn keep(&self, response: LocalResponse<'_>) -> Answer {
        let name = format!("{}=", self.cookie_name());
        let set_cookies: Vec<String> = response.headers().get("Set-Cookie").map(str::to_string).collect();
        for set in &set_cookies {
            if let Some(rest) = set.strip_prefix(&name) {
                let value = rest.split(';').next().unwrap_or_default();
                let removed = value.is_empty() || set.contains("Max-Age=0");
                self.set_cookie((!removed).then_some(value));
            }
        }
        let status = response.status();
        let body = response.into_string().await.unwrap_or_default();
        Answer { status, body, set_cookies }
    }
}

/// Settings values for [`App::new`].
pub mod toml_value {
    use rocket::figment::Figment;

    /// A setting's value.
    pub enum V {
        Int(i64),
        Bool(bool),
        Text(&'static str),
    }

    impl V {
        pub fn merge_into(&self, figment: Figment, key: &str) -> Figment {
            match self {
                V::Int(n) => figment.merge((key, *n)),
                V::Bool(b) => figment.merge((key, *b)),
                V::Text(t) => figment.merge((key, *t)),
            }
        }
    }
}

/// The app's own build, for tests that need more than [`App`].
pub fn rocket_on(figment: Figment, routes: Vec<Route>) -> Rocket<Build> {
    rocket::custom(figment).mount("/probe", routes).attach(Sessions::fairing())
}

/// Runs each `async fn name(store: Store)` on every store: `sqlite::name`,
/// `postgres::name`, `redis::name` and `cached_database::name` (each of the
/// last three skipped when its server is not named).
#[macro_export]
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[rocket::async_test] async fn $name() { super::$name($crate::support::Store::Sqlite).await } )*
        }
        mod postgres {
            $( #[rocket::async_test] async fn $name() {
                if let Some(url) = $crate::support::server($crate::support::POSTGRES_URL_VAR, stringify!($name)) {
                    super::$name($crate::support::Store::Postgres(url)).await
                }
            } )*
        }
        mod redis {
            $( #[rocket::async_test] async fn $name() {
                if let Some(url) = $crate::support::server($crate::support::REDIS_URL_VAR, stringify!($name)) {
                    super::$name($crate::support::Store::Redis { url, cached: false }).await
                }
            } )*
        }
        mod cached_database {
            $( #[rocket::async_test] async fn $name() {
                if let Some(url) = $crate::support::server($crate::support::REDIS_URL_VAR, stringify!($name)) {
                    super::$name($crate::support::Store::Redis { url, cached: true }).await
                }
            } )*
        }
    };
}
