//! Webhooks through real `slotwise` processes (two instances on one
//! PostgreSQL database; `SIGKILL` with deliveries pending, then a restart)
//! and the Python receiver of docs/webhooks.md verifying a real delivery.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use slotwise::clock::Clock;
use slotwise::config::{Event, Settings};
use slotwise::secrets::Secrets;
use slotwise::webhooks::{self, Hooks, Nudge, Snapshot};
use support::receiver::{Answer, Receiver};
use support::{Backend, TestApp};

use crate::webhooks::{book, config, hook, SECRET_A};

/// A real `slotwise` process on `db_url` POSTing its webhooks to `url`.
fn process(db_url: &str, url: &str, log: std::path::PathBuf) -> support::process::Process {
    support::process::Launch::new(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR))
        .expect("a free port")
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{db_url}\"}}}}"))
        .env("ROCKET_MAIL", "{transport=\"log\",retry_secs=1,reminders_minutes=[]}")
        .env("ROCKET_WEBHOOKS", format!("[{{url=\"{url}\",secret=\"{SECRET_A}\"}}]"))
        .log_to(log)
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Stores `n` `booking.created` deliveries to `url` in one transaction, as
/// the booking service would (sealed under the shared secret); returns
/// their event ids.
async fn store_deliveries(db_url: &str, dir: &Path, url: &str, n: usize) -> Vec<String> {
    let (figment, _) = support::figment(dir, db_url, &hook(url, SECRET_A, None));
    let settings = Settings::from_figment(&figment).expect("settings");
    let secrets = Secrets::from_figment(&figment).expect("secrets");
    let (clock, nudge) = (Clock::system(), Nudge::default());
    let hooks = Hooks::new(&settings, &secrets, &clock, &nudge);
    let pool = support::app::sql(db_url).await.expect("the test database");
    let mut tx = pool.begin().await.expect("a transaction");
    let mut ids = Vec::new();
    for i in 0..n {
        let reference = format!("REF{i:04}");
        let booking = Snapshot {
            reference: &reference,
            service: "consultation",
            starts_at: clock.now(),
            ends_at: clock.now() + chrono::Duration::minutes(30),
            cancelled: false,
            practitioner: None,
            contact: ["Kim", "kim@example.test", "", ""],
        };
        let prepared = hooks.about(Event::Created, &booking);
        webhooks::keep(&mut tx, &prepared, clock.now_ms()).await.expect("stored");
        ids.push(reference);
    }
    tx.commit().await.expect("the deliveries stored");
    pool.close().await;
    ids
}

/// The references of the `200`-answered deliveries, with how often each came.
fn accepted(receiver: &Receiver) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for r in receiver.received().iter().filter(|r| r.answer == Answer::Status(200)) {
        let reference = r.body.split("\"reference\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
        *seen.entry(reference.to_string()).or_insert(0) += 1;
    }
    seen
}

/// Two instances on one PostgreSQL database and 30 stored deliveries: each
/// is delivered once, by one of them.
#[test]
fn two_instances_deliver_each_event_once() {
    let Some(db) = Backend::postgres("webhooks_real::two_instances_deliver_each_event_once") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (db_url, drop) = runtime.block_on(support::fresh_database(&db, dir.path()));
    let receiver = Receiver::start();
    let url = receiver.url("/hook");
    let instances =
        [process(&db_url, &url, dir.path().join("a.log")), process(&db_url, &url, dir.path().join("b.log"))];
    let references = runtime.block_on(store_deliveries(&db_url, dir.path(), &url, 30));
    receiver.wait_for_blocking(30, Duration::from_secs(30));
    // NOTE: waits for real processes: a second delivery would come now.
    std::thread::sleep(Duration::from_secs(2));
    let seen = accepted(&receiver);
    assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), references, "every event arrived");
    assert!(seen.values().all(|n| *n == 1), "each exactly once: {seen:?}");
    assert_eq!(receiver.received().len(), 30);
    std::mem::drop(instances);
    if let Some((admin, name)) = drop {
        support::drop_database(&admin, &name);
    }
}

/// `SIGKILL` while the receiver refuses: after a restart every pending
/// delivery arrives; none is lost, and any repeat carries the same id.
async fn sigkill_with_deliveries_pending_then_restart_delivers_each(db: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db_url, drop) = support::fresh_database(&db, dir.path()).await;
    let receiver = Receiver::start();
    receiver.script(&[Answer::Status(500); 1000]);
    let url = receiver.url("/hook");
    let mut first = process(&db_url, &url, dir.path().join("first.log"));
    let references = store_deliveries(&db_url, dir.path(), &url, 10).await;
    // NOTE: waits for the real process's sender to try (and fail) a few.
    receiver.wait_for(3, Duration::from_secs(20)).await;
    first.stop();
    receiver.clear_script();
    assert!(accepted(&receiver).is_empty(), "nothing accepted before the kill");
    let _second = process(&db_url, &url, dir.path().join("second.log"));
    // NOTE: a delivery claimed when the kill came waits out its 30 s lease.
    let deadline = Instant::now() + Duration::from_secs(50);
    while accepted(&receiver).len() < references.len() && Instant::now() < deadline {
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = accepted(&receiver);
    assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), references, "each delivered after the restart");
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for r in receiver.received() {
        let id = r.header("slotwise-event-id").unwrap_or_default().to_string();
        let reference = r.body.split("\"reference\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
        let known = ids.entry(reference.to_string()).or_insert_with(|| id.clone());
        assert_eq!(*known, id, "every attempt at one event carries its id");
    }
    if let Some((admin, name)) = drop {
        support::drop_database(&admin, &name);
    }
}

/// The receiver of docs/webhooks.md, run as written: it verifies a real
/// delivery's signature (and answers 204), and refuses a forged one (401).
async fn the_readme_receiver_verifies_a_real_delivery(db: Backend) {
    let readme =
        std::fs::read_to_string(Path::new(support::MANIFEST_DIR).join("docs/webhooks.md")).expect("docs/webhooks.md");
    let section = readme.as_str();
    let script = section.split("```python\n").nth(1).and_then(|s| s.split("\n```").next()).expect("a python block");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("receiver.py");
    std::fs::write(&path, script).expect("the script written");
    let port = support::process::free_port().expect("a port");
    let secret = "readme-receiver-secret-0123";
    let child = std::process::Command::new("python3")
        .arg(&path)
        .env("SLOTWISE_WEBHOOK_SECRET", secret)
        .env("PORT", port.to_string())
        // Every line as printed: the process is killed, not ended.
        .env("PYTHONUNBUFFERED", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut python = support::process::KillOnDrop(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the receiver never listened");
        // NOTE: waits for a real process's socket.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The receiver rejects stale timestamps: the app's clock reads the real
    // time here, from before launch (the sender's first turn never sees START).
    let hooks = config(&hook(&format!("{base}/slotwise"), secret, None), "");
    let app = TestApp::with_clock_at(&db, &hooks, vec![], chrono::Utc::now()).await;
    book(&app, &app.visitor(), "ann@example.test").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count("webhook_deliveries WHERE status = 'sent'").await == 0 {
        assert!(Instant::now() < deadline, "never delivered");
        // NOTE: waits for the app's sender and the receiver, real sockets.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let db_pool = app.db().await;
    let id: String = sqlx::query_scalar("SELECT event_id FROM webhook_deliveries").fetch_one(&db_pool).await.unwrap();
    db_pool.close().await;
    let forged = ureq::post(&format!("{base}/slotwise"))
        .set("Slotwise-Event-Id", "evt_forged")
        .set("Slotwise-Timestamp", &chrono::Utc::now().timestamp().to_string())
        .set("Slotwise-Signature", "sha256=00")
        .send_string("{}");
    assert!(matches!(forged, Err(ureq::Error::Status(401, _))), "{forged:?}");
    python.kill();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut python.0.stdout.take().expect("stdout"), &mut out).expect("its output");
    assert!(out.contains(&format!("{id} verified")), "{out}");
    assert!(out.contains("evt_forged REJECTED"), "{out}");
}

on_both_backends!(
    sigkill_with_deliveries_pending_then_restart_delivers_each,
    the_readme_receiver_verifies_a_real_delivery
);
