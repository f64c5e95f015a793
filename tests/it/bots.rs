//! Form bots at the details step (SPEC §2d): the honeypot `website` and the
//! minimum fill time `abuse.min_fill_secs`, timed by the app's clock.

use crate::support;

use chrono::Duration;

use rocket::http::Status;
use support::{offered_slot, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

const METRICS: &str = r#"
[default.metrics]
token = "test-metrics-token-0123456789"
"#;

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{METRICS}\n---\n{extra}")).await
}

/// Walks a fresh visitor to the details step; returns nothing but the page
/// it was shown there.
async fn to_details(v: &Visitor<'_>) -> Page {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot");
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.status, Status::SeeOther);
    v.get("/book/details").await
}

const DETAILS: [(&str, &str); 3] = [("name", "Vic Visitor"), ("email", "vic@example.test"), ("phone", "+49 30 555")];

/// How many code emails `slotwise_code_emails_total` counts with `outcome`.
async fn code_emails(app: &TestApp, outcome: &str) -> f64 {
    let page = app.visitor().get_with("/metrics", &[("Authorization", "Bearer test-metrics-token-0123456789")]).await;
    let name = format!("slotwise_code_emails_total{{outcome=\"{outcome}\"}} ");
    let line = page.body.lines().find(|l| l.starts_with(&name)).unwrap_or_else(|| panic!("{name} in {}", page.body));
    line[name.len()..].trim().parse().expect("a number")
}

fn codes(app: &TestApp) -> usize {
    support::read_outbox(&app.outbox).len()
}

async fn a_filled_honeypot_answers_422_saves_nothing_sends_nothing_and_counts_as_refused(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let page = to_details(&v).await;
    let field = page.body.split("<div class=\"hp\"").nth(1).expect("the honeypot's container");
    let field = &field[..field.find("</div>").expect("its end")];
    assert!(field.starts_with(" aria-hidden=\"true\""), "{field}");
    for attribute in ["name=\"website\"", "value=\"\"", "tabindex=\"-1\"", "autocomplete=\"off\""] {
        assert!(field.contains(attribute), "{attribute} in {field}");
    }
    let css = v.get("/static/app.css").await.body;
    assert!(css.contains(".hp { display: none; }"), "hidden by the stylesheet");

    let mut pairs = DETAILS.to_vec();
    pairs.push(("website", "https://spam.example"));
    let refused = v.submit("/book/details", &page, &pairs).await;
    assert_eq!(refused.status, Status::UnprocessableEntity, "{}", refused.body);
    assert!(refused.body.contains("Please check your entries and send the form again."), "{}", refused.body);
    assert!(refused.body.contains("value=\"Vic Visitor\"") && refused.body.contains("value=\"vic@example.test\""));
    assert!(!refused.body.contains("spam.example"), "the honeypot is not filled in again");
    assert_eq!((codes(&app), app.count("otp_codes").await), (0, 0), "nothing sent or saved");
    assert_eq!(v.get("/book").await.location(), "/book/details", "no details stored");
    assert_eq!(code_emails(&app, "refused").await, 1.0);

    let sent = v.submit("/book/details", &refused, &DETAILS).await;
    assert_eq!((sent.status, sent.location()), (Status::SeeOther, "/book/verify"), "a person's post goes through");
    assert_eq!(codes(&app), 1);
}

async fn a_post_sooner_than_min_fill_secs_answers_422_and_the_next_after_the_delay_passes(db: Backend) {
    let app = app(&db, "[default.abuse]\nmin_fill_secs = 2").await;
    let v = app.visitor();
    let page = to_details(&v).await;
    app.clock.advance(Duration::milliseconds(1_900));
    let soon = v.submit("/book/details", &page, &DETAILS).await;
    assert_eq!(soon.status, Status::UnprocessableEntity, "{}", soon.body);
    assert!(soon.body.contains("Please check your entries and send the form again."), "{}", soon.body);
    assert!(soon.body.contains("value=\"Vic Visitor\"") && soon.body.contains("value=\"+49 30 555\""), "input kept");
    assert_eq!((codes(&app), app.count("otp_codes").await), (0, 0), "nothing sent or saved");
    assert_eq!(code_emails(&app, "refused").await, 1.0);

    // Shown again at the 422: the first showing still counts, 2 s have passed.
    app.clock.advance(Duration::milliseconds(100));
    let sent = v.submit("/book/details", &soon, &DETAILS).await;
    assert_eq!((sent.status, sent.location()), (Status::SeeOther, "/book/verify"), "{}", sent.body);
    assert_eq!(codes(&app), 1);
}

async fn a_form_never_shown_counts_from_its_first_refusal_and_zero_turns_the_check_off(db: Backend) {
    let on = app(&db, "[default.abuse]\nmin_fill_secs = 2").await;
    let de = on.visitor().with_header("Accept-Language", "de");
    let page = de.get("/book/service").await;
    de.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = de.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot");
    de.submit("/book/slot", &page, &[("slot", &slot)]).await;
    // Straight from the slot step to the POST: the form was never shown.
    let blind = de.submit("/book/details", &page, &DETAILS).await;
    assert_eq!(blind.status, Status::UnprocessableEntity);
    assert!(blind.body.contains("Bitte prüfen Sie Ihre Angaben und senden Sie das Formular erneut."), "{}", blind.body);
    let again = de.submit("/book/details", &blind, &DETAILS).await;
    assert_eq!(again.status, Status::UnprocessableEntity, "still too soon");
    on.clock.advance(Duration::seconds(2));
    let sent = de.submit("/book/details", &again, &DETAILS).await;
    assert_eq!(sent.location(), "/book/verify", "{}", sent.body);

    let off = app(&db, "[default.abuse]\nmin_fill_secs = 0").await;
    let v = off.visitor();
    let page = to_details(&v).await;
    let sent = v.submit("/book/details", &page, &DETAILS).await;
    assert_eq!((sent.status, sent.location()), (Status::SeeOther, "/book/verify"), "0: off, at once");
}

on_both_backends!(
    a_filled_honeypot_answers_422_saves_nothing_sends_nothing_and_counts_as_refused,
    a_post_sooner_than_min_fill_secs_answers_422_and_the_next_after_the_delay_passes,
    a_form_never_shown_counts_from_its_first_refusal_and_zero_turns_the_check_off,
);
