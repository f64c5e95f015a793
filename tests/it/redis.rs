//! Sessions in Redis beyond one app: two real `slotwise` processes sharing
//! them, a Redis server stopped and started again under a running app, and
//! `cached_database` never serving an old copy after Redis returns.
//!
//! The first test needs `SLOTWISE_TEST_REDIS_URL`; the others start a
//! `redis-server` of their own. Without them, they say so (`SKIPPED:`).

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use slotwise::session::Session;
use support::process::{Launch, Process};
use support::redis::{have_redis_server, OwnRedis, RedisSessions, REDIS_URL_VAR};
use support::{field_value, form, skip, Backend, Jar, TestApp};

#[get("/get/<key>")]
fn read(session: Session<'_>, key: &str) -> Option<String> {
    session.get::<String>(key)
}

#[get("/set/<key>/<value>")]
fn set(session: Session<'_>, key: &str, value: &str) -> &'static str {
    session.insert(key, &value).unwrap();
    "ok"
}

fn probes() -> Vec<rocket::Route> {
    routes![read, set]
}

/// A `redis-server` of the test's own, or `None` after a loud skip.
fn own_redis(test: &str) -> Option<OwnRedis> {
    let own = have_redis_server().then(OwnRedis::start).flatten();
    if own.is_none() {
        skip::skip(test, "no redis-server could be started", "install redis-server (apt-get install redis-server)");
    }
    own
}

/// Starts `slotwise` on its own SQLite file in `dir`, its sessions in `redis`.
fn instance(redis: &RedisSessions, dir: &Path, name: &str) -> Process {
    let db = format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.db")).display());
    Launch::new(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR))
        .expect("a free port")
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{db}\"}}}}"))
        .env("ROCKET_SESSION", redis.env())
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// GETs the landing page on `on` and POSTs `pairs` with its token to `path`
/// on `to`; the status.
fn submit(agent: &ureq::Agent, jar: &Jar, on: &Process, to: &Process, path: &str, pairs: &[(&str, &str)]) -> u16 {
    let token = field_value(&landing(agent, jar, on), "csrf_token").expect("a csrf_token");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(pairs);
    let request = jar.send(agent.post(&format!("{}{path}", to.base())));
    let sent = request.set("Content-Type", "application/x-www-form-urlencoded").send_string(&form(&all));
    let response = match sent {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST {path}: {e}"),
    };
    jar.keep_all(&response);
    response.status()
}

/// The landing page on `on`.
fn landing(agent: &ureq::Agent, jar: &Jar, on: &Process) -> String {
    let page = jar.send(agent.get(&format!("{}/", on.base()))).call().expect("GET /");
    jar.keep_all(&page);
    page.into_string().unwrap()
}

#[test]
fn two_processes_share_sessions_through_redis() {
    let test = "redis::two_processes_share_sessions_through_redis";
    let Some(url) = std::env::var(REDIS_URL_VAR).ok().filter(|u| !u.is_empty()) else {
        return skip::skip(test, &format!("{REDIS_URL_VAR} is unset"), "set it, e.g. redis://127.0.0.1:6379");
    };
    let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let redis = Cleanup(runtime.block_on(RedisSessions::create(&url, false)));
    let redis = &redis.0;
    let dir = tempfile::tempdir().unwrap();
    // Each process has a database of its own: what they share is Redis.
    let (a, b) = (instance(redis, dir.path(), "a"), instance(redis, dir.path(), "b"));
    let (agent, jar) = (ureq::AgentBuilder::new().redirects(0).build(), Jar::new());

    // A token from A's page creates the session on B; A sees the choice.
    assert_eq!(submit(&agent, &jar, &a, &b, "/prefs", &[("lang", "de"), ("next", "/")]), 303);
    assert!(landing(&agent, &jar, &a).contains("<html lang=\"de\""));
    // A change on B is seen on A, and the language chosen on A stays.
    assert_eq!(submit(&agent, &jar, &b, &b, "/prefs", &[("theme", "dark"), ("next", "/")]), 303);
    assert!(landing(&agent, &jar, &a).contains("<html lang=\"de\" data-theme=\"dark\""));
    let stored = runtime.block_on(redis.hashes());
    assert_eq!(stored.len(), 1, "one session, in Redis");
}

/// Removes a test's keys and user when it ends, even by a panic.
struct Cleanup(RedisSessions);

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.clean_up();
    }
}

#[test]
fn an_unreachable_redis_at_launch_does_not_stop_the_app() {
    let test = "redis::an_unreachable_redis_at_launch_does_not_stop_the_app";
    let Some(mut own) = have_redis_server().then(OwnRedis::new).flatten() else {
        return skip::skip(test, "no redis-server here", "install redis-server (apt-get install redis-server)");
    };
    let dir = tempfile::tempdir().unwrap();
    let port = support::process::free_port().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    let child = std::process::Command::new(support::SLOTWISE_BIN)
        .current_dir(support::MANIFEST_DIR)
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{db}\"}}}}"))
        .env("ROCKET_SESSION", format!("{{store=\"redis\",redis_url=\"{}\"}}", own.url()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut app = support::process::KillOnDrop(child);
    let healthz = || match ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => Some(r.status()),
        Err(_) => None,
    };
    let mut until = |status: u16| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while healthz() != Some(status) {
            assert!(app.0.try_wait().unwrap().is_none(), "slotwise exited");
            assert!(Instant::now() < deadline, "/healthz never answered {status}");
            // NOTE: waits for a real process or socket; the app's clock is not involved.
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until(503);
    // Redis starts: the app answers without a restart.
    assert!(own.restart(), "redis-server starts");
    until(200);
    app.kill();
}

#[rocket::async_test]
async fn redis_stopped_and_restarted_under_a_running_app() {
    let Some(mut own) = own_redis("redis::redis_stopped_and_restarted_under_a_running_app") else { return };
    let app = TestApp::with_routes(&Backend::Redis(RedisSessions::plain(&own.url(), false)), "", probes()).await;
    let visitor = app.visitor();
    assert_eq!(visitor.get("/probe/set/k/v").await.status, Status::Ok);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v");

    own.stop();
    for uri in ["/probe/get/k", "/probe/set/k/w", "/healthz"] {
        let started = Instant::now();
        let page = visitor.get(uri).await;
        assert_eq!(page.status, Status::ServiceUnavailable, "{uri} with Redis down");
        assert!(started.elapsed() < Duration::from_millis(1500), "{uri} took {:?}", started.elapsed());
        if uri != "/healthz" {
            assert!(page.body.contains("<html lang=\"en\""), "the app's own 503 page: {}", page.body);
        }
    }

    // Back (empty: it kept nothing): the same app recovers by itself.
    assert!(own.restart(), "redis-server restarts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while visitor.get("/healthz").await.status != Status::Ok {
        assert!(Instant::now() < deadline, "/healthz still not 200 10 s after Redis returned");
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(visitor.get("/probe/get/k").await.status, Status::NotFound, "the lost session is absent, not an error");
    assert_eq!(visitor.get("/probe/set/k/w").await.status, Status::Ok);
    assert_eq!(visitor.get("/probe/get/k").await.body, "w");
}

#[rocket::async_test]
async fn cached_database_serves_while_redis_is_down_and_never_an_old_copy_after() {
    let test = "redis::cached_database_serves_while_redis_is_down_and_never_an_old_copy_after";
    let Some(mut own) = own_redis(test) else { return };
    let redis = RedisSessions::plain(&own.url(), true);
    let a = TestApp::with_routes(&Backend::Redis(redis.clone()), "", probes()).await;
    let visitor = a.visitor();
    visitor.get("/probe/set/k/v1").await;
    let hash = a.session_hashes().await.pop().expect("a session");
    let old_copy = redis.fields(&hash).await;
    assert_eq!(old_copy.get("k").map(String::as_str), Some("\"v1\""), "written through to Redis");

    // Redis down (for instance A): sessions are served from the database.
    own.stop();
    let started = Instant::now();
    assert_eq!(visitor.get("/probe/set/k/v2").await.status, Status::Ok);
    assert_eq!(visitor.get("/probe/get/k").await.body, "v2");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    let health = visitor.get("/healthz").await.status;
    assert_eq!(health, Status::ServiceUnavailable, "an unreachable Redis shows in /healthz");

    // Redis returns holding the old copy (as after a partition, or a
    // restart from a snapshot); instance B must not serve it.
    assert!(own.restart(), "redis-server restarts");
    for (field, value) in &old_copy {
        redis.set_field(&hash, field, value).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while visitor.get("/healthz").await.status != Status::Ok {
        assert!(Instant::now() < deadline, "/healthz still not 200 10 s after Redis returned");
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = Client::untracked(slotwise::build_with(a.figment.clone(), a.clock.clone()).mount("/probe", probes()))
        .await
        .unwrap();
    let cookie = support::dec(&visitor.session_cookie().unwrap());
    let read = b.get("/probe/get/k").cookie(Cookie::new("slotwise_session", cookie.clone())).dispatch().await;
    assert_eq!(read.into_string().await.as_deref(), Some("v2"), "B served the old copy");
    assert_eq!(visitor.get("/probe/get/k").await.body, "v2", "A served the old copy");

    // The read refilled the copy; a current copy is what reads serve (here
    // altered behind the app's back to show it).
    assert_eq!(redis.fields(&hash).await.get("k").map(String::as_str), Some("\"v2\""), "refilled");
    redis.set_field(&hash, "k", "\"from the copy\"").await;
    let read = b.get("/probe/get/k").cookie(Cookie::new("slotwise_session", cookie)).dispatch().await;
    assert_eq!(read.into_string().await.as_deref(), Some("from the copy"));
}

#[rocket::async_test]
async fn clear_sessions_leaves_what_is_not_a_session_alone() {
    let test = "redis::clear_sessions_leaves_what_is_not_a_session_alone";
    let Some(db) = Backend::redis(test, false).await else { return };
    // NOTE: as in session.rs: the app's clock stands behind the system's (the
    // command's) from before launch, so the app's own purge cannot take the
    // session first.
    let now = chrono::Utc::now();
    let app = TestApp::with_clock_at(&db, "", probes(), now - chrono::Duration::minutes(10)).await;
    let redis = app.redis.clone().unwrap();
    app.visitor().get("/probe/set/k/v").await;
    app.backdate_sessions_to((now - chrono::Duration::minutes(5)).timestamp_millis()).await;
    let mut conn = support::redis::connect(&redis.admin_url).await;
    let (string, hash) = (format!("{}not-a-hash", redis.prefix), format!("{}no-deadline", redis.prefix));
    redis::cmd("SET").arg(&string).arg("x").query_async::<()>(&mut conn).await.unwrap();
    redis::cmd("HSET").arg(&hash).arg("a").arg("1").query_async::<()>(&mut conn).await.unwrap();
    let output = std::process::Command::new(support::SLOTWISE_BIN)
        .current_dir(support::MANIFEST_DIR)
        .arg("clear-sessions")
        .envs(app.cli_env())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "removed 1 expired session");
    let mut left = redis.hashes().await;
    left.sort();
    assert_eq!(left, ["no-deadline", "not-a-hash"]);
}
