//! Signed webhooks (SPEC §7) against a real receiver on loopback: the three
//! events with their exact body and headers, retries with the same id, a
//! receiver that hangs, `events` filters, erase, `slotwise outbox` and the
//! metrics. Real processes and the receiver of docs/webhooks.md: `webhooks_real.rs`.

use crate::support;

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rocket::http::Status;
use sha2::Sha256;
use support::receiver::{Answer, Received, Receiver};
use support::{code_in, Backend, TestApp, Visitor, ALWAYS_OPEN};

/// The secret of the first webhook.
pub const SECRET_A: &str = "receiver-a-secret-0123456789";
const SECRET_B: &str = "receiver-b-secret-9876543210";

/// Open all day; no holds, no cooldown, no reminders; retries after a second.
pub fn config(hooks: &str, extra: &str) -> String {
    format!(
        "{ALWAYS_OPEN}\n---\n[default.booking]\nhold_minutes = 0\n[default.otp]\nresend_cooldown_secs = 0\n\
         [default.mail]\nretry_secs = 1\nreminders_minutes = []\n[default.metrics]\ntoken = \"{TOKEN}\"\n\
         ---\n{hooks}\n---\n{extra}"
    )
}

const TOKEN: &str = "webhooks-metrics-token-0123";

/// One `[[webhooks]]` entry.
pub fn hook(url: &str, secret: &str, events: Option<&str>) -> String {
    let events = events.map(|e| format!("events = [{e}]\n")).unwrap_or_default();
    format!("[[default.webhooks]]\nurl = \"{url}\"\nsecret = \"{secret}\"\n{events}")
}

/// The contact details every booking here is made with.
const CONTACT: [(&str, &str); 3] = [("name", "Ann Example"), ("phone", "+49 30 1234"), ("notes", "wheelchair")];

/// Books the first free time for `email`: the slot (practice-local), the
/// reference and the link's token.
pub async fn book(app: &TestApp, v: &Visitor<'_>, email: &str) -> (String, String, String) {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = support::offered_slot(&page.body).unwrap_or_else(|| panic!("no slot offered:\n{}", page.body));
    v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    let page = v.get("/book/details").await;
    let mut pairs = CONTACT.to_vec();
    pairs.push(("email", email));
    assert_eq!(v.submit("/book/details", &page, &pairs).await.location(), "/book/verify");
    let mails = support::wait_for_mail(&app.outbox, |m| m.is_to(email) && code_in(&m.text).is_some()).await;
    let code = mails.iter().rev().find(|m| m.is_to(email)).and_then(|m| code_in(&m.text)).expect("a code");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
    let page = v.get("/book/confirm").await;
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    let mails = support::wait_for_mail(&app.outbox, |m| m.is_to(email) && m.attachment(".ics").is_some()).await;
    let mail = mails.into_iter().rev().find(|m| m.is_to(email) && m.attachment(".ics").is_some()).expect("mail");
    let link: String = mail.text.split("/booking/").nth(1).expect("a link").split_whitespace().next().unwrap().into();
    let (reference, token) = link.split_once("?token=").expect("reference and token");
    (slot, reference.to_string(), token.to_string())
}

/// Cancels from the link; the answer's status and how long it took.
async fn cancel(v: &Visitor<'_>, reference: &str, token: &str) -> (Status, Duration) {
    let page = v.get(&format!("/booking/{reference}/cancel?token={token}")).await;
    let started = Instant::now();
    let done = v.submit(&format!("/booking/{reference}/cancel"), &page, &[("token", token)]).await;
    (done.status, started.elapsed())
}

/// `sha256=<hex HMAC-SHA256 under secret of "<timestamp>.<body>">`, computed here.
pub fn expected_signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the headers and the signature of `got` under `secret`.
fn assert_signed(got: &Received, secret: &str, timestamp: i64) {
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("user-agent"), Some(concat!("Slotwise/", env!("CARGO_PKG_VERSION"))));
    assert_eq!(got.header("slotwise-timestamp"), Some(timestamp.to_string().as_str()), "the app's clock");
    let id = got.header("slotwise-event-id").expect("an event id");
    assert!(got.body.starts_with(&format!("{{\"id\":\"{id}\",")), "{}", got.body);
    let signature = expected_signature(secret, &timestamp.to_string(), &got.body);
    assert_eq!(got.header("slotwise-signature"), Some(signature.as_str()));
}

/// The body SPEC §7 gives, for the practice-local times `start` (a slot
/// value) to 30 minutes later in Berlin's winter time.
fn expected_body(got: &Received, kind: &str, reference: &str, start: &str, status: &str, contact: [&str; 4]) -> String {
    let id = got.header("slotwise-event-id").unwrap_or_default();
    let at = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").expect("a slot value");
    let end = (at + chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M:%S+01:00");
    let [name, email, phone, notes] = contact;
    format!(
        "{{\"id\":\"{id}\",\"type\":\"{kind}\",\"created_at\":\"{}\",\"booking\":{{\"reference\":\"{reference}\",\
         \"service\":\"consultation\",\"practitioner\":null,\"start\":\"{start}:00+01:00\",\"end\":\"{end}\",\
         \"status\":\"{status}\",\"name\":\"{name}\",\"email\":\"{email}\",\"phone\":\"{phone}\",\"notes\":\"{notes}\"}}}}",
        support::START.replace('Z', "+00:00")
    )
}

const ANN: [&str; 4] = ["Ann Example", "ann@example.test", "+49 30 1234", "wheelchair"];

async fn the_three_events_arrive_signed_with_the_spec_body(db: Backend) {
    let receiver = Receiver::start();
    let app = TestApp::with_config(&db, &config(&hook(&receiver.url("/hooks/slotwise"), SECRET_A, None), "")).await;
    let v = app.visitor();
    let (slot, reference, token) = book(&app, &v, "ann@example.test").await;
    let now = app.clock.now().timestamp();
    let created = receiver.wait_for(1, Duration::from_secs(10)).await.pop().expect("booking.created");
    assert_eq!(created.request_line, "POST /hooks/slotwise HTTP/1.1");
    assert_signed(&created, SECRET_A, now);
    assert_eq!(created.body, expected_body(&created, "booking.created", &reference, &slot, "booked", ANN));

    // Moved to another free time.
    let choose = v.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
    let marker = "name=\"slot\" value=\"";
    let new = choose.body.match_indices(marker).map(|(i, _)| &choose.body[i + marker.len()..i + marker.len() + 16]);
    let new = new.filter(|s| *s != slot).nth(1).expect("another time").to_string();
    let url = format!("/booking/{reference}/reschedule");
    assert_eq!(v.submit(&url, &choose, &[("token", &token), ("slot", &new)]).await.status, Status::SeeOther);
    let moved = receiver.wait_for(2, Duration::from_secs(10)).await.pop().expect("booking.moved");
    assert_signed(&moved, SECRET_A, now);
    assert_eq!(moved.body, expected_body(&moved, "booking.moved", &reference, &new, "booked", ANN));

    assert_eq!(cancel(&v, &reference, &token).await.0, Status::SeeOther);
    let cancelled = receiver.wait_for(3, Duration::from_secs(10)).await.pop().expect("booking.cancelled");
    assert_signed(&cancelled, SECRET_A, now);
    assert_eq!(cancelled.body, expected_body(&cancelled, "booking.cancelled", &reference, &new, "cancelled", ANN));
    let ids: std::collections::BTreeSet<_> =
        [&created, &moved, &cancelled].iter().filter_map(|r| r.header("slotwise-event-id")).collect();
    assert_eq!(ids.len(), 3, "one id per event");
    let db_pool = app.db().await;
    let left: Vec<(String, String, String)> =
        sqlx::query_as("SELECT status, sealed, contact FROM webhook_deliveries").fetch_all(&db_pool).await.unwrap();
    db_pool.close().await;
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|(s, b, c)| s == "sent" && b.is_empty() && c.is_empty()), "{left:?}");
}

async fn a_failed_attempt_is_retried_with_the_same_event_id_and_accepted_once(db: Backend) {
    let receiver = Receiver::start();
    receiver.script(&[Answer::Status(500)]);
    let app = TestApp::with_config(&db, &config(&hook(&receiver.url("/h"), SECRET_A, None), "")).await;
    book(&app, &app.visitor(), "ann@example.test").await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    // The retry is due `mail.retry_secs` later on the app's clock, not before.
    assert_eq!(receiver.wait_for(2, Duration::from_millis(1500)).await.len(), 1, "not before retry_secs");
    app.clock.advance(chrono::Duration::seconds(1));
    app.wake_webhooks();
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].answer, got[1].answer), (Answer::Status(500), Answer::Status(200)));
    assert_eq!(got[0].header("slotwise-event-id"), got[1].header("slotwise-event-id"), "the same event id");
    assert_eq!(got[0].body, got[1].body, "the same body");
    app.clock.advance(chrono::Duration::hours(2));
    app.wake_webhooks();
    assert_eq!(receiver.wait_for(3, Duration::from_millis(1500)).await.len(), 2, "accepted once, sent no more");
    let db_pool = app.db().await;
    let row: (String, i64, String) =
        sqlx::query_as("SELECT status, CAST(attempts AS BIGINT), last_error FROM webhook_deliveries")
            .fetch_one(&db_pool)
            .await
            .unwrap();
    db_pool.close().await;
    assert_eq!(row, ("sent".to_string(), 1, "HTTP 500".to_string()));
}

async fn a_hanging_receiver_does_not_delay_the_visitor(db: Backend) {
    let receiver = Receiver::start();
    receiver.script(&[Answer::Hang]);
    let app = TestApp::with_config(&db, &config(&hook(&receiver.url("/h"), SECRET_A, None), "")).await;
    let v = app.visitor();
    let (_, reference, token) = book(&app, &v, "ann@example.test").await;
    // The sender is now stuck on the receiver, which read the request and
    // does not answer.
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await[0].answer, Answer::Hang);
    let (status, took) = cancel(&v, &reference, &token).await;
    assert_eq!(status, Status::SeeOther);
    assert!(took < Duration::from_secs(2), "the visitor's 303 took {took:?}");
    // The hanging attempt fails after the client's 10 s; the cancellation's
    // delivery goes after it.
    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 2, "the sender went on after the timeout");
    assert!(got[1].body.contains("\"type\":\"booking.cancelled\""), "{}", got[1].body);
    let db_pool = app.db().await;
    let errors: Vec<String> =
        sqlx::query_scalar("SELECT last_error FROM webhook_deliveries ORDER BY id").fetch_all(&db_pool).await.unwrap();
    db_pool.close().await;
    assert_eq!(errors[0], "no answer within 10 s");
}

async fn events_filters_what_each_webhook_hears(db: Backend) {
    let receiver = Receiver::start();
    // NOTE: one TOML part: a later `---` part would replace the array.
    let hooks = format!(
        "{}\n{}",
        hook(&receiver.url("/all"), SECRET_A, None),
        hook(&receiver.url("/cancelled"), SECRET_B, Some("\"booking.cancelled\""))
    );
    let app = TestApp::with_config(&db, &config(&hooks, "")).await;
    let v = app.visitor();
    let (_, reference, token) = book(&app, &v, "ann@example.test").await;
    assert_eq!(cancel(&v, &reference, &token).await.0, Status::SeeOther);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(receiver.wait_for(4, Duration::from_millis(1500)).await.len(), 3, "{got:?}");
    let to = |path: &str| -> Vec<&Received> {
        got.iter().filter(|r| r.request_line == format!("POST {path} HTTP/1.1")).collect()
    };
    let kinds = |rs: &[&Received]| -> Vec<bool> { rs.iter().map(|r| r.body.contains("booking.cancelled")).collect() };
    assert_eq!(kinds(&to("/all")), [false, true], "created, then cancelled");
    assert_eq!(kinds(&to("/cancelled")), [true], "only the cancellation");
    let (all, only) = (to("/all")[1], to("/cancelled")[0]);
    assert_eq!(all.header("slotwise-event-id"), only.header("slotwise-event-id"), "one event, two URLs");
    let now = app.clock.now().timestamp();
    assert_signed(all, SECRET_A, now);
    assert_signed(only, SECRET_B, now);
}

async fn without_webhooks_nothing_is_stored(db: Backend) {
    let app = TestApp::with_config(&db, &config("", "")).await;
    book(&app, &app.visitor(), "ann@example.test").await;
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

async fn erase_blanks_the_contact_details_of_a_delivery_not_yet_made(db: Backend) {
    let receiver = Receiver::start();
    receiver.script(&[Answer::Status(503)]);
    let app = TestApp::with_config(&db, &config(&hook(&receiver.url("/h"), SECRET_A, None), "")).await;
    let (slot, reference, _) = book(&app, &app.visitor(), "ann@example.test").await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    let erased = slotwise::cli::erase(&app.figment, "ANN@example.test").await.expect("erase");
    assert_eq!(erased, "erased 1 booking");
    app.clock.advance(chrono::Duration::seconds(1));
    app.wake_webhooks();
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].body, expected_body(&got[1], "booking.created", &reference, &slot, "booked", [""; 4]));
    assert!(got[0].body.contains("Ann Example"), "the attempt before the erasure carried them");
}

async fn outbox_lists_failed_deliveries_retry_requeues_them_and_metrics_count(db: Backend) {
    let receiver = Receiver::start();
    receiver.script(&[Answer::Status(500)]);
    let hooks = hook(&receiver.url("/h"), SECRET_A, None);
    let app = TestApp::with_config(&db, &config(&hooks, "[default.mail]\ngive_up_hours = 0")).await;
    let (_, reference, _) = book(&app, &app.visitor(), "ann@example.test").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count("webhook_deliveries WHERE status = 'failed'").await == 0 {
        assert!(Instant::now() < deadline, "never marked failed");
        // NOTE: waits for the app's sender task on a real socket.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = slotwise::cli::outbox(&app.figment, true, false).await.expect("outbox --failed");
    for part in ["booking.created", &reference, "127.0.0.1", "HTTP 500", "0 failed emails"] {
        assert!(listed.contains(part), "`{part}` in\n{listed}");
    }
    assert!(listed.ends_with("1 failed webhook delivery"), "{listed}");
    let pending = slotwise::cli::outbox(&app.figment, false, false).await.expect("outbox");
    assert!(pending.ends_with("0 pending webhook deliveries"), "{pending}");
    let metrics = metrics(&app).await;
    assert!(metrics.contains("\nslotwise_webhooks_failed 1\n"), "{metrics}");
    assert!(metrics.contains("\nslotwise_webhook_deliveries_total{outcome=\"given_up\"} 1\n"), "{metrics}");
    let requeued = slotwise::cli::outbox(&app.figment, false, true).await.expect("outbox --retry");
    assert_eq!(requeued, "requeued 0 failed emails and 1 failed webhook delivery");
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "delivered after --retry");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count("webhook_deliveries WHERE status = 'sent'").await == 0 {
        assert!(Instant::now() < deadline, "never recorded");
        // NOTE: waits for the app's sender task to record the answer.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = self::metrics(&app).await;
    for line in [
        "slotwise_webhooks_failed 0",
        "slotwise_webhooks_pending 0",
        "slotwise_webhook_deliveries_total{outcome=\"delivered\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "`{line}` in\n{metrics}");
    }
}

async fn a_delivery_whose_url_is_no_longer_configured_is_failed(db: Backend) {
    let receiver = Receiver::start();
    receiver.script(&[Answer::Status(500)]);
    let app = TestApp::with_config(&db, &config(&hook(&receiver.url("/old"), SECRET_A, None), "")).await;
    book(&app, &app.visitor(), "ann@example.test").await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    // The same database, restarted with another URL in place of the old one.
    let moved_on = config(&hook(&receiver.url("/new"), SECRET_A, None), "");
    let restarted = TestApp::on_database(&app.db_url, &moved_on).await;
    restarted.clock.advance(chrono::Duration::seconds(1));
    restarted.wake_webhooks();
    let deadline = Instant::now() + Duration::from_secs(10);
    while restarted.count("webhook_deliveries WHERE status = 'failed'").await == 0 {
        assert!(Instant::now() < deadline, "never marked failed");
        // NOTE: waits for the app's sender task.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = slotwise::cli::outbox(&restarted.figment, true, false).await.expect("outbox --failed");
    assert!(listed.contains("no [[webhooks]] entry has this url any more"), "{listed}");
    assert_eq!(receiver.received().len(), 1, "nothing went to the new URL");
}

async fn metrics(app: &TestApp) -> String {
    let page = app.visitor().get_with("/metrics", &[("Authorization", &format!("Bearer {TOKEN}"))]).await;
    assert_eq!(page.status, Status::Ok);
    page.body
}

on_both_backends!(
    the_three_events_arrive_signed_with_the_spec_body,
    a_failed_attempt_is_retried_with_the_same_event_id_and_accepted_once,
    a_hanging_receiver_does_not_delay_the_visitor,
    events_filters_what_each_webhook_hears,
    without_webhooks_nothing_is_stored,
    erase_blanks_the_contact_details_of_a_delivery_not_yet_made,
    outbox_lists_failed_deliveries_retry_requeues_them_and_metrics_count,
    a_delivery_whose_url_is_no_longer_configured_is_failed,
);
