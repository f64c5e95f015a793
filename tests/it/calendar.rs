//! The calendar rules walked like a visitor, on both backends: closed dates,
//! special hours, ranges of dates, a buffer before, and daily caps (overall,
//! per service, and raced for by twenty visitors at once).
//!
//! Dates are chosen relative to today in the practice's zone (two days on, so
//! neither the notice nor the time of day matters), never fixed.

use crate::support;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rocket::http::Status;
use support::{field_value, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

const ZONE: Tz = chrono_tz::Europe::Berlin;

/// Three services, one with a buffer before (on top of [`ALWAYS_OPEN`]), in Berlin.
const BASE: &str = r#"
[default.booking]
timezone = "Europe/Berlin"
[[default.booking.services]]
id = "consultation"
name = "Consultation"
duration_minutes = 30
[[default.booking.services]]
id = "prepared"
name = "Prepared"
duration_minutes = 30
buffer_before_minutes = 30
[[default.booking.services]]
id = "follow-up"
name = "Follow-up"
duration_minutes = 30
"#;

/// The day the tests look at: two days after today in the practice's zone.
fn day(offset: i64) -> NaiveDate {
    support::start().with_timezone(&ZONE).date_naive() + Duration::days(2 + offset)
}

/// An app with [`BASE`] and `extra` on top; `{D}`, `{D1}`, `{D2}` stand for [`day`] 0, 1, 2.
async fn app(db: &Backend, extra: &str) -> TestApp {
    let extra = extra.replace("{D}", &day(0).to_string()).replace("{D1}", &day(1).to_string());
    let extra = extra.replace("{D2}", &day(2).to_string());
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{BASE}\n---\n{extra}")).await
}

async fn choose_service(v: &Visitor<'_>, service: &str) {
    let page = v.get("/book/service").await;
    let done = v.submit("/book/service", &page, &[("service", service)]).await;
    assert_eq!(done.status, Status::SeeOther, "{service}");
}

/// The slot page from `date` on.
async fn slot_page(v: &Visitor<'_>, date: NaiveDate) -> Page {
    let page = v.get(&format!("/book/slot?date={date}")).await;
    assert_eq!(page.status, Status::Ok);
    page
}

/// The local times `page` offers on `date`.
fn offered(page: &Page, date: NaiveDate) -> Vec<String> {
    let prefix = format!("name=\"slot\" value=\"{date}T");
    page.body.split(&prefix).skip(1).map(|rest| rest[..5].to_string()).collect()
}

/// Posts the slot `date` at `time` from `page`.
async fn post_slot(v: &Visitor<'_>, page: &Page, date: NaiveDate, time: &str) -> Page {
    v.submit("/book/slot", page, &[("slot", &format!("{date}T{time}"))]).await
}

/// Details and code: the visitor ends on the confirm step.
async fn verify(app: &TestApp, v: &Visitor<'_>, email: &str) {
    let page = v.get("/book/details").await;
    let sent = v.submit("/book/details", &page, &[("name", "Ann"), ("email", email)]).await;
    assert_eq!(sent.location(), "/book/verify", "{}", sent.body);
    let code = support::code_sent_to(&app.outbox, email);
    let page = v.get("/book/verify").await;
    assert_eq!(v.submit("/book/verify", &page, &[("code", &code)]).await.location(), "/book/confirm");
}

/// A visitor who books `service` on `date` at `time` all the way through.
async fn book(app: &TestApp, service: &str, date: NaiveDate, time: &str, email: &str) {
    let v = app.visitor();
    choose_service(&v, service).await;
    let page = slot_page(&v, date).await;
    assert_eq!(post_slot(&v, &page, date, time).await.status, Status::SeeOther, "{date}T{time}");
    verify(app, &v, email).await;
    let page = v.get("/book/confirm").await;
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
}

/// A visitor holding `service` on `date` at `time`.
async fn hold<'a>(app: &'a TestApp, service: &str, date: NaiveDate, time: &str) -> Visitor<'a> {
    let v = app.visitor();
    choose_service(&v, service).await;
    let page = slot_page(&v, date).await;
    assert_eq!(post_slot(&v, &page, date, time).await.status, Status::SeeOther, "{date}T{time}");
    v
}

/// A closed day's line in the day overview, in English.
const CLOSED_EN: &str = "<span class=\"day-count\">closed</span>";
/// A day at its cap, likewise.
const FULL_EN: &str = "<span class=\"day-count\">fully booked</span>";

async fn a_closed_date_offers_nothing_and_rejects_a_post_with_422(db: Backend) {
    let app = app(&db, "[default.booking.dates]\n\"{D}\" = []").await;
    let v = app.visitor();
    choose_service(&v, "consultation").await;
    let page = slot_page(&v, day(0)).await;
    assert!(offered(&page, day(0)).is_empty(), "{:?}", offered(&page, day(0)));
    assert!(page.body.contains(CLOSED_EN), "the page says why");
    assert!(offered(&page, day(1)).contains(&"10:00".to_string()), "the next day keeps its hours");
    let refused = post_slot(&v, &page, day(0), "10:00").await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(refused.body.contains(CLOSED_EN), "the 422 page shows that day");
    assert_eq!(app.count("holds").await, 0);
    let de = app.visitor().with_header("Accept-Language", "de");
    choose_service(&de, "consultation").await;
    assert!(slot_page(&de, day(0)).await.body.contains("<span class=\"day-count\">geschlossen</span>"));
}

async fn special_hours_replace_the_weekday_hours(db: Backend) {
    let app = app(&db, "[default.booking.dates]\n\"{D}\" = [\"15:00-16:00\", \"09:00-10:00\"]").await;
    let v = app.visitor();
    choose_service(&v, "consultation").await;
    let page = slot_page(&v, day(0)).await;
    assert_eq!(offered(&page, day(0)), ["09:00", "09:30", "15:00", "15:30"]);
    assert_eq!(post_slot(&v, &page, day(0), "11:00").await.status, Status::UnprocessableEntity);
    assert_eq!(post_slot(&v, &page, day(0), "15:30").await.location(), "/book/details");
}

async fn a_date_inside_a_range_of_dates_wins_over_the_range(db: Backend) {
    let app = app(&db, "[default.booking.dates]\n\"{D}..{D2}\" = [\"13:00-14:00\"]\n\"{D1}\" = []").await;
    let v = app.visitor();
    choose_service(&v, "consultation").await;
    let page = slot_page(&v, day(0)).await;
    assert_eq!(offered(&page, day(0)), ["13:00", "13:30"]);
    assert!(offered(&page, day(1)).is_empty());
    assert_eq!(offered(&page, day(2)), ["13:00", "13:30"]);
    assert!(offered(&page, day(3)).contains(&"09:00".to_string()), "after the range: the weekly hours");
    assert_eq!(post_slot(&v, &page, day(1), "13:00").await.status, Status::UnprocessableEntity);
}

async fn a_buffer_before_blocks_the_neighbour_and_the_opening_edge(db: Backend) {
    let app = app(&db, "[default.booking.dates]\n\"{D}\" = [\"09:00-12:00\"]").await;
    let v = app.visitor();
    choose_service(&v, "prepared").await;
    let page = slot_page(&v, day(0)).await;
    assert_eq!(offered(&page, day(0)), ["09:30", "10:00", "10:30", "11:00", "11:30"], "09:00 needs 08:30");
    assert_eq!(post_slot(&v, &page, day(0), "09:00").await.status, Status::UnprocessableEntity);

    book(&app, "prepared", day(0), "10:30", "prep@example.test").await;
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let mail = mails.into_iter().find(|m| m.attachment(".ics").is_some()).expect("confirmation");
    let ics = &mail.attachment(".ics").expect("an .ics").body;
    let utc = |time: &str| {
        let local = day(0).and_time(time.parse().expect("a time"));
        ZONE.from_local_datetime(&local).unwrap().with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string()
    };
    assert!(ics.contains(&format!("DTSTART:{}", utc("10:30:00"))), "the appointment only:\n{ics}");
    assert!(ics.contains(&format!("DTEND:{}", utc("11:00:00"))), "{ics}");

    // Booked 10:30 occupies 10:00-11:00: its buffer keeps 10:00 from a neighbour.
    let other = app.visitor();
    choose_service(&other, "consultation").await;
    let page = slot_page(&other, day(0)).await;
    assert_eq!(offered(&page, day(0)), ["09:00", "09:30", "11:00", "11:30"]);
    assert_eq!(post_slot(&other, &page, day(0), "10:00").await.status, Status::UnprocessableEntity);
    let third = app.visitor();
    choose_service(&third, "prepared").await;
    assert_eq!(offered(&slot_page(&third, day(0)).await, day(0)), ["09:30", "11:30"]);
}

async fn a_date_at_the_overall_cap_offers_nothing_until_a_hold_goes(db: Backend) {
    let app = app(&db, "[default.booking]\nmax_per_day = 2").await;
    let first = hold(&app, "consultation", day(0), "10:00").await;
    let _second = hold(&app, "follow-up", day(0), "11:00").await;
    let v = app.visitor();
    choose_service(&v, "prepared").await;
    let page = slot_page(&v, day(0)).await;
    assert!(offered(&page, day(0)).is_empty());
    assert!(page.body.contains(FULL_EN));
    assert!(!offered(&page, day(1)).is_empty(), "the next day is not capped");
    assert_eq!(post_slot(&v, &page, day(0), "14:00").await.status, Status::UnprocessableEntity);
    // The first visitor gives up: their hold no longer counts.
    let page = first.get("/book/slot").await;
    assert_eq!(first.submit("/book/cancel", &page, &[]).await.location(), "/");
    let page = slot_page(&v, day(0)).await;
    assert!(offered(&page, day(0)).contains(&"14:00".to_string()));
    assert_eq!(post_slot(&v, &page, day(0), "14:00").await.location(), "/book/details");
}

async fn a_service_at_its_cap_leaves_the_other_services_bookable(db: Backend) {
    let app = app(&db, "[[default.booking.services]]\nid = \"consultation\"\nname = \"Consultation\"\nduration_minutes = 30\n[[default.booking.services]]\nid = \"follow-up\"\nname = \"Follow-up\"\nduration_minutes = 30\nmax_per_day = 1").await;
    book(&app, "follow-up", day(0), "10:00", "first@example.test").await;
    let v = app.visitor();
    choose_service(&v, "follow-up").await;
    let page = slot_page(&v, day(0)).await;
    assert!(offered(&page, day(0)).is_empty());
    assert!(page.body.contains(FULL_EN));
    assert_eq!(post_slot(&v, &page, day(0), "12:00").await.status, Status::UnprocessableEntity);
    choose_service(&v, "consultation").await;
    let page = slot_page(&v, day(0)).await;
    let times = offered(&page, day(0));
    assert!(times.contains(&"12:00".to_string()) && !times.contains(&"10:00".to_string()), "{times:?}");
}

async fn twenty_visitors_race_for_the_last_place_of_a_capped_day(db: Backend) {
    let app = app(&db, "[default.booking]\nmax_per_day = 2\nhold_minutes = 0").await;
    book(&app, "consultation", day(0), "08:00", "early@example.test").await;
    race(&app, "follow-up").await;
}

async fn twenty_visitors_race_for_the_last_place_of_a_capped_service(db: Backend) {
    let app = app(&db, "[default.booking]\nhold_minutes = 0\n[[default.booking.services]]\nid = \"consultation\"\nname = \"Consultation\"\nduration_minutes = 30\nmax_per_day = 1").await;
    race(&app, "consultation").await;
}

/// Twenty verified visitors, each at a different free time of [`day`] 0 for
/// `service`, confirm at once: the cap lets exactly one through.
async fn race(app: &TestApp, service: &str) {
    let before = app.count("bookings").await;
    let visitors: Vec<Visitor<'_>> = (0..20).map(|_| app.visitor()).collect();
    for (i, v) in visitors.iter().enumerate() {
        choose_service(v, service).await;
        let page = slot_page(v, day(0)).await;
        let time = format!("{:02}:{:02}", 9 + i / 2, (i % 2) * 30);
        assert_eq!(post_slot(v, &page, day(0), &time).await.status, Status::SeeOther, "{time}");
        verify(app, v, &format!("racer{i}@example.test")).await;
    }
    let pages: Vec<Page> = futures::future::join_all(visitors.iter().map(|v| v.get("/book/confirm"))).await;
    let barrier = rocket::tokio::sync::Barrier::new(visitors.len());
    let results = futures::future::join_all(visitors.iter().zip(&pages).map(|(v, page)| {
        let barrier = &barrier;
        async move {
            barrier.wait().await;
            v.submit("/book/confirm", page, &[]).await
        }
    }))
    .await;
    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == Status::SeeOther).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == Status::Conflict).count(), 19, "{statuses:?}");
    let loser = results.iter().find(|r| r.status == Status::Conflict).expect("a loser");
    assert!(field_value(&loser.body, "csrf_token").is_some() && loser.body.contains(FULL_EN));
    assert_eq!(app.count("bookings").await, before + 1);
}

on_both_backends!(
    a_closed_date_offers_nothing_and_rejects_a_post_with_422,
    special_hours_replace_the_weekday_hours,
    a_date_inside_a_range_of_dates_wins_over_the_range,
    a_buffer_before_blocks_the_neighbour_and_the_opening_edge,
    a_date_at_the_overall_cap_offers_nothing_until_a_hold_goes,
    a_service_at_its_cap_leaves_the_other_services_bookable,
    twenty_visitors_race_for_the_last_place_of_a_capped_day,
    twenty_visitors_race_for_the_last_place_of_a_capped_service,
);
