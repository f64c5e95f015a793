//! Two real `slotwise` processes sharing one PostgreSQL database (SPEC §6):
//! a visitor's requests may land on either, and either may go away.
//!
//! These tests need `SLOTWISE_TEST_POSTGRES_URL`; without it they say so on
//! stderr and pass without running.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use support::process::{Launch, Process};
use support::{code_in, field_value, form, process_slot, read_outbox, Backend, Jar};

/// Open all day, every day: the tests must not depend on the clock.
const BOOKING: &str = r#"{min_notice_minutes=0,hold_minutes=0,hours={mon=["00:00-24:00"],tue=["00:00-24:00"],wed=["00:00-24:00"],thu=["00:00-24:00"],fri=["00:00-24:00"],sat=["00:00-24:00"],sun=["00:00-24:00"]}}"#;

/// Starts one `slotwise` process on a free loopback port against `db_url`,
/// writing mail to `outbox`; it answers `/healthz` and is killed when dropped.
fn instance(db_url: &str, outbox: &Path) -> Process {
    instance_with(db_url, outbox, "{}")
}

/// [`instance`] with `abuse` as its `[abuse]` section (e.g. `{holds_per_client=1}`).
fn instance_with(db_url: &str, outbox: &Path, abuse: &str) -> Process {
    let launch = Launch::new(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR)).expect("a free port");
    let base = launch.base();
    // NOTE: these visitors post the details form at once (no person is that fast).
    let abuse = abuse.replacen('{', "{min_fill_secs=0,", 1).replace(",}", "}");
    launch
        .env("ROCKET_ABUSE", abuse)
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{db_url}\"}}}}"))
        .env("ROCKET_MAIL", format!("{{transport=\"file\",outbox_dir=\"{}\",public_url=\"{base}\"}}", outbox.display()))
        .env("ROCKET_OTP", "{resend_cooldown_secs=0}")
        .env("ROCKET_BOOKING", BOOKING)
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A response read to the end.
struct Reply {
    status: u16,
    location: String,
    body: String,
}

/// A browser: one cookie jar, any instance.
struct Browser {
    agent: ureq::Agent,
    jar: Jar,
}

impl Browser {
    fn new() -> Browser {
        Browser { agent: ureq::AgentBuilder::new().redirects(0).build(), jar: Jar::new() }
    }

    fn send(&self, request: ureq::Request, body: Option<&str>) -> Reply {
        let request = self.jar.send(request);
        let result = match body {
            Some(b) => request.set("Content-Type", "application/x-www-form-urlencoded").send_string(b),
            None => request.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        self.jar.keep_all(&response);
        let status = response.status();
        let location = response.header("Location").unwrap_or_default().to_string();
        let body = response.into_string().unwrap_or_default();
        Reply { status, location, body }
    }

    fn get(&self, on: &Process, path: &str) -> Reply {
        self.send(self.agent.get(&format!("{}{path}", on.base())), None)
    }

    /// GETs `path` on `on` for its form token, then POSTs `pairs` to `path`
    /// on `to` (which may be the other instance).
    fn submit(&self, on: &Process, to: &Process, path: &str, pairs: &[(&str, &str)]) -> Reply {
        let page = self.get(on, path);
        assert_eq!(page.status, 200, "GET {path} on {}: {}", on.base(), page.location);
        self.post(to, path, &page, pairs)
    }

    /// POSTs `pairs` plus the token of `page` to `path` on `to`.
    fn post(&self, to: &Process, path: &str, page: &Reply, pairs: &[(&str, &str)]) -> Reply {
        let token = field_value(&page.body, "csrf_token").expect("page has a csrf_token");
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(pairs);
        self.send(self.agent.post(&format!("{}{path}", to.base())), Some(&form(&all)))
    }
}

/// The code in the newest email to `email`.
fn code_for(outbox: &Path, email: &str) -> String {
    let mails = read_outbox(outbox);
    let mail = mails.iter().rev().find(|m| m.is_to(email)).expect("a code email");
    code_in(&mail.text).expect("a code in the email")
}

/// A fresh PostgreSQL database and outbox, dropped at the end.
struct Shared {
    db_url: String,
    outbox: PathBuf,
    drop: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Shared {
    fn new(test: &str) -> Option<Shared> {
        let db = Backend::postgres(test)?;
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let (db_url, drop) = runtime.block_on(support::fresh_database(&db, dir.path()));
        Some(Shared { db_url, outbox: dir.path().join("outbox"), drop, _dir: dir })
    }

    fn bookings(&self) -> i64 {
        let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let db = crate::support::app::sql(&self.db_url).await.expect("the test database");
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM bookings").fetch_one(&db).await.expect("count bookings");
            db.close().await;
            n
        })
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop.take() {
            support::drop_database(&admin, &name);
        }
    }
}

/// Service → slot → details, each step on the next instance of `on`;
/// returns the emailed code.
fn until_code(v: &Browser, on: [&Process; 3], outbox: &Path, email: &str, slot: Option<&str>) -> String {
    let r = v.submit(on[0], on[1], "/book/service", &[("service", "consultation")]);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/slot"));
    let page = v.get(on[1], "/book/slot");
    let first = process_slot(&page.body).expect("a slot is offered");
    let r = v.post(on[2], "/book/slot", &page, &[("slot", slot.unwrap_or(&first))]);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/details"), "{}", r.body);
    let details = [("name", "Ann"), ("email", email), ("phone", ""), ("notes", "")];
    let r = v.submit(on[0], on[1], "/book/details", &details);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/verify"), "{}", r.body);
    code_for(outbox, email)
}

#[test]
fn a_visitor_alternating_between_instances_books_and_survives_one_stopping() {
    let Some(shared) =
        Shared::new("instances::a_visitor_alternating_between_instances_books_and_survives_one_stopping")
    else {
        return;
    };
    let (a, mut b) = (instance(&shared.db_url, &shared.outbox), instance(&shared.db_url, &shared.outbox));

    // A session changed on one instance is seen by the other at once.
    let v = Browser::new();
    let landing = v.get(&a, "/");
    let r = v.post(&a, "/prefs", &landing, &[("lang", "de"), ("theme", "dark"), ("next", "/")]);
    assert_eq!(r.status, 303);
    assert!(v.get(&b, "/").body.contains("<html lang=\"de\" data-theme=\"dark\""));

    // Every step on the other instance than the one before.
    let code = until_code(&v, [&b, &a, &b], &shared.outbox, "ann@example.test", None);
    let r = v.submit(&a, &b, "/book/verify", &[("code", &code)]);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/confirm"));
    let r = v.submit(&a, &b, "/book/confirm", &[]);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/done"), "{}", r.body);
    let done = v.get(&a, "/book/done");
    assert!(done.body.contains("id=\"booking-ref\""), "{}", done.body);
    assert!(v.get(&b, "/").body.contains("data-theme=\"dark\""), "preferences outlive the flow");
    assert_eq!(shared.bookings(), 1);

    // Mid-flow, the instance that served every step so far goes away.
    let w = Browser::new();
    let code = until_code(&w, [&b, &b, &b], &shared.outbox, "bo@example.test", None);
    b.stop();
    let r = w.submit(&a, &a, "/book/verify", &[("code", &code)]);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/confirm"), "{}", r.body);
    let r = w.submit(&a, &a, "/book/confirm", &[]);
    assert_eq!((r.status, r.location.as_str()), (303, "/book/done"), "{}", r.body);
    assert_eq!(shared.bookings(), 2);
}

#[test]
fn twenty_visitors_on_two_instances_book_the_last_seat_once() {
    let Some(shared) = Shared::new("instances::twenty_visitors_on_two_instances_book_the_last_seat_once") else {
        return;
    };
    let instances = [instance(&shared.db_url, &shared.outbox), instance(&shared.db_url, &shared.outbox)];

    // Everyone verifies their address for the same slot (holds are off).
    let mut slot: Option<String> = None;
    let mut ready = Vec::new();
    for i in 0..20 {
        let v = Browser::new();
        let on = &instances[i % 2];
        let other = &instances[(i + 1) % 2];
        if slot.is_none() {
            v.submit(on, on, "/book/service", &[("service", "consultation")]);
            slot = process_slot(&v.get(on, "/book/slot").body);
        }
        let email = format!("r{i}@example.test");
        let code = until_code(&v, [on, other, on], &shared.outbox, &email, slot.as_deref());
        let r = v.submit(other, other, "/book/verify", &[("code", &code)]);
        assert_eq!(r.location, "/book/confirm");
        let page = v.get(on, "/book/confirm");
        assert_eq!(page.status, 200);
        ready.push((v, page, i % 2));
    }

    // Then all confirm at once, half on each instance.
    let barrier = Arc::new(Barrier::new(ready.len()));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = ready
            .iter()
            .map(|(v, page, n)| {
                let (barrier, to) = (barrier.clone(), &instances[*n]);
                s.spawn(move || {
                    barrier.wait();
                    v.post(to, "/book/confirm", page, &[]).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    assert_eq!(shared.bookings(), 1);
}

#[test]
fn limits_across_sessions_hold_across_instances() {
    let Some(shared) = Shared::new("limits_across_sessions_hold_across_instances") else { return };
    let abuse = "{sends_per_address_per_day=3,sends_per_client_per_hour=0}";
    let instances =
        [instance_with(&shared.db_url, &shared.outbox, abuse), instance_with(&shared.db_url, &shared.outbox, abuse)];
    let mut statuses = Vec::new();
    for i in 0..6 {
        // A fresh session each time, alternating instances, one victim.
        let v = Browser::new();
        let (on, other) = (&instances[i % 2], &instances[(i + 1) % 2]);
        v.submit(on, other, "/book/service", &[("service", "consultation")]);
        let page = v.get(other, "/book/slot");
        let slot = process_slot(&page.body).expect("a slot");
        v.post(on, "/book/slot", &page, &[("slot", &slot)]);
        let details = [("name", "Vic"), ("email", "victim@example.test"), ("phone", ""), ("notes", "")];
        statuses.push(v.submit(other, on, "/book/details", &details).status);
    }
    assert_eq!(statuses, [303, 303, 303, 429, 429, 429]);
    let sent = read_outbox(&shared.outbox).iter().filter(|m| m.is_to("victim@example.test")).count();
    assert_eq!(sent, 3, "the victim receives exactly the limit");
}
