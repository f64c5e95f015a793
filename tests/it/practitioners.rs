//! Practitioners (SPEC §2e): the practitioner step, their own calendars,
//! "anyone", and holds and confirms that never book a practitioner beyond
//! their capacity, however many visitors race.

use crate::support;

mod staff;

use std::collections::BTreeSet;

use rocket::http::Status;
use support::{code_in, offered_slot, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

/// Anna and Ben, capacity 1 each, open whenever the practice is.
pub const TWO: &str = "[[default.booking.practitioners]]\nid = \"anna\"\nname = \"Anna Weber\"\n\
                       [[default.booking.practitioners]]\nid = \"ben\"\nname = \"Ben Roth\"\n";

/// Enough code emails from one test client for every racer.
const MANY_SENDS: &str = "[default.abuse]\nsends_per_client_per_hour = 1000\nsends_per_address_per_day = 1000\n";

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{MANY_SENDS}\n---\n{extra}")).await
}

/// Chooses the service and then `whom` (`any` or an id); answers the practitioner POST.
async fn choose(v: &Visitor<'_>, whom: &str) -> Page {
    let page = v.get("/book/service").await;
    let r = v.submit("/book/service", &page, &[("service", "consultation")]).await;
    assert_eq!(r.location(), "/book/practitioner", "{}", r.body);
    let page = v.get("/book/practitioner").await;
    assert_eq!(page.status, Status::Ok);
    v.submit("/book/practitioner", &page, &[("practitioner", whom)]).await
}

/// The value of the `n`-th offered slot (from 0).
fn nth_slot(html: &str, n: usize) -> String {
    let needle = "name=\"slot\" value=\"";
    let (at, _) = html.match_indices(needle).nth(n).expect("enough slots are offered");
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("a closing quote")].to_string()
}

/// Details and the emailed code: the visitor stands at confirm.
async fn verify(app: &TestApp, v: &Visitor<'_>, email: &str) {
    let page = v.get("/book/details").await;
    let fields = [("name", "Racer"), ("email", email), ("phone", ""), ("notes", "")];
    assert_eq!(v.submit("/book/details", &page, &fields).await.location(), "/book/verify");
    let code = support::code_sent_to(&app.outbox, email);
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
}

/// The practitioners of the standing bookings, by reference.
async fn practitioners_booked(app: &TestApp) -> Vec<Option<String>> {
    let db = app.db().await;
    let ids: Vec<Option<String>> =
        sqlx::query_scalar("SELECT practitioner_id FROM bookings WHERE cancelled_at IS NULL ORDER BY reference")
            .fetch_all(&db)
            .await
            .expect("bookings");
    db.close().await;
    ids
}

async fn the_practitioner_step_lists_who_offers_the_service_then_anyone(db: Backend) {
    let app = app(
        &db,
        &format!(
            "{TWO}[[default.booking.practitioners]]\nid = \"cleo\"\nname = \"Cleo\"\nservices = [\"follow-up\"]\n"
        ),
    )
    .await;
    let v = app.visitor();
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/practitioner").await;
    assert_eq!(page.status, Status::Ok);
    let (anna, ben, any) = (
        page.body.find("value=\"anna\"").expect("anna"),
        page.body.find("value=\"ben\"").expect("ben"),
        page.body.find("value=\"any\"").expect("anyone"),
    );
    assert!(anna < ben && ben < any, "configuration order, then anyone");
    assert!(!page.body.contains("value=\"cleo\""), "cleo does not offer consultations");
    assert!(page.body.contains("Anna Weber") && page.body.contains("Step 2 of 6"), "{}", page.body);
    let r = v.submit("/book/practitioner", &page, &[("practitioner", "cleo")]).await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    assert!(r.body.contains("Please choose one of the practitioners"));
    let de = app.visitor().with_header("Accept-Language", "de");
    let page = de.get("/book/service").await;
    de.submit("/book/service", &page, &[("service", "consultation")]).await;
    assert!(de.get("/book/practitioner").await.body.contains("Bei wem möchten Sie buchen?"));
}

async fn without_practitioners_the_step_does_not_exist(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    assert_eq!(v.get("/book/practitioner").await.location(), "/book/service");
    let page = v.get("/book/service").await;
    assert!(page.body.contains("Step 1 of 5"));
    assert_eq!(v.submit("/book/service", &page, &[("service", "consultation")]).await.location(), "/book/slot");
    let page = v.get("/book/slot").await;
    assert_eq!(v.submit("/book/practitioner", &page, &[("practitioner", "any")]).await.location(), "/book/slot");
}

async fn a_named_practitioner_is_booked_and_keeps_the_time_of_the_other(db: Backend) {
    let receiver = support::receiver::Receiver::start();
    let hook = crate::webhooks::hook(&receiver.url("/hook"), "a-webhook-secret-0123", Some("\"booking.created\""));
    let app = app(&db, &format!("{TWO}\n---\n{hook}")).await;
    let (a, b) = (app.visitor(), app.visitor());
    assert_eq!(choose(&a, "ben").await.location(), "/book/slot");
    let page = a.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot");
    assert_eq!(a.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
    // Ben's time is held; Anna's is not.
    choose(&b, "ben").await;
    assert!(!b.get("/book/slot").await.body.contains(&format!("value=\"{slot}\"")));
    let page = b.get("/book/practitioner").await;
    assert_eq!(b.submit("/book/practitioner", &page, &[("practitioner", "anna")]).await.location(), "/book/slot");
    assert!(b.get("/book/slot").await.body.contains(&format!("value=\"{slot}\"")));
    verify(&app, &a, "a@example.test").await;
    let page = a.get("/book/confirm").await;
    assert!(page.body.contains("Ben Roth"), "the confirm page names the practitioner");
    assert_eq!(a.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    assert_eq!(practitioners_booked(&app).await, [Some("ben".to_string())]);
    assert!(a.get("/book/done").await.body.contains("Ben Roth"), "the done page names the practitioner");
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let mail = mails.iter().find(|m| m.attachment(".ics").is_some()).expect("the confirmation");
    assert!(mail.text.contains("Ben Roth"), "{}", mail.text);
    let ics = mail.attachment(".ics").expect("an .ics").body.replace("\r\n ", "");
    let description = ics.lines().find(|l| l.starts_with("DESCRIPTION")).expect("a DESCRIPTION");
    assert!(description.contains("Ben Roth"), "{ics}");
    let link = mail.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link");
    let page = a.get(&link[link.find("/booking/").expect("a path")..]).await;
    assert!(page.body.contains("Ben Roth"), "the booking page names the practitioner");
    let delivered = receiver.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert!(
        delivered[0].body.contains("\"practitioner\":\"ben\""),
        "the webhook names the practitioner: {}",
        delivered[0].body
    );
}

/// Thirty verified visitors ask anyone for the same time at once; with
/// holds off, all reach confirm and race there.
async fn thirty_visitors_racing_for_a_time_two_practitioners_offer_book_it_twice(db: Backend) {
    let app = app(&db, &format!("[default.booking]\nhold_minutes = 0\n---\n{TWO}")).await;
    let visitors: Vec<Visitor<'_>> = (0..30).map(|_| app.visitor()).collect();
    let mut slot = None;
    for (i, v) in visitors.iter().enumerate() {
        choose(v, "any").await;
        let page = v.get("/book/slot").await;
        // NOTE: not the first offered time: it may pass while the test runs.
        let s = slot.get_or_insert_with(|| nth_slot(&page.body, 4)).clone();
        assert_eq!(v.submit("/book/slot", &page, &[("slot", &s)]).await.status, Status::SeeOther);
        verify(&app, v, &format!("r{i}@example.test")).await;
    }
    let pages: Vec<Page> = futures::future::join_all(visitors.iter().map(|v| v.get("/book/confirm"))).await;
    let barrier = rocket::tokio::sync::Barrier::new(visitors.len());
    let results = futures::future::join_all(visitors.iter().zip(&pages).map(|(v, page)| {
        let barrier = &barrier;
        async move {
            barrier.wait().await;
            v.submit("/book/confirm", page, &[]).await.status
        }
    }))
    .await;
    assert_eq!(results.iter().filter(|s| **s == Status::SeeOther).count(), 2, "{results:?}");
    assert_eq!(results.iter().filter(|s| **s == Status::Conflict).count(), 28, "{results:?}");
    let booked: BTreeSet<Option<String>> = practitioners_booked(&app).await.into_iter().collect();
    assert_eq!(booked, [Some("anna".to_string()), Some("ben".to_string())].into(), "one each");
}

/// Holds for anyone lapse; at confirm the visitor gets whoever is free then,
/// chosen under the lock, and `409` once nobody is.
async fn a_lapsed_hold_for_anyone_books_whoever_is_free_at_confirm(db: Backend) {
    let app = app(&db, &format!("[default.booking]\nhold_minutes = 10\n---\n{TWO}")).await;
    let (a, b, c) = (app.visitor(), app.visitor(), app.visitor());
    let mut slot = String::new();
    for (v, email) in [(&a, "a@example.test"), (&c, "c@example.test")] {
        choose(v, "any").await;
        let page = v.get("/book/slot").await;
        slot = nth_slot(&page.body, 4);
        assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
        verify(&app, v, email).await;
    }
    let held: Vec<String> = {
        let db = app.db().await;
        let held =
            sqlx::query_scalar("SELECT practitioner_id FROM holds ORDER BY practitioner_id").fetch_all(&db).await;
        db.close().await;
        held.expect("holds")
    };
    assert_eq!(held, ["anna", "ben"], "one hold each, Anna first");
    app.clock.advance(chrono::Duration::minutes(11));
    choose(&b, "anna").await;
    let page = b.get("/book/slot").await;
    assert!(page.body.contains(&format!("value=\"{slot}\"")), "the lapsed holds block nothing");
    assert_eq!(b.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
    verify(&app, &b, "b@example.test").await;
    let page = b.get("/book/confirm").await;
    assert_eq!(b.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    let page = a.get("/book/confirm").await;
    assert_eq!(a.submit("/book/confirm", &page, &[]).await.location(), "/book/done", "Ben is free");
    assert!(a.get("/book/done").await.body.contains("Ben Roth"));
    let page = c.get("/book/confirm").await;
    assert_eq!(c.submit("/book/confirm", &page, &[]).await.status, Status::Conflict, "nobody is free");
    assert_eq!(practitioners_booked(&app).await.len(), 2);
    let booked: BTreeSet<Option<String>> = practitioners_booked(&app).await.into_iter().collect();
    assert_eq!(booked, [Some("anna".to_string()), Some("ben".to_string())].into());
}

/// The funnel counts the practitioner step between service and slot.
async fn the_funnel_counts_who_stopped_at_the_practitioner_step(db: Backend) {
    let app = app(&db, TWO).await;
    let (a, b) = (app.visitor(), app.visitor());
    let page = a.get("/book/service").await;
    assert_eq!(a.submit("/book/service", &page, &[("service", "consultation")]).await.location(), "/book/practitioner");
    assert_eq!(choose(&b, "ben").await.location(), "/book/slot");
    let table = slotwise::cli::funnel(&app.figment, 7).await.expect("the funnel");
    let rows: Vec<Vec<&str>> = table.lines().skip(2).take(3).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["service", "2", "0", "100.0%"], "{table}");
    assert_eq!(rows[1], ["practitioner", "2", "1", "50.0%"], "{table}");
    assert_eq!(rows[2], ["slot", "1", "1", "0.0%"], "{table}");
}

/// Thirty visitors ask anyone to hold the same time at once: two holds.
async fn thirty_visitors_racing_to_hold_a_time_two_practitioners_offer_hold_it_twice(db: Backend) {
    let app = app(&db, &format!("[default.abuse]\nholds_per_client = 0\n---\n{TWO}")).await;
    let visitors: Vec<Visitor<'_>> = (0..30).map(|_| app.visitor()).collect();
    let mut pages = Vec::new();
    for v in &visitors {
        choose(v, "any").await;
        pages.push(v.get("/book/slot").await);
    }
    let slot = nth_slot(&pages[0].body, 4);
    let barrier = rocket::tokio::sync::Barrier::new(visitors.len());
    let results = futures::future::join_all(visitors.iter().zip(&pages).map(|(v, page)| {
        let (barrier, slot) = (&barrier, &slot);
        async move {
            barrier.wait().await;
            v.submit("/book/slot", page, &[("slot", slot)]).await.status
        }
    }))
    .await;
    assert_eq!(results.iter().filter(|s| **s == Status::SeeOther).count(), 2, "{results:?}");
    let db = app.db().await;
    let held: Vec<Option<String>> =
        sqlx::query_scalar("SELECT practitioner_id FROM holds ORDER BY practitioner_id").fetch_all(&db).await.unwrap();
    db.close().await;
    assert_eq!(held, [Some("anna".to_string()), Some("ben".to_string())]);
}

/// An app without practitioners in which `early@example.test` booked; the
/// booked slot.
async fn booked_before_practitioners(db: &Backend) -> (TestApp, String) {
    let before = app(db, "").await;
    let v = before.visitor();
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = nth_slot(&page.body, 2);
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
    verify(&before, &v, "early@example.test").await;
    let page = v.get("/book/confirm").await;
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    (before, slot)
}

/// A booking made before practitioners were configured belongs to no one
/// and blocks its time for everyone.
async fn a_booking_made_before_practitioners_blocks_its_time_for_every_practitioner(db: Backend) {
    let (before, slot) = booked_before_practitioners(&db).await;
    let after = TestApp::on_database(&before.db_url, &format!("{ALWAYS_OPEN}\n---\n{TWO}")).await;
    for whom in ["anna", "ben", "any"] {
        let w = after.visitor();
        choose(&w, whom).await;
        let page = w.get("/book/slot").await;
        assert!(page.body.contains("name=\"slot\""), "{whom} has times");
        assert!(!page.body.contains(&format!("value=\"{slot}\"")), "{whom} is offered a promised time");
    }
    assert_eq!(practitioners_booked(&after).await, [None]);
}

/// Books `slot` with `whom` for `email`; returns the path of its link.
async fn book(app: &TestApp, whom: &str, slot: &str, email: &str) -> String {
    let v = app.visitor();
    choose(&v, whom).await;
    let page = v.get("/book/slot").await;
    assert_eq!(v.submit("/book/slot", &page, &[("slot", slot)]).await.location(), "/book/details", "{whom} at {slot}");
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Ann"), ("email", email)]).await;
    let mails = support::read_outbox(&app.outbox);
    let code = code_in(&mails.iter().rev().find(|m| m.is_to(email)).expect("code").text).expect("a code");
    let page = v.get("/book/verify").await;
    v.submit("/book/verify", &page, &[("code", &code)]).await;
    let page = v.get("/book/confirm").await;
    let names = ["Anna Weber", "Ben Roth"].iter().filter(|n| page.body.contains(*n)).count();
    assert_eq!(names, 1, "the confirm page names the one practitioner held for {whom}");
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    let mails = support::wait_for_mail(&app.outbox, |m| m.is_to(email) && m.attachment(".ics").is_some()).await;
    let confirmation = mails.iter().find(|m| m.is_to(email) && m.attachment(".ics").is_some()).expect("confirmation");
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link");
    link[link.find("/booking/").expect("a path")..].to_string()
}

/// Moves the booking of `link` to `slot`; answers the POST.
async fn move_to(app: &TestApp, link: &str, slot: &str) -> Page {
    let v = app.visitor();
    let reference = link.trim_start_matches("/booking/").split('?').next().expect("reference");
    let token = link.split("token=").nth(1).expect("token");
    let page = v.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
    assert_eq!(page.status, Status::Ok);
    v.submit(&format!("/booking/{reference}/reschedule"), &page, &[("token", token), ("slot", slot)]).await
}

async fn practitioner_of(app: &TestApp, link: &str) -> Option<String> {
    let reference = link.trim_start_matches("/booking/").split('?').next().expect("reference");
    let db = app.db().await;
    let id = sqlx::query_scalar("SELECT practitioner_id FROM bookings WHERE reference = $1")
        .bind(reference)
        .fetch_one(&db)
        .await
        .expect("the booking");
    db.close().await;
    id
}

/// A booking made for a named practitioner moves only within their free
/// times; one made with anyone moves to whoever is free, its own first.
async fn a_named_booking_moves_with_its_practitioner_and_an_anyone_booking_to_whoever_is_free(db: Backend) {
    let app = app(&db, TWO).await;
    let page = app.visitor();
    let page = {
        let v = page;
        choose(&v, "any").await;
        v.get("/book/slot").await
    };
    let (early, late) = (nth_slot(&page.body, 2), nth_slot(&page.body, 4));
    let ben = book(&app, "ben", &early, "ben@example.test").await;
    let anyone = book(&app, "any", &early, "any@example.test").await;
    assert_eq!(practitioner_of(&app, &anyone).await.as_deref(), Some("anna"), "ben is taken: anna");
    book(&app, "anna", &late, "anna@example.test").await;
    // Anna is busy at the late time: the anyone booking goes to Ben.
    assert_eq!(move_to(&app, &anyone, &late).await.status, Status::SeeOther);
    assert_eq!(practitioner_of(&app, &anyone).await.as_deref(), Some("ben"));
    // Ben is now busy then, and his own booking stays with him: 409.
    assert_eq!(move_to(&app, &ben, &late).await.status, Status::Conflict);
    assert_eq!(practitioner_of(&app, &ben).await.as_deref(), Some("ben"));
}

/// A new practitioner clears a slot they cannot take; a new service clears a
/// practitioner who does not offer it, and the slot.
async fn changes_clear_only_what_no_longer_fits(db: Backend) {
    let cleo = "[[default.booking.practitioners]]\nid = \"cleo\"\nname = \"Cleo\"\nservices = [\"follow-up\"]\n";
    let app = app(&db, &format!("{TWO}{cleo}")).await;
    let v = app.visitor();
    choose(&v, "anna").await;
    let page = v.get("/book/slot").await;
    let slot = nth_slot(&page.body, 3);
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
    book(&app, "ben", &slot, "ben@example.test").await;
    // Ben is booked then: choosing him clears the slot (and its hold).
    let page = v.get("/book/practitioner").await;
    assert_eq!(v.submit("/book/practitioner", &page, &[("practitioner", "ben")]).await.location(), "/book/slot");
    assert!(!v.get("/book/slot").await.body.contains(" checked"), "no slot chosen any more");
    // Anyone keeps a slot someone can take.
    let page = v.get("/book/slot").await;
    let free = nth_slot(&page.body, 5);
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &free)]).await.location(), "/book/details");
    let page = v.get("/book/practitioner").await;
    assert_eq!(v.submit("/book/practitioner", &page, &[("practitioner", "any")]).await.location(), "/book/details");
    // Cleo offers only follow-ups; back to consultations, she and the slot go.
    let page = v.get("/book/service").await;
    assert_eq!(v.submit("/book/service", &page, &[("service", "follow-up")]).await.location(), "/book/details");
    let page = v.get("/book/practitioner").await;
    assert_eq!(v.submit("/book/practitioner", &page, &[("practitioner", "cleo")]).await.status, Status::SeeOther);
    let page = v.get("/book/service").await;
    let back = v.submit("/book/service", &page, &[("service", "consultation")]).await;
    assert_eq!(back.location(), "/book/practitioner", "cleo does not offer consultations");
    assert_eq!(v.get("/book/slot").await.location(), "/book/practitioner");
}

on_both_backends!(
    changes_clear_only_what_no_longer_fits,
    a_named_booking_moves_with_its_practitioner_and_an_anyone_booking_to_whoever_is_free,
    the_practitioner_step_lists_who_offers_the_service_then_anyone,
    without_practitioners_the_step_does_not_exist,
    a_named_practitioner_is_booked_and_keeps_the_time_of_the_other,
    thirty_visitors_racing_for_a_time_two_practitioners_offer_book_it_twice,
    thirty_visitors_racing_to_hold_a_time_two_practitioners_offer_hold_it_twice,
    a_booking_made_before_practitioners_blocks_its_time_for_every_practitioner,
    a_lapsed_hold_for_anyone_books_whoever_is_free_at_confirm,
    the_funnel_counts_who_stopped_at_the_practitioner_step,
);
