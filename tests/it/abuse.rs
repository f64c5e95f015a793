//! Revision 2's defences, tried as an attacker would: tokens bound to their
//! session, limits that a new cookie cannot reset (SPEC §2d), hostile headers.

use crate::support;

use rocket::http::Status;
use support::{code_in, form, offered_slot, Backend, TestApp, Visitor, ALWAYS_OPEN};

/// Open every day, all day, codes without cooldown.
const OPEN: &str = r#"
[default.otp]
resend_cooldown_secs = 0
"#;

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{OPEN}\n---\n{extra}")).await
}

/// Walks one fresh visitor to the details step and posts `email`.
async fn details(v: &Visitor<'_>, email: &str) -> support::Page {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot");
    let held = v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    assert_eq!(held.status, Status::SeeOther, "slot held: {}", held.body);
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Vic"), ("email", email)]).await
}

fn codes_to(app: &TestApp, email: &str) -> usize {
    support::read_outbox(&app.outbox).iter().filter(|m| m.to.iter().any(|t| t.address == email)).count()
}

async fn a_session_less_token_is_refused_everywhere_but_prefs(db: Backend) {
    let app = app(&db, "").await;
    let landing = app.visitor().get("/").await;
    let token = landing.csrf();
    let posts = [
        "/book/service",
        "/book/slot",
        "/book/details",
        "/book/verify",
        "/book/verify/resend",
        "/book/confirm",
        "/book/cancel",
        "/booking/ABCD-EFGH/cancel",
    ];
    for uri in posts {
        let stranger = app.visitor();
        let page = stranger.post(uri, &form(&[("csrf_token", &token), ("service", "consultation")])).await;
        assert_eq!(page.status, Status::Forbidden, "POST {uri}");
        assert!(page.set_cookies().is_empty(), "POST {uri} creates no session");
    }
    assert_eq!(app.count("sessions").await, 0, "nothing stored");
    let prefs = app.visitor().post("/prefs", &form(&[("csrf_token", &token), ("lang", "de"), ("next", "/")])).await;
    assert_eq!(prefs.status, Status::SeeOther, "the landing page's switchers still work");
}

async fn another_sessions_token_is_refused(db: Backend) {
    let app = app(&db, "").await;
    let alice = app.visitor();
    let alices = alice.get("/book/service").await;
    let bob = app.visitor();
    bob.get("/book/service").await;
    let page = bob.post("/book/service", &form(&[("csrf_token", &alices.csrf()), ("service", "consultation")])).await;
    assert_eq!(page.status, Status::Forbidden);
    let page = alice.submit("/book/service", &alices, &[("service", "consultation")]).await;
    assert_eq!((page.status, page.location()), (Status::SeeOther, "/book/slot"), "her own token works");
}

async fn step_pages_set_the_cookie_but_lookers_store_nothing(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let page = v.get("/book/service").await;
    let cookie = page.set_cookies().into_iter().find(|c| c.starts_with("slotwise_session=")).expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    // The token is bound to that cookie: the same visitor's next page carries it.
    assert_eq!(v.get("/book/service").await.csrf(), page.csrf());
    for _ in 0..10_000 {
        let page = app.client.get("/book/service").dispatch().await;
        assert_eq!(page.status(), Status::Ok);
    }
    assert_eq!(app.count("sessions").await, 0, "10,000 lookers store no session");
    let chosen = v.submit("/book/service", &page, &[("service", "consultation")]).await;
    assert_eq!(chosen.status, Status::SeeOther);
    assert_eq!(app.count("sessions").await, 1, "the first change stores one");
}

async fn an_address_receives_its_daily_limit_from_any_number_of_sessions(db: Backend) {
    let limits = "[default.abuse]\nsends_per_address_per_day = 10\nsends_per_client_per_hour = 0\nholds_per_client = 0";
    // Without holds every attacker can take the first slot.
    let app = app(&db, &format!("{limits}\n---\n[default.booking]\nhold_minutes = 0")).await;
    let mut refused = 0;
    for _ in 0..20 {
        let attacker = app.visitor().at_address("203.0.113.7");
        let page = details(&attacker, "victim@example.test").await;
        match page.status {
            Status::SeeOther => {}
            Status::TooManyRequests => {
                refused += 1;
                assert!(page.body.contains("minutes"), "says when to try again: {}", page.body);
            }
            other => panic!("unexpected {other}: {}", page.body),
        }
    }
    assert_eq!(codes_to(&app, "victim@example.test"), 10, "exactly the limit");
    assert_eq!(refused, 10);
    let german = app.visitor().with_header("Accept-Language", "de");
    let page = details(&german, "victim@example.test").await;
    assert_eq!(page.status, Status::TooManyRequests);
    assert!(page.body.contains("Minuten"), "translated: {}", page.body);
}

async fn a_client_has_an_hourly_budget_whatever_it_claims_to_be(db: Backend) {
    let limits = "[default.abuse]\nsends_per_client_per_hour = 3\ntrusted_proxies = [\"10.9.9.9\"]";
    let app = app(&db, &format!("{limits}\n---\n[default.booking]\nhold_minutes = 0")).await;
    for i in 0..3 {
        let v = app.visitor().at_address("198.51.100.1").with_header("X-Forwarded-For", &format!("192.0.2.{i}"));
        assert_eq!(details(&v, &format!("p{i}@example.test")).await.status, Status::SeeOther);
    }
    // A spoofed X-Forwarded-For from an untrusted peer changes nothing.
    let spoofer = app.visitor().at_address("198.51.100.1").with_header("X-Forwarded-For", "192.0.2.99");
    assert_eq!(details(&spoofer, "p9@example.test").await.status, Status::TooManyRequests);
    assert_eq!(codes_to(&app, "p9@example.test"), 0, "nothing sent");
    // Behind the trusted proxy two forwarded clients have separate budgets.
    for client in ["192.0.2.10", "192.0.2.11"] {
        for i in 0..3 {
            let v = app.visitor().at_address("10.9.9.9").with_header("X-Forwarded-For", &format!("6.6.6.6, {client}"));
            let page = details(&v, &format!("{client}-{i}@example.test")).await;
            assert_eq!(page.status, Status::SeeOther, "{client} send {i}");
        }
        let v = app.visitor().at_address("10.9.9.9").with_header("X-Forwarded-For", client);
        assert_eq!(details(&v, &format!("{client}-x@example.test")).await.status, Status::TooManyRequests);
    }
    // A malformed header from the proxy is ignored, never a 5xx.
    let v = app.visitor().at_address("10.9.9.9").with_header("X-Forwarded-For", "not an address, ,,");
    assert!(details(&v, "junk@example.test").await.status.code < 500);
}

async fn a_client_holds_at_most_its_limit(db: Backend) {
    let app = app(&db, "[default.abuse]\nholds_per_client = 2").await;
    let slots = |page: &support::Page| -> Vec<String> {
        page.body
            .match_indices("name=\"slot\" value=\"")
            .map(|(i, _)| {
                let rest = &page.body[i + 19..];
                rest[..rest.find('"').unwrap_or(0)].to_string()
            })
            .collect()
    };
    let mut placed = Vec::new();
    for i in 0..3 {
        let v = app.visitor().at_address("203.0.113.50");
        let page = v.get("/book/service").await;
        v.submit("/book/service", &page, &[("service", "consultation")]).await;
        let page = v.get("/book/slot").await;
        let slot = slots(&page)[i * 4].clone();
        let answer = v.submit("/book/slot", &page, &[("slot", &slot)]).await;
        placed.push(answer.status);
    }
    assert_eq!(placed, [Status::SeeOther, Status::SeeOther, Status::TooManyRequests]);
    assert_eq!(app.count("holds").await, 2, "the refused choice changed nothing");
}

async fn a_hostile_accept_language_never_reaches_a_5xx(db: Backend) {
    let app = app(&db, "").await;
    let header: Vec<&str> = (0..30).map(|i| ["en;q=0.9", "en;q=NaN", "en;q=0.1", "de;q=NaN"][i % 4]).collect();
    let v = app.visitor().with_header("Accept-Language", &header.join(","));
    for uri in ["/", "/book/service", "/no-such-page"] {
        let page = v.get(uri).await;
        assert!(page.status.code < 500, "{uri}: {}", page.status);
        assert!(page.header("Server").is_none(), "{uri} names no server");
    }
}

async fn codes_are_still_sent_and_verified_under_the_limits(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    assert_eq!(details(&v, "ok@example.test").await.location(), "/book/verify");
    let mail = support::read_outbox(&app.outbox);
    let code = code_in(&mail.last().expect("code").text).expect("code");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
}

/// Thirty sends to one address at once, each from its own task and
/// connection, at the edge of the address's limit: exactly the limit counts.
async fn thirty_parallel_sends_never_pass_the_limit(db: Backend) {
    let app = app(&db, "").await;
    let pool = slotwise::db::connect(&app.db_url, 4, 10).await.expect("the app's database");
    let config = slotwise::config::Settings::from_figment(&app.figment).expect("settings").abuse;
    let config =
        slotwise::config::AbuseConfig { sends_per_address_per_day: 10, sends_per_client_per_hour: 0, ..config };
    let barrier = std::sync::Arc::new(rocket::tokio::sync::Barrier::new(30));
    // NOTE: the app's clock, not the system's: the app's own purge of old
    // counts (its first turn runs whenever the runtime gets to it) reads the
    // app's clock, and would take counts made at the system's (years
    // earlier) as expired, letting sends past the limit.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (pool, config, barrier, clock) = (pool.clone(), config.clone(), barrier.clone(), app.clock.clone());
            rocket::tokio::spawn(async move {
                let limits = slotwise::abuse::Limits::new(&config, &pool, &clock);
                barrier.wait().await;
                let client = slotwise::abuse::Client(format!("198.51.100.{i}"));
                limits.count_send(&client, "edge@example.test").await
            })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        if matches!(task.await.expect("a task").expect("no database error"), slotwise::abuse::Counted::Counted(_)) {
            counted += 1;
        }
    }
    pool.close().await;
    assert_eq!(counted, 10);
}

on_both_backends!(
    thirty_parallel_sends_never_pass_the_limit,
    a_session_less_token_is_refused_everywhere_but_prefs,
    another_sessions_token_is_refused,
    step_pages_set_the_cookie_but_lookers_store_nothing,
    an_address_receives_its_daily_limit_from_any_number_of_sessions,
    a_client_has_an_hourly_budget_whatever_it_claims_to_be,
    a_client_holds_at_most_its_limit,
    a_hostile_accept_language_never_reaches_a_5xx,
    codes_are_still_sent_and_verified_under_the_limits,
);

/// A real `slotwise` process: a 100,000-byte request method is answered
/// with a `4xx`, names no server, and reaches the log cut short.
#[test]
fn a_huge_request_method_is_refused_and_logged_short() {
    use std::io::{Read, Write};
    use support::process::Launch;
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("server.log");
    let launch = Launch::new(std::path::Path::new(support::SLOTWISE_BIN), std::path::Path::new(support::MANIFEST_DIR))
        .expect("a free port");
    let port = launch.port();
    let db = format!("{{slotwise={{url=\"sqlite://{}?mode=rwc\"}}}}", dir.path().join("t.db").display());
    let mut server = launch
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_DATABASES", db)
        .env("ROCKET_MAIL", format!("{{outbox_dir=\"{}\"}}", dir.path().join("outbox").display()))
        .log_to(log.clone())
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    let request = format!("{} / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", "X".repeat(100_000));
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status_line = answer.lines().next().unwrap_or_default().to_string();
    assert!(status_line.contains(" 4"), "a 4xx: {status_line}");
    assert!(!answer.to_ascii_lowercase().contains("\nserver:"), "no Server header: {answer}");
    server.stop();
    let written = std::fs::read_to_string(&log).expect("the log");
    let longest = written.lines().map(str::len).max().unwrap_or(0);
    assert!(written.contains("XXXX"), "the method is logged");
    assert!(longest < 4_000, "no log line copies the whole method: {longest} bytes");
}
