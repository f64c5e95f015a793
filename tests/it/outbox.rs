//! Mail that is never lost (SPEC §2c): the stored emails, their sender, its
//! retries, reminders, and `slotwise outbox`.

use crate::support;

use std::time::Duration;

use rocket::http::Status;
use support::smtp::SmtpServer;
use support::{code_in, field_value, offered_slot, process_slot, Backend, Mail, TestApp, Visitor, ALWAYS_OPEN};

/// Open every day, all day; codes without cooldown; SMTP to `smtp`, retried
/// after a second.
fn config(smtp: &SmtpServer, extra: &str) -> String {
    format!(
        r#"{ALWAYS_OPEN}
---
[default.booking]
hold_minutes = 0
[default.otp]
resend_cooldown_secs = 0
[default.mail]
transport = "smtp"
smtp_url = "{}"
retry_secs = 1
reminders_minutes = []
---
{extra}"#,
        smtp.url()
    )
}

/// Walks a fresh visitor to the confirm step for the first free time,
/// reading the code from `smtp`.
async fn until_confirm(v: &Visitor<'_>, smtp: &SmtpServer, email: &str) {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot");
    v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    let page = v.get("/book/details").await;
    assert_eq!(v.submit("/book/details", &page, &[("name", "Ann"), ("email", email)]).await.location(), "/book/verify");
    let mail = smtp.take_to(email, Duration::from_secs(10)).expect("the code email");
    let code = code_in(&Mail::parse(&mail.data).text).expect("a code");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
}

/// Confirms; the answer comes at once, whatever SMTP does. Returns the reference.
async fn confirm(v: &Visitor<'_>) -> String {
    let page = v.get("/book/confirm").await;
    let done = v.submit("/book/confirm", &page, &[]).await;
    assert_eq!((done.status, done.location()), (Status::SeeOther, "/book/done"), "the visitor never waits for SMTP");
    let done = v.get("/book/done").await;
    done.body.split("id=\"booking-ref\">").nth(1).and_then(|r| r.split('<').next()).expect("a reference").to_string()
}

/// Books the first free time for `email`; returns the reference.
async fn book(v: &Visitor<'_>, smtp: &SmtpServer, email: &str) -> String {
    until_confirm(v, smtp, email).await;
    confirm(v).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.db().await;
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&db).await.expect("a count");
    db.close().await;
    n
}

async fn a_refused_confirmation_is_retried_and_delivered_once(db: Backend) {
    let smtp = SmtpServer::start();
    let app = TestApp::with_config(&db, &config(&smtp, "")).await;
    let v = app.visitor();
    let reference = book_refusing_after_code(&v, &smtp, "ann@example.test").await;
    let refused = "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts > 0";
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(&app, refused).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the sender never tried");
        // NOTE: waits for the app's sender task, a real task on a real socket.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    smtp.set_refuse(false);
    // The sender polls every second, but the retry is due only once
    // `retry_secs` passed on the app's clock.
    assert!(smtp.take_to("ann@example.test", Duration::from_millis(1500)).is_none(), "not before retry_secs");
    app.clock.advance(chrono::Duration::seconds(1));
    app.wake_sender();
    let mail = smtp.take_to("ann@example.test", Duration::from_secs(10)).expect("delivered once the server accepts");
    assert!(Mail::parse(&mail.data).subject.contains(&reference));
    app.clock.advance(chrono::Duration::hours(2));
    app.wake_sender();
    assert!(smtp.take_to("ann@example.test", Duration::from_millis(1500)).is_none(), "exactly once");
}

/// [`book`], with the server refusing from the confirmation on.
async fn book_refusing_after_code(v: &Visitor<'_>, smtp: &SmtpServer, email: &str) -> String {
    until_confirm(v, smtp, email).await;
    smtp.set_refuse(true);
    confirm(v).await
}

async fn an_undeliverable_email_is_failed_listed_and_requeued(db: Backend) {
    let smtp = SmtpServer::start();
    let app = TestApp::with_config(&db, &config(&smtp, "[default.mail]\ngive_up_hours = 0")).await;
    let v = app.visitor();
    let reference = book_refusing_after_code(&v, &smtp, "bo@example.test").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(&app, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'").await == 0 {
        assert!(std::time::Instant::now() < deadline, "never marked failed");
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = slotwise::cli::outbox(&app.figment, true, false).await.expect("outbox --failed");
    assert!(listed.contains(&reference) && listed.contains("confirmation") && listed.contains("554"), "{listed}");
    assert!(listed.ends_with("1 failed email"), "{listed}");
    smtp.set_refuse(false);
    assert!(smtp.take_to("bo@example.test", Duration::from_millis(1500)).is_none(), "a failed email stays put");
    let requeued = slotwise::cli::outbox(&app.figment, false, true).await.expect("outbox --retry");
    assert_eq!(requeued, "requeued 1 failed email");
    let mail = smtp.take_to("bo@example.test", Duration::from_secs(10)).expect("delivered after --retry");
    assert!(Mail::parse(&mail.data).subject.contains(&reference));
}

async fn reminders_are_stored_sent_when_due_and_dropped_on_cancel(db: Backend) {
    let smtp = SmtpServer::start();
    // One lead time still ahead of the first free time (10 minutes from the
    // clock's start), and one that has already passed.
    let app = TestApp::with_config(&db, &config(&smtp, "[default.mail]\nreminders_minutes = [1, 100000]")).await;
    let v = app.visitor();
    let reference = book(&v, &smtp, "cy@example.test").await;
    let mail = smtp.take_to("cy@example.test", Duration::from_secs(10)).expect("the confirmation");
    let confirmation = Mail::parse(&mail.data);
    let sql = format!("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND reference = '{reference}'");
    assert_eq!(count(&app, &sql).await, 1, "one for the lead time ahead, none for the one already past");
    assert!(smtp.take_to("cy@example.test", Duration::from_millis(1500)).is_none(), "not before it is due");
    app.clock.advance(chrono::Duration::minutes(9));
    app.wake_sender();
    let reminder = smtp.take_to("cy@example.test", Duration::from_secs(10)).expect("the reminder when due");
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link").to_string();
    assert!(Mail::parse(&reminder.data).text.contains(&link), "the reminder carries the booking's link");

    // A second booking, cancelled: its reminder is never sent.
    let smtp2 = SmtpServer::start();
    let app = TestApp::with_config(&db, &config(&smtp2, "[default.mail]\nreminders_minutes = [1]")).await;
    let v = app.visitor();
    let reference = book(&v, &smtp2, "di@example.test").await;
    let confirmation =
        Mail::parse(&smtp2.take_to("di@example.test", Duration::from_secs(10)).expect("confirmation").data);
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link").to_string();
    let path = &link[link.find("/booking/").expect("path")..];
    let view = v.get(path).await;
    let token = path.split("token=").nth(1).expect("token");
    assert_eq!(
        v.submit(&format!("/booking/{reference}/cancel"), &view, &[("token", token)]).await.status,
        Status::SeeOther
    );
    let cancellation = smtp2.take_to("di@example.test", Duration::from_secs(10)).expect("the cancellation");
    assert!(Mail::parse(&cancellation.data).subject.contains(&reference));
    let pending = format!(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND status = 'pending' AND reference = '{reference}'"
    );
    assert_eq!(count(&app, &pending).await, 0, "no reminder left for a cancelled booking");
}

async fn the_database_alone_yields_no_working_link(db: Backend) {
    let smtp = SmtpServer::start();
    let app = TestApp::with_config(&db, &config(&smtp, "[default.mail]\nreminders_minutes = [1]")).await;
    let v = app.visitor();
    let reference = book(&v, &smtp, "ed@example.test").await;
    let confirmation =
        Mail::parse(&smtp.take_to("ed@example.test", Duration::from_secs(10)).expect("confirmation").data);
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link").to_string();
    let token = link.split("token=").nth(1).expect("a token").to_string();
    assert_eq!(v.get(&link[link.find("/booking/").expect("path")..]).await.status, Status::Ok, "the link works");
    let db_pool = app.db().await;
    for table in ["bookings", "outbox", "sessions"] {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
            .fetch_all(&db_pool)
            .await
            .expect("rows");
        assert!(!rows.is_empty());
    }
    let sealed: Vec<String> =
        sqlx::query_scalar("SELECT sealed FROM outbox").fetch_all(&db_pool).await.expect("sealed");
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT cancel_token_hash FROM bookings").fetch_all(&db_pool).await.expect("hashes");
    db_pool.close().await;
    assert!(sealed.iter().all(|s| !s.contains(&token) && !s.contains(&reference)), "stored emails are sealed");
    assert!(hashes.iter().all(|h| !h.contains(&token)), "only the token's hash is stored");
}

/// A code counted but never sent (the app stopped between the two) does not
/// lock the visitor out: the next resend goes at once, counted once.
async fn a_code_send_cut_short_does_not_lock_the_visitor_out(db: Backend) {
    let smtp = SmtpServer::start();
    let app = TestApp::with_config(&db, &config(&smtp, "[default.otp]\nresend_cooldown_secs = 60")).await;
    let v = app.visitor();
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot");
    v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    let page = v.get("/book/details").await;
    let sent = v.submit("/book/details", &page, &[("name", "Fay"), ("email", "fay@example.test")]).await;
    assert_eq!(sent.location(), "/book/verify");
    assert!(smtp.take_to("fay@example.test", Duration::from_secs(10)).is_some(), "the first code");
    // What a crash between counting a second send and sending it leaves behind.
    let db_pool = app.db().await;
    sqlx::query("UPDATE otp_codes SET sends = sends + 1, sent_ok = 0, code_hash = 'lost', last_sent_at = $1")
        .bind(app.clock.now().timestamp_millis() - 31_000)
        .execute(&db_pool)
        .await
        .expect("a send cut short");
    let page = v.get("/book/verify").await;
    let resent = v.submit("/book/verify/resend", &page, &[]).await;
    assert_eq!((resent.status, resent.location()), (Status::SeeOther, "/book/verify"), "{}", resent.body);
    let mail = smtp.take_to("fay@example.test", Duration::from_secs(10)).expect("a code at once");
    let code = code_in(&Mail::parse(&mail.data).text).expect("a code");
    let sends: i64 =
        sqlx::query_scalar("SELECT CAST(sends AS BIGINT) FROM otp_codes").fetch_one(&db_pool).await.expect("sends");
    db_pool.close().await;
    assert_eq!(sends, 2, "the send that never went out is not counted twice");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
}

on_both_backends!(
    a_code_send_cut_short_does_not_lock_the_visitor_out,
    a_refused_confirmation_is_retried_and_delivered_once,
    an_undeliverable_email_is_failed_listed_and_requeued,
    reminders_are_stored_sent_when_due_and_dropped_on_cancel,
    the_database_alone_yields_no_working_link,
);

/// A real `slotwise` process asked to stop (`SIGTERM`) while visitors load
/// pages: every request it took is answered normally, none with a `5xx`.
#[test]
fn a_sigterm_answers_the_requests_in_flight() {
    use support::process::Launch;
    let dir = tempfile::tempdir().expect("temp dir");
    let launch = Launch::new(std::path::Path::new(support::SLOTWISE_BIN), std::path::Path::new(support::MANIFEST_DIR))
        .expect("a free port");
    let db = format!("{{slotwise={{url=\"sqlite://{}?mode=rwc\"}}}}", dir.path().join("t.db").display());
    let server = launch
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATABASES", db)
        .env("ROCKET_MAIL", format!("{{outbox_dir=\"{}\"}}", dir.path().join("outbox").display()))
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let base = server.base().to_string();
    let pid = server.pid();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let visitors: Vec<_> = (0..20)
            .map(|_| {
                let base = base.clone();
                s.spawn(move || {
                    // A visitor with a session: every page reads the database.
                    let agent = ureq::AgentBuilder::new().redirects(0).build();
                    let jar = support::Jar::new();
                    let page = agent.get(&format!("{base}/book/service")).call().expect("the service page");
                    jar.keep_all(&page);
                    let token = field_value(&page.into_string().expect("a body"), "csrf_token").expect("a token");
                    let form = format!("csrf_token={}&service=consultation", support::enc(&token));
                    let chosen = jar
                        .send(agent.post(&format!("{base}/book/service")))
                        .set("Content-Type", "application/x-www-form-urlencoded")
                        .send_string(&form)
                        .expect("a service chosen");
                    jar.keep_all(&chosen);
                    let mut seen = Vec::new();
                    let until = std::time::Instant::now() + Duration::from_millis(1500);
                    while std::time::Instant::now() < until {
                        match jar.send(agent.get(&format!("{base}/book/slot"))).call() {
                            Ok(r) => seen.push(r.status()),
                            Err(ureq::Error::Status(code, _)) => seen.push(code),
                            // Refused once the server stopped accepting: not a request it took.
                            Err(_) => break,
                        }
                    }
                    seen
                })
            })
            .collect();
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        std::thread::sleep(Duration::from_millis(300));
        let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
        assert!(killed.success());
        visitors.into_iter().flat_map(|v| v.join().expect("a visitor")).collect()
    });
    assert!(statuses.len() >= 20, "the visitors were served before the stop: {}", statuses.len());
    assert!(statuses.iter().all(|s| *s == 200), "{:?}", statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>());
    drop(server);
}

/// Open all day, every day, for the real processes below.
const PROCESS_BOOKING: &str = r#"{min_notice_minutes=0,hold_minutes=0,hours={mon=["00:00-24:00"],tue=["00:00-24:00"],wed=["00:00-24:00"],thu=["00:00-24:00"],fri=["00:00-24:00"],sat=["00:00-24:00"],sun=["00:00-24:00"]}}"#;

/// A real `slotwise` process on `db_url`, mailing to `smtp`.
fn process(db_url: &str, smtp: &SmtpServer, log: std::path::PathBuf) -> support::process::Process {
    use std::path::Path;
    let launch = support::process::Launch::new(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR))
        .expect("a free port");
    let base = launch.base();
    launch
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{db_url}\"}}}}"))
        .env(
            "ROCKET_MAIL",
            format!(
                "{{transport=\"smtp\",smtp_url=\"{}\",retry_secs=1,reminders_minutes=[],public_url=\"{base}\"}}",
                smtp.url()
            ),
        )
        .env("ROCKET_OTP", "{resend_cooldown_secs=0}")
        // Every visitor here comes from 127.0.0.1: no limit across sessions.
        .env(
            "ROCKET_ABUSE",
            "{sends_per_address_per_day=0,sends_per_client_per_hour=0,holds_per_client=0,min_fill_secs=0}",
        )
        .env("ROCKET_BOOKING", PROCESS_BOOKING)
        .log_to(log)
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `SIGKILL` with a confirmation still to be delivered: after a restart it
/// arrives, exactly once.
#[test]
fn an_email_due_when_the_app_is_killed_is_delivered_after_the_restart() {
    use support::browser::Browser;
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
    let smtp = SmtpServer::start();
    let mut first = process(&db_url, &smtp, dir.path().join("first.log"));
    let v = Browser::new(first.base());
    assert_eq!(v.submit("/book/service", &[("service", "consultation")]), 303);
    let slot = process_slot(&v.get("/book/slot").1).expect("a slot");
    assert_eq!(v.submit("/book/slot", &[("slot", &slot)]), 303);
    assert_eq!(v.submit("/book/details", &[("name", "Kim"), ("email", "kim@example.test")]), 303);
    let code_mail = smtp.take_to("kim@example.test", Duration::from_secs(10)).expect("the code");
    let code = code_in(&Mail::parse(&code_mail.data).text).expect("a code");
    assert_eq!(v.submit("/book/verify", &[("code", &code)]), 303);
    smtp.set_refuse(true);
    assert_eq!(v.submit("/book/confirm", &[]), 303);
    // NOTE: waits for a real process or socket; the app's clock is not involved.
    std::thread::sleep(Duration::from_millis(500));
    first.stop();
    smtp.set_refuse(false);
    assert!(smtp.take_to("kim@example.test", Duration::from_millis(300)).is_none(), "nothing went out before the kill");
    let _second = process(&db_url, &smtp, dir.path().join("second.log"));
    let mail = smtp.take_to("kim@example.test", Duration::from_secs(15)).expect("delivered after the restart");
    assert!(Mail::parse(&mail.data).attachment(".ics").is_some(), "the confirmation");
    // NOTE: waits for a real process or socket; the app's clock is not involved.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(smtp.take_to("kim@example.test", Duration::from_millis(100)).is_none(), "exactly once");
}

/// Two instances on one PostgreSQL database and 50 stored emails: each is
/// delivered once, by one of them.
#[test]
fn two_instances_deliver_each_stored_email_once() {
    let Some(db) = Backend::postgres("two_instances_deliver_each_stored_email_once") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (db_url, drop) = runtime.block_on(support::fresh_database(&db, dir.path()));
    let smtp = SmtpServer::start();
    let instances =
        [process(&db_url, &smtp, dir.path().join("a.log")), process(&db_url, &smtp, dir.path().join("b.log"))];
    let secrets =
        slotwise::secrets::Secrets::from_figment(&rocket::figment::Figment::from(("secret_key", support::SECRET)))
            .expect("secrets");
    runtime.block_on(async {
        let pool = crate::support::app::sql(&db_url).await.expect("the test database");
        // NOTE: one transaction, so both instances find all 50 at once and
        // compete for them (stored one by one, each would be delivered as it
        // arrives, by whichever instance was awake).
        let mut batch = pool.begin().await.expect("a transaction");
        for i in 0..50 {
            let raw = format!(
                "Message-ID: <m{i}@example.test>\r\nFrom: a@example.test\r\nTo: r{i}@example.test\r\nSubject: n{i}\r\n\r\nbody {i}\r\n"
            );
            let sealed = slotwise::outbox::seal(&secrets, raw.as_bytes());
            sqlx::query(
                "INSERT INTO outbox (kind, reference, message_id, recipient, sealed, status, due_at, next_attempt_at, \
                 attempts, last_error, claimed_until, created_at) VALUES ('confirmation', $1, $2, $3, $4, 'pending', 0, 0, 0, '', 0, 0)",
            )
            .bind(format!("REF{i}"))
            .bind(format!("m{i}@example.test"))
            .bind(format!("r{i}@example.test"))
            .bind(sealed)
            .execute(&mut *batch)
            .await
            .expect("a stored email");
        }
        batch.commit().await.expect("the emails stored");
        pool.close().await;
    });
    let received = smtp.wait_for(50, Duration::from_secs(30));
    // NOTE: waits for a real process or socket; the app's clock is not involved.
    std::thread::sleep(Duration::from_secs(2));
    let received = if received.len() < 50 { received } else { smtp.messages() };
    let mut ids: Vec<String> = received
        .iter()
        .filter_map(|m| m.data.lines().find(|l| l.starts_with("Message-ID:")).map(str::to_string))
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((total, ids.len()), (50, 50), "each of the 50 delivered exactly once");
    drop_all(instances, drop);
}

fn drop_all(instances: [support::process::Process; 2], drop: Option<(String, String)>) {
    std::mem::drop(instances);
    if let Some((admin, name)) = drop {
        support::drop_database(&admin, &name);
    }
}

/// `SIGKILL` at random moments of 50 confirms and 50 details posts: every
/// booking made gets exactly one confirmation, and every visitor can still
/// book and get a code after the restart.
#[test]
fn sigkill_at_random_moments_loses_no_booking_email_and_no_code() {
    use rand::Rng;
    use support::browser::Browser;
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
    let smtp = SmtpServer::start();
    let mut server = process(&db_url, &smtp, dir.path().join("0.log"));
    let mut slots_used = 0;
    let mut delivered = std::collections::BTreeSet::new();
    for round in 0..100 {
        let at_confirm = round % 2 == 0;
        let email = format!("k{round}@example.test");
        let mut v = Browser::new(server.base());
        assert_eq!(v.submit("/book/service", &[("service", "consultation")]), 303);
        let page = v.get("/book/slot").1;
        let offered: Vec<String> = page
            .match_indices("name=\"slot\" value=\"")
            .map(|(i, _)| page[i + 19..].split('"').next().unwrap_or_default().to_string())
            .collect();
        slots_used += 1;
        assert_eq!(v.submit("/book/slot", &[("slot", &offered[slots_used])]), 303);
        let pairs = [("name", "Kim"), ("email", email.as_str())];
        if at_confirm {
            assert_eq!(v.submit("/book/details", &pairs), 303);
            let code = code_in(&Mail::parse(&smtp.take_to(&email, Duration::from_secs(10)).expect("code").data).text);
            assert_eq!(v.submit("/book/verify", &[("code", &code.expect("a code"))]), 303);
        }
        let (path, form): (&str, Vec<(&str, &str)>) =
            if at_confirm { ("/book/confirm", vec![]) } else { ("/book/details", pairs.to_vec()) };
        let page = v.get(path).1;
        std::thread::scope(|s| {
            let posting = s.spawn(|| v.post(path, &page, &form));
            // NOTE: waits for a real process or socket; the app's clock is not involved.
            std::thread::sleep(Duration::from_micros(rand::thread_rng().gen_range(0..10_000)));
            server.stop();
            let _ = posting.join();
        });
        server = process(&db_url, &smtp, dir.path().join(format!("{}.log", round + 1)));
        v.rebase(server.base());
        if at_confirm {
            // Booked before the kill, or bookable again now: either way one confirmation.
            let (status, _) = v.get("/book/confirm");
            if status == 200 {
                assert_eq!(v.submit("/book/confirm", &[]), 303, "round {round}: the visitor can confirm");
            }
            // NOTE: killed mid-delivery, the email waits out its 30-second lease.
            let mail = Mail::parse(&smtp.take_to(&email, Duration::from_secs(45)).expect("one confirmation").data);
            assert!(mail.attachment(".ics").is_some(), "round {round}");
            delivered.insert(mail.message_id);
        } else {
            // Whatever the kill interrupted, the visitor holds a working code
            // now: one sent before the kill, or a fresh one.
            let (status, _) = v.get("/book/verify");
            let asked =
                if status == 200 { v.submit("/book/verify/resend", &[]) } else { v.submit("/book/details", &pairs) };
            assert_eq!(asked, 303, "round {round}: a code can be asked for");
            let mut newest = None;
            let mut wait = Duration::from_secs(10);
            while let Some(mail) = smtp.take_to(&email, wait) {
                newest = code_in(&Mail::parse(&mail.data).text);
                wait = Duration::from_millis(500);
            }
            let code = newest.unwrap_or_else(|| panic!("round {round}: no code at all"));
            assert_eq!(v.submit("/book/verify", &[("code", &code)]), 303, "round {round}: the code works");
        }
    }
    // No booking got a second, different confirmation. The same email may
    // arrive again only when the kill fell between the server's acceptance
    // and its record (SPEC §2c): then it carries the same Message-ID.
    std::thread::sleep(Duration::from_secs(2));
    for left in smtp.messages().iter().map(|m| Mail::parse(&m.data)).filter(|m| m.attachment(".ics").is_some()) {
        assert!(delivered.contains(&left.message_id), "a second confirmation: {}", left.subject);
    }
}
