//! Redis for the tests: where a test's sessions go when it runs on a Redis
//! store ([`RedisSessions`]: the server from `SLOTWISE_TEST_REDIS_URL`, a key
//! prefix and an ACL user of the test's own), what is stored under the
//! prefix, and a `redis-server` of a test's own ([`OwnRedis`]) that it can
//! stop and start again.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;

use super::process::{free_port, KillOnDrop};

/// The variable naming a Redis server for the tests.
pub const REDIS_URL_VAR: &str = "SLOTWISE_TEST_REDIS_URL";

/// One test's sessions in Redis.
#[derive(Debug, Clone)]
pub struct RedisSessions {
    /// The server, as the tests reach it (admin).
    pub admin_url: String,
    /// The server as the app reaches it: as the test's own ACL user, allowed
    /// only the keys under `prefix`.
    pub app_url: String,
    /// The test's own key prefix.
    pub prefix: String,
    /// The test's ACL user (none: the app connects as the test does).
    pub user: Option<String>,
    /// `cached_database` rather than `redis`.
    pub cached: bool,
}

impl RedisSessions {
    /// A fresh prefix and ACL user on the server at `admin_url`.
    pub async fn create(admin_url: &str, cached: bool) -> RedisSessions {
        let tag = format!("{:016x}", rand::random::<u64>());
        let (user, prefix) = (format!("slotwise_test_{tag}"), format!("slotwise:test:{tag}:"));
        let mut conn = connect(admin_url).await;
        redis::cmd("ACL")
            .arg(&["SETUSER", &user, "on", ">test", &format!("~{prefix}*"), "+@all"][..])
            .query_async::<()>(&mut conn)
            .await
            .expect("ACL SETUSER");
        let mut url = url::Url::parse(admin_url).expect("a redis:// URL");
        url.set_username(&user).and_then(|_| url.set_password(Some("test"))).expect("URL with credentials");
        RedisSessions { admin_url: admin_url.to_string(), app_url: url.to_string(), prefix, user: Some(user), cached }
    }

    /// A fresh prefix on the server at `url`, without a user of its own (for
    /// a server that may lose its users, e.g. [`OwnRedis`] restarted).
    pub fn plain(url: &str, cached: bool) -> RedisSessions {
        let prefix = format!("slotwise:test:{:016x}:", rand::random::<u64>());
        RedisSessions { admin_url: url.to_string(), app_url: url.to_string(), prefix, user: None, cached }
    }

    /// `[default.session]` for an app on this store.
    pub fn config(&self) -> String {
        let store = if self.cached { "cached_database" } else { "redis" };
        format!(
            "[default.session]\nstore = \"{store}\"\nredis_url = \"{}\"\nredis_prefix = \"{}\"",
            self.app_url, self.prefix
        )
    }

    /// `ROCKET_SESSION` for a `slotwise` process on this store.
    pub fn env(&self) -> String {
        let store = if self.cached { "cached_database" } else { "redis" };
        format!("{{store=\"{store}\",redis_url=\"{}\",redis_prefix=\"{}\"}}", self.app_url, self.prefix)
    }

    /// The session hashes stored under the prefix (the names without it).
    pub async fn hashes(&self) -> Vec<String> {
        keys(&self.admin_url, &self.prefix).await.iter().map(|k| k[self.prefix.len()..].to_string()).collect()
    }

    /// Every field of the session stored under `hash`.
    pub async fn fields(&self, hash: &str) -> HashMap<String, String> {
        let mut conn = connect(&self.admin_url).await;
        let key = format!("{}{hash}", self.prefix);
        redis::cmd("HGETALL").arg(key).query_async(&mut conn).await.expect("HGETALL")
    }

    /// Sets one field of the session stored under `hash`.
    pub async fn set_field(&self, hash: &str, field: &str, value: &str) {
        let mut conn = connect(&self.admin_url).await;
        let key = format!("{}{hash}", self.prefix);
        redis::cmd("HSET").arg(key).arg(field).arg(value).query_async::<()>(&mut conn).await.expect("HSET");
    }

    /// Deletes every key under the prefix.
    pub async fn clear(&self) {
        let mut conn = connect(&self.admin_url).await;
        for key in keys(&self.admin_url, &self.prefix).await {
            redis::cmd("DEL").arg(key).query_async::<()>(&mut conn).await.expect("DEL");
        }
    }

    /// From now on the app may not run scripts: every session write fails,
    /// reads still work.
    pub async fn refuse_writes(&self) {
        let user = self.user.as_deref().expect("an ACL user of the test's own");
        let mut conn = connect(&self.admin_url).await;
        redis::cmd("ACL")
            .arg(&["SETUSER", user, "-eval", "-evalsha"][..])
            .query_async::<()>(&mut conn)
            .await
            .expect("ACL SETUSER");
    }

    /// Deletes the keys and the ACL user; for `Drop`, so on its own runtime.
    pub fn clean_up(&self) {
        let this = self.clone();
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                this.clear().await;
                let Some(user) = &this.user else { return Some(()) };
                let mut conn = connect(&this.admin_url).await;
                redis::cmd("ACL").arg(&["DELUSER", user][..]).query_async::<()>(&mut conn).await.ok()
            })
        });
        if done.join().ok().flatten().is_none() {
            eprintln!("note: Redis keys under {} were not removed", self.prefix);
        }
    }
}

/// A connection to the server at `url`.
pub async fn connect(url: &str) -> MultiplexedConnection {
    let client = redis::Client::open(url).expect("a redis:// URL");
    client.get_multiplexed_async_connection().await.expect("Redis at SLOTWISE_TEST_REDIS_URL")
}

/// Every key that starts with `prefix` (which holds no glob characters).
pub async fn keys(url: &str, prefix: &str) -> Vec<String> {
    let mut conn = connect(url).await;
    let (mut cursor, mut all) = (0u64, Vec::new());
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .expect("SCAN");
        all.extend(keys);
        if next == 0 {
            return all;
        }
        cursor = next;
    }
}

/// A `redis-server` of one test's own, on a free port, without persistence:
/// stopped, it loses everything, as a restarted cache does.
pub struct OwnRedis {
    /// The port it listens on (the same after a restart).
    pub port: u16,
    server: Option<KillOnDrop>,
}

impl OwnRedis {
    /// One on a free port, not started yet.
    pub fn new() -> Option<OwnRedis> {
        Some(OwnRedis { port: free_port().ok()?, server: None })
    }

    /// Starts one, or `None` when there is no `redis-server` here.
    pub fn start() -> Option<OwnRedis> {
        let mut own = OwnRedis::new()?;
        own.restart().then_some(own)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (by its PID) and waits for it to go.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill();
        }
    }

    /// Starts it again on the same port; whether it answers within 10 s.
    pub fn restart(&mut self) -> bool {
        self.stop();
        let spawned = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = spawned else { return false };
        self.server = Some(KillOnDrop(child));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            // NOTE: waits for a real process or socket; the app's clock is not involved.
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// Whether `redis-server` is on the `PATH`.
pub fn have_redis_server() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| Path::new(&d).join("redis-server").is_file()))
}
