//! The running summary (issue 27): the details, verify and confirm steps
//! show what is being booked — the service, with practitioners whom, the
//! time — and, while the hold lives, until when the time is kept.

use crate::support;

use chrono::Duration;
use rocket::http::Status;
use support::{code_in, offered_slot, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n[default.booking]\nhold_minutes = 10\n---\n{extra}")).await
}

/// The running summary of `page`: its `<section class="card choice">`, or
/// the confirm page's card.
fn summary(page: &Page) -> &str {
    let body = &page.body;
    let start = body.find("<dl class=\"summary-list\">").unwrap_or_else(|| panic!("no summary on {body}"));
    &body[start..start + body[start..].find("</dl>").expect("the list ends")]
}

/// The consultation on the day after the clock's start (Tuesday), 10:00 in Berlin.
async fn choose(v: &Visitor<'_>) {
    let page = v.get("/book/service").await;
    assert_eq!(v.submit("/book/service", &page, &[("service", "consultation")]).await.location(), "/book/slot");
    let page = v.get("/book/slot").await;
    let slot = [("slot", "2031-03-04T10:00")];
    assert_eq!(v.submit("/book/slot", &page, &slot).await.location(), "/book/details");
}

async fn every_step_after_the_slot_shows_what_is_booked_and_until_when_it_is_held(db: Backend) {
    let app = app(&db, "").await;
    // The clock starts at 08:50 UTC; the hold then lasts until 09:02 UTC (10:02 in Berlin).
    app.clock.advance(Duration::minutes(2));
    let v = app.visitor();
    choose(&v).await;
    let held = "Held for you until 10:02 CET.";

    let details = v.get("/book/details").await;
    assert_eq!(details.status, Status::Ok);
    let shown = summary(&details);
    for text in ["Consultation (30 minutes)", "Tue 4 Mar 2031, 10:00 CET", held, "href=\"/book/slot\""] {
        assert!(shown.contains(text), "details: {text} in {shown}");
    }
    assert!(!shown.contains("With"), "no practitioners, no practitioner: {shown}");

    let fields = [("name", "Ann"), ("email", "ann@example.test")];
    assert_eq!(v.submit("/book/details", &details, &fields).await.location(), "/book/verify");
    let verify = v.get("/book/verify").await;
    let shown = summary(&verify);
    assert!(shown.contains("Tue 4 Mar 2031, 10:00 CET") && shown.contains(held), "verify: {shown}");
    let wrong = v.submit("/book/verify", &verify, &[("code", "000000")]).await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    assert!(summary(&wrong).contains(held), "a wrong code keeps the summary: {}", summary(&wrong));

    let code = code_in(&support::read_outbox(&app.outbox).last().expect("the code email").text).expect("a code");
    assert_eq!(v.submit("/book/verify", &verify, &[("code", &code)]).await.location(), "/book/confirm");
    let confirm = v.get("/book/confirm").await;
    let shown = summary(&confirm);
    for text in ["Consultation (30 minutes)", "Tue 4 Mar 2031, 10:00 CET", held, "Ann", "ann@example.test"] {
        assert!(shown.contains(text), "confirm: {text} in {shown}");
    }

    // The hold lapses: the time is still what is booked, but no longer held.
    app.clock.advance(Duration::minutes(11));
    let lapsed = v.get("/book/confirm").await;
    let shown = summary(&lapsed);
    assert!(shown.contains("Tue 4 Mar 2031, 10:00 CET") && !shown.contains("Held for you"), "{shown}");
    assert_eq!(v.submit("/book/confirm", &lapsed, &[]).await.location(), "/book/done", "a lapsed hold still books");
}

/// The details and code pages name the hold the flow recorded when it
/// placed it (no database read): each hold placed anew replaces the record.
async fn the_hold_named_is_the_one_placed_last_until_it_lapses(db: Backend) {
    let app = app(&db, "").await;
    app.clock.advance(Duration::minutes(2));
    let v = app.visitor();
    choose(&v).await;
    let details = v.get("/book/details").await;
    assert!(summary(&details).contains("Held for you until 10:02 CET."), "{}", summary(&details));

    // Five minutes on, another service: the time still fits and is held again.
    app.clock.advance(Duration::minutes(5));
    let page = v.get("/book/service").await;
    assert_eq!(v.submit("/book/service", &page, &[("service", "follow-up")]).await.location(), "/book/details");
    let details = v.get("/book/details").await;
    let shown = summary(&details);
    assert!(shown.contains("Held for you until 10:07 CET.") && !shown.contains("10:02"), "{shown}");

    let fields = [("name", "Ann"), ("email", "ann@example.test")];
    assert_eq!(v.submit("/book/details", &details, &fields).await.location(), "/book/verify");
    app.clock.advance(Duration::minutes(11));
    let verify = v.get("/book/verify").await;
    let shown = summary(&verify);
    assert!(shown.contains("10:00 CET") && !shown.contains("Held for you"), "lapsed: {shown}");
}

async fn the_hold_is_told_in_the_visitors_language_and_zone(db: Backend) {
    let app = app(&db, "").await;
    app.clock.advance(Duration::minutes(2));
    let v = app.visitor().with_header("Accept-Language", "de");
    choose(&v).await;
    let details = v.get("/book/details").await;
    let shown = summary(&details);
    assert!(shown.contains("Beratung") && shown.contains("Für Sie reserviert bis 10:02 MEZ."), "{shown}");

    let moved = v.submit("/prefs", &details, &[("tz", "America/New_York"), ("next", "/book/details")]).await;
    assert_eq!(moved.location(), "/book/details");
    let details = v.get("/book/details").await;
    let shown = summary(&details);
    assert!(shown.contains("Für Sie reserviert bis 10:02 MEZ (04:02 EST Ihre Zeit)."), "{shown}");
}

async fn without_holds_nothing_is_said_to_be_held(db: Backend) {
    let app = app(&db, "[default.booking]\nhold_minutes = 0").await;
    let v = app.visitor();
    choose(&v).await;
    let shown = v.get("/book/details").await;
    assert!(summary(&shown).contains("10:00 CET") && !summary(&shown).contains("Held"), "{}", summary(&shown));
}

async fn with_practitioners_the_summary_names_whom(db: Backend) {
    let staff = "[[default.booking.practitioners]]\nid = \"anna\"\nname = \"Anna Weber\"\n\
                 [[default.booking.practitioners]]\nid = \"ben\"\nname = \"Ben Roth\"\n";
    let app = app(&db, staff).await;
    for (whom, named) in [("ben", "Ben Roth"), ("any", "Anna Weber")] {
        let v = app.visitor();
        let page = v.get("/book/service").await;
        v.submit("/book/service", &page, &[("service", "consultation")]).await;
        let page = v.get("/book/practitioner").await;
        assert_eq!(v.submit("/book/practitioner", &page, &[("practitioner", whom)]).await.location(), "/book/slot");
        let page = v.get("/book/slot").await;
        let slot = offered_slot(&page.body).expect("a time");
        assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
        let shown = v.get("/book/details").await;
        let shown = summary(&shown);
        // NOTE: with anyone, the hold names the first free practitioner.
        assert!(shown.contains(&format!("{named} · <a href=\"/book/practitioner\">")), "{whom}: {shown}");
    }
}

on_both_backends!(
    every_step_after_the_slot_shows_what_is_booked_and_until_when_it_is_held,
    the_hold_named_is_the_one_placed_last_until_it_lapses,
    the_hold_is_told_in_the_visitors_language_and_zone,
    without_holds_nothing_is_said_to_be_held,
    with_practitioners_the_summary_names_whom,
);
