//! The booking wizard and the email code step, walked like a visitor.

use crate::support;

use std::time::Duration;

use rocket::http::Status;
use support::smtp::SmtpServer;
use support::{code_in, form, offered_slot, Backend, Mail, Page, TestApp, Visitor};

use support::ALWAYS_OPEN;

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{extra}")).await
}

/// Every email the app wrote to its outbox, oldest first, parsed.
fn outbox(app: &TestApp) -> Vec<Mail> {
    support::read_outbox(&app.outbox)
}

async fn choose_service(v: &Visitor<'_>, service: &str) -> Page {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", service)]).await
}

/// Chooses the first offered slot; returns its value.
async fn choose_first_slot(v: &Visitor<'_>) -> String {
    let page = v.get("/book/slot").await;
    assert_eq!(page.status, Status::Ok);
    let slot = offered_slot(&page.body).expect("a slot is offered");
    let done = v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(done.location(), "/book/details");
    slot
}

async fn enter_details(v: &Visitor<'_>, name: &str, email: &str) -> Page {
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", name), ("email", email), ("phone", "+49 30 1234"), ("notes", "")]).await
}

async fn enter_code(v: &Visitor<'_>, code: &str) -> Page {
    let page = v.get("/book/verify").await;
    v.submit("/book/verify", &page, &[("code", code)]).await
}

/// Walks service → slot → details; returns the emailed code.
async fn until_code(app: &TestApp, v: &Visitor<'_>, email: &str) -> String {
    choose_service(v, "consultation").await;
    choose_first_slot(v).await;
    let page = enter_details(v, "Ann", email).await;
    assert_eq!(page.location(), "/book/verify", "{}", page.body);
    code_in(&outbox(app).last().expect("code email").text).expect("code in email")
}

async fn confirm(v: &Visitor<'_>) -> Page {
    let page = v.get("/book/confirm").await;
    assert_eq!(page.status, Status::Ok, "{}", page.location());
    v.submit("/book/confirm", &page, &[]).await
}

async fn a_visitor_books_and_gets_a_confirmation_with_calendar_and_cancel_link(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    assert_eq!(v.get("/book").await.location(), "/book/service");
    let code = until_code(&app, &v, "ann@example.test").await;
    let page = enter_code(&v, &code).await;
    assert_eq!((page.status, page.location()), (Status::SeeOther, "/book/confirm"));
    let page = confirm(&v).await;
    assert_eq!((page.status, page.location()), (Status::SeeOther, "/book/done"));
    let done = v.get("/book/done").await;
    let reference = done.body.split("id=\"booking-ref\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(reference.len(), 9);
    assert_eq!(app.count("bookings").await, 1);

    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let confirmation = mails.iter().find(|m| m.attachment(".ics").is_some()).unwrap();
    assert!(confirmation.text.contains(&reference), "{}", confirmation.text);
    let ics = confirmation.attachment(".ics").expect("an .ics attachment");
    assert!(ics.body.contains("BEGIN:VCALENDAR") && ics.content_type.starts_with("text/calendar"), "{ics:?}");
    let link = confirmation.text.split("http://127.0.0.1:8000").find(|s| s.starts_with("/booking/")).unwrap();
    let link: String = link.chars().take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"').collect();

    let stranger = app.visitor();
    let page = stranger.get(&link).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains(&reference));
    let wrong = stranger.get(&format!("/booking/{reference}?token=nope")).await;
    assert_eq!(wrong.status, Status::NotFound);
    assert!(!wrong.body.contains(&reference));

    let token = link.split("token=").nth(1).unwrap();
    let page = stranger.submit(&format!("/booking/{reference}/cancel"), &page, &[("token", "nope")]).await;
    assert_eq!(page.status, Status::NotFound);
    let view = stranger.get(&link).await;
    let page = stranger.submit(&format!("/booking/{reference}/cancel"), &view, &[("token", token)]).await;
    assert_eq!(page.status, Status::SeeOther);
    let sent = support::wait_for_mail(&app.outbox, |m| m.subject.contains(&reference) && m.subject.contains("cancel"))
        .await
        .len();
    let view = stranger.get(&link).await;
    let again = stranger.submit(&format!("/booking/{reference}/cancel"), &view, &[("token", token)]).await;
    assert_eq!(again.status, Status::Conflict);
    assert_eq!(outbox(&app).len(), sent, "a second cancel sends nothing");
}

async fn a_fresh_visitor_is_sent_to_the_first_step_from_every_step_url(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let landing = v.get("/").await;
    for step in ["slot", "details", "verify", "confirm"] {
        let page = v.get(&format!("/book/{step}")).await;
        assert_eq!((page.status, page.location()), (Status::SeeOther, "/book/service"), "GET {step}");
    }
    // Revision 2: a step page binds the token to the visitor's session; the
    // landing page's session-less token is refused.
    let step = v.get("/book/service").await;
    for uri in ["/book/slot", "/book/details", "/book/verify", "/book/verify/resend", "/book/confirm"] {
        let page = v.post(uri, &form(&[("csrf_token", &step.csrf()), ("slot", "x"), ("code", "1")])).await;
        assert_eq!((page.status, page.location()), (Status::SeeOther, "/book/service"), "POST {uri}");
        let page = v.post(uri, &form(&[("csrf_token", &landing.csrf()), ("slot", "x"), ("code", "1")])).await;
        assert_eq!(page.status, Status::Forbidden, "POST {uri} with the landing page's token");
    }
    assert_eq!(v.get("/book/done").await.status, Status::SeeOther);
}

async fn invalid_input_answers_422_with_messages_and_keeps_what_was_typed(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let page = choose_service(&v, "no-such-service").await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.body.contains("aria-invalid=\"true\""));
    choose_service(&v, "consultation").await;
    let page = v.get("/book/slot").await;
    for bad in ["2020-01-01T09:00", "garbage", "2026-13-40T99:99", "2999-01-01T09:00", "2026-11-23T09:07"] {
        let r = v.submit("/book/slot", &page, &[("slot", bad)]).await;
        assert_eq!(r.status, Status::UnprocessableEntity, "{bad}");
    }
    choose_first_slot(&v).await;
    let page = v.get("/book/details").await;
    let long = "x".repeat(101);
    let r = v
        .submit(
            "/book/details",
            &page,
            &[("name", &long), ("email", "not-an-email"), ("phone", &"1".repeat(33)), ("notes", &"n".repeat(1001))],
        )
        .await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    for field in ["name", "email", "phone", "notes"] {
        assert!(r.body.contains(&format!("id=\"{field}-error\"")), "{field} has no message");
    }
    assert!(r.body.contains("not-an-email"), "input kept");
    let r = v.submit("/book/details", &page, &[("name", ""), ("email", "")]).await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    assert!(outbox(&app).is_empty(), "nothing sent for invalid details");
}

async fn markup_in_a_name_is_escaped_on_the_page_and_in_the_email(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    choose_service(&v, "consultation").await;
    choose_first_slot(&v).await;
    let page = enter_details(&v, "<script>alert(1)</script>", "eve@example.test").await;
    assert_eq!(page.status, Status::SeeOther);
    let code = code_in(&outbox(&app).last().unwrap().text).unwrap();
    enter_code(&v, &code).await;
    let page = v.get("/book/confirm").await;
    assert!(!page.body.contains("<script>alert"));
    assert!(page.body.contains("&lt;script&gt;"));
    confirm(&v).await;
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let mail = mails.into_iter().find(|m| m.attachment(".ics").is_some()).unwrap();
    assert!(!mail.html.is_empty() && !mail.html.contains("<p><script>"), "raw markup in the HTML part");
}

async fn wrong_codes_count_down_then_429_kills_the_code(db: Backend) {
    let app = app(&db, "[default.otp]\nmax_attempts = 3").await;
    let v = app.visitor();
    let code = until_code(&app, &v, "ann@example.test").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = enter_code(&v, wrong).await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    assert!(r.body.contains("2 more tries"), "{}", r.body);
    let r = enter_code(&v, wrong).await;
    assert!(r.body.contains("one more try"));
    let r = enter_code(&v, wrong).await;
    assert_eq!(r.status, Status::TooManyRequests);
    let r = enter_code(&v, &code).await;
    assert_eq!(r.status, Status::UnprocessableEntity, "the right code after exhaustion");
}

async fn a_correct_code_rotates_the_session_id(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let code = until_code(&app, &v, "ann@example.test").await;
    let before = v.session_cookie().unwrap();
    enter_code(&v, &code).await;
    assert_ne!(v.session_cookie().unwrap(), before);
    let old = app.visitor();
    old.set_cookie("slotwise_session", Some(&before));
    assert_eq!(old.get("/book/confirm").await.location(), "/book/service", "old cookie still carries the flow");
    assert_eq!(v.get("/book/confirm").await.status, Status::Ok);
}

async fn expired_code_is_refused(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let code = until_code(&app, &v, "ann@example.test").await;
    app.clock.advance(chrono::Duration::seconds(600));
    let r = enter_code(&v, &code).await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    assert!(r.body.contains("expired"));
}

async fn resend_respects_cooldown_and_kills_the_old_code(db: Backend) {
    let strict = app(&db, "[default.otp]\nresend_cooldown_secs = 60").await;
    let v = strict.visitor();
    until_code(&strict, &v, "ann@example.test").await;
    let page = v.get("/book/verify").await;
    let r = v.submit("/book/verify/resend", &page, &[]).await;
    assert_eq!(r.status, Status::TooManyRequests);
    assert_eq!(outbox(&strict).len(), 1, "a refused send sends nothing");

    let app2 = app(&db, "[default.otp]\nresend_cooldown_secs = 0\nmax_sends = 3").await;
    let app = &app2;
    let v = app.visitor();
    let first = until_code(app, &v, "ann@example.test").await;
    // Same address again while the code lives: nothing new is sent.
    enter_details(&v, "Ann", "ann@example.test").await;
    assert_eq!(outbox(app).len(), 1);
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify/resend", &page, &[]).await.location(), "/book/verify");
    let second = code_in(&outbox(app).last().unwrap().text).unwrap();
    if first != second {
        assert_eq!(enter_code(&v, &first).await.status, Status::UnprocessableEntity, "old code still works");
    }
    // Third send (another address) is the last one allowed; a fourth is refused.
    assert_eq!(enter_details(&v, "Ann", "other@example.test").await.location(), "/book/verify");
    let r = enter_details(&v, "Ann", "third@example.test").await;
    assert_eq!(r.status, Status::TooManyRequests);
    assert_eq!(outbox(app).len(), 3);
    assert_eq!(
        enter_code(&v, &second).await.status,
        Status::UnprocessableEntity,
        "the 429 saved nothing? code for old address"
    );
}

async fn codes_travel_over_smtp_and_a_dead_server_loses_nothing(db: Backend) {
    let smtp = SmtpServer::start();
    let dead = support::smtp::free_port_url();
    let config = format!("[default.mail]\ntransport = \"smtp\"\nsmtp_url = \"{dead}\"");
    let down = app(&db, &config).await;
    let v = down.visitor();
    choose_service(&v, "consultation").await;
    choose_first_slot(&v).await;
    let r = enter_details(&v, "Ann", "ann@example.test").await;
    assert_eq!(r.status, Status::ServiceUnavailable);
    assert!(r.body.contains("ann@example.test"), "input kept");
    assert_eq!(v.get("/book/details").await.status, Status::Ok, "state kept");

    // Same visitor data against a live server: a fresh app, real SMTP.
    let config = format!("[default.mail]\ntransport = \"smtp\"\nsmtp_url = \"{}\"", smtp.url());
    let live = app(&db, &config).await;
    let v = live.visitor();
    choose_service(&v, "consultation").await;
    choose_first_slot(&v).await;
    assert_eq!(enter_details(&v, "Ann", "ann@example.test").await.location(), "/book/verify");
    let mail = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["ann@example.test".to_string()]);
    let code = code_in(&Mail::parse(&mail[0].data).text).unwrap();
    assert_eq!(enter_code(&v, &code).await.location(), "/book/confirm");
}

async fn a_held_slot_is_not_offered_to_others_and_frees_on_cancel(db: Backend) {
    let app = app(&db, "[default.booking.hours]\nmon = []\n").await;
    let (a, b) = (app.visitor(), app.visitor());
    choose_service(&a, "consultation").await;
    let slot = choose_first_slot(&a).await;
    choose_service(&b, "consultation").await;
    let page = b.get("/book/slot").await;
    assert!(!page.body.contains(&format!("value=\"{slot}\"")), "held slot offered to another visitor");
    let r = b.submit("/book/slot", &page, &[("slot", &slot)]).await;
    assert_eq!(r.status, Status::UnprocessableEntity);
    let page = a.get("/book/slot").await;
    assert_eq!(a.submit("/book/cancel", &page, &[]).await.location(), "/");
    let page = b.get("/book/slot").await;
    assert!(page.body.contains(&format!("value=\"{slot}\"")), "released hold still blocks");
}

async fn twenty_visitors_racing_for_the_last_seat_book_it_once(db: Backend) {
    race_for_the_last_seat(&app(&db, "[default.booking]\nhold_minutes = 0").await).await;
}

/// Service names come in the visitor's language where the config has one.
async fn a_german_visitor_sees_german_service_names_on_pages_and_in_mail(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor().with_header("Accept-Language", "de-DE");
    let page = v.get("/book/service").await;
    assert!(page.body.contains("Beratung") && !page.body.contains("Consultation"), "service page");
    let code = until_code(&app, &v, "de@example.test").await;
    assert!(outbox(&app).last().unwrap().everything().contains("Beratung"), "code email");
    enter_code(&v, &code).await;
    assert!(v.get("/book/confirm").await.body.contains("Beratung"), "summary");
    confirm(&v).await;
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let mail = mails.into_iter().find(|m| m.attachment(".ics").is_some()).unwrap();
    let ics = &mail.attachment(".ics").expect("an .ics attachment").body;
    let all = mail.everything();
    assert!(all.contains("Beratung") && !all.contains("Consultation"), "confirmation email and calendar");
    assert!(mail.text.contains("Beratung") && ics.contains("Beratung"), "{}\n{ics}", mail.text);
    // A language without an entry shows the configured name.
    let en = app.visitor();
    assert!(en.get("/book/service").await.body.contains("Consultation"));
}

/// The value of the `n`-th offered slot (from 0).
fn nth_slot(html: &str, n: usize) -> String {
    let needle = "name=\"slot\" value=\"";
    let (at, _) = html.match_indices(needle).nth(n).expect("enough slots are offered");
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("a closing quote")].to_string()
}

/// Twenty verified visitors confirm the same free slot at once.
async fn race_for_the_last_seat(app: &TestApp) {
    let before = app.count("bookings").await;
    let visitors: Vec<Visitor<'_>> = (0..20).map(|_| app.visitor()).collect();
    let mut slot = None;
    for (i, v) in visitors.iter().enumerate() {
        choose_service(v, "consultation").await;
        let page = v.get("/book/slot").await;
        // NOTE: not the first offered time: it may pass while the test runs.
        let s = slot.get_or_insert_with(|| nth_slot(&page.body, 4)).clone();
        assert_eq!(v.submit("/book/slot", &page, &[("slot", &s)]).await.status, Status::SeeOther);
        enter_details(v, "Racer", &format!("r{i}@example.test")).await;
        let code = code_in(&outbox(app).last().unwrap().text).unwrap();
        assert_eq!(enter_code(v, &code).await.location(), "/book/confirm");
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
    assert_eq!(results.iter().filter(|s| **s == Status::SeeOther).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|s| **s == Status::Conflict).count(), 19);
    assert_eq!(app.count("bookings").await, before + 1);
}

async fn submitting_confirm_twice_books_once(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let code = until_code(&app, &v, "ann@example.test").await;
    enter_code(&v, &code).await;
    let page = v.get("/book/confirm").await;
    let (a, b) = rocket::tokio::join!(v.submit("/book/confirm", &page, &[]), v.submit("/book/confirm", &page, &[]));
    assert!(a.status == Status::SeeOther && b.status.code < 500, "{} {}", a.status, b.status);
    assert!(v.submit("/book/confirm", &page, &[]).await.status.code < 500);
    assert_eq!(app.count("bookings").await, 1);
}

async fn a_new_service_clears_a_slot_that_no_longer_fits_and_a_new_email_clears_verification(db: Backend) {
    let app = app(&db, "[default.otp]\nresend_cooldown_secs = 0\n[default.booking.hours]\nmon = [\"09:00-10:00\"]\ntue = [\"09:00-10:00\"]\nwed = [\"09:00-10:00\"]\nthu = [\"09:00-10:00\"]\nfri = [\"09:00-10:00\"]\nsat = [\"09:00-10:00\"]\nsun = [\"09:00-10:00\"]\n[[default.booking.services]]\nid = \"short\"\nname = \"Short\"\nduration_minutes = 30\n[[default.booking.services]]\nid = \"long\"\nname = \"Long\"\nduration_minutes = 30\nbuffer_after_minutes = 5").await;
    let v = app.visitor();
    let page = choose_service(&v, "short").await;
    assert_eq!(page.location(), "/book/slot");
    let page = v.get("/book/slot").await;
    let late = page
        .body
        .split("name=\"slot\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .find(|s| s.ends_with("T09:30"))
        .unwrap()
        .to_string();
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &late)]).await.location(), "/book/details");
    let page = enter_details(&v, "Ann", "ann@example.test").await;
    assert_eq!(page.location(), "/book/verify");
    let code = code_in(&outbox(&app).last().unwrap().text).unwrap();
    enter_code(&v, &code).await;
    // Same email, new name: still verified.
    assert_eq!(enter_details(&v, "Ann B", "ann@example.test").await.location(), "/book/confirm");
    // New email: verification cleared.
    assert_eq!(enter_details(&v, "Ann B", "ann2@example.test").await.location(), "/book/verify");
    // A service whose buffer no longer fits clears the slot.
    assert_eq!(choose_service(&v, "long").await.location(), "/book/slot");
}

on_both_backends!(
    a_visitor_books_and_gets_a_confirmation_with_calendar_and_cancel_link,
    a_fresh_visitor_is_sent_to_the_first_step_from_every_step_url,
    invalid_input_answers_422_with_messages_and_keeps_what_was_typed,
    markup_in_a_name_is_escaped_on_the_page_and_in_the_email,
    wrong_codes_count_down_then_429_kills_the_code,
    a_correct_code_rotates_the_session_id,
    expired_code_is_refused,
    resend_respects_cooldown_and_kills_the_old_code,
    codes_travel_over_smtp_and_a_dead_server_loses_nothing,
    a_held_slot_is_not_offered_to_others_and_frees_on_cancel,
    a_german_visitor_sees_german_service_names_on_pages_and_in_mail,
    twenty_visitors_racing_for_the_last_seat_book_it_once,
    submitting_confirm_twice_books_once,
    a_new_service_clears_a_slot_that_no_longer_fits_and_a_new_email_clears_verification,
);
