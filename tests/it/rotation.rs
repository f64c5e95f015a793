//! Rotating `secret_key` (SPEC §3a): real `slotwise` processes on one
//! database. What was made under the old key keeps working while it is
//! listed in `security.secret_key_fallbacks` — a mailed link, a
//! confirmation stored while SMTP refused, an open form, a landing page's
//! switchers — and stops once it is not (a link then answers `404`).

use crate::support;

use std::path::Path;
use std::time::Duration;

use support::browser::Browser;
use support::mail::Mail;
use support::process::{Launch, Process};
use support::smtp::SmtpServer;
use support::{code_in, process_slot};

const OLD_KEY: &str = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";
const NEW_KEY: &str = "pXnJ0n7wN1mU5zJ2nqQ2b8fW7lD3cVx3oH9xk1S4t7c=";
const ALWAYS: &str = r#"{min_notice_minutes=0,hold_minutes=0,hours={mon=["00:00-24:00"],tue=["00:00-24:00"],wed=["00:00-24:00"],thu=["00:00-24:00"],fri=["00:00-24:00"],sat=["00:00-24:00"],sun=["00:00-24:00"]}}"#;

/// A server on `db_url` under `key`, accepting `fallbacks`.
fn server(db_url: &str, smtp: &SmtpServer, key: &str, fallbacks: &[&str], log: &Path) -> Process {
    let launch = Launch::new(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR)).expect("a port");
    let base = launch.base();
    let listed: Vec<String> = fallbacks.iter().map(|k| format!("\"{k}\"")).collect();
    launch
        .env("ROCKET_SECRET_KEY", key)
        .env("ROCKET_SECURITY", format!("{{secret_key_fallbacks=[{}]}}", listed.join(",")))
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
        .env("ROCKET_BOOKING", ALWAYS)
        .log_to(log.to_path_buf())
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Books as `email` up to the confirm step (the code read from `smtp`).
fn up_to_confirm(v: &Browser, smtp: &SmtpServer, email: &str) {
    assert_eq!(v.submit("/book/service", &[("service", "consultation")]), 303);
    let slot = process_slot(&v.get("/book/slot").1).expect("a slot");
    assert_eq!(v.submit("/book/slot", &[("slot", &slot)]), 303);
    assert_eq!(v.submit("/book/details", &[("name", "Kim"), ("email", email)]), 303);
    let mail = smtp.take_to(email, Duration::from_secs(10)).expect("the code");
    let code = code_in(&Mail::parse(&mail.data).text).expect("a code");
    assert_eq!(v.submit("/book/verify", &[("code", &code)]), 303);
}

/// The booking link (path and query) in a confirmation to `email`.
fn link_to(smtp: &SmtpServer, email: &str) -> String {
    let mail = smtp.take_to(email, Duration::from_secs(15)).expect("the confirmation");
    let text = Mail::parse(&mail.data).text;
    let link = text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link").to_string();
    link[link.find("/booking/").expect("a path")..].to_string()
}

#[test]
fn a_rotated_key_keeps_what_the_old_one_made_while_it_is_listed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    let smtp = SmtpServer::start();

    // Under the old key: a booking with its link mailed, a confirmation
    // waiting for SMTP, a form open at the details step, a landing page.
    let mut old = server(&db_url, &smtp, OLD_KEY, &[], &dir.path().join("old.log"));
    let mut booked = Browser::new(old.base());
    up_to_confirm(&booked, &smtp, "kim@example.test");
    assert_eq!(booked.submit("/book/confirm", &[]), 303);
    let link = link_to(&smtp, "kim@example.test");
    let mut waiting = Browser::new(old.base());
    up_to_confirm(&waiting, &smtp, "lou@example.test");
    smtp.set_refuse(true);
    assert_eq!(waiting.submit("/book/confirm", &[]), 303);
    let mut open_form = Browser::new(old.base());
    assert_eq!(open_form.submit("/book/service", &[("service", "consultation")]), 303);
    let slot = process_slot(&open_form.get("/book/slot").1).expect("a slot");
    assert_eq!(open_form.submit("/book/slot", &[("slot", &slot)]), 303);
    let (_, details_page) = open_form.get("/book/details");
    let mut landing = Browser::new(old.base());
    let (_, landing_page) = landing.get("/");
    // NOTE: waits for a real process or socket (the refused delivery attempt).
    std::thread::sleep(Duration::from_millis(500));
    old.stop();
    smtp.set_refuse(false);

    // The new key, the old one listed.
    let rotated = server(&db_url, &smtp, NEW_KEY, &[OLD_KEY], &dir.path().join("rotated.log"));
    for v in [&mut booked, &mut waiting, &mut open_form, &mut landing] {
        v.rebase(rotated.base());
    }
    let (status, page) = booked.get(&link);
    assert_eq!(status, 200, "the mailed link opens");
    assert!(page.contains("Kim"), "{page}");
    let waited = link_to(&smtp, "lou@example.test");
    assert_eq!(waiting.get(&waited).0, 200, "the stored confirmation went out, its link works");
    let posted = open_form.post("/book/details", &details_page, &[("name", "Max"), ("email", "max@example.test")]);
    assert_eq!(posted, Some(303), "the form opened before the restart posts");
    assert_eq!(landing.post("/prefs", &landing_page, &[("theme", "dark"), ("next", "/")]), Some(303));
    let token = link.split("token=").nth(1).expect("a token");
    let reference = link.trim_start_matches("/booking/").split('?').next().expect("a reference");
    let (_, booking_page) = booked.get(&link);
    let cancelled = booked.post(&format!("/booking/{reference}/cancel"), &booking_page, &[("token", token)]);
    assert_eq!(cancelled, Some(303), "the old link cancels");
    drop(rotated);

    // The new key alone: what the old one made has ended.
    let alone = server(&db_url, &smtp, NEW_KEY, &[], &dir.path().join("alone.log"));
    let stranger = Browser::new(alone.base());
    assert_eq!(stranger.get(&link).0, 404, "an old link without its key");
    assert_eq!(stranger.get(&waited).0, 404);
}

#[test]
fn a_fallback_in_a_bad_format_stops_the_launch_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let output = std::process::Command::new(support::SLOTWISE_BIN)
        .current_dir(support::MANIFEST_DIR)
        .env("ROCKET_SECRET_KEY", NEW_KEY)
        .env("ROCKET_SECURITY", "{secret_key_fallbacks=[\"not-a-key\"]}")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{db_url}\"}}}}"))
        .env("ROCKET_PORT", "0")
        .output()
        .expect("slotwise runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("security.secret_key_fallbacks"), "{stderr}");
}
