//! "You confirm what you saw" (SPEC §2): one session, two browser tabs. A
//! confirm page carries `summary`; when another tab changed the flow after
//! it was shown, its POST books nothing and answers `409` with the current
//! choices.

use crate::support;

use rocket::http::Status;
use support::{code_in, field_value, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

async fn app(db: &Backend) -> TestApp {
    TestApp::with_config(db, ALWAYS_OPEN).await
}

/// The value of the `n`-th offered slot (from 0).
fn nth_slot(html: &str, n: usize) -> String {
    let needle = "name=\"slot\" value=\"";
    let (at, _) = html.match_indices(needle).nth(n).expect("enough slots are offered");
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("a closing quote")].to_string()
}

/// Walks `v` through service, the first slot, details and the code to the
/// confirm page.
async fn to_confirm(app: &TestApp, v: &Visitor<'_>) -> Page {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    v.submit("/book/slot", &page, &[("slot", &nth_slot(&page.body, 0))]).await;
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Tab Tester"), ("email", "tabs@example.test")]).await;
    let code = code_in(&support::read_outbox(&app.outbox).last().expect("a code email").text).expect("a code");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
    let page = v.get("/book/confirm").await;
    assert_eq!(page.status, Status::Ok);
    page
}

fn summary(page: &Page) -> String {
    field_value(&page.body, "summary").expect("the confirm form carries summary")
}

async fn a_confirm_from_a_tab_that_showed_another_slot_books_nothing_and_shows_the_current_one(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    let tab_a = to_confirm(&app, &v).await;
    let seen_in_a = summary(&tab_a);
    assert_eq!(seen_in_a.len(), 32, "{seen_in_a}");
    assert!(seen_in_a.bytes().all(|b| b.is_ascii_hexdigit()), "opaque: {seen_in_a}");
    assert_eq!(summary(&v.get("/book/confirm").await), seen_in_a, "the same choices, the same value");

    // Tab B moves the appointment to the second time.
    let slots = v.get("/book/slot").await;
    let later = nth_slot(&slots.body, 1);
    assert_eq!(v.submit("/book/slot", &slots, &[("slot", &later)]).await.location(), "/book/confirm");
    let tab_b = v.get("/book/confirm").await;
    assert_ne!(summary(&tab_b), seen_in_a);

    // Tab A, still showing the first time, confirms.
    let stale = v.submit("/book/confirm", &tab_a, &[("summary", &seen_in_a)]).await;
    assert_eq!(stale.status, Status::Conflict, "{}", stale.body);
    assert!(stale.body.contains("was changed in another window or tab"), "{}", stale.body);
    assert_eq!(summary(&stale), summary(&tab_b), "a new summary of the current choices");
    let when = |page: &Page| {
        page.body.split("<dt>Date and time</dt><dd>").nth(1).map(|s| s[..s.find(" · ").unwrap_or(0)].to_string())
    };
    assert_eq!(when(&stale), when(&tab_b), "the current time is shown");
    assert_eq!(app.count("bookings").await, 0, "nothing booked");

    // Confirmed from the page now shown: booked at the time tab B chose.
    let booked = v.submit("/book/confirm", &stale, &[("summary", &summary(&stale))]).await;
    assert_eq!((booked.status, booked.location()), (Status::SeeOther, "/book/done"));
    let db = app.db().await;
    let (start,): (i64,) = sqlx::query_as("SELECT starts_at FROM bookings").fetch_one(&db).await.expect("one booking");
    db.close().await;
    let local = later.replace('T', " ");
    let shown = chrono::DateTime::from_timestamp_millis(start).expect("ms").with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(shown.format("%Y-%m-%d %H:%M").to_string(), local);
}

async fn changed_details_in_another_tab_make_the_old_page_stale_and_no_summary_is_judged_as_before(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    let tab_a = to_confirm(&app, &v).await;
    let seen_in_a = summary(&tab_a);
    // Tab B changes the name (same address: still verified).
    let page = v.get("/book/details").await;
    let moved = v.submit("/book/details", &page, &[("name", "Other Name"), ("email", "tabs@example.test")]).await;
    assert_eq!(moved.location(), "/book/confirm");
    let stale = v.submit("/book/confirm", &tab_a, &[("summary", &seen_in_a)]).await;
    assert_eq!(stale.status, Status::Conflict);
    assert!(stale.body.contains("Other Name") && !stale.body.contains("Tab Tester"), "{}", stale.body);
    assert_eq!(app.count("bookings").await, 0);
    // A client that sends no summary is judged as before: it books.
    let booked = v.submit("/book/confirm", &tab_a, &[]).await;
    assert_eq!((booked.status, booked.location()), (Status::SeeOther, "/book/done"));
    assert_eq!(app.count("bookings").await, 1);
}

on_both_backends!(
    a_confirm_from_a_tab_that_showed_another_slot_books_nothing_and_shows_the_current_one,
    changed_details_in_another_tab_make_the_old_page_stale_and_no_summary_is_judged_as_before,
);
