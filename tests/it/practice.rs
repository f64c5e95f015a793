//! The "Practitioners" example of docs/configuration.md, pasted into a configuration as
//! written: it launches, and offers what the text says.

use crate::support;

use rocket::http::Status;
use support::{Backend, TestApp, Visitor};

/// The `toml practitioners` block of docs/configuration.md.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(std::path::Path::new(support::MANIFEST_DIR).join("docs/configuration.md"))
        .expect("docs/configuration.md");
    let start = readme.find("```toml practitioners\n").expect("docs/configuration.md has the practitioners example");
    let body = &readme[start + "```toml practitioners\n".len()..];
    body[..body.find("```").expect("the block ends")].to_string()
}

/// The practitioner step's values after choosing `service`.
async fn offered_for(v: &Visitor<'_>, service: &str) -> Vec<String> {
    let page = v.get("/book/service").await;
    assert_eq!(v.submit("/book/service", &page, &[("service", service)]).await.location(), "/book/practitioner");
    let page = v.get("/book/practitioner").await;
    assert_eq!(page.status, Status::Ok);
    let needle = "name=\"practitioner\" value=\"";
    page.body.split(needle).skip(1).map(|rest| rest[..rest.find('"').expect("a quote")].to_string()).collect()
}

/// The slot values offered for `service` with `whom`.
async fn times_of(app: &TestApp, service: &str, whom: &str) -> Vec<String> {
    let v = app.visitor();
    offered_for(&v, service).await;
    let page = v.get("/book/practitioner").await;
    assert_eq!(v.submit("/book/practitioner", &page, &[("practitioner", whom)]).await.location(), "/book/slot");
    let page = v.get("/book/slot").await;
    let needle = "name=\"slot\" value=\"";
    page.body.split(needle).skip(1).map(|rest| rest[..rest.find('"').expect("a quote")].to_string()).collect()
}

async fn the_readme_practice_of_three_launches_and_offers_what_it_says(db: Backend) {
    let app = TestApp::with_config(&db, &readme_example()).await;
    let v = app.visitor();
    assert_eq!(offered_for(&v, "extended").await, ["weber", "any"], "only the doctor offers the extended session");
    assert_eq!(offered_for(&v, "follow-up").await, ["weber", "roth", "keller", "any"]);
    assert_eq!(offered_for(&v, "consultation").await, ["weber", "roth", "any"]);
    // The clock stands on Monday 2031-03-03, 09:50 in Berlin.
    let roth = times_of(&app, "consultation", "roth").await;
    assert!(roth.iter().all(|t| !t.starts_with("2031-03-03") && !t.starts_with("2031-03-04")), "{roth:?}");
    assert!(roth.contains(&"2031-03-05T09:00".to_string()), "Ben Roth on Wednesday: {roth:?}");
    let weber = times_of(&app, "consultation", "weber").await;
    assert!(weber.contains(&"2031-03-04T08:00".to_string()), "her own Tuesday from 08:00: {weber:?}");
    assert!(weber.iter().all(|t| !t.starts_with("2031-03-05")), "not on Wednesdays: {weber:?}");
    // Cleo Keller's holiday, from the same configuration.
    let dir = tempfile::tempdir().expect("a temp dir");
    let (figment, _) = support::figment(dir.path(), "sqlite::memory:", &readme_example());
    let booking = slotwise::config::Settings::from_figment(&figment).expect("valid").booking;
    let keller = booking.practitioner("keller").expect("configured");
    let on = |d: &str| keller.ranges_on(d.parse().expect("a date"), &booking.dates, &booking.hours).len();
    assert_eq!((on("2027-08-05"), on("2027-08-16")), (0, 2), "on holiday, then back in the practice's Monday hours");
}

on_both_backends!(the_readme_practice_of_three_launches_and_offers_what_it_says);
