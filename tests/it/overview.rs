//! The slot step that fits a phone (issue 27): a day overview — each day of
//! the page with its count of free times, or why it has none, in the same
//! words on the wizard's slot page and a booking's reschedule page — with
//! only one day's times open, and every time still in the form.

use crate::support;

use rocket::http::Status;
use support::{code_in, Backend, Page, TestApp, Visitor, ALWAYS_OPEN};

/// Always open but Tuesday 4 March 2031 (the clock starts on Monday the 3rd, 09:50 in Berlin).
const TUESDAY_CLOSED: &str = "[default.booking.dates]\n\"2031-03-04\" = []";

async fn app(db: &Backend) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{TUESDAY_CLOSED}")).await
}

/// The `<details class="day">` blocks of `page`, each with whether it is open.
fn days(page: &Page) -> Vec<(bool, &str)> {
    let mut found = Vec::new();
    for (at, _) in page.body.match_indices("<details class=\"day\" name=\"day\"") {
        let block = &page.body[at..at + page.body[at..].find("</details>").expect("the day ends")];
        found.push((block.starts_with("<details class=\"day\" name=\"day\" open>"), block));
    }
    found
}

/// The overview line of a day: "<label> <count>".
fn line(label: &str, count: &str) -> String {
    format!("<span class=\"day-label\">{label}</span> <span class=\"day-count\">{count}</span>")
}

async fn choose_service(v: &Visitor<'_>) {
    let page = v.get("/book/service").await;
    assert_eq!(v.submit("/book/service", &page, &[("service", "consultation")]).await.location(), "/book/slot");
}

async fn one_day_is_open_and_each_day_says_how_many_times_it_has(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    choose_service(&v).await;
    let page = v.get("/book/slot").await;
    assert_eq!(page.status, Status::Ok);
    let shown = days(&page);
    assert_eq!(shown.len(), 6, "seven days, one of them closed");
    assert_eq!(shown.iter().filter(|(open, _)| *open).count(), 1, "one day open");
    let (open, today) = shown[0];
    assert!(open && today.contains(&line("Mon 3 Mar 2031", "28 free times")), "today from 10:00: {today}");
    assert!(today.contains(" id=\"slot\" name=\"slot\" value=\"2031-03-03T10:00\""), "the error summary's target");
    assert!(shown[1].1.contains(&line("Wed 5 Mar 2031", "48 free times")), "{}", shown[1].1);
    let closed = format!("<p class=\"day day-empty\">{}</p>", line("Tue 4 Mar 2031", "closed"));
    assert!(page.body.contains(&closed), "the closed day in the overview");
    assert_eq!(page.body.matches("name=\"slot\"").count(), 28 + 5 * 48, "every time is in the form");

    // A time chosen on Thursday: its day is the open one, the time checked.
    let chosen = v.submit("/book/slot", &page, &[("slot", "2031-03-06T12:00")]).await;
    assert_eq!(chosen.location(), "/book/details");
    let page = v.get("/book/slot").await;
    let open: Vec<&str> = days(&page).into_iter().filter(|(open, _)| *open).map(|(_, d)| d).collect();
    assert_eq!(open.len(), 1);
    assert!(open[0].contains(&line("Thu 6 Mar 2031", "48 free times")), "{}", open[0]);
    assert!(open[0].contains("value=\"2031-03-06T12:00\" checked"), "{}", open[0]);

    // German: the same overview in German words.
    let de = app.visitor().with_header("Accept-Language", "de");
    choose_service(&de).await;
    let page = de.get("/book/slot").await;
    assert!(page.body.contains(&line("Di., 4. März 2031", "geschlossen")), "{}", page.body);
    assert!(page.body.contains(&line("Mi., 5. März 2031", "48 freie Termine")), "{}", page.body);
}

/// Books Wednesday 5 March 2031, 10:00, for `v`; returns the path of the booking's link.
async fn book(app: &TestApp, v: &Visitor<'_>) -> String {
    choose_service(v).await;
    let page = v.get("/book/slot").await;
    v.submit("/book/slot", &page, &[("slot", "2031-03-05T10:00")]).await;
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Ann"), ("email", "ann@example.test")]).await;
    let code = code_in(&support::read_outbox(&app.outbox).last().expect("a code email").text).expect("a code");
    let page = v.get("/book/verify").await;
    v.submit("/book/verify", &page, &[("code", &code)]).await;
    let page = v.get("/book/confirm").await;
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    let mails = support::wait_for_mail(&app.outbox, |m| m.attachment(".ics").is_some()).await;
    let confirmation = mails.iter().find(|m| m.attachment(".ics").is_some()).expect("the confirmation");
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link");
    link[link.find("/booking/").expect("a path")..].to_string()
}

async fn the_reschedule_page_shows_the_same_overview_in_the_same_words(db: Backend) {
    let app = app(&db).await;
    let v = app.visitor();
    let link = book(&app, &v).await;
    let token = &link[link.find("token=").expect("a token") + 6..];
    let reference = &link["/booking/".len()..link.find('?').expect("a query")];
    // NOTE: the page starts at the booking's day; from Monday on, it shows the closed Tuesday too.
    let page = v.get(&format!("/booking/{reference}/reschedule?token={token}&date=2031-03-03")).await;
    assert_eq!(page.status, Status::Ok);
    let closed = format!("<p class=\"day day-empty\">{}</p>", line("Tue 4 Mar 2031", "closed"));
    assert!(page.body.contains(&closed), "closed, as at the slot step: {}", page.body);
    let open: Vec<&str> = days(&page).into_iter().filter(|(open, _)| *open).map(|(_, d)| d).collect();
    assert_eq!(open.len(), 1, "one day open");
    assert!(open[0].contains(&line("Wed 5 Mar 2031", "48 free times")), "its own time counts: {}", open[0]);
    assert!(open[0].contains("value=\"2031-03-05T10:00\" checked"), "the booking's day is open: {}", open[0]);
}

on_both_backends!(
    one_day_is_open_and_each_day_says_how_many_times_it_has,
    the_reschedule_page_shows_the_same_overview_in_the_same_words,
);
