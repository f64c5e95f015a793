//! Practitioners as staff see them: `slotwise bookings --practitioner`,
//! `slotwise assign`, the feed, and a practitioner who left.

use super::*;

/// `slotwise <args>` against the test app's database, with Anna and Ben configured.
fn slotwise(app: &TestApp, args: &[&str]) -> support::process::Ran {
    let env = [
        ("ROCKET_DATABASES", format!("{{slotwise={{url=\"{}\"}}}}", app.db_url)),
        ("ROCKET_LOG_LEVEL", "off".to_string()),
        (
            "ROCKET_BOOKING",
            "{practitioners=[{id=\"anna\",name=\"Anna Weber\"},{id=\"ben\",name=\"Ben Roth\"}]}".to_string(),
        ),
    ];
    let (bin, dir) = (std::path::Path::new(support::SLOTWISE_BIN), std::path::Path::new(support::MANIFEST_DIR));
    support::process::run(bin, dir, &env, args).expect("slotwise runs")
}

fn reference_of(link: &str) -> String {
    link.trim_start_matches("/booking/").split('?').next().expect("reference").to_string()
}

/// Staff see each booking's practitioner, and one practitioner's bookings
/// alone, in `slotwise bookings` and in the calendar feed; an export names
/// the practitioner.
async fn staff_list_and_feed_bookings_by_practitioner(db: Backend) {
    let app = app(&db, &format!("[default.staff]\nfeed_token = \"0123456789abcdef\"\n---\n{TWO}")).await;
    let page = {
        let v = app.visitor();
        choose(&v, "any").await;
        v.get("/book/slot").await
    };
    let slot = nth_slot(&page.body, 3);
    let ben = reference_of(&book(&app, "ben", &slot, "ben@example.test").await);
    let anna = reference_of(&book(&app, "any", &slot, "anna@example.test").await);
    let date = &slot[..10];
    let listed = slotwise(&app, &["bookings", "--date", date, "--practitioner", "ben"]);
    assert!(listed.success, "{}", listed.stderr);
    assert!(listed.stdout.contains("PRACTITIONER") && listed.stdout.contains(&ben), "{}", listed.stdout);
    assert!(!listed.stdout.contains(&anna) && listed.stdout.contains("1 booking"), "{}", listed.stdout);
    let all = slotwise(&app, &["bookings", "--date", date]);
    let line = all.stdout.lines().find(|l| l.contains(&anna)).expect("anna's booking listed");
    assert!(line.contains("anna"), "{line}");
    let exported = slotwise(&app, &["export", "--email", "anna@example.test"]);
    assert!(exported.success, "{}", exported.stderr);
    let json: serde_json::Value = serde_json::from_str(&exported.stdout).expect("export is JSON");
    let practitioners: Vec<&serde_json::Value> =
        json.as_array().expect("a list of bookings").iter().map(|b| &b["practitioner"]).collect();
    assert_eq!(practitioners, [&serde_json::json!("Anna Weber")], "{}", exported.stdout);
    let unknown = slotwise(&app, &["bookings", "--practitioner", "zed"]);
    assert!(!unknown.success && unknown.stdout.is_empty());
    assert_eq!(unknown.stderr.trim_end().lines().count(), 1, "{}", unknown.stderr);
    let v = app.visitor();
    let feed = v.get("/staff/calendar.ics?token=0123456789abcdef&practitioner=anna").await;
    assert_eq!(feed.status, Status::Ok);
    let unfolded = feed.body.replace("\r\n ", "");
    assert!(unfolded.contains(&anna) && !unfolded.contains(&ben), "{unfolded}");
    assert!(unfolded.contains("Anna Weber"), "the DESCRIPTION names her: {unfolded}");
    let all = v.get("/staff/calendar.ics?token=0123456789abcdef").await.body.replace("\r\n ", "");
    assert!(all.contains(&anna) && all.contains(&ben));
    assert_eq!(v.get("/staff/calendar.ics?token=0123456789abcdef&practitioner=zed").await.status, Status::NotFound);
}

/// The move from one shared calendar: a booking of no practitioner, given
/// to Anna, blocks her time and no longer Ben's.
async fn a_booking_made_before_practitioners_is_given_to_one_and_frees_the_others(db: Backend) {
    let (before, slot) = booked_before_practitioners(&db).await;
    let db_reference: String = {
        let db = before.db().await;
        let r = sqlx::query_scalar("SELECT reference FROM bookings").fetch_one(&db).await.expect("a booking");
        db.close().await;
        r
    };
    let given = slotwise(&before, &["assign", "--practitioner", "anna", &db_reference, "NOPE-NOPE"]);
    assert!(given.success, "{}", given.stderr);
    assert_eq!(given.stdout.trim(), format!("{db_reference}: given to anna\nNOPE-NOPE: no such booking"));
    let again = slotwise(&before, &["assign", "--practitioner", "ben", &db_reference]);
    assert_eq!(again.stdout.trim(), format!("{db_reference}: already anna's"));
    let after = TestApp::on_database(&before.db_url, &format!("{ALWAYS_OPEN}\n---\n{TWO}")).await;
    for (whom, offered) in [("anna", false), ("ben", true)] {
        let w = after.visitor();
        choose(&w, whom).await;
        let page = w.get("/book/slot").await;
        assert_eq!(page.body.contains(&format!("value=\"{slot}\"")), offered, "{whom}");
    }
}

/// The lines a real `slotwise` launched on `app`'s database with Ben alone
/// logs about practitioners who left.
fn departure_warnings(app: &TestApp) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("server.log");
    let (bin, manifest) = (std::path::Path::new(support::SLOTWISE_BIN), std::path::Path::new(support::MANIFEST_DIR));
    let mut server = support::process::Launch::new(bin, manifest)
        .expect("a free port")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"{}\"}}}}", app.db_url))
        .env("ROCKET_SECRET_KEY", support::SECRET)
        .env("ROCKET_CLI_COLORS", "false")
        .env("ROCKET_MAIL", format!("{{transport=\"file\",outbox_dir=\"{}\"}}", dir.path().display()))
        .env("ROCKET_BOOKING", "{practitioners=[{id=\"ben\",name=\"Ben Roth\"}]}")
        .log_to(log.clone())
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    server.stop();
    let text = std::fs::read_to_string(&log).expect("the server's log");
    let lines = text.lines().filter(|l| l.contains("is no longer configured"));
    lines.map(|l| l[l.find("booking.practitioners").unwrap_or(0)..].to_string()).collect()
}

/// A practitioner removed from the configuration is offered to nobody; their
/// bookings stay viewable and cancellable from the link, but move nowhere,
/// and the launch names them once with their count of future bookings.
async fn a_removed_practitioner_keeps_their_bookings_and_is_offered_to_nobody(db: Backend) {
    let both = app(&db, TWO).await;
    let page = {
        let v = both.visitor();
        choose(&v, "anna").await;
        v.get("/book/slot").await
    };
    let link = book(&both, "anna", &nth_slot(&page.body, 1), "anna@example.test").await;
    let ben_only = "[[default.booking.practitioners]]\nid = \"ben\"\nname = \"Ben Roth\"\n";
    let after = TestApp::on_database(&both.db_url, &format!("{ALWAYS_OPEN}\n---\n{MANY_SENDS}\n---\n{ben_only}")).await;
    let v = after.visitor();
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/practitioner").await;
    assert!(!page.body.contains("value=\"anna\"") && page.body.contains("value=\"ben\""));
    assert_eq!(
        v.submit("/book/practitioner", &page, &[("practitioner", "anna")]).await.status,
        Status::UnprocessableEntity
    );
    assert_eq!(
        departure_warnings(&after),
        ["booking.practitioners: `anna` is no longer configured but has 1 future booking(s)"]
    );
    let page = v.get(&link).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("anna"), "the booking page names her by her id");
    assert!(page.body.contains("id=\"stranded\"") && !page.body.contains("id=\"reschedule\""), "{}", page.body);
    let reference = reference_of(&link);
    let token = link.split("token=").nth(1).expect("token");
    let moving = v.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
    assert_eq!(moving.status, Status::Conflict, "nobody's times are offered to move her booking to");
    assert!(!moving.body.contains("name=\"slot\""));
    let slot = {
        let other = after.visitor();
        choose(&other, "ben").await;
        nth_slot(&other.get("/book/slot").await.body, 0)
    };
    let moved =
        v.submit(&format!("/booking/{reference}/reschedule"), &page, &[("token", token), ("slot", &slot)]).await;
    assert_eq!(moved.status, Status::Conflict, "{}", moved.body);
    assert!(moved.body.contains("id=\"stranded\""));
    let cancelled = v.submit(&format!("/booking/{reference}/cancel"), &page, &[("token", token)]).await;
    assert_eq!(cancelled.status, Status::SeeOther, "{}", cancelled.body);
    assert!(v.get(&link).await.body.contains("data-state=\"cancelled\""));
}

on_both_backends!(
    staff_list_and_feed_bookings_by_practitioner,
    a_booking_made_before_practitioners_is_given_to_one_and_frees_the_others,
    a_removed_practitioner_keeps_their_bookings_and_is_offered_to_nobody,
);
