//! The visitor's own time zone (SPEC §3): `tz` in `POST /prefs`, the zone
//! switcher on every page, and every time shown in the practice's zone and
//! the visitor's — computed from the instant, across clock changes that the
//! two zones make on different dates.

use crate::support;

use chrono::DateTime;
use rocket::http::Status;
use support::{code_in, field_value, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

async fn app(db: &Backend) -> TestApp {
    TestApp::with_config(db, ALWAYS_OPEN).await
}

/// `POST /prefs` with `tz` from `page`'s switcher.
async fn choose_zone(v: &Visitor<'_>, page: &Page, tz: &str) -> Page {
    v.submit("/prefs", page, &[("tz", tz), ("next", "/book/service")]).await
}

/// A page's HTML with the one entity Tera writes into these texts (`/`)
/// read back.
fn text(page: &Page) -> String {
    page.body.replace("&#x2F;", "/")
}

/// The value of the selected option of the zone switcher.
fn selected_zone(body: &str) -> String {
    let select = &body[body.find("<select id=\"tz\" name=\"tz\">").expect("the zone switcher")..];
    let option = &select[..select.find(" selected>").expect("a selected option")];
    option[option.rfind("value=\"").expect("its value") + 7..].trim_end_matches('"').to_string()
}

/// The label of the radio `value` on a slot or reschedule page.
fn slot_label(body: &str, value: &str) -> String {
    let at = body.find(&format!("value=\"{value}\"")).unwrap_or_else(|| panic!("{value} is offered"));
    let rest = &body[at..];
    rest[rest.find('>').expect("the input's end") + 1..rest.find("</label>").expect("the label's end")]
        .trim()
        .to_string()
}

async fn the_zone_is_a_preference_practice_resets_it_and_an_unknown_one_is_refused(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor().with_header("Accept-Language", "en-US,en;q=0.8");
    let landing = v.get("/").await;
    assert_eq!(selected_zone(&text(&landing)), "practice");
    let landing_text = text(&landing);
    let first = &landing_text[landing_text.find("<select id=\"tz\"").expect("switcher")..];
    let order: Vec<&str> =
        first.split("<option value=\"").skip(1).take(3).map(|o| &o[..o.find('"').unwrap()]).collect();
    assert_eq!(order, ["practice", "America/New_York", "America/Detroit"], "the practice, then the browser's region");
    assert!(
        landing.body.contains("<optgroup label=\"Europe\">")
            && landing.body.contains("<option value=\"Asia/Tokyo\">Tokyo</option>")
    );

    // The landing page's session-less token may choose; it starts the session.
    let chosen = choose_zone(&v, &landing, "America/New_York").await;
    assert_eq!((chosen.status, chosen.location()), (Status::SeeOther, "/book/service"));
    let page = v.get("/book/service").await;
    assert_eq!(selected_zone(&text(&page)), "America/New_York");
    for bad in ["Mars/Olympus_Mons", "america/new_york", "practice ", "../../etc/passwd"] {
        let refused = choose_zone(&v, &page, bad).await;
        assert_eq!(refused.status, Status::UnprocessableEntity, "{bad:?}");
    }
    assert_eq!(selected_zone(&text(&v.get("/book/service").await)), "America/New_York", "nothing stored");
    let de = v.submit("/prefs", &page, &[("lang", "de"), ("next", "/")]).await;
    assert_eq!(de.status, Status::SeeOther);
    assert_eq!(selected_zone(&text(&v.get("/").await)), "America/New_York", "the other switchers keep it");
    choose_zone(&v, &page, "practice").await;
    assert_eq!(selected_zone(&text(&v.get("/book/service").await)), "practice");
}

/// A booking made from New York on the day Berlin leaves summer time
/// (2031-10-26; New York follows on 2 November), moved a week on.
async fn a_berlin_slot_on_the_last_sunday_of_october_is_seen_from_new_york_everywhere(db: Backend) {
    let app = app(&db).await;
    app.clock.set(DateTime::parse_from_rfc3339("2031-10-24T06:00:00Z").expect("a time").to_utc());
    let v = app.visitor();
    let page = v.get("/book/service").await;
    assert_eq!(choose_zone(&v, &page, "America/New_York").await.status, Status::SeeOther);
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;

    let slots = v.get("/book/slot?date=2031-10-25").await;
    let slots_text = text(&slots);
    assert!(slots_text.contains("In brackets: your time (America/New_York)."), "{slots_text}");
    assert_eq!(slot_label(&slots_text, "2031-10-25T10:00"), "10:00 CEST (04:00 EDT your time)");
    assert_eq!(slot_label(&slots_text, "2031-10-26T10:00"), "10:00 CET (05:00 EDT your time)", "from the instant");
    // 02:30 happens twice in Berlin that night: two instants, two New York times.
    assert_eq!(slot_label(&slots_text, "2031-10-26T02:30"), "02:30 CEST (Sat 25 Oct, 20:30 EDT your time)");
    assert_eq!(slot_label(&slots_text, "2031-10-26T02:30+01:00"), "02:30 CET (Sat 25 Oct, 21:30 EDT your time)");

    let held = v.submit("/book/slot", &slots, &[("slot", "2031-10-26T10:00")]).await;
    assert_eq!(held.location(), "/book/details", "radio values stay practice-local");
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Nora York"), ("email", "nora@example.test")]).await;
    let code_mail = support::read_outbox(&app.outbox).pop().expect("the code email");
    assert!(code_mail.text.contains("Sun 26 Oct, 10:00 CET (05:00 EDT your time)"), "{}", code_mail.text);
    let code = code_in(&code_mail.text).expect("a code");
    let page = v.get("/book/verify").await;
    v.submit("/book/verify", &page, &[("code", &code)]).await;
    let when = "Sun 26 Oct 2031, 10:00 CET (05:00 EDT your time)";
    let confirm = v.get("/book/confirm").await;
    assert!(confirm.body.contains(when), "{}", confirm.body);
    let done =
        v.submit("/book/confirm", &confirm, &[("summary", &field_value(&confirm.body, "summary").unwrap())]).await;
    assert_eq!(done.location(), "/book/done");
    assert!(v.get("/book/done").await.body.contains(when));

    let db = app.db().await;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT visitor_tz FROM bookings").fetch_one(&db).await.expect("a row");
    db.close().await;
    assert_eq!(stored.as_deref(), Some("America/New_York"), "kept with the booking");
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let confirmation = mails.iter().find(|m| m.attachment(".ics").is_some()).expect("the confirmation");
    assert!(confirmation.text.contains(when) && confirmation.html.contains(when), "{}", confirmation.text);
    let ics = &confirmation.attachment(".ics").expect("an .ics").body;
    assert!(ics.contains("DTSTART:20311026T090000Z"), "the calendar keeps UTC: {ics}");

    // The booking's own page: both times for this visitor, the practice's alone for another.
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link");
    let link = &link[link.find("/booking/").expect("a path")..];
    assert!(v.get(link).await.body.contains(when));
    let other = app.visitor().get(link).await;
    assert!(other.body.contains("Sun 26 Oct 2031, 10:00 CET<") && !other.body.contains("your time"), "{}", other.body);

    // Moved a week on, when New York has left summer time too.
    let (reference, token) = (link[9..].split('?').next().unwrap(), link.split("token=").nth(1).unwrap());
    let choose = v.get(&format!("/booking/{reference}/reschedule?token={token}&date=2031-11-02")).await;
    assert!(choose.body.contains(&format!("now booked for {when}")), "{}", choose.body);
    assert_eq!(slot_label(&text(&choose), "2031-11-02T10:00"), "10:00 CET (04:00 EST your time)");
    let moved = v
        .submit(&format!("/booking/{reference}/reschedule"), &choose, &[("token", token), ("slot", "2031-11-02T10:00")])
        .await;
    assert_eq!(moved.status, Status::SeeOther);
    let mails = support::wait_for_mail(&app.outbox, |m| m.subject.contains("moved")).await;
    let notice = mails.iter().find(|m| m.subject.contains("moved")).expect("the moved email");
    assert!(notice.text.contains("Sun 2 Nov 2031, 10:00 CET (04:00 EST your time)"), "{}", notice.text);
    assert!(notice.text.contains(&format!("It was: {when}")), "{}", notice.text);
}

on_both_backends!(
    the_zone_is_a_preference_practice_resets_it_and_an_unknown_one_is_refused,
    a_berlin_slot_on_the_last_sunday_of_october_is_seen_from_new_york_everywhere,
);
