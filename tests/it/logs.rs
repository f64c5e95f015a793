//! The log of a real `slotwise` process: one line per request, and no
//! personal data — not the visitor's address, name or code, nor the token
//! of their booking link.

use crate::support;

use std::path::Path;

use support::browser::Browser;
use support::process::Launch;
use support::{code_in, process_slot, read_outbox};

/// Open all day, every day: the test must not depend on the clock.
const BOOKING: &str = r#"{min_notice_minutes=0,hours={mon=["00:00-24:00"],tue=["00:00-24:00"],wed=["00:00-24:00"],thu=["00:00-24:00"],fri=["00:00-24:00"],sat=["00:00-24:00"],sun=["00:00-24:00"]}}"#;

#[test]
fn a_booking_leaves_one_line_per_request_and_no_personal_data_in_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (log, outbox) = (dir.path().join("server.log"), dir.path().join("outbox"));
    let launch = Launch::new(Path::new(support::SLOTWISE_BIN), Path::new(support::MANIFEST_DIR)).expect("a free port");
    let base = launch.base();
    let db = format!("{{slotwise={{url=\"sqlite://{}?mode=rwc\"}}}}", dir.path().join("t.db").display());
    let mut server = launch
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_DATABASES", db)
        .env("ROCKET_MAIL", format!("{{outbox_dir=\"{}\",public_url=\"{base}\"}}", outbox.display()))
        .env("ROCKET_BOOKING", BOOKING)
        // NOTE: this visitor posts the details form at once (no person is that fast).
        .env("ROCKET_ABUSE", "{min_fill_secs=0}")
        .log_to(log.clone())
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let v = Browser::new(&base);
    let (name, email) = ("Zoe Secretname", "zoe.secret@example.test");
    assert_eq!(v.submit("/book/service", &[("service", "consultation")]), 303);
    let (_, page) = v.get("/book/slot");
    let slot = process_slot(&page).expect("a slot");
    assert_eq!(v.submit("/book/slot", &[("slot", &slot)]), 303);
    assert_eq!(v.submit("/book/details", &[("name", name), ("email", email), ("phone", "+49 555 0100")]), 303);
    let code = code_in(&read_outbox(&outbox).last().expect("the code email").text).expect("a code");
    assert_eq!(v.submit("/book/verify", &[("code", &code)]), 303);
    assert_eq!(v.submit("/book/confirm", &[]), 303);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let link = loop {
        let mails = read_outbox(&outbox);
        if let Some(link) =
            mails.iter().find_map(|m| m.text.split_whitespace().find(|w| w.contains("/booking/")).map(str::to_string))
        {
            break link;
        }
        assert!(std::time::Instant::now() < deadline, "no confirmation");
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let token = link.split("token=").nth(1).expect("a token").to_string();
    assert_eq!(v.get(&link[link.find("/booking/").expect("a path")..]).0, 200);
    server.stop();
    let written = std::fs::read_to_string(&log).expect("the log");
    for secret in [name, email, "555 0100", code.as_str(), token.as_str()] {
        assert!(!written.contains(secret), "the log holds `{secret}`:\n{written}");
    }
    let lines: Vec<&str> = written.lines().filter(|l| l.starts_with("request id=")).collect();
    assert!(lines.iter().any(|l| l.contains(" POST /book/confirm 303 ")), "{written}");
    assert!(lines.iter().any(|l| l.contains(" GET /booking/") && l.contains(" 200 ")), "{written}");
    assert!(lines.len() >= 12, "one line per request: {}", lines.len());
}
