//! Managing a booking from its link (SPEC §2b): the booking page, moving it,
//! cancelling it in time, and the calendar files that keep every calendar true.

use crate::support;

use rocket::http::Status;
use support::{code_in, field_value, Backend, Mail, TestApp, Visitor, ALWAYS_OPEN};

const OPEN: &str = r#"
[default.booking]
hold_minutes = 0
---
[default.otp]
resend_cooldown_secs = 0
[default.mail]
reminders_minutes = []
"#;

async fn app(db: &Backend, extra: &str) -> TestApp {
    TestApp::with_config(db, &format!("{ALWAYS_OPEN}\n---\n{OPEN}\n---\n{extra}")).await
}

/// The values of the offered slots on `html`.
fn slots(html: &str) -> Vec<String> {
    let needle = "name=\"slot\" value=\"";
    html.match_indices(needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .collect()
}

/// Books the `n`-th offered time for `email`; returns the path of its link.
async fn book(app: &TestApp, v: &Visitor<'_>, n: usize, email: &str) -> String {
    let page = v.get("/book/service").await;
    v.submit("/book/service", &page, &[("service", "consultation")]).await;
    let page = v.get("/book/slot").await;
    let slot = slots(&page.body)[n].clone();
    v.submit("/book/slot", &page, &[("slot", &slot)]).await;
    let page = v.get("/book/details").await;
    v.submit("/book/details", &page, &[("name", "Ann"), ("email", email)]).await;
    let mails = support::read_outbox(&app.outbox);
    let code = code_in(&mails.iter().rev().find(|m| m.is_to(email)).expect("code").text).expect("a code");
    let page = v.get("/book/verify").await;
    v.submit("/book/verify", &page, &[("code", &code)]).await;
    let page = v.get("/book/confirm").await;
    assert_eq!(v.submit("/book/confirm", &page, &[]).await.location(), "/book/done");
    let mails = support::wait_for_mail(&app.outbox, |m| m.is_to(email) && m.attachment(".ics").is_some()).await;
    let confirmation = mails.iter().find(|m| m.is_to(email) && m.attachment(".ics").is_some()).expect("confirmation");
    let link = confirmation.text.split_whitespace().find(|w| w.contains("/booking/")).expect("a link");
    link[link.find("/booking/").expect("a path")..].to_string()
}

/// A calendar file read the way a calendar client reads it: its `METHOD`,
/// and each event's `UID`, `SEQUENCE` and `STATUS`.
fn calendar(ics: &str) -> (String, Vec<[String; 3]>) {
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("a valid iCalendar file");
    let prop = |props: &[icalendar::parser::Property<'_>], name: &str| {
        props.iter().find(|p| p.name == name).map(|p| p.val.to_string()).unwrap_or_default()
    };
    let events = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .map(|e| [prop(&e.properties, "UID"), prop(&e.properties, "SEQUENCE"), prop(&e.properties, "STATUS")])
        .collect();
    (prop(&calendar.properties, "METHOD"), events)
}

fn parts(link: &str) -> (String, String) {
    let reference = link.trim_start_matches("/booking/").split('?').next().expect("reference").to_string();
    let token = link.split("token=").nth(1).expect("token").to_string();
    (reference, token)
}

async fn a_booking_moves_and_frees_its_old_time(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let link = book(&app, &v, 2, "ann@example.test").await;
    let (reference, token) = parts(&link);
    let page = v.get(&link).await;
    assert!(page.body.contains("data-state=\"booked\"") && page.body.contains("id=\"reschedule\""), "{}", page.body);
    let choose = v.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
    assert_eq!(choose.status, Status::Ok);
    let offered = slots(&choose.body);
    let old = field_value(&choose.body.replace(" checked", ""), "slot").expect("slot");
    assert!(offered.len() > 6);
    let new = offered[5].clone();
    assert_ne!(old, new);
    let moved =
        v.submit(&format!("/booking/{reference}/reschedule"), &choose, &[("token", &token), ("slot", &new)]).await;
    assert_eq!(moved.status, Status::SeeOther, "{}", moved.body);
    assert_eq!(moved.location(), format!("/booking/{reference}?token={token}"), "exactly the booking's link");
    // The notice is shown once, on the next page, from the session.
    let notice = "Your appointment has moved.";
    assert!(v.get(moved.location()).await.body.contains(notice), "the notice after the move");
    assert!(!v.get(moved.location()).await.body.contains(notice), "the notice only once");
    // The old time is offered to others again, the new one no longer.
    let other = app.visitor();
    let page = other.get("/book/service").await;
    other.submit("/book/service", &page, &[("service", "consultation")]).await;
    let offered = slots(&other.get("/book/slot").await.body);
    let second_choice = slots(&choose.body)[2].clone();
    assert!(offered.contains(&second_choice), "the old time is free again");
    assert!(!offered.contains(&new), "the new time is taken");
    // The moved email keeps the UID and raises the SEQUENCE.
    let mails =
        support::wait_for_mail(&app.outbox, |m| m.subject.contains(&reference) && m.subject.contains("moved")).await;
    let moved_mail: &Mail = mails.iter().find(|m| m.subject.contains("moved")).expect("moved email");
    let ics = &moved_mail.attachment(".ics").expect("an .ics").body;
    let uid = format!("{reference}@slotwise");
    assert_eq!(calendar(ics).1[0][..2], [uid.clone(), "1".to_string()], "{ics}");
    assert!(moved_mail.text.contains(&link), "the same link");
    // Cancelling: METHOD:CANCEL with the same UID.
    let page = v.get(&link).await;
    assert_eq!(
        v.submit(&format!("/booking/{reference}/cancel"), &page, &[("token", &token)]).await.status,
        Status::SeeOther
    );
    let mails =
        support::wait_for_mail(&app.outbox, |m| m.subject.contains(&reference) && m.subject.contains("cancelled"))
            .await;
    let cancel_mail = mails.iter().find(|m| m.subject.contains("cancelled")).expect("cancellation");
    let ics = &cancel_mail.attachment(".ics").expect("an .ics").body;
    assert!(
        ics.contains("METHOD:CANCEL")
            && ics.contains(&format!("UID:{reference}@slotwise"))
            && ics.contains("SEQUENCE:2"),
        "{ics}"
    );
    let page = v.get(&link).await;
    assert!(page.body.contains("data-state=\"cancelled\"") && !page.body.contains("id=\"reschedule\""));
    assert_eq!(v.get(&format!("/booking/{reference}/reschedule?token={token}")).await.status, Status::Conflict);
}

async fn a_taken_or_invalid_time_changes_nothing(db: Backend) {
    let app = app(&db, "").await;
    let (ann, bo) = (app.visitor(), app.visitor());
    let link = book(&app, &ann, 1, "ann@example.test").await;
    let bos = book(&app, &bo, 3, "bo@example.test").await;
    let (reference, token) = parts(&link);
    let choose = ann.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
    let offered = slots(&choose.body);
    // Bo's time (the checked one on Bo's own reschedule page) is taken.
    let bos_slot = {
        let choose_bo = bo.get(&format!("/booking/{}/reschedule?token={}", parts(&bos).0, parts(&bos).1)).await;
        let checked = choose_bo.body.split("checked").next().unwrap_or_default().to_string();
        checked.rsplit("value=\"").next().and_then(|v| v.split('"').next()).unwrap_or_default().to_string()
    };
    assert!(!offered.contains(&bos_slot), "bo's time is not offered to ann");
    let url = format!("/booking/{reference}/reschedule");
    let r = ann.submit(&url, &choose, &[("token", &token), ("slot", &bos_slot)]).await;
    assert_eq!(r.status, Status::Conflict, "{}", r.body);
    for bad in ["", "tomorrow", "2020-01-01T10:00", "2099-01-01T10:00"] {
        let r = ann.submit(&url, &choose, &[("token", &token), ("slot", bad)]).await;
        assert_eq!(r.status, Status::UnprocessableEntity, "{bad}");
    }
    let off_grid = format!("{}:07", &offered[0][..13]);
    assert_eq!(
        ann.submit(&url, &choose, &[("token", &token), ("slot", &off_grid)]).await.status,
        Status::UnprocessableEntity
    );
    assert!(ann.get(&link).await.body.contains("data-state=\"booked\""));
    // Wrong token: 404 everywhere.
    for path in [format!("/booking/{reference}?token=nope"), format!("/booking/{reference}/reschedule?token=nope")] {
        assert_eq!(ann.get(&path).await.status, Status::NotFound, "{path}");
    }
    assert_eq!(ann.submit(&url, &choose, &[("token", "nope"), ("slot", &offered[0])]).await.status, Status::NotFound);
}

async fn within_the_notice_a_booking_cannot_change_online(db: Backend) {
    // A notice longer than the horizon: every booking is already inside it.
    let app = app(&db, "[default.booking]\nchange_notice_minutes = 100000").await;
    let v = app.visitor();
    let link = book(&app, &v, 0, "cy@example.test").await;
    let (reference, token) = parts(&link);
    let page = v.get(&link).await;
    assert!(!page.body.contains("id=\"reschedule\"") && page.body.contains("practice"), "{}", page.body);
    assert_eq!(v.get(&format!("/booking/{reference}/reschedule?token={token}")).await.status, Status::Conflict);
    assert_eq!(v.get(&format!("/booking/{reference}/cancel?token={token}")).await.status, Status::Conflict);
    let r = v.submit(&format!("/booking/{reference}/cancel"), &page, &[("token", &token)]).await;
    assert_eq!(r.status, Status::Conflict);
    assert!(v.get(&link).await.body.contains("data-state=\"booked\""), "nothing changed");
}

async fn get_and_head_never_change_a_booking(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let link = book(&app, &v, 0, "di@example.test").await;
    let (reference, token) = parts(&link);
    let before = app.count("bookings WHERE cancelled_at IS NULL").await;
    let links = [
        link.clone(),
        format!("/booking/{reference}/reschedule?token={token}"),
        format!("/booking/{reference}/cancel?token={token}"),
        format!("/booking/{reference}/reschedule?token={token}&slot=2099-01-01T10:00"),
    ];
    for path in &links {
        let _ = app.client.get(path.as_str()).dispatch().await;
        let _ = app.client.head(path.as_str()).dispatch().await;
    }
    assert_eq!(app.count("bookings WHERE cancelled_at IS NULL").await, before);
    assert!(v.get(&link).await.body.contains("data-state=\"booked\""));
}

async fn the_staff_feed_lists_bookings_with_their_uids(db: Backend) {
    let app = app(&db, "[default.staff]\nfeed_token = \"staff-feed-token-0001\"").await;
    let v = app.visitor();
    let kept = book(&app, &v, 1, "ann@example.test").await;
    let gone = book(&app, &app.visitor(), 3, "bo@example.test").await;
    let (gone_ref, gone_token) = parts(&gone);
    let page = v.get(&gone).await;
    assert_eq!(
        v.submit(&format!("/booking/{gone_ref}/cancel"), &page, &[("token", &gone_token)]).await.status,
        Status::SeeOther
    );
    let feed = v.get("/staff/calendar.ics?token=staff-feed-token-0001").await;
    assert_eq!(feed.status, Status::Ok);
    assert!(feed.header("Content-Type").unwrap_or_default().starts_with("text/calendar"));
    let (_, events) = calendar(&feed.body);
    assert_eq!(events.len(), 2, "{}", feed.body);
    let find = |reference: &str| events.iter().find(|e| e[0] == format!("{reference}@slotwise")).expect("its event");
    assert_eq!(find(&parts(&kept).0)[2], "CONFIRMED");
    assert_eq!(find(&gone_ref)[2], "CANCELLED");
    // The same SEQUENCE as the cancellation's own .ics.
    let cancellation =
        support::wait_for_mail(&app.outbox, |m| m.is_to("bo@example.test") && m.subject.contains("cancelled")).await;
    let cancellation = cancellation.iter().find(|m| m.is_to("bo@example.test") && m.subject.contains("cancelled"));
    let ics = cancellation.and_then(|m| m.attachment(".ics")).map(|a| a.body.clone()).expect("its .ics");
    let (_, sent) = calendar(&ics);
    assert_eq!(find(&gone_ref)[1], sent[0][1], "the feed's SEQUENCE is the visitor's latest");
    // An erased booking says so instead of showing empty details.
    let db_pool = app.db().await;
    sqlx::query("UPDATE bookings SET name = '', email = '', phone = '', notes = '' WHERE reference = $1")
        .bind(parts(&kept).0)
        .execute(&db_pool)
        .await
        .unwrap();
    db_pool.close().await;
    let feed = v.get("/staff/calendar.ics?token=staff-feed-token-0001").await;
    let unfolded = feed.body.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:Consultation: (details erased)"), "{unfolded}");
    assert!(!unfolded.contains("SUMMARY:Consultation: \r\n"), "{unfolded}");
    for wrong in
        ["/staff/calendar.ics", "/staff/calendar.ics?token=nope", "/staff/calendar.ics?token=staff-feed-token-000"]
    {
        assert_eq!(v.get(wrong).await.status, Status::NotFound, "{wrong}");
    }
    let closed = self::app(&db, "").await;
    assert_eq!(closed.visitor().get("/staff/calendar.ics?token=").await.status, Status::NotFound);
}

/// Two moves and one new booking aim at the last seat of a time at once,
/// twenty times over: each time exactly one of them gets it.
async fn two_moves_and_a_booking_race_for_the_last_seat(db: Backend) {
    let app = app(&db, "").await;
    let (a, b) = (app.visitor(), app.visitor());
    let links = [book(&app, &a, 0, "a@example.test").await, book(&app, &b, 1, "b@example.test").await];
    let probe = app.visitor();
    let page = probe.get("/book/service").await;
    probe.submit("/book/service", &page, &[("service", "consultation")]).await;
    let all = slots(&probe.get("/book/slot").await.body);
    for round in 0..20 {
        let target = all[4 + round * 2].clone();
        // A new visitor, verified, at the confirm step for the target time.
        let c = app.visitor();
        let page = c.get("/book/service").await;
        c.submit("/book/service", &page, &[("service", "consultation")]).await;
        let page = c.get("/book/slot").await;
        assert_eq!(c.submit("/book/slot", &page, &[("slot", &target)]).await.status, Status::SeeOther, "round {round}");
        let email = format!("c{round}@example.test");
        let page = c.get("/book/details").await;
        c.submit("/book/details", &page, &[("name", "Cy"), ("email", &email)]).await;
        let mails = support::read_outbox(&app.outbox);
        let code = code_in(&mails.iter().rev().find(|m| m.is_to(&email)).expect("code").text).expect("a code");
        let page = c.get("/book/verify").await;
        c.submit("/book/verify", &page, &[("code", &code)]).await;
        let confirm_page = c.get("/book/confirm").await;
        let mut pages = Vec::new();
        for (v, link) in [(&a, &links[0]), (&b, &links[1])] {
            let (reference, token) = parts(link);
            let page = v.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
            pages.push((v, reference, token, page));
        }
        let barrier = rocket::tokio::sync::Barrier::new(3);
        let moves = pages.iter().map(|(v, reference, token, page)| {
            let barrier = &barrier;
            let url = format!("/booking/{reference}/reschedule");
            let (token, target) = (token.clone(), target.clone());
            async move {
                barrier.wait().await;
                v.submit(&url, page, &[("token", &token), ("slot", &target)]).await.status
            }
        });
        let booking = async {
            barrier.wait().await;
            c.submit("/book/confirm", &confirm_page, &[]).await.status
        };
        let (moved, booked) = futures::join!(futures::future::join_all(moves), booking);
        let statuses: Vec<Status> = moved.into_iter().chain([booked]).collect();
        let wins = statuses.iter().filter(|s| **s == Status::SeeOther).count();
        assert_eq!(wins, 1, "round {round}: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == Status::SeeOther || *s == Status::Conflict), "{statuses:?}");
    }
}

/// Moving a booking to the time it already has changes nothing and sends
/// nothing.
async fn a_move_to_the_same_time_changes_nothing(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let looker = app.visitor();
    let page = looker.get("/book/service").await;
    looker.submit("/book/service", &page, &[("service", "consultation")]).await;
    let slot = slots(&looker.get("/book/slot").await.body)[0].clone();
    let link = book(&app, &v, 0, "fi@example.test").await;
    let (reference, token) = parts(&link);
    let stored = app.count("outbox").await;
    let choose = v.get(&format!("/booking/{reference}/reschedule?token={token}")).await;
    let moved =
        v.submit(&format!("/booking/{reference}/reschedule"), &choose, &[("token", &token), ("slot", &slot)]).await;
    assert_eq!(moved.status, Status::SeeOther);
    let page = v.get(&link).await;
    assert!(!page.body.contains("class=\"notice\""), "no 'moved' notice: {}", page.body);
    assert_eq!(app.count("outbox").await, stored, "no 'moved' email stored");
    assert_eq!(app.count("bookings WHERE sequence = 0").await, 1, "the .ics SEQUENCE stays");
}

/// The booking page's cancel control asks first; its form cancels.
async fn cancelling_asks_to_confirm_first(db: Backend) {
    let app = app(&db, "").await;
    let v = app.visitor();
    let link = book(&app, &v, 0, "el@example.test").await;
    let (reference, token) = parts(&link);
    let page = v.get(&link).await;
    let ask = format!("/booking/{reference}/cancel?token={token}");
    assert!(page.body.contains(&format!("id=\"cancel\" href=\"{ask}\"")), "{}", page.body);
    assert!(!page.body.contains(&format!("action=\"/booking/{reference}/cancel\"")), "no one-click cancel");
    assert_eq!(v.get(&format!("/booking/{reference}/cancel?token=wrong")).await.status, Status::NotFound);
    let confirm = v.get(&ask).await;
    assert_eq!(confirm.status, Status::Ok);
    assert!(confirm.body.contains(&format!("action=\"/booking/{reference}/cancel\"")), "{}", confirm.body);
    assert!(v.get(&link).await.body.contains("data-state=\"booked\""), "asking changes nothing");
    let r = v.submit(&format!("/booking/{reference}/cancel"), &confirm, &[("token", &token)]).await;
    assert_eq!(r.status, Status::SeeOther);
    assert!(v.get(&link).await.body.contains("data-state=\"cancelled\""));
}

on_both_backends!(
    a_move_to_the_same_time_changes_nothing,
    cancelling_asks_to_confirm_first,
    two_moves_and_a_booking_race_for_the_last_seat,
    the_staff_feed_lists_bookings_with_their_uids,
    a_booking_moves_and_frees_its_old_time,
    a_taken_or_invalid_time_changes_nothing,
    within_the_notice_a_booking_cannot_change_online,
    get_and_head_never_change_a_booking,
);
