//! The edges a newcomer meets first: the time zone in the visitor's
//! language, an error summary that names each field once in form order, the
//! favicon, a done page that says what was booked, and no cancel control
//! before there is anything to cancel.

use crate::support;

use rocket::http::Status;
use support::{code_in, offered_slot, Backend, Page, TestApp, Visitor};

use support::ALWAYS_OPEN;

async fn app(db: &Backend) -> TestApp {
    TestApp::with_config(db, ALWAYS_OPEN).await
}

async fn choose_service(v: &Visitor<'_>) -> Page {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await
}

async fn choose_first_slot(v: &Visitor<'_>) {
    let page = v.get("/book/slot").await;
    let slot = offered_slot(&page.body).expect("a slot is offered");
    assert_eq!(v.submit("/book/slot", &page, &[("slot", &slot)]).await.location(), "/book/details");
}

/// The `href`s of the links in the error summary, in order.
fn summary_links(body: &str) -> Vec<String> {
    let Some(at) = body.find("id=\"error-summary\"") else { return Vec::new() };
    let summary = &body[at..body[at..].find("</div>").map_or(body.len(), |end| at + end)];
    summary.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(String::from).collect()
}

async fn the_slot_page_names_the_zone_in_the_visitors_language(db: Backend) {
    let app = app(&db).await;
    let de = app.visitor().with_header("Accept-Language", "de");
    choose_service(&de).await;
    let page = de.get("/book/slot").await;
    assert!(page.body.contains("Zeiten in deutscher Zeit (ME"), "{}", page.body);
    let hint = page.body.split("<p class=\"hint\">").find(|p| p.contains("Zeiten in")).expect("the zone's hint");
    assert!(!hint[..hint.find("</p>").expect("its end")].contains("Europe/Berlin"), "the raw zone id is shown");
    let en = app.visitor().with_header("Accept-Language", "en");
    choose_service(&en).await;
    let page = en.get("/book/slot").await;
    assert!(page.body.contains("All times are German time (CE"), "{}", page.body);
}

async fn the_error_summary_names_each_faulty_field_once_in_form_order(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor().with_header("Accept-Language", "de");
    choose_service(&v).await;
    choose_first_slot(&v).await;
    let page = v.get("/book/details").await;
    let page = v.submit("/book/details", &page, &[("name", ""), ("email", ""), ("phone", "abc")]).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert_eq!(summary_links(&page.body), ["#name", "#email", "#phone"], "{}", page.body);
    let required = "Bitte füllen Sie dieses Feld aus.";
    assert!(page.body.contains(&format!("Name: {required}")), "{}", page.body);
    assert!(page.body.contains(&format!("E-Mail-Adresse: {required}")), "{}", page.body);
    for target in ["id=\"name\"", "id=\"email\"", "id=\"phone\""] {
        assert!(page.body.contains(target), "no field {target} to link to");
    }
    let page = v.get("/book/slot").await;
    let page = v.submit("/book/slot", &page, &[("slot", "tomorrow")]).await;
    assert_eq!(summary_links(&page.body), ["#slot"], "{}", page.body);
    assert!(page.body.contains(" id=\"slot\" name=\"slot\""), "the summary's link has no target");
}

async fn the_favicon_is_linked_and_cached(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    assert!(v.get("/").await.body.contains("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"));
    for path in ["/favicon.svg", "/favicon.ico"] {
        let icon = v.get(path).await;
        assert_eq!(icon.status, Status::Ok, "{path}");
        assert!(icon.header("Content-Type").is_some_and(|t| t.starts_with("image/svg+xml")), "{path}");
        assert!(icon.header("Cache-Control").is_some_and(|c| c.contains("max-age=2592000")), "{path}");
        assert!(icon.body.starts_with("<svg"), "{path}");
        assert!(icon.set_cookies().is_empty(), "{path} set a cookie");
    }
}

async fn the_done_page_says_what_was_booked_when_and_where_the_mail_went(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor().with_header("Accept-Language", "de");
    choose_service(&v).await;
    choose_first_slot(&v).await;
    let page = v.get("/book/details").await;
    let page = v.submit("/book/details", &page, &[("name", "Jürgen"), ("email", "juergen@example.test")]).await;
    assert_eq!(page.location(), "/book/verify");
    let code = code_in(&support::read_outbox(&app.outbox).last().expect("a code email").text).expect("a code");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
    let page = v.get("/book/confirm").await;
    let when = page.body.split("<dt>Datum und Uhrzeit</dt><dd>").nth(1).and_then(|r| r.split(" · ").next());
    let when = when.expect("the confirm page shows the time").to_string();
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    let done = v.get("/book/done").await;
    assert_eq!(done.status, Status::Ok);
    assert!(done.body.contains("id=\"booking-ref\""), "{}", done.body);
    assert!(done.body.contains("<dd>Beratung</dd>"), "service missing: {}", done.body);
    assert!(done.body.contains(&format!("<dd>{when}</dd>")), "{when} missing: {}", done.body);
    assert!(done.body.contains("an juergen@example.test geschickt"), "address missing: {}", done.body);
}

async fn cancel_is_offered_only_once_a_flow_exists(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    let first = v.get("/book/service").await;
    assert_eq!(first.status, Status::Ok);
    assert!(!first.body.contains("action=\"/book/cancel\""), "cancel offered before anything exists");
    let wrong = v.submit("/book/service", &first, &[("service", "nope")]).await;
    assert!(!wrong.body.contains("action=\"/book/cancel\""), "cancel offered after a refused first step");
    choose_service(&v).await;
    assert!(v.get("/book/slot").await.body.contains("action=\"/book/cancel\""));
    assert!(v.get("/book/service").await.body.contains("action=\"/book/cancel\""), "a started flow can be cancelled");
    let slot = v.get("/book/slot").await;
    assert!(slot.body.contains(">Start over</button>"), "{}", slot.body);
    assert_eq!(v.submit("/book/cancel", &slot, &[]).await.location(), "/");
    let landing = v.get("/").await;
    assert!(landing.body.contains("Your booking was not made"), "the landing page says what happened");
    assert!(!v.get("/").await.body.contains("Your booking was not made"), "once");
}

/// Once the address is verified, the code step is finished: no link back.
async fn the_finished_code_step_is_not_a_link_back(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    choose_service(&v).await;
    choose_first_slot(&v).await;
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Jo"), ("email", "jo@example.test")]).await;
    let code = code_in(&support::read_outbox(&app.outbox).last().expect("a code email").text).expect("a code");
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
    let confirm = v.get("/book/confirm").await;
    assert!(confirm.body.contains("href=\"/book/details\""), "earlier steps stay links");
    assert!(!confirm.body.contains("<a href=\"/book/verify\""), "{}", confirm.body);
}

/// SPEC §1a: the practice's name on every page and email, its address where
/// the booking is shown and in the `.ics`, replies to its own address.
async fn the_practice_is_named_on_its_pages_and_in_its_emails(db: Backend) {
    let practice = "[default.practice]\nname = \"Praxis Weber\"\naddress = \"Hauptstraße 1, Berlin\"\n\
                    email = \"empfang@praxis.test\"\nphone = \"\"";
    let app = TestApp::with_config(&db, &format!("{ALWAYS_OPEN}\n{practice}")).await;
    let v = app.visitor().with_header("Accept-Language", "de");
    let landing = v.get("/").await;
    assert!(landing.body.contains(" · Praxis Weber</title>"), "{}", landing.body);
    assert!(landing.body.contains("class=\"brand\" href=\"/\">Praxis Weber</a>"), "{}", landing.body);
    assert!(!landing.body.contains("Slotwise"), "the practice's page, not Slotwise's");
    let services = v.get("/book/service").await;
    assert!(services.body.contains("Ein erstes Gespräch über Ihr Anliegen."), "{}", services.body);
    choose_service(&v).await;
    choose_first_slot(&v).await;
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Jo"), ("email", "jo@example.test")]).await;
    let code_mail = support::read_outbox(&app.outbox).pop().expect("the code email");
    assert!(code_mail.subject.contains("Praxis Weber"), "{}", code_mail.subject);
    let code = code_in(&code_mail.text).expect("a code");
    let page = v.get("/book/verify").await;
    v.submit("/book/verify", &page, &[("code", &code)]).await;
    let page = v.get("/book/confirm").await;
    assert!(page.body.contains("<dd class=\"address\">Hauptstraße 1, Berlin</dd>"), "{}", page.body);
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    assert!(v.get("/book/done").await.body.contains("Hauptstraße 1, Berlin"));
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let confirmation = mails.into_iter().find(|m| m.attachment(".ics").is_some()).expect("the confirmation");
    assert!(confirmation.subject.ends_with(" · Praxis Weber"), "{}", confirmation.subject);
    let text = confirmation.text.replace("\r\n", "\n");
    assert!(text.contains("\n-- \nPraxis Weber\nHauptstraße 1, Berlin\n"), "{text:?}");
    assert!(!confirmation.text.contains("Telefon"), "an unset phone is left out");
    let ics = confirmation.attachment(".ics").map(|a| a.body.replace("\r\n ", "")).unwrap_or_default();
    assert!(ics.contains("ORGANIZER;CN=Praxis Weber:mailto:empfang@praxis.test"), "{ics}");
    assert!(ics.contains("LOCATION:Hauptstraße 1\\, Berlin"), "{ics}");
}

on_both_backends!(
    the_practice_is_named_on_its_pages_and_in_its_emails,
    the_slot_page_names_the_zone_in_the_visitors_language,
    the_error_summary_names_each_faulty_field_once_in_form_order,
    the_favicon_is_linked_and_cached,
    the_done_page_says_what_was_booked_when_and_where_the_mail_went,
    cancel_is_offered_only_once_a_flow_exists,
    the_finished_code_step_is_not_a_link_back,
);
