//! Operations (SPEC §7): metrics, the booking funnel, retention, and
//! `slotwise erase` / `slotwise export` through the real binary.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use rocket::http::Status;
use support::process::run;
use support::{code_in, offered_slot, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

/// Metrics open to [`TOKEN`] (on top of [`ALWAYS_OPEN`]).
const CONFIG: &str = r#"
[default.metrics]
token = "test-metrics-token-0123456789"
"#;
const TOKEN: &str = "test-metrics-token-0123456789";

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{CONFIG}\n---\n{extra}")).await
}

/// `GET /metrics` with `authorization` (a full header value), if any.
async fn scrape(app: &TestApp, authorization: Option<&str>) -> Page {
    let v = app.visitor();
    match authorization {
        Some(value) => v.get_with("/metrics", &[("Authorization", value)]).await,
        None => v.get("/metrics").await,
    }
}

/// The value of the sample `name` (with its labels, e.g. `a{b="c"}`).
fn sample(text: &str, name: &str) -> f64 {
    let line = text.lines().find(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(' ')));
    let line = line.unwrap_or_else(|| panic!("no sample `{name}` in\n{text}"));
    line[name.len()..].trim().parse().unwrap_or_else(|_| panic!("`{line}` has no number"))
}

async fn metrics(app: &TestApp) -> String {
    let page = scrape(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(page.status, Status::Ok);
    page.body
}

async fn choose_service(v: &Visitor<'_>) {
    let page = v.get("/book/service").await;
    let done = v.submit("/book/service", &page, &[("service", "consultation")]).await;
    assert_eq!(done.location(), "/book/slot");
}

async fn choose_slot(v: &Visitor<'_>) {
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot is offered");
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
}

async fn enter_details(app: &TestApp, v: &Visitor<'_>, email: &str) -> String {
    let page = v.get("/book/details").await;
    let pairs = [("name", "Ann Example"), ("email", email), ("phone", "+49 30 1234"), ("notes", "wheelchair")];
    assert_eq!(v.submit("/book/details", &page, &pairs).await.location(), "/book/verify");
    let mail = support::read_outbox(&app.outbox).pop().expect("a code email");
    code_in(&mail.text).expect("a code")
}

/// Books through the wizard; returns the booking's link (path and query).
async fn book(app: &TestApp, v: &Visitor<'_>, email: &str) -> String {
    choose_service(v).await;
    choose_slot(v).await;
    let code = enter_details(app, v, email).await;
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
    let page = v.get("/book/confirm").await;
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    // The confirmation goes out from the app's sender moments after the answer.
    let mails = support::wait_for_mail(&app.outbox, |m| m.is_to(email) && m.attachment(".ics").is_some()).await;
    let mail =
        mails.into_iter().rev().find(|m| m.is_to(email) && m.attachment(".ics").is_some()).expect("a confirmation");
    let link = mail.text.split("http://127.0.0.1:8000").find(|s| s.starts_with("/booking/")).expect("a link");
    link.chars().take_while(|c| !c.is_whitespace()).collect()
}

async fn metric_families_are_exposed_and_count_what_happens(db: Backend) {
    let app = app(&db, "").await;
    let page = scrape(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.header("Content-Type").is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    for family in [
        "slotwise_http_requests_total",
        "slotwise_http_request_duration_seconds",
        "slotwise_flow_steps_total",
        "slotwise_bookings_total",
        "slotwise_cancellations_total",
        "slotwise_reschedules_total",
        "slotwise_code_emails_total",
        "slotwise_mail_pending",
        "slotwise_mail_failed",
    ] {
        assert!(page.body.contains(&format!("# TYPE {family} ")), "{family} missing:\n{}", page.body);
    }
    let before = metrics(&app).await;
    assert_eq!(sample(&before, "slotwise_bookings_total"), 0.0);

    let v = app.visitor();
    let link = book(&app, &v, "ann@example.test").await;
    let after = metrics(&app).await;
    assert_eq!(sample(&after, "slotwise_bookings_total"), 1.0, "one booking, counted once");
    assert_eq!(sample(&after, "slotwise_code_emails_total{outcome=\"sent\"}"), 1.0);
    assert_eq!(sample(&after, "slotwise_flow_steps_total{step=\"done\"}"), 1.0);
    assert_eq!(sample(&after, "slotwise_flow_steps_total{step=\"service\"}"), 1.0);
    assert!(sample(&after, "slotwise_http_requests_total{status=\"303\"}") >= 5.0);
    let requests = sample(&after, "slotwise_http_request_duration_seconds_count");
    assert_eq!(sample(&after, "slotwise_http_request_duration_seconds_bucket{le=\"+Inf\"}"), requests);
    assert!(requests > sample(&before, "slotwise_http_request_duration_seconds_count"));

    let view = v.get(&link).await;
    let reference = link.trim_start_matches("/booking/").split('?').next().unwrap_or_default();
    let token = link.split("token=").nth(1).unwrap_or_default();
    let done = v.submit(&format!("/booking/{reference}/cancel"), &view, &[("token", token)]).await;
    assert_eq!(done.status, Status::SeeOther);
    let last = metrics(&app).await;
    assert_eq!(sample(&last, "slotwise_cancellations_total"), 1.0);
    assert_eq!(sample(&last, "slotwise_reschedules_total"), 0.0);
    // The cancellation email is stored, then delivered by the app's sender:
    // the pending gauge falls back to 0 once it went out.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sample(&metrics(&app).await, "slotwise_mail_pending") > 0.0 {
        assert!(std::time::Instant::now() < deadline, "the stored emails were never delivered");
        // NOTE: waits for the app's background task (a real task); the clock is not involved.
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sample(&metrics(&app).await, "slotwise_mail_failed"), 0.0);
}

async fn metrics_answer_404_without_the_right_token(db: Backend) {
    let app = app(&db, "").await;
    let basic = format!("Basic {TOKEN}");
    for header in [None, Some("Bearer wrong-token"), Some(basic.as_str()), Some("Bearer ")] {
        let page = scrape(&app, header).await;
        assert_eq!(page.status, Status::NotFound, "{header:?}");
        assert!(page.body.contains("<html") && !page.body.contains("slotwise_"), "the app's own 404 page");
    }
    let closed = TestApp::with_config(&db, "[default.metrics]\ntoken = \"\"").await;
    for header in [None, Some("Bearer "), Some("Bearer")] {
        assert_eq!(scrape(&closed, header).await.status, Status::NotFound, "empty token, {header:?}");
    }
}

async fn the_funnel_counts_each_flow_once_where_it_stopped(db: Backend) {
    let app = app(&db, "").await;
    let (a, b, c, d) = (app.visitor(), app.visitor(), app.visitor(), app.visitor());
    choose_service(&a).await;
    choose_service(&b).await;
    choose_slot(&b).await;
    choose_service(&c).await;
    choose_slot(&c).await;
    enter_details(&app, &c, "cid@example.test").await;
    book(&app, &d, "dee@example.test").await;
    // Going back and forth counts nothing twice.
    let page = b.get("/book/service").await;
    assert_eq!(b.submit("/book/service", &page, &[("service", "consultation")]).await.location(), "/book/details");
    let page = c.get("/book/service").await;
    assert_eq!(c.submit("/book/service", &page, &[("service", "consultation")]).await.location(), "/book/verify");

    let table = slotwise::cli::funnel(&app.figment, 7).await.expect("the funnel");
    let row = |step: &str| -> Vec<String> {
        let line = table.lines().find(|l| l.split_whitespace().next() == Some(step));
        line.unwrap_or_else(|| panic!("no `{step}` row in\n{table}")).split_whitespace().map(String::from).collect()
    };
    assert_eq!(row("service"), ["service", "4", "0", "100.0%"], "{table}");
    assert_eq!(row("slot"), ["slot", "4", "1", "75.0%"], "{table}");
    assert_eq!(row("details"), ["details", "3", "1", "66.7%"], "{table}");
    assert_eq!(row("verify"), ["verify", "2", "1", "50.0%"], "{table}");
    assert_eq!(row("confirm"), ["confirm", "1", "0", "100.0%"], "{table}");
    assert_eq!(row("done"), ["done", "1", "-", "-"], "{table}");
    assert_eq!(app.count("funnel_steps").await, 2 + 3 + 4 + 6, "one row per flow and step");
    let text = metrics(&app).await;
    assert_eq!(sample(&text, "slotwise_flow_steps_total{step=\"slot\"}"), 4.0);
    assert_eq!(sample(&text, "slotwise_flow_steps_total{step=\"verify\"}"), 2.0);
}

/// Stores a booking of `email` that ended `ended_hours_ago` (negative: in
/// the future) straight in the database; its link's token is `token`.
async fn insert_booking(app: &TestApp, reference: &str, email: &str, ended_hours_ago: i64, token: &str) {
    let db = app.db().await;
    let ends = app.clock.now().timestamp_millis() - ended_hours_ago * 3_600_000;
    sqlx::query(
        "INSERT INTO bookings (reference, flow_id, service_id, starts_at, ends_at, busy_from, busy_until, name, email, \
         phone, notes, lang, cancel_token_hash, created_at) \
         VALUES ($1, $2, 'consultation', $3, $4, $3, $4, 'Old Name', $5, '+49 1', 'a note', 'en', $6, $3)",
    )
    .bind(reference)
    .bind(format!("flow-{reference}"))
    .bind(ends - 1_800_000)
    .bind(ends)
    .bind(email)
    .bind(slotwise::secrets::sha256_hex(token))
    .execute(&db)
    .await
    .expect("insert a booking");
    db.close().await;
}

/// `(name, email, phone, notes, erased)` of the booking `reference`.
async fn contact_of(app: &TestApp, reference: &str) -> (String, String, String, String, bool) {
    let db = app.db().await;
    let row: (String, String, String, String, String) = sqlx::query_as(
        "SELECT name, email, phone, notes, CASE WHEN erased_at IS NULL THEN 'no' ELSE 'yes' END \
         FROM bookings WHERE reference = $1",
    )
    .bind(reference)
    .fetch_one(&db)
    .await
    .expect("the booking");
    db.close().await;
    (row.0, row.1, row.2, row.3, row.4 == "yes")
}

async fn retention_erases_the_contact_details_of_old_bookings_only(db: Backend) {
    let app = app(&db, "[default.booking]\nretention_days = 1\n[default.session]\npurge_interval_secs = 1").await;
    let db_pool = app.db().await;
    let old_send = app.clock.now().timestamp_millis() - 49 * 3_600_000;
    for (flow, email, sent) in [("flow-OLD1-AAAA", "old@example.test", old_send), ("live", "new@example.test", 0)] {
        let sent = if sent == 0 { app.clock.now().timestamp_millis() } else { sent };
        sqlx::query(
            "INSERT INTO otp_codes (flow_id, email, code_hash, expires_at, attempts, sends, last_sent_at) \
             VALUES ($1, $2, 'h', $3, 0, 1, $3)",
        )
        .bind(flow)
        .bind(email)
        .bind(sent)
        .execute(&db_pool)
        .await
        .expect("insert a code row");
    }
    db_pool.close().await;
    // NOTE: the bookings last: once the old one is erased, so is the old code row.
    insert_booking(&app, "OLD1-AAAA", "old@example.test", 49, "old-token").await;
    insert_booking(&app, "NEW1-BBBB", "new@example.test", 23, "new-token").await;
    insert_booking(&app, "FUT1-CCCC", "future@example.test", -48, "future-token").await;

    let deadline = Instant::now() + Duration::from_secs(20);
    while !contact_of(&app, "OLD1-AAAA").await.4 {
        assert!(Instant::now() < deadline, "retention did not erase the old booking");
        // NOTE: waits for the app's background task (a real task); the clock is not involved.
        rocket::tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(contact_of(&app, "OLD1-AAAA").await, (String::new(), String::new(), String::new(), String::new(), true));
    for (reference, email) in [("NEW1-BBBB", "new@example.test"), ("FUT1-CCCC", "future@example.test")] {
        let kept = contact_of(&app, reference).await;
        assert_eq!((kept.0.as_str(), kept.1.as_str(), kept.4), ("Old Name", email, false), "{reference}");
    }
    assert_eq!(app.count("otp_codes").await, 1, "the old code row went, the live one stayed");
    assert_eq!(app.count("bookings").await, 3, "reference, service and time stay");
    let page = app.visitor().get("/booking/OLD1-AAAA?token=old-token").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("OLD1-AAAA") && !page.body.contains("Old Name"));
}

/// `slotwise <args>` against the test app's database, in this checkout.
fn slotwise(app: &TestApp, args: &[&str]) -> support::process::Ran {
    let env = [
        ("ROCKET_DATABASES", format!("{{slotwise={{url=\"{}\"}}}}", app.db_url)),
        ("ROCKET_LOG_LEVEL", "off".to_string()),
    ];
    run(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR), &env, args).expect("slotwise runs")
}

/// Every table's rows as text, on PostgreSQL.
async fn every_row_as_text(app: &TestApp) -> String {
    let db = app.db().await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_all(&db)
            .await
            .unwrap();
    let mut all = String::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT t::text FROM {table} t")).fetch_all(&db).await.unwrap();
        all.push_str(&rows.join("\n"));
    }
    db.close().await;
    all
}

async fn erase_leaves_no_byte_of_the_contact_details_in_the_database(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    book(&app, &v, "Zed.Quill@Example.TEST").await;
    // The visitor's session still holds the finished booking's record.
    assert_eq!(v.get("/book/done").await.status, Status::Ok);
    let erase = slotwise(&app, &["erase", "--email", "zed.quill@example.test"]);
    assert!(erase.success, "{}", erase.stderr);
    let details = ["zed.quill@example.test", "ann example", "+49 30 1234", "wheelchair"];
    let stored = if app.on_sqlite() {
        let file = app.db_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_string();
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-journal"] {
            bytes.extend(std::fs::read(format!("{file}{suffix}")).unwrap_or_default());
        }
        String::from_utf8_lossy(&bytes).to_lowercase()
    } else {
        every_row_as_text(&app).await.to_lowercase()
    };
    for detail in details {
        assert!(!stored.contains(detail), "`{detail}` is still in the database after the erase");
    }
    assert_ne!(v.get("/book/done").await.status, Status::Ok, "the session holding the address ended");
}

async fn erase_and_export_work_through_the_real_binary(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let link = book(&app, &v, "Ann.Example@Example.TEST").await;
    book(&app, &app.visitor(), "someone@example.test").await;

    let export = slotwise(&app, &["export", "--email", "ann.example@example.test"]);
    assert!(export.success, "{}", export.stderr);
    let json: serde_json::Value = serde_json::from_str(&export.stdout).expect("JSON");
    let bookings = json.as_array().expect("an array");
    assert_eq!(bookings.len(), 1, "{json}");
    let b = &bookings[0];
    let reference = link.trim_start_matches("/booking/").split('?').next().unwrap_or_default();
    assert_eq!(b["reference"], reference);
    assert_eq!(b["service"], "Consultation");
    assert_eq!((b["state"].as_str(), b["name"].as_str()), (Some("booked"), Some("Ann Example")));
    assert_eq!((b["email"].as_str(), b["phone"].as_str()), (Some("Ann.Example@Example.TEST"), Some("+49 30 1234")));
    assert_eq!((b["notes"].as_str(), b["language"].as_str()), (Some("wheelchair"), Some("en")));
    assert!(b["start"].as_str().is_some_and(|s| s.ends_with('Z')) && b["end"].is_string());

    let erase = slotwise(&app, &["erase", "--email", "ANN.EXAMPLE@example.test"]);
    assert!(erase.success, "{}", erase.stderr);
    assert_eq!(erase.stdout.trim(), "erased 1 booking");
    let again = slotwise(&app, &["export", "--email", "ann.example@example.test"]);
    assert_eq!(again.stdout.trim(), "[]");
    assert_eq!(slotwise(&app, &["erase", "--email", "ann.example@example.test"]).stdout.trim(), "erased 0 bookings");
    let page = app.visitor().get(&link).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains(reference) && !page.body.contains("Ann Example"), "no name after an erase");
    assert_eq!(app.count("otp_codes").await, 1, "the other address's code row stays");
    let other = slotwise(&app, &["export", "--email", "someone@example.test"]);
    assert!(other.stdout.contains("Ann Example"), "the other booking keeps its name");

    for command in ["erase", "export"] {
        let bad = slotwise(&app, &[command, "--email", "not an address"]);
        assert!(!bad.success, "{command} with a malformed address");
        assert_eq!(bad.stderr.trim(), "slotwise: `not an address` is not an email address");
        assert!(bad.stdout.is_empty());
    }
    let usage_errors: [&[&str]; 4] =
        [&["erase"], &["funnel", "--days", "many"], &["bookings", "--date", "tomorrow"], &["no-such-command"]];
    for args in usage_errors {
        let bad = slotwise(&app, args);
        assert!(!bad.success && bad.stdout.is_empty(), "{args:?}");
        assert_eq!(bad.stderr.trim_end().lines().count(), 1, "{args:?}: {}", bad.stderr);
        assert!(bad.stderr.starts_with("slotwise: "), "{args:?}: {}", bad.stderr);
    }
    let help = slotwise(&app, &["erase", "--help"]);
    assert!(help.success && help.stdout.contains("Usage: slotwise erase --email <EMAIL>"), "{}", help.stdout);
}

on_both_backends!(
    metric_families_are_exposed_and_count_what_happens,
    metrics_answer_404_without_the_right_token,
    the_funnel_counts_each_flow_once_where_it_stopped,
    retention_erases_the_contact_details_of_old_bookings_only,
    erase_and_export_work_through_the_real_binary,
    erase_leaves_no_byte_of_the_contact_details_in_the_database,
);
